"""What keeps the page safe: the bind check, HTTP basic auth, security headers, the CSRF token, redaction."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import secrets
import socket
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


def redact(text: str) -> str:
    """``text`` with the value of every secret environment variable replaced by ``***``."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return text


class SecurityMiddleware:
    """Basic auth on every request when a password is set, the security headers on every answer, and, without
    a password (loopback only), only loopback ``Host`` names: a DNS-rebinding page (``evil.example`` resolving
    to 127.0.0.1) reaches the port but not the backup. A POST from another origin is refused either way."""

    def __init__(self, app: ASGIApp, user: str, password: str, bind_host: str = "127.0.0.1") -> None:
        self.app = app
        self.credentials = f"{user}:{password}".encode() if password else None
        self.allowed_hosts = None if password else LOOPBACK_NAMES | {bind_host.strip("[]").lower()}

    def _host_allowed(self, scope: Scope) -> bool:
        if self.allowed_hosts is None:
            return True
        host = _host_name(dict(scope["headers"]).get(b"host", b"").decode("latin-1"))
        return host in self.allowed_hosts

    @staticmethod
    def _same_origin(scope: Scope) -> bool:
        """A POST's ``Origin``, when the browser names one, is this page's host. (With the page's
        ``Referrer-Policy: no-referrer`` Chromium sends ``Origin: null`` with the page's own forms: the form
        token is what proves those.)"""
        headers = dict(scope["headers"])
        origin = headers.get(b"origin")
        if scope["method"] != "POST" or origin is None or origin == b"null":
            return True
        return urlsplit(origin.decode("latin-1")).netloc.lower() == headers.get(b"host", b"").decode("latin-1").lower()

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
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"), *_headers(PAGE_POLICY)]})
            await send({"type": "http.response.body", "body": b"Forbidden: not this page's host or origin\n"})
            return
        if not self._authorised(scope):
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"www-authenticate", b'Basic realm="zendesk_crawler", charset="UTF-8"'),
                (b"content-type", b"text/plain; charset=utf-8"), *_headers(PAGE_POLICY)]})
            await send({"type": "http.response.body", "body": b"Authentication required\n"})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in _headers(PAGE_POLICY) if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
