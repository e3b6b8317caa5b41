"""The sandbox's HTTP server: HTTP/1.1 keep-alive, one thread per connection, quiet.

:class:`App` decides every answer (auth, rate limits, routing, request log); :class:`Handler`
only moves bytes. Each answer is written with one ``sendall`` (status line, headers and body
together) and Nagle is off, so keep-alive clients never wait for delayed ACKs.
"""

from __future__ import annotations

import socket
import socketserver
import sys
import time
import traceback
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from . import api, auth, control
from .api import JSON_TYPE, Response, dumps
from .clock import Clock
from .data import Dataset, Options
from .ratelimit import RateLimiter
from .requestlog import RequestLog


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
    epoch: int | None = None
    credentials: auth.Credentials = field(default_factory=auth.Credentials)


def endpoint_name(path: str) -> str:
    """The request log's name for an API path."""
    if path == api.EXPORT_PATH:
        return "incremental_tickets"
    if api.COMMENTS_PATH.fullmatch(path):
        return "ticket_comments"
    return "unknown"


class App:
    """Answers requests: control API without auth, Zendesk API with auth, rate limits and latency."""

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
            return control.handle(method, path, query, body, self.dataset, self.log), 0.0
        response = self._api(method, path, query, authorization)
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
            return Response(429, [JSON_TYPE, *decision.headers], dumps(
                {"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"}))
        try:
            response = self._route(method, path, dict(parse_qsl(query, keep_blank_values=True)))
        except api.BadRequest as exc:
            response = exc.response
        except Exception:  # noqa: BLE001 - a sandbox bug must answer 500, never kill the connection
            traceback.print_exc(file=sys.stderr)
            response = Response(500, [JSON_TYPE], dumps({"error": "InternalError", "description": "sandbox bug"}))
        return Response(response.status, response.headers + decision.headers, response.body)

    def _route(self, method: str, path: str, params: dict[str, str]) -> Response:
        if method == "GET" and path == api.EXPORT_PATH:
            return api.incremental_tickets(self.dataset, self.base_url, params)
        match = api.COMMENTS_PATH.fullmatch(path)
        if method == "GET" and match:
            return api.ticket_comments(self.dataset, self.base_url, int(match.group(1)), params)
        return api.INVALID_ENDPOINT


class Handler(BaseHTTPRequestHandler):
    """Reads a request, asks the :class:`App`, writes the answer in one piece."""

    protocol_version = "HTTP/1.1"
    server_version = "sandbox-zendesk"
    sys_version = ""
    disable_nagle_algorithm = True
    server: "SandboxServer"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response, delay = self.server.app.handle(self.command, self.path, self.headers.get("Authorization"), body)
        if delay:
            time.sleep(delay)
        lines = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}",
                 f"Date: {formatdate(usegmt=True)}", f"Content-Length: {len(response.body)}"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """Quiet: no line per request."""


class SandboxServer(ThreadingHTTPServer):
    """A threading HTTP server bound to ``config.host`` (IPv6 when the host has a colon)."""

    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, config: Config) -> None:
        self.address_family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        super().__init__((config.host, config.port), Handler)
        host = config.host if config.host not in ("0.0.0.0", "::") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{host}:{self.server_address[1]}"
        self.app = App(config, self.base_url)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup (``getfqdn``), which can stall offline."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]
