"""What the sandbox answers: control API without auth; Zendesk API behind auth and rate limits, logged."""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

from . import api, auth, control
from .api import JSON_TYPE, Response
from .clock import Clock
from .data import Dataset
from .generator import Options, dumps
from .ratelimit import RateLimiter
from .requestlog import RequestLog

INTERNAL_ERROR = Response(500, [JSON_TYPE], dumps({"error": "InternalError", "description": "sandbox bug"}))
RATE_LIMITED = dumps({"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"})


@dataclass(frozen=True)
class Config:
    """Everything the CLI can set."""

    host: str = "127.0.0.1"
    port: int = 0
    tickets: int = 300
    seed: int = 1
    rate_limit: int = 700
    export_rate_limit: int = 10
    time_scale: float = 1.0
    latency_ms: float = 0.0
    export_budget_header: bool = False
    gzip: bool = True
    epoch: int | None = None
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
    if api.COMMENTS_PATH.fullmatch(path):
        return "ticket_comments"
    return "unknown"


class App:
    """Decides every answer; thread-safe (the dataset, limiter and log lock their own state)."""

    def __init__(self, config: Config, base_url: str) -> None:
        self.config = config
        self.base_url = base_url
        self.clock = Clock()
        epoch = config.epoch if config.epoch is not None else self.clock.now_int() - 120
        self.dataset = Dataset(Options(tickets=config.tickets, seed=config.seed, epoch=epoch, base_url=base_url,
                                       admin_email=config.credentials.email), self.clock)
        self.limiter = RateLimiter(config.rate_limit, config.export_rate_limit, config.time_scale,
                                   config.export_budget_header)
        self.log = RequestLog()

    def handle(self, method: str, target: str, authorization: str | None, body: bytes) -> tuple[Response, float]:
        """The answer to one request and how many seconds to hold it back (``--latency-ms``)."""
        path, _, query = target.partition("?")
        if path.startswith("/_sandbox/"):
            return _guarded(control.handle, method, path, query, body, self.dataset, self.log), 0.0
        response = _guarded(self._api, method, path, query, authorization)
        self.log.record(method, path, query, response.status, auth.scheme(authorization), endpoint_name(path))
        return response, self.config.latency_ms / 1000

    def _api(self, method: str, path: str, query: str, authorization: str | None) -> Response:
        is_export = path.startswith("/api/v2/incremental/")
        failure = auth.authenticate(authorization, self.config.credentials)
        decision = self.limiter.check(is_export, consume=failure is None)
        if failure is not None:
            extra = [] if auth.scheme(authorization) == "bearer" else [auth.WWW_AUTHENTICATE]
            return Response(401, [JSON_TYPE, *extra, *decision.headers], failure)
        if not decision.allowed:
            return Response(429, [JSON_TYPE, *decision.headers], RATE_LIMITED)
        try:
            response = self._route(method, path, dict(parse_qsl(query, keep_blank_values=True)))
        except api.BadRequest as exc:
            response = exc.response
        return Response(response.status, response.headers + decision.headers, response.body)

    def _route(self, method: str, path: str, params: dict[str, str]) -> Response:
        if method == "GET" and path == api.EXPORT_PATH:
            return api.incremental_tickets(self.dataset, self.base_url, params)
        match = api.COMMENTS_PATH.fullmatch(path)
        if method == "GET" and match:
            return api.ticket_comments(self.dataset, self.base_url, int(match.group(1)), params)
        return api.INVALID_ENDPOINT
