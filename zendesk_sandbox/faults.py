"""Fault switches: deterministic rules that make chosen API requests fail the way real fronts fail.

Armed with ``POST /_sandbox/faults`` ``{"rules": [...]}`` (which replaces every armed rule;
``{"rules": []}`` clears them). A rule is a JSON object:

- ``endpoint``: one of ``ENDPOINTS``, the request log's names: ``"incremental_tickets"``,
  ``"incremental_ticket_events"``, ``"ticket_comments"``, ``"users_show_many"``, ``"incremental_users"``,
  ``"incremental_organizations"``, ``"groups"``, ``"ticket_fields"``, ``"voice_recording"``, ``"search_export"``,
  ``"tickets_show_many"``, ``"ticket"``, ``"user"``, ``"users_search"``, ``"user_identities"``,
  ``"user_tickets_requested"``, ``"user_tickets_ccd"``, ``"user_tickets_followed"``, the configuration lists
  (``CONFIGURATION_ENDPOINTS``: ``"ticket_forms"``, ``"macros"``, ``"sla_policies"``, ...),
  ``"incremental_side_conversation_events"``, ``"ticket_side_conversations"``, ``"ticket_conversation_log"``,
  ``"attachment"`` (the
  account host's download redirect), ``"attachment_content"`` (the content host) or ``"any"`` (every API
  request, not the two download endpoints);
- ``kind``: ``"status"`` (with ``status``), ``"commit_status"`` (with ``status``, default 500) and
  ``"commit_drop"``: only with the write endpoints (``WRITE_ENDPOINTS``: ``ticket_import``, ``users_create_many``,
  ``uploads``, ``triggers_create``, ...): the request is carried out (the objects are created) and then the answer is
  a ``status`` error or the connection is dropped, so that a client that retries creates them twice;
  ``"drop"``, ``"truncate"``, ``"html"``, ``"garbage"``,
  ``"slow"`` (with ``delay_ms``) or ``"no_cursor"``: only with the endpoints that answer pages
  (``PAGED_ENDPOINTS``, ``any`` among them), the real page, but saying there is more while giving no way to it:
  a cursor page with ``meta.has_more: true``, ``meta.after_cursor: null`` and ``links.next: null``; a cursor
  export page with ``end_of_stream: false``, ``after_url: null`` and ``after_cursor: null``; a time-based export
  page with ``end_of_stream: false``, ``next_page: null`` and ``end_time: null``; any other answer, an offset
  page or an error, passes unchanged;
- ``count``: how many times it fires before it is spent (``-1``: until cleared);
- ``every``: fire on every N-th matching request (default 1: each one);
- ``ticket_ids``: only with ``ticket_comments``: match only the comments of these tickets;
- ``attachment_ids``: only with ``attachment``, ``attachment_content`` and ``voice_recording``: match only
  the downloads of these attachments (or recordings, by the ``attachment_id`` the attachments truth gives them);
- ``retry_after``: only with ``status`` 429: the ``Retry-After`` seconds to announce (default 1),
  with ``X-Rate-Limit-Remaining: 0`` as Zendesk sends it.

Only authenticated requests inside the rate limits meet the rules (a 401 or 429 is answered
first, as Zendesk's own front would); on the content host, which takes no credentials, every request does.
A request is offered to the rules in order: each live rule it matches counts it, and the first rule whose
turn it is fires; later rules do not see that request. No randomness: the same request sequence meets the same faults.

``status``, ``drop`` and ``html`` answer without asking the API (the request never reached
Zendesk); ``truncate``, ``garbage``, ``slow`` and ``no_cursor`` damage or delay the real answer, so the API's
side effects (``delete_on_comment_read``) happen for them.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from . import configuration
from .api import JSON_TYPE, Response
from .encoding import dumps
from .writes.endpoints import WRITE_ENDPOINTS

#: The configuration lists, by their streams' names, and those of them with cursor pagination.
CONFIGURATION_ENDPOINTS = tuple(endpoint.stream for endpoint in configuration.ENDPOINTS)
CONFIGURATION_CURSOR_ENDPOINTS = configuration.CURSOR_ENDPOINTS
ENDPOINTS = ("incremental_tickets", "incremental_ticket_events", "ticket_comments", "users_show_many",
             "incremental_users", "incremental_organizations", "groups", "ticket_fields", "voice_recording",
             "attachment", "attachment_content", "search_export", "tickets_show_many", "ticket", "user", "users_search",
             "user_identities", "user_tickets_requested", "user_tickets_ccd", "user_tickets_followed",
             "tickets_list", "organizations", "organizations_search", "users_me", *CONFIGURATION_ENDPOINTS,
             "satisfaction_ratings", "help_center_categories", "help_center_sections",
             "help_center_incremental_articles", "help_center_article_attachments", "article_attachment",
             "incremental_side_conversation_events", "ticket_side_conversations", "ticket_conversation_log",
             *WRITE_ENDPOINTS, "any")
#: Endpoints whose requests name an attachment (or recording) id; ``any`` does not cover the downloads.
DOWNLOADS = ("attachment", "attachment_content", "article_attachment")
ITEM_ENDPOINTS = ("attachment", "attachment_content", "voice_recording", "article_attachment")
KINDS = ("status", "drop", "truncate", "html", "garbage", "slow", "no_cursor", "commit_status", "commit_drop")
#: Kinds that let the request be carried out before they spoil its answer: for the write endpoints.
COMMIT_KINDS = ("commit_status", "commit_drop")
#: Endpoints whose answers are pages to follow (by cursor, or by ``end_time`` for the time-based exports): those a
#: ``no_cursor`` rule takes.
PAGED_ENDPOINTS = ("incremental_tickets", "incremental_users", "incremental_ticket_events", "incremental_organizations",
                   "ticket_comments", "groups", "ticket_fields", "search_export", "user_identities",
                   "user_tickets_requested", "user_tickets_ccd", "user_tickets_followed", "satisfaction_ratings",
                   "help_center_categories", "help_center_sections", "help_center_article_attachments",
                   *CONFIGURATION_CURSOR_ENDPOINTS,
                   "incremental_side_conversation_events", "ticket_conversation_log", "any")
HTML_TYPE = ("Content-Type", "text/html; charset=utf-8")
_FIELDS = {"endpoint", "kind", "count", "every", "ticket_ids", "attachment_ids", "status", "delay_ms", "retry_after"}

#: Gateway errors come from the fronts (load balancer, CDN) as HTML, not from the API as JSON.
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_MAINTENANCE_PAGE = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>Scheduled maintenance</title>\n</head>\n<body>\n<h1>We&rsquo;ll be back soon</h1>\n"
    "<p>Zendesk is undergoing scheduled maintenance. Please try again in a few minutes.</p>\n"
    "</body>\n</html>\n"
)


@dataclass
class Rule:
    """One armed rule and its counters."""

    endpoint: str
    kind: str
    count: int
    every: int = 1
    ticket_ids: frozenset[int] | None = None
    attachment_ids: frozenset[int] | None = None
    status: int | None = None
    delay_ms: float = 0.0
    retry_after: int | None = None
    matched: int = 0
    fired: int = 0

    @property
    def spent(self) -> bool:
        return self.count != -1 and self.fired >= self.count

    def matches(self, endpoint: str, ticket_id: int | None, item_id: int | None = None) -> bool:
        if self.endpoint != endpoint and (self.endpoint != "any" or endpoint in DOWNLOADS):
            return False
        if self.attachment_ids is not None and item_id not in self.attachment_ids:
            return False
        return self.ticket_ids is None or ticket_id in self.ticket_ids

    def describe(self) -> dict[str, Any]:
        """The rule as armed, plus ``matched`` (requests counted) and ``fired``."""
        out: dict[str, Any] = {"endpoint": self.endpoint, "kind": self.kind, "count": self.count, "every": self.every}
        if self.ticket_ids is not None:
            out["ticket_ids"] = sorted(self.ticket_ids)
        if self.attachment_ids is not None:
            out["attachment_ids"] = sorted(self.attachment_ids)
        if self.kind in ("status", "commit_status"):
            out["status"] = self.status
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        if self.kind == "slow":
            out["delay_ms"] = self.delay_ms
        out.update(matched=self.matched, fired=self.fired)
        return out


def _integer(raw: dict[str, Any], name: str, default: int | None = None) -> int:
    value = raw.get(name, default)
    if value is None:
        raise ValueError(f"fault rule: {name} is required")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"fault rule: {name} must be an integer, not {value!r}")
    return value


def parse_rule(raw: Any) -> Rule:
    """A validated :class:`Rule`; ``ValueError`` (answered 400) names what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError(f"fault rule: must be an object, not {raw!r}")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ValueError(f"fault rule: unknown fields {sorted(unknown)}")
    endpoint, kind = raw.get("endpoint"), raw.get("kind")
    if endpoint not in ENDPOINTS:
        raise ValueError(f"fault rule: endpoint must be one of {', '.join(ENDPOINTS)}, not {endpoint!r}")
    if kind not in KINDS:
        raise ValueError(f"fault rule: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    count = _integer(raw, "count")
    if count < 1 and count != -1:
        raise ValueError("fault rule: count must be at least 1, or -1 (forever)")
    every = _integer(raw, "every", 1)
    if every < 1:
        raise ValueError("fault rule: every must be at least 1")
    rule = Rule(endpoint, kind, count, every)
    if "ticket_ids" in raw:
        ids = raw["ticket_ids"]
        if endpoint != "ticket_comments":
            raise ValueError("fault rule: ticket_ids only applies to the ticket_comments endpoint")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValueError("fault rule: ticket_ids must be a list of integers")
        rule.ticket_ids = frozenset(ids)
    if "attachment_ids" in raw:
        ids = raw["attachment_ids"]
        if endpoint not in ITEM_ENDPOINTS:
            raise ValueError("fault rule: attachment_ids only applies to the attachment, attachment_content and "
                             "voice_recording endpoints")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise ValueError("fault rule: attachment_ids must be a list of integers")
        rule.attachment_ids = frozenset(ids)
    if kind == "no_cursor" and endpoint not in PAGED_ENDPOINTS:
        raise ValueError(f"fault rule: kind no_cursor only applies to {', '.join(PAGED_ENDPOINTS)}")
    if kind in COMMIT_KINDS and endpoint not in WRITE_ENDPOINTS:
        raise ValueError(f"fault rule: kind {kind} only applies to {', '.join(WRITE_ENDPOINTS)}")
    if kind == "commit_status":
        rule.status = _integer(raw, "status", 500)
        if not 400 <= rule.status <= 599:
            raise ValueError("fault rule: status must be between 400 and 599")
    elif kind == "status":
        rule.status = _integer(raw, "status")
        if not 400 <= rule.status <= 599:
            raise ValueError("fault rule: status must be between 400 and 599")
    elif "status" in raw:
        raise ValueError("fault rule: status only applies to kind status")
    if rule.status == 429:
        rule.retry_after = _integer(raw, "retry_after", 1)
        if not 1 <= rule.retry_after <= 3600:
            raise ValueError("fault rule: retry_after must be between 1 and 3600")
    elif "retry_after" in raw:
        raise ValueError("fault rule: retry_after only applies to status 429")
    if kind == "slow":
        delay = raw.get("delay_ms")
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 600_000:
            raise ValueError("fault rule: kind slow needs delay_ms between 0 and 600000")
        rule.delay_ms = float(delay)
    elif "delay_ms" in raw:
        raise ValueError("fault rule: delay_ms only applies to kind slow")
    return rule


class Faults:
    """The armed rules; thread-safe (the server answers on the event loop and on worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def arm(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Replace every rule with ``payload["rules"]`` (all validated before any is armed)."""
        raw = payload.get("rules")
        if not isinstance(raw, list):
            raise ValueError('the body must be {"rules": [...]}')
        rules = [parse_rule(item) for item in raw]
        with self._lock:
            self._rules = rules
        return self.describe()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"rules": [rule.describe() for rule in self._rules]}

    def pick(self, endpoint: str, ticket_id: int | None, item_id: int | None = None) -> Rule | None:
        """The rule that fires for this request, counters updated; ``None`` when no fault applies."""
        with self._lock:
            for rule in self._rules:
                if rule.spent or not rule.matches(endpoint, ticket_id, item_id):
                    continue
                rule.matched += 1
                if rule.matched % rule.every == 0:
                    rule.fired += 1
                    return rule
            return None


def status_response(status: int, headers: list[tuple[str, str]], retry_after: int | None = None) -> Response:
    """What a front sends for an error status: HTML for gateway errors, Zendesk's JSON otherwise.

    A 429 carries ``Retry-After`` and says the budget is spent until then, like Zendesk's own.
    """
    if status == 429:
        wait = str(retry_after or 1)
        spent = {"x-rate-limit-remaining": "0", "ratelimit-remaining": "0", "ratelimit-reset": wait}
        headers = [("Retry-After", wait), *((name, spent.get(name.lower(), value)) for name, value in headers)]
        body = {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}
        return Response(status, [JSON_TYPE, *headers], dumps(body))
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if status in (502, 503, 504):
        page = _GATEWAY_PAGE.format(status=status, phrase=phrase).encode()
        return Response(status, [HTML_TYPE, *headers], page)
    if status == 500:
        body = {"error": "InternalServerError", "description": "Something went wrong. Please try again later."}
    else:
        body = {"error": "".join(phrase.split()) or "Error", "description": phrase}
    return Response(status, [JSON_TYPE, *headers], dumps(body))


def maintenance_page() -> Response:
    """A proxy's 200 HTML maintenance page (no Zendesk headers: the API never saw the request)."""
    return Response(200, [HTML_TYPE], _MAINTENANCE_PAGE.encode())


def garbage(real: Response) -> Response:
    """200 ``application/json`` whose body is the real body cut in half: never valid JSON, correct length."""
    body = real.body[: len(real.body) // 2] or b'{"'  # a JSON object cut short never parses
    headers = [h for h in real.headers if h[0].lower() != "content-type"]
    return Response(200, [JSON_TYPE, *headers], body)


def no_cursor(real: Response) -> Response:
    """The real page saying there is more but giving no cursor, link or time to go on from (see the module's
    docstring); any answer that is no such page, an error included, unchanged."""
    if real.status != 200:
        return real
    try:
        page = json.loads(real.body)
    except ValueError:
        return real
    if not isinstance(page, dict):
        return real
    meta, links = page.get("meta"), page.get("links")
    if isinstance(meta, dict) and "has_more" in meta:
        meta.update(has_more=True, after_cursor=None)
        if isinstance(links, dict):
            links["next"] = None
    elif "end_of_stream" in page and "after_url" in page:
        page.update(end_of_stream=False, after_url=None, after_cursor=None)
    elif "end_of_stream" in page and "next_page" in page:
        page.update(end_of_stream=False, next_page=None, end_time=None)
    else:
        return real
    return Response(real.status, real.headers, dumps(page))


def garbage_download(real: Response) -> Response:
    """The content host's garbage: 200 with the real headers (the file's type) and the first half of its bytes
    (a correct ``Content-Length`` for them, which is not the attachment's ``size``)."""
    return Response(200, real.headers, real.body[: len(real.body) // 2])
