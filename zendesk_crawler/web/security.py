"""What keeps the page safe: the bind check, HTTP basic auth, security headers, the CSRF token, redaction."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import os
import secrets
import socket
import time
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The page's own documents: nothing loads from elsewhere, no inline script or style, no framing.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
               "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
#: Served files (backups, attachments): shown as inert documents in a sandbox, never as the page's origin.
FILE_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
#: Environment variables whose values never appear in what the page shows.
SECRET_VARIABLES = ("ZENDESK_API_TOKEN", "ZENDESK_OAUTH_TOKEN", "ZENDESK_WEB_PASSWORD", "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN")


#: Host names a browser uses for the page on loopback (a DNS-rebinding page's requests carry another).
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """True when every address ``host`` stands for is a loopback address (127.0.0.0/8, ::1); a name is resolved,
    as the server will resolve it."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        # An IPv4 or IPv6 address is a string (the stub's int is a Python built with --disable-ipv6).
        addresses = {cast(str, info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def secret_forms() -> list[str]:
    """Every form in which a secret of the environment can reach a log: the value, its base64, and the base64 of
    the basic-auth credentials built from it (``email/token:TOKEN``, ``email:TOKEN``, ``user:PASSWORD``), with and
    without padding; longest first, so that a longer form is masked before a part of it."""
    people = [os.environ.get("ZENDESK_EMAIL") or "", os.environ.get("ZENDESK_WEB_USER") or "admin"]
    forms: set[str] = set()
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if not value or len(value) < 4:
            continue
        forms.add(value)
        for raw in (value, *(f"{who}/token:{value}" for who in people if who), *(f"{who}:{value}" for who in people
                                                                                if who)):
            encoded = base64.b64encode(raw.encode()).decode("ascii")
            forms.update((encoded, encoded.rstrip("=")))
    return sorted(forms, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret of the environment, as is or base64-encoded (:func:`secret_forms`), replaced by
    ``***``."""
    for form in secret_forms():
        text = text.replace(form, "***")
    return text


#: The largest request body the page reads (its forms are a few hundred bytes): larger ones are refused unread.
MAX_BODY_BYTES = 16 * 1024
#: Wrong passwords from one client before its requests are refused for a while, and for how long (seconds).
FAILED_LOGINS_ALLOWED = 5
LOGIN_LOCKOUT_SECONDS = 60.0


class FailedLogins:
    """Wrong passwords per client address: after ``FAILED_LOGINS_ALLOWED`` in a row, the client is refused (429,
    ``Retry-After``) for ``LOGIN_LOCKOUT_SECONDS``, so that guessing the password is slow."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[str, tuple[int, float]] = {}

    def locked_for(self, client: str) -> float:
        """Seconds the client must still wait (0: it may try)."""
        count, last = self.failures.get(client, (0, 0.0))
        if count < FAILED_LOGINS_ALLOWED:
            return 0.0
        left = last + LOGIN_LOCKOUT_SECONDS - self.clock()
        if left <= 0:
            del self.failures[client]
            return 0.0
        return left

    def failed(self, client: str) -> None:
        count, _ = self.failures.get(client, (0, 0.0))
        self.failures[client] = (count + 1, self.clock())
        if len(self.failures) > 10_000:  # a flood of addresses: forget the oldest
            oldest = min(self.failures, key=lambda key: self.failures[key][1])
            del self.failures[oldest]

    def succeeded(self, client: str) -> None:
        self.failures.pop(client, None)


class SecurityMiddleware:
    """What every request meets before the page:

    - cross-site requests are refused on every route, not only POSTs (``Sec-Fetch-Site: cross-site`` or
      ``same-site``: an ``<img>`` on any page the operator visits must not start a PDF render or read a backup),
      and so is ``Origin: null`` unless ``Sec-Fetch-Site`` says ``same-origin`` (the page's own forms under its
      ``Referrer-Policy: no-referrer``), and any other ``Origin`` than this page's host;
    - a request body over ``MAX_BODY_BYTES`` (or a POST without a length) is refused before it is read;
    - basic auth on every request when a password is set, repeated wrong passwords locked out for a while
      (:class:`FailedLogins`); without a password (loopback only), only loopback ``Host`` names: a DNS-rebinding
      page (``evil.example`` resolving to 127.0.0.1) reaches the port but not the backup;
    - the security headers on every answer.
    """

    def __init__(self, app: ASGIApp, user: str, password: str, bind_host: str = "127.0.0.1") -> None:
        self.app = app
        self.credentials = f"{user}:{password}".encode() if password else None
        self.allowed_hosts = None if password else LOOPBACK_NAMES | {bind_host.strip("[]").lower()}
        self.failed_logins = FailedLogins()

    def _host_allowed(self, scope: Scope) -> bool:
        if self.allowed_hosts is None:
            return True
        host = _host_name(dict(scope["headers"]).get(b"host", b"").decode("latin-1"))
        return host in self.allowed_hosts

    @staticmethod
    def _same_origin(scope: Scope) -> bool:
        """Whether a request comes from this page (or from no page: a typed address, a bookmark, a script).

        ``Sec-Fetch-Site`` (sent by every current browser) must not say ``cross-site`` or ``same-site``;
        ``Origin: null`` passes only with ``Sec-Fetch-Site: same-origin`` (Chromium's own form posts under
        ``no-referrer``; a sandboxed frame or a ``data:`` page sends ``null`` too); any other ``Origin`` must
        be this page's host."""
        headers = dict(scope["headers"])
        site = headers.get(b"sec-fetch-site", b"").lower()
        if site in (b"cross-site", b"same-site"):
            return False
        origin = headers.get(b"origin")
        if origin is None:
            return True
        if origin == b"null":
            return site == b"same-origin"
        return urlsplit(origin.decode("latin-1")).netloc.lower() == headers.get(b"host", b"").decode("latin-1").lower()

    @staticmethod
    def _body_too_large(scope: Scope) -> int | None:
        """413 for a declared body over the limit, 411 for a body of undeclared length; ``None``: fine."""
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is None:
            chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
            return 411 if chunked or scope["method"] in ("POST", "PUT", "PATCH") else None
        try:
            return 413 if int(length) > MAX_BODY_BYTES else None
        except ValueError:
            return 413

    def _authorised(self, scope: Scope) -> bool:
        """No password, or the right basic-auth credentials (compared in constant time)."""
        if self.credentials is None:
            return True
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
        return secrets.compare_digest(given, self.credentials)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return await self.app(scope, receive, send)
        if scope["type"] != "http":  # no websocket or other protocol is served
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        if not self._host_allowed(scope) or not self._same_origin(scope):
            return await _refuse(send, 403, b"Forbidden: not this page's host or origin\n")
        too_large = self._body_too_large(scope)
        if too_large is not None:
            return await _refuse(send, too_large, b"Request body refused: the page takes forms of a few kB\n")
        client = (scope.get("client") or ("", 0))[0]
        wait = self.failed_logins.locked_for(client) if self.credentials is not None else 0.0
        if wait:
            return await _refuse(send, 429, b"Too many wrong passwords: try again later\n",
                                 [(b"retry-after", str(math.ceil(wait)).encode())])
        if not self._authorised(scope):
            if dict(scope["headers"]).get(b"authorization"):
                self.failed_logins.failed(client)
            return await _refuse(send, 401, b"Authentication required\n",
                                 [(b"www-authenticate", b'Basic realm="zendesk_crawler", charset="UTF-8"')])
        if self.credentials is not None:
            self.failed_logins.succeeded(client)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in _headers(PAGE_POLICY) if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _refuse(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        *(extra or []), (b"content-type", b"text/plain; charset=utf-8"), *_headers(PAGE_POLICY)]})
    await send({"type": "http.response.body", "body": body})


def _host_name(host: str) -> str:
    """The name of a ``Host`` header, without its port (``[::1]:8000`` → ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _headers(policy: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", policy.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
            (b"cache-control", b"no-store")]


def file_headers() -> dict[str, str]:
    """Headers of a served file: the sandboxing policy instead of the page's."""
    return {name.decode(): value.decode() for name, value in _headers(FILE_POLICY)}


class CsrfToken:
    """One random token per page process, put in every form and required with every POST."""

    def __init__(self) -> None:
        self.value = secrets.token_urlsafe(32)

    def valid(self, given: object) -> bool:
        """Whether a form sent this process's token."""
        return isinstance(given, str) and secrets.compare_digest(given.encode(), self.value.encode())
