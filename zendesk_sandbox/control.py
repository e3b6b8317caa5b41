"""The control API under ``/_sandbox/`` (no auth): ground truth (tickets and the other streams), changes, clock,
request log, faults, stats."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from . import configuration
from .account import STREAMS
from .api import JSON_TYPE, Response
from .collaboration import Collaboration
from .data import Dataset
from .encoding import dumps
from .faults import Faults
from .requestlog import RequestLog
from .writes.endpoints import Writes

#: The configuration streams, each served whole by ``GET /_sandbox/truth/<stream>``.
CONFIGURATION_STREAMS = tuple(e.stream for e in configuration.ENDPOINTS)


def _ok(value: Any) -> Response:
    return Response(200, [JSON_TYPE], dumps(value))


def _flag(params: dict[str, str], name: str) -> bool:
    return params.get(name, "true").lower() not in ("false", "0")


def _bad(message: str, status: int = 400) -> Response:
    return Response(status, [JSON_TYPE], dumps({"error": message}))


def handle(method: str, path: str, query: str, body: bytes, dataset: Dataset, log: RequestLog,
           faults: Faults, collaboration: Collaboration, writes: Writes) -> Response:
    """Answer one control request.

    - ``GET /_sandbox/truth[?comments=false&users=false&offset=N&limit=M]``: every ticket (or a slice, in
      stream order) as the export returns it now, with ``comments`` and ``_support_type_scope``; every user
      with ``_deleted``.
    - ``GET /_sandbox/truth/<stream>`` for ``users``, ``organizations``, ``groups``, ``ticket_fields``:
      ``{"now": unix, "<stream>": [...]}``, every record exactly as the API serves it now (the same JSON),
      deleted ones included with their markers (users ``active: false``, ``email: null``,
      ``permanently_deleted: false``; organizations ``deleted_at`` and the name ``{id}_deleted_{name}``;
      groups ``deleted: true``; inactive ticket fields ``active: false``), in export order for users and
      organizations (``updated_at``, id; records changed in the last minute included, though the exports do
      not show them yet), list order for groups (name, id; as with ``exclude_deleted=false``) and cursor
      order for ticket fields (id). The configuration streams (``ticket_forms``, ``user_fields``,
      ``organization_fields``, ``brands``, ``custom_statuses``, ``macros``, ``triggers``, ``automations``, ``views``,
      ``sla_policies``, ``schedules``, ``dynamic_content``, ``group_memberships``, ``organization_memberships``):
      every object as its list serves it, in the list's order (their key is the stream's name, the items of
      ``dynamic_content`` included). Unknown streams: 404.
    - ``GET /_sandbox/truth/satisfaction_ratings``, ``/categories``, ``/sections``, ``/articles``:
      ``{"now", "<stream>": [...]}``, every record as the API serves it now, in id order (Help Center records
      with ``translations`` as ``include=translations`` embeds them); ``/article_attachments``: every article
      attachment as listed, with the ``sha256`` of its bytes.
    - ``GET /_sandbox/truth/ticket_events``: ``{"now", "ticket_events": [...]}``, every ticket event once, as the
      export with ``include=comment_events`` serves it (the last minute's too), in (timestamp, id) order.
    - ``GET /_sandbox/truth/side_conversations``: ``{"now", "side_conversations": [...]}``, every side conversation
      of a live ticket as ``/tickets/{id}/side_conversations`` lists it, with ``ticket_id`` and its ``events``.
    - ``GET /_sandbox/truth/conversation_logs``: ``{"now", "conversation_logs": {"<ticket id>": [...]}}``, the
      whole conversation log of every live messaging ticket (seeded ones).
    - ``GET /_sandbox/truth/archived``: ``{"now", "ids"}``, the archived tickets (``show_many`` leaves them out).
    - ``GET /_sandbox/truth/attachments[?offset=N&limit=M]``: ``{"now", "attachments": [...]}``, every attachment of
      every current comment and every voice recording (see :meth:`Dataset.attachments_truth_json`).
    - ``POST /_sandbox/changes``: ``{"add_comments": [ids or {"id": id, "attachments": n}], "update": [ids],
      "delete": [ids], "create": n,
      "delete_on_comment_read": [ids], "grow": {"<id>": n}, "huge_comment": [ids], "odd": [ids],
      "users": {"update": [ids], "create": n, "delete": [ids]},
      "organizations": {"update": [ids], "create": n, "delete": [ids]},
      "groups": {"update": [ids]}, "ticket_fields": {"update": [ids]},
      "satisfaction_ratings": {"update": [ids], "create": n}, "articles": {"update": [ids], "create": n}}`` →
      ``{"changed": [...], "created": [...], "<stream>": {"changed": [...], "created": [...]}, ...}`` (a key
      per stream named in the request). Every change stamps ``updated_at`` with sandbox-now: ``update``
      renames (name, or title and raw_title, gets `` ✎<n>``); ``delete`` makes a user inactive (email null) or
      sets an organization's ``deleted_at`` and renames it ``{id}_deleted_{name}``; ``create`` adds records
      with new ids (users after the last user id, organizations after the last organization id). A renamed
      user shows its new name in every sideload; a deleted user or organization leaves the sideloads. All
      or nothing: 400 (and no change at all) for unknown records or operations, deleted records, past 5000
      comments a ticket.
    - ``POST /_sandbox/clock`` ``{"advance": seconds}`` → ``{"now": unix}`` (``GET`` reads it).
    - ``GET /_sandbox/requests[?since=K]``: counts and the log of API requests.
    - ``POST /_sandbox/faults`` ``{"rules": [...]}``: replace the armed fault rules (``[]`` clears them);
      ``GET`` reads them with their ``matched`` and ``fired`` counters (see ``faults.py``).
    - ``GET /_sandbox/truth/written``: ``{"now", "counts": {type: n}, "created": {type: [ids]}, "updated": {type:
      [ids]}}``: every object the write endpoints created (``ticket``, ``user``, ``organization``, ``group``,
      ``ticket_field``, ``ticket_form``, ``brand``, ``macro``, ``trigger``, ``automation``, ``view``, ``user_field``,
      ``organization_field``, ``upload``, ``job``), the users ``create_or_update_many`` updated, and ``uploads``:
      every uploaded file with its ``ticket_id`` (once attached), ``size`` and ``sha256``; ``tickets``: every imported
      ticket's ``id``, ``external_id``, ``tags``, ``subject``, ``status`` as served now (deleted ones scrubbed).
    - ``GET /_sandbox/stats``: counts: tickets, deleted and AI-agent tickets, comments, the largest
      conversation, users, deleted users, organizations, deleted organizations, groups, deleted groups,
      ticket fields, inactive ticket fields.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    try:
        payload = json.loads(body) if body else {}
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        if (method, path) == ("GET", "/_sandbox/truth"):
            limit = params.get("limit")
            return Response(200, [JSON_TYPE], dataset.truth_json(
                comments=_flag(params, "comments"), users=_flag(params, "users"),
                offset=int(params.get("offset", 0)), limit=None if limit is None else int(limit)))
        if (method, path) == ("GET", "/_sandbox/truth/attachments"):
            limit = params.get("limit")
            return Response(200, [JSON_TYPE], dataset.attachments_truth_json(
                offset=int(params.get("offset", 0)), limit=None if limit is None else int(limit)))
        if (method, path) == ("GET", "/_sandbox/truth/search"):
            if not params.get("query"):
                return _bad("query is required")
            from .api import BadRequest
            from .search import truth_ids
            try:
                truth_ids(dataset, params["query"])
            except BadRequest as exc:
                return exc.response
            return _ok({"now": dataset.clock.now_int(), "query": params["query"],
                        "ids": truth_ids(dataset, params["query"])})
        if (method, path) == ("GET", "/_sandbox/truth/side_conversations"):
            return _ok({"now": dataset.clock.now_int(),
                        "side_conversations": collaboration.side_conversations_truth()})
        if (method, path) == ("GET", "/_sandbox/truth/conversation_logs"):
            return _ok({"now": dataset.clock.now_int(), "conversation_logs": collaboration.conversation_logs_truth()})
        if (method, path) == ("GET", "/_sandbox/truth/archived"):
            return _ok({"now": dataset.clock.now_int(), "ids": dataset.archived_ids()})
        if method == "GET" and path.startswith("/_sandbox/truth/person"):
            from .people import person_truth
            rest = path[len("/_sandbox/truth/person"):].strip("/")
            user_id = int(rest) if rest else dataset.generator.users.person_id
            if not dataset.account.is_user(user_id):
                return _bad(f"no user {user_id}", 404)
            return _ok(person_truth(dataset, user_id))
        if (method, path) == ("GET", "/_sandbox/truth/written"):
            return _ok({"now": dataset.clock.now_int(), **writes.truth()})
        if (method, path) == ("GET", "/_sandbox/truth/ticket_events"):
            return Response(200, [JSON_TYPE], dataset.ticket_events_truth_json())
        if (method, path) == ("GET", "/_sandbox/truth/article_attachments"):
            return _ok({"now": dataset.clock.now_int(), "article_attachments": dataset.help_center.attachments_truth()})
        if (method, path) == ("GET", "/_sandbox/truth/satisfaction_ratings"):
            return _ok({"now": dataset.clock.now_int(), "satisfaction_ratings": dataset.satisfaction.truth()})
        if method == "GET" and path[len("/_sandbox/truth/"):] in ("categories", "sections", "articles"):
            stream = path[len("/_sandbox/truth/"):]
            return _ok({"now": dataset.clock.now_int(), stream: dataset.help_center.truth(stream)})
        if method == "GET" and path.startswith("/_sandbox/truth/"):
            stream = path[len("/_sandbox/truth/"):]
            if stream in CONFIGURATION_STREAMS:
                return Response(200, [JSON_TYPE], configuration.truth_json(writes.config, dataset.clock.now_int(),
                                                                          stream))
            if stream not in STREAMS:
                return _bad(f"no stream {stream!r}; streams: {', '.join((*STREAMS, *CONFIGURATION_STREAMS))}", 404)
            return Response(200, [JSON_TYPE], dataset.account.truth_json(stream))
        if (method, path) == ("POST", "/_sandbox/changes"):
            return _ok(dataset.apply_changes(payload))
        if path == "/_sandbox/clock" and method in ("GET", "POST"):
            if method == "POST":
                dataset.clock.advance(float(payload.get("advance", 0)))
            return _ok({"now": dataset.clock.now_int()})
        if (method, path) == ("GET", "/_sandbox/requests"):
            return _ok(log.snapshot(int(params.get("since", 0))))
        if path == "/_sandbox/faults" and method in ("GET", "POST"):
            return _ok(faults.arm(payload) if method == "POST" else faults.describe())
        if (method, path) == ("GET", "/_sandbox/stats"):
            return _ok(dataset.stats())
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return _bad(f"no control endpoint {method} {path}", 404)
