"""Credential checks as Zendesk does them: API token (basic ``EMAIL/token:TOKEN``) or OAuth bearer."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_EMAIL = "admin@sandbox.example.com"
DEFAULT_API_TOKEN = "sandbox-api-token-0123456789"
DEFAULT_OAUTH_TOKEN = "sandbox-oauth-token-0123456789"
#: An agent's credentials (not an admin): the write endpoints Zendesk allows for admins only answer it 403.
DEFAULT_AGENT_EMAIL = "agent3@sandbox.example.com"
DEFAULT_AGENT_API_TOKEN = "sandbox-agent-token-0123456789"

BASIC_FAILURE = b'{"error":"Couldn\'t authenticate you"}'
BEARER_FAILURE = (b'{"error":"invalid_token","error_description":"The access token provided is expired, '
                  b'revoked, malformed or invalid for other reasons."}')
WWW_AUTHENTICATE = ("WWW-Authenticate", 'Basic realm="Web Password"')


@dataclass(frozen=True)
class Credentials:
    """The account's accepted credentials."""

    email: str = DEFAULT_EMAIL
    api_token: str = DEFAULT_API_TOKEN
    oauth_token: str = DEFAULT_OAUTH_TOKEN
    agent_email: str = DEFAULT_AGENT_EMAIL
    agent_api_token: str = DEFAULT_AGENT_API_TOKEN


def scheme(header: str | None) -> str | None:
    """``basic``, ``bearer`` or None: the scheme a request presented, for the request log."""
    if not header:
        return None
    name = header.split(" ", 1)[0].lower()
    return name if name in ("basic", "bearer") else None


@lru_cache(maxsize=64)
def authenticate(header: str | None, credentials: Credentials) -> bytes | None:
    """None when the ``Authorization`` header is accepted, else the 401 body to answer with.

    Password auth (``EMAIL:PASSWORD`` without ``/token``) is refused like any wrong credential.
    Cached: a client sends the same header on every request.
    """
    kind = scheme(header)
    value = header.split(" ", 1)[1].strip() if header and " " in header else ""
    if kind == "bearer":
        return None if hmac.compare_digest(value.encode(), credentials.oauth_token.encode()) else BEARER_FAILURE
    if kind == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return BASIC_FAILURE
        if _basic_user(decoded, credentials) is not None:
            return None
    return BASIC_FAILURE


def _basic_user(decoded: str, credentials: Credentials) -> str | None:
    """``admin`` or ``agent`` for a decoded ``EMAIL/token:TOKEN`` that one of the two credentials accepts."""
    user, _, secret = decoded.partition(":")
    if not user.endswith("/token"):
        return None
    email = user[:-len("/token")].lower()
    if email == credentials.email.lower() and hmac.compare_digest(secret.encode(), credentials.api_token.encode()):
        return "admin"
    if email == credentials.agent_email.lower() and \
            hmac.compare_digest(secret.encode(), credentials.agent_api_token.encode()):
        return "agent"
    return None


@lru_cache(maxsize=64)
def role(header: str | None, credentials: Credentials) -> str:
    """``admin`` (the account's credentials, API token or OAuth) or ``agent`` (the agent's API token) for an
    accepted ``Authorization`` header."""
    if scheme(header) != "basic" or not header:
        return "admin"
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, IndexError):
        return "admin"
    return _basic_user(decoded, credentials) or "admin"
