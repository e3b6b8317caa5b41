"""What the sandbox answers: control API without auth; Zendesk API behind auth, rate limits and faults, logged;
attachment downloads on the account host (credentials, no rate limit) and the content host (no credentials)."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from . import (
    api,
    auth,
    collaboration,
    configuration,
    control,
    downloads,
    faults,
    features,
    hc_api,
    lookups,
    people,
    search,
)
from .api import JSON_TYPE, Response
from .clock import Clock
from .data import Dataset
from .encoding import dumps
from .faults import Faults, Rule
from .generator import Options
from .ratelimit import CONVERSATION_LOG, CURSOR_EXPORTS, EXPORTS, SEARCH_EXPORT, RateLimiter
from .requestlog import RequestLog
from .writes import endpoints as writes
from .writes.records import add_partial

INTERNAL_ERROR = Response(500, [JSON_TYPE], dumps({"error": "InternalError", "description": "sandbox bug"}))
RATE_LIMITED = dumps({"error": "APIRateLimitExceeded",
                      "description": "Number of allowed API requests per minute exceeded"})
#: Placeholder answer of a dropped request: the server sends nothing.
DROPPED = Response(0, [], b"")
#: The two listeners: the account (API, control API, download redirects) and the content host (file bytes).
ACCOUNT, CONTENT = "account", "content"


class Answer(NamedTuple):
    """What the server sends: the response, how many seconds to hold it back, and how to damage it.

    ``cut`` is ``None`` (send it all), ``"drop"`` (close the connection without answering) or
    ``"truncate"`` (send the head and the first half of the body, then close).
    """

    response: Response
    delay: float = 0.0
    cut: str | None = None


@dataclass(frozen=True)
class Config:
    """Everything the CLI can set."""

    host: str = "127.0.0.1"
    port: int = 0
    #: The content host's address (another loopback name: 127/8 is all loopback on Linux) and port.
    content_host: str = "127.0.0.2"
    content_port: int = 0
    tickets: int = 300
    seed: int = 1
    rate_limit: int = 700
    export_rate_limit: int = 10
    #: Export Search Results requests per minute (documented: 100; 0: unlimited).
    search_export_rate_limit: int = 100
    #: List Conversation Log for Ticket requests per minute (documented: 100, 300 with High Volume; 0: unlimited).
    conversation_log_rate_limit: int = 100
    time_scale: float = 1.0
    other_usage: int = 0
    latency_ms: float = 0.0
    export_budget_header: bool = False
    gzip: bool = True
    heavy_tickets: bool = True
    epoch: int | None = None
    #: Features the account lacks (``features.FEATURES``): their endpoints answer as Zendesk does without them.
    without: frozenset[str] = frozenset()
    #: ``seeded``, ``empty`` (a new account) or ``partial`` (see ``Options.account``).
    account: str = "seeded"
    #: Sandbox seconds before the search export finds an imported ticket.
    search_index_delay: int = 120
    credentials: auth.Credentials = field(default_factory=auth.Credentials)


def _guarded(handler: Callable[..., Response], *args: Any) -> Response:
    """The handler's answer, or 500 (with the traceback on stderr) if the sandbox has a bug."""
    try:
        return handler(*args)
    except Exception:  # noqa: BLE001 - a sandbox bug must answer 500, not drop the connection
        traceback.print_exc(file=sys.stderr)
        return INTERNAL_ERROR


def endpoint_name(path: str) -> str:
    """The request log's name for an API path."""
    if path == api.EXPORT_PATH:
        return "incremental_tickets"
    if api.EVENTS_PATH.fullmatch(path):
        return "incremental_ticket_events"
    if api.COMMENTS_PATH.fullmatch(path):
        return "ticket_comments"
    if api.USERS_SHOW_MANY_PATH.fullmatch(path):
        return "users_show_many"
    if search.SEARCH_EXPORT_PATH.fullmatch(path):
        return "search_export"
    if people.TICKETS_SHOW_MANY_PATH.fullmatch(path):
        return "tickets_show_many"
    if people.TICKET_PATH.fullmatch(path):
        return "ticket"
    if lookups.TICKETS_PATH.fullmatch(path):
        return "tickets_list"
    if lookups.USERS_ME_PATH.fullmatch(path):
        return "users_me"
    if lookups.ORGANIZATIONS_SEARCH_PATH.fullmatch(path):
        return "organizations_search"
    if people.USERS_SEARCH_PATH.fullmatch(path):
        return "users_search"
    if people.USER_PATH.fullmatch(path):
        return "user"
    if people.IDENTITIES_PATH.fullmatch(path):
        return "user_identities"
    match = people.USER_TICKETS_PATH.fullmatch(path)
    if match:
        return f"user_tickets_{match.group(2)}"
    if api.USERS_EXPORT.fullmatch(path):
        return "incremental_users"
    if api.ORGANIZATIONS_EXPORT.fullmatch(path):
        return "incremental_organizations"
    if api.GROUPS_PATH.fullmatch(path):
        return "groups"
    if api.ORGANIZATIONS_PATH.fullmatch(path):
        return "organizations"
    if api.TICKET_FIELDS_PATH.fullmatch(path):
        return "ticket_fields"
    config = configuration.endpoint_of(path)
    if config is not None:
        return config.stream
    if hc_api.ARTICLE_ATTACHMENTS_PATH.fullmatch(path):
        return "help_center_article_attachments"
    if downloads.ARTICLE_ATTACHMENT_PATH.fullmatch(path):
        return "article_attachment"
    if hc_api.RATINGS_PATH.fullmatch(path):
        return "satisfaction_ratings"
    if hc_api.CATEGORIES_PATH.fullmatch(path):
        return "help_center_categories"
    if hc_api.SECTIONS_PATH.fullmatch(path):
        return "help_center_sections"
    if hc_api.ARTICLES_EXPORT_PATH.fullmatch(path):
        return "help_center_incremental_articles"
    if path == collaboration.EVENTS_EXPORT_PATH:
        return "incremental_side_conversation_events"
    if collaboration.SIDE_CONVERSATIONS_PATH.fullmatch(path):
        return "ticket_side_conversations"
    if collaboration.CONVERSATION_LOG_PATH.fullmatch(path):
        return "ticket_conversation_log"
    if downloads.RECORDING_PATH.fullmatch(path):
        return "voice_recording"
    if downloads.ATTACHMENT_PATH.fullmatch(path):
        return "attachment"
    return "unknown"


#: The export budget header's name per endpoint: ``...-cursor`` on the cursor exports (documented for the users
#: export; the ticket and ticket event exports have always sent it here), the plain name on the time-based
#: organization export (as observed on Zendesk). All of them report the one export budget.


class App:
    """Decides every answer; thread-safe (the dataset, limiter and log lock their own state)."""

    def __init__(self, config: Config, base_url: str, content_url: str = "") -> None:
        self.config = config
        self.base_url = base_url
        self.content_url = content_url
        #: The request log's ``host`` of each listener.
        self.hosts = {ACCOUNT: base_url.split("//", 1)[-1], CONTENT: content_url.split("//", 1)[-1]}
        self.clock = Clock()
        epoch = config.epoch if config.epoch is not None else self.clock.now_int() - 120
        self.dataset = Dataset(Options(tickets=config.tickets, seed=config.seed, epoch=epoch, base_url=base_url,
                                       admin_email=config.credentials.email, heavy_tickets=config.heavy_tickets,
                                       account=config.account),
                               self.clock)
        #: What the write endpoints stored (jobs, uploads, configuration, the ledger); ticket imports and records
        #: go into the dataset itself.
        self.writes = writes.Writes(self.dataset, base_url, config.search_index_delay)
        if config.account == "partial":
            add_partial(self.dataset.account)
        self.limiter = RateLimiter(config.rate_limit, config.export_rate_limit, config.time_scale,
                                   config.export_budget_header, other_usage=config.other_usage,
                                   search_export_limit=config.search_export_rate_limit,
                                   conversation_log_limit=config.conversation_log_rate_limit)
        self.log = RequestLog()
        self.faults = Faults()
        #: Side conversations and messaging tickets' conversation logs.
        self.collaboration = collaboration.Collaboration(self.dataset)

    def handle(self, method: str, target: str, authorization: str | None, body: bytes, site: str = ACCOUNT,
               content_type: str | None = None) -> Answer:
        """The answer to one request, how long to hold it back (``--latency-ms``, slow faults), how to cut it.

        ``site`` is the listener it came to: ``ACCOUNT`` or ``CONTENT``; ``content_type`` the request's (uploads).
        """
        arrived = time.time()
        path, _, query = target.partition("?")
        if site == ACCOUNT and path.startswith("/_sandbox/"):
            return Answer(_guarded(control.handle, method, path, query, body, self.dataset, self.log, self.faults,
                                   self.collaboration, self.writes))
        if site == CONTENT:
            endpoint = "attachment_content" if downloads.CONTENT_PATH.fullmatch(path) else "unknown"
        else:
            endpoint = writes.endpoint_of(method, path) or endpoint_name(path)
        try:
            if site == CONTENT:
                response, rule = self._content(method, path, query, authorization, endpoint)
            elif endpoint in ("attachment", "article_attachment"):
                response, rule = self._attachment(method, path, authorization, endpoint)
            else:
                response, rule = self._api(method, path, query, authorization, endpoint, body, content_type)
        except Exception:  # noqa: BLE001 - a sandbox bug must answer 500, not drop the connection
            traceback.print_exc(file=sys.stderr)
            response, rule = INTERNAL_ERROR, None
        delay, cut, logged_status = self.config.latency_ms / 1000, None, response.status
        if rule is not None and rule.kind == "slow":
            delay += rule.delay_ms / 1000
        elif rule is not None and rule.kind in ("drop", "truncate"):
            cut = logged_status = rule.kind
        elif rule is not None and rule.kind == "commit_drop":
            cut = logged_status = "drop"
        self.log.record(method, path, query, logged_status, auth.scheme(authorization), endpoint,
                        rule.kind if rule is not None else None, arrived, self.limiter.window_index(),
                        self.hosts[site], authorization is not None)
        return Answer(response, delay, cut)

    def _fault(self, rule: Rule | None, headers: list[tuple[str, str]]) -> Response | None:
        """The answer of a fault that answers without asking the sandbox (status, drop, html), else None."""
        if rule is not None and rule.kind == "status":
            return faults.status_response(rule.status or 500, headers, rule.retry_after)
        if rule is not None and rule.kind == "drop":
            return DROPPED
        if rule is not None and rule.kind == "html":
            return faults.maintenance_page()
        return None

    def _attachment(self, method: str, path: str, authorization: str | None,
                    endpoint: str = "attachment") -> tuple[Response, Rule | None]:
        """An attachment's ``content_url`` on the account host (a comment's or a Help Center article's):
        credentials as for the API, no rate limit."""
        failure = auth.authenticate(authorization, self.config.credentials)
        if failure is not None:
            extra = [] if auth.scheme(authorization) == "bearer" else [auth.WWW_AUTHENTICATE]
            return Response(401, [JSON_TYPE, *extra], failure), None
        rule = self.faults.pick(endpoint, None, downloads.item_of(endpoint, path, self.dataset))
        faulty = self._fault(rule, [])
        if faulty is not None:
            return faulty, rule
        if method != "GET":
            return api.INVALID_ENDPOINT, rule
        if endpoint == "article_attachment":
            response = downloads.article_attachment(self.dataset, self.content_url, path)
        else:
            response = downloads.attachment(self.dataset, self.base_url, self.content_url, path,
                                            self.writes.uploads)
        if rule is not None and rule.kind == "garbage":
            response = faults.garbage(response)
        return response, rule

    def _content(self, method: str, path: str, query: str, authorization: str | None,
                 endpoint: str) -> tuple[Response, Rule | None]:
        """The content host: file bytes under signed URLs, no credentials, no rate limit."""
        if endpoint != "attachment_content" or method != "GET":
            return Response(404, [downloads.TEXT_TYPE], b"Not Found\n"), None
        rule = self.faults.pick(endpoint, None, downloads.item_of(endpoint, path, self.dataset))
        faulty = self._fault(rule, [])
        if faulty is not None:
            return faulty, rule
        response = downloads.content(self.dataset, path, dict(parse_qsl(query, keep_blank_values=True)),
                                     authorization, self.writes.uploads)
        if rule is not None and rule.kind == "garbage":
            response = faults.garbage_download(response)
        return response, rule

    def _api(self, method: str, path: str, query: str, authorization: str | None,
             endpoint: str, body: bytes = b"", content_type: str | None = None) -> tuple[Response, Rule | None]:
        is_export = path.startswith("/api/v2/incremental/")
        failure = auth.authenticate(authorization, self.config.credentials)
        bucket = (CURSOR_EXPORTS if endpoint == "incremental_users" else EXPORTS) if is_export else None
        if endpoint == "search_export":
            bucket = SEARCH_EXPORT
        if endpoint == "ticket_conversation_log":
            bucket = CONVERSATION_LOG
        decision = self.limiter.check(bucket, consume=failure is None)
        if failure is not None:
            extra = [] if auth.scheme(authorization) == "bearer" else [auth.WWW_AUTHENTICATE]
            return Response(401, [JSON_TYPE, *extra, *decision.headers], failure), None
        if not decision.allowed:
            return Response(429, [JSON_TYPE, *decision.headers], RATE_LIMITED), None
        match = api.COMMENTS_PATH.fullmatch(path)
        rule = self.faults.pick(endpoint, int(match.group(1)) if match else None,
                                downloads.item_of(endpoint, path, self.dataset))
        faulty = self._fault(rule, decision.headers)
        if faulty is not None:
            return faulty, rule
        missing = features.missing_feature(endpoint, self.config.without)
        if missing is not None:
            return Response(missing[0], [JSON_TYPE, *decision.headers], missing[1]), rule
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            if endpoint == "users_me":
                credentials = self.config.credentials
                role = auth.role(authorization, credentials)
                response = lookups.users_me(self.dataset, credentials.email if role == "admin"
                                            else credentials.agent_email)
            elif endpoint in writes.WRITE_ENDPOINTS:
                response = self.writes.handle(endpoint, method, path, params, body, content_type,
                                              auth.role(authorization, self.config.credentials))
            else:
                response = self._route(method, path, params)
        except api.BadRequest as exc:
            response = exc.response
        if rule is not None and rule.kind == "commit_status":  # done, then the answer is lost
            return faults.status_response(rule.status or 500, decision.headers, rule.retry_after), rule
        if rule is not None and rule.kind == "commit_drop":
            return DROPPED, rule
        response = Response(response.status, response.headers + decision.headers, response.body)
        if rule is not None and rule.kind == "garbage":
            response = faults.garbage(response)
        elif rule is not None and rule.kind == "no_cursor":
            response = faults.no_cursor(response)
        return response, rule  # truncate and slow: the server cuts or delays the real answer

    def _route(self, method: str, path: str, params: dict[str, str]) -> Response:
        if method == "GET" and path == api.EXPORT_PATH:
            return api.incremental_tickets(self.dataset, self.base_url, params)
        if method == "GET" and api.EVENTS_PATH.fullmatch(path):
            return api.incremental_ticket_events(self.dataset, self.base_url, params)
        match = api.COMMENTS_PATH.fullmatch(path)
        if method == "GET" and match:
            return api.ticket_comments(self.dataset, self.base_url, int(match.group(1)), params)
        if method == "GET" and api.USERS_SHOW_MANY_PATH.fullmatch(path):
            return api.users_show_many(self.dataset, params)
        if method == "GET" and api.USERS_EXPORT.fullmatch(path):
            return api.incremental_users(self.dataset, self.base_url, params)
        if method == "GET" and api.ORGANIZATIONS_EXPORT.fullmatch(path):
            return api.incremental_organizations(self.dataset, self.base_url, params)
        if method == "GET" and api.GROUPS_PATH.fullmatch(path):
            return api.groups_list(self.dataset, self.base_url, params)
        if method == "GET" and api.ORGANIZATIONS_PATH.fullmatch(path):
            return api.organizations_list(self.dataset, self.base_url, params)
        if method == "GET" and api.TICKET_FIELDS_PATH.fullmatch(path):
            return api.ticket_fields_list(self.dataset, self.base_url, params)
        if method == "GET" and search.SEARCH_EXPORT_PATH.fullmatch(path):
            return search.search_export(self.dataset, self.base_url, params)
        if method == "GET" and people.TICKETS_SHOW_MANY_PATH.fullmatch(path):
            return people.tickets_show_many(self.dataset, params)
        match = people.TICKET_PATH.fullmatch(path)
        if method == "GET" and match:
            return people.show_ticket(self.dataset, int(match.group(1)), params)
        if method == "GET" and lookups.TICKETS_PATH.fullmatch(path):
            return lookups.tickets_list(self.dataset, self.base_url, params)
        if method == "GET" and lookups.ORGANIZATIONS_SEARCH_PATH.fullmatch(path):
            return lookups.organizations_search(self.dataset, self.base_url, params)
        if method == "GET" and people.USERS_SEARCH_PATH.fullmatch(path):
            return people.users_search(self.dataset, self.base_url, params)
        match = people.USER_PATH.fullmatch(path)
        if method == "GET" and match:
            return people.show_user(self.dataset, int(match.group(1)))
        match = people.IDENTITIES_PATH.fullmatch(path)
        if method == "GET" and match:
            return people.user_identities(self.dataset, self.base_url, int(match.group(1)), params)
        match = people.USER_TICKETS_PATH.fullmatch(path)
        if method == "GET" and match:
            return people.user_tickets(self.dataset, self.base_url, int(match.group(1)), match.group(2), params)
        if method == "GET" and path == collaboration.EVENTS_EXPORT_PATH:
            return self.collaboration.events_export(self.base_url, params)
        match = collaboration.SIDE_CONVERSATIONS_PATH.fullmatch(path)
        if method == "GET" and match:
            return self.collaboration.ticket_side_conversations(self.base_url, int(match.group(1)), params)
        match = collaboration.CONVERSATION_LOG_PATH.fullmatch(path)
        if method == "GET" and match:
            return self.collaboration.conversation_log(self.base_url, int(match.group(1)), params)
        if method == "GET" and downloads.RECORDING_PATH.fullmatch(path):
            return downloads.recording(self.dataset, self.content_url, path)
        config = configuration.endpoint_of(path)
        if method == "GET" and config is not None:
            return configuration.config_list(self.writes.config, self.base_url, config, params)
        if method == "GET" and hc_api.ARTICLE_ATTACHMENTS_PATH.fullmatch(path):
            return hc_api.article_attachments(self.dataset.help_center, self.base_url, path, params)
        if method == "GET" and hc_api.RATINGS_PATH.fullmatch(path):
            return hc_api.satisfaction_ratings(self.dataset.satisfaction, self.base_url, params)
        if method == "GET" and hc_api.CATEGORIES_PATH.fullmatch(path):
            return hc_api.categories(self.dataset.help_center, self.base_url, params)
        if method == "GET" and hc_api.SECTIONS_PATH.fullmatch(path):
            return hc_api.sections(self.dataset.help_center, self.base_url, params)
        if method == "GET" and hc_api.ARTICLES_EXPORT_PATH.fullmatch(path):
            return hc_api.incremental_articles(self.dataset.help_center, self.base_url, params)
        return api.INVALID_ENDPOINT
