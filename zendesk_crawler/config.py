"""The run's configuration: target, credentials, export location and start time.

Everything is read from Scrapy settings (which default to the environment, see
``settings.py``) and spider arguments, and validated once, before any request
is sent. Invalid input raises :class:`ConfigError` with a one-line message.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.paths import join_uri

SUBDOMAIN_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$", re.IGNORECASE)


@dataclass(frozen=True)
class AccountConfig:
    """The account, how to talk to it and where to write: validated settings only.

    Any component builds it from the crawler's settings; nothing here depends on
    the spider or its arguments. Secrets are kept out of ``repr``.
    """

    base_url: str
    auth_header: str = field(repr=False)
    auth_kind: str
    export_uri: str
    state_uri: str
    export_page_size: int
    comments_page_size: int
    list_page_size: int
    search_page_size: int
    attachment_max_bytes: int
    attachment_downloads: int
    rate_limit_share: float
    max_requests_per_minute: float
    export_requests_per_minute: float
    conversation_log_requests_per_minute: float
    rate_limit_window: float
    rate_limit_max_retries: int
    retry_backoff_base: float
    retry_backoff_max: float
    lock_ttl: float
    tickets_in_progress: int
    events_waiting_tickets: int
    events_buffered_tickets: int
    events_kept_tickets: int
    events_buffer_bytes: int
    events_spill_bytes: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> AccountConfig:
        """Read and validate the ``ZENDESK_*`` settings."""
        return cls(**account_fields(settings))


def account_fields(settings: BaseSettings) -> dict[str, Any]:
    """The validated ``ZENDESK_*`` settings as :class:`AccountConfig` fields."""
    base_url = _base_url(settings)
    auth_kind, auth_header = _auth_header(settings)
    export_uri = export_uri_setting(settings)
    return dict(
        base_url=base_url,
        auth_header=auth_header,
        auth_kind=auth_kind,
        export_uri=export_uri,
        state_uri=state_uri_setting(settings),
        export_page_size=_export_page_size(settings),
        comments_page_size=_int_in_range(settings, "ZENDESK_COMMENTS_PAGE_SIZE", 1, 100, default=100),
        list_page_size=_int_in_range(settings, "ZENDESK_LIST_PAGE_SIZE", 1, 100, default=100),
        # Zendesk's maximum: the search pages keep only ids, so fewer requests cost nothing in memory.
        search_page_size=_int_in_range(settings, "ZENDESK_SEARCH_PAGE_SIZE", 1, 1000, default=1000),
        attachment_max_bytes=_int_in_range(settings, "ZENDESK_ATTACHMENT_MAX_BYTES", 1, 2**40, default=50 * 2**20),
        attachment_downloads=attachment_downloads_setting(settings),
        rate_limit_share=_number(settings, "ZENDESK_RATE_LIMIT_SHARE", 1.0, low=0.01, high=1.0),
        max_requests_per_minute=_number(settings, "ZENDESK_MAX_REQUESTS_PER_MINUTE", 0, low=0),
        export_requests_per_minute=_number(settings, "ZENDESK_EXPORT_REQUESTS_PER_MINUTE", 10, low=1),
        conversation_log_requests_per_minute=_number(settings, "ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE", 100,
                                                     low=1),
        rate_limit_window=_number(settings, "ZENDESK_RATE_LIMIT_WINDOW", 60, low=0.1),
        rate_limit_max_retries=_int_in_range(settings, "ZENDESK_RATE_LIMIT_MAX_RETRIES", 0, 10_000, default=30),
        retry_backoff_base=_number(settings, "ZENDESK_RETRY_BACKOFF_BASE", 1, low=0),
        retry_backoff_max=_number(settings, "ZENDESK_RETRY_BACKOFF_MAX", 60, low=0),
        lock_ttl=_number(settings, "ZENDESK_LOCK_TTL", 600, low=1),
        tickets_in_progress=_int_in_range(settings, "ZENDESK_TICKETS_IN_PROGRESS", 1, 10_000, default=100),
        events_waiting_tickets=_int_in_range(settings, "ZENDESK_EVENTS_WAITING_TICKETS", 1, 10_000_000, default=1000),
        events_buffered_tickets=_int_in_range(settings, "ZENDESK_EVENTS_BUFFERED_TICKETS", 1, 10_000_000,
                                              default=2000),
        events_kept_tickets=_int_in_range(settings, "ZENDESK_EVENTS_KEPT_TICKETS", 1, 10_000_000, default=20000),
        events_buffer_bytes=_int_in_range(settings, "ZENDESK_EVENTS_BUFFER_BYTES", 2**20, 2**40, default=16 * 2**20),
        events_spill_bytes=_int_in_range(settings, "ZENDESK_EVENTS_SPILL_BYTES", 2**20, 2**50, default=2 * 2**30),
    )


def _base_url(settings: BaseSettings) -> str:
    url = (settings.get("ZENDESK_URL") or "").strip()
    subdomain = (settings.get("ZENDESK_SUBDOMAIN") or "").strip()
    if url:
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
            raise ConfigError(f"ZENDESK_URL must not carry a user or password ({shown} with them removed): "
                              "give the credentials in ZENDESK_EMAIL and ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"ZENDESK_URL must be an http(s) URL like https://acme.zendesk.com, got {url!r}")
        if parts.query or parts.fragment or parts.path.strip("/"):
            raise ConfigError(f"ZENDESK_URL must be the account's base URL without a path, got {url!r}")
        return f"{parts.scheme}://{parts.netloc}"
    if subdomain:
        if not SUBDOMAIN_RE.match(subdomain):
            raise ConfigError(
                f"ZENDESK_SUBDOMAIN must be the bare subdomain (acme for acme.zendesk.com), got {subdomain!r}"
            )
        return f"https://{subdomain.lower()}.zendesk.com"
    raise ConfigError("no Zendesk account configured: set ZENDESK_SUBDOMAIN (or ZENDESK_URL)")


def _auth_header(settings: BaseSettings) -> tuple[str, str]:
    """Return (kind, Authorization header value) for API token or OAuth auth."""
    email = (settings.get("ZENDESK_EMAIL") or "").strip()
    api_token = (settings.get("ZENDESK_API_TOKEN") or "").strip()
    oauth_token = (settings.get("ZENDESK_OAUTH_TOKEN") or "").strip()
    if oauth_token and (email or api_token):
        raise ConfigError(
            "both ZENDESK_OAUTH_TOKEN and ZENDESK_EMAIL/ZENDESK_API_TOKEN are set: keep only one way to authenticate"
        )
    if oauth_token:
        return "oauth", f"Bearer {oauth_token}"
    if email and api_token:
        userpass = f"{email}/token:{api_token}".encode()
        return "api_token", "Basic " + base64.b64encode(userpass).decode("ascii")
    if email or api_token:
        missing = "ZENDESK_API_TOKEN" if email else "ZENDESK_EMAIL"
        raise ConfigError("API token authentication needs both ZENDESK_EMAIL and ZENDESK_API_TOKEN: "
                          f"{missing} is not set")
    raise ConfigError("no credentials: set ZENDESK_EMAIL and ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN")


def export_uri_setting(settings: BaseSettings) -> str:
    """The validated ``ZENDESK_EXPORT_URI``: a local directory or ``s3://bucket/prefix``."""
    uri = (settings.get("ZENDESK_EXPORT_URI") or "output").strip()
    scheme = urlsplit(uri).scheme
    if scheme not in ("", "file", "s3") and not re.match(r"^[A-Za-z]:[\\/]", uri):
        raise ConfigError(f"ZENDESK_EXPORT_URI must be a local directory or s3://bucket/prefix, got {uri!r}")
    if scheme == "s3" and not urlsplit(uri).netloc:
        raise ConfigError(f"ZENDESK_EXPORT_URI names no bucket: {uri!r} (expected s3://bucket/prefix)")
    return uri.rstrip("/") or "/"


def state_uri_setting(settings: BaseSettings) -> str:
    """``ZENDESK_STATE_URI``: the state file, ``state.json`` in the export location unless set."""
    return settings.get("ZENDESK_STATE_URI") or join_uri(export_uri_setting(settings), "state.json")


def _export_page_size(settings: BaseSettings) -> int:
    """Tickets per export page: Zendesk's maximum by default.

    The export budget is 10 requests a minute: with 1000 tickets a page it
    lets through 10,000 tickets a minute, so the account budget, not the
    export budget, limits a backfill. Memory stays bounded because the spider
    starts the comments of at most ``ZENDESK_TICKETS_IN_PROGRESS`` tickets at a time.
    """
    return _int_in_range(settings, "ZENDESK_EXPORT_PAGE_SIZE", 1, 1000, default=1000)


#: Feed formats (``ZENDESK_FORMATS``).
FORMATS = ("json", "jsonl", "xml", "csv")


def formats_setting(settings: BaseSettings) -> tuple[str, ...]:
    """The validated ``ZENDESK_FORMATS``: a comma list of json, jsonl, xml, csv (default ``json,xml``)."""
    raw = settings.get("ZENDESK_FORMATS") or "json,xml"
    names = [name.strip().lower() for name in str(raw).split(",") if name.strip()]
    unknown = [name for name in names if name not in FORMATS]
    if unknown or not names:
        raise ConfigError(f"ZENDESK_FORMATS must be a comma list of {', '.join(FORMATS)}; got {raw!r}")
    return tuple(dict.fromkeys(names))


def attachment_downloads_setting(settings: BaseSettings) -> int:
    """The validated ``ZENDESK_ATTACHMENT_DOWNLOADS``: attachment downloads at once (their bodies are in memory)."""
    return _int_in_range(settings, "ZENDESK_ATTACHMENT_DOWNLOADS", 1, 64, default=32)


def checkpoint_interval_setting(settings: BaseSettings) -> float:
    """The validated ``ZENDESK_CHECKPOINT_INTERVAL``: seconds after which feed batches close (0: never on time)."""
    return _number(settings, "ZENDESK_CHECKPOINT_INTERVAL", 60, low=0)


def batch_item_count_setting(settings: BaseSettings) -> int:
    """The validated ``ZENDESK_BATCH_ITEM_COUNT``: tickets per feed file (0: one file per run)."""
    return _int_in_range(settings, "ZENDESK_BATCH_ITEM_COUNT", 0, 10_000_000, default=5000)


def _int_in_range(settings: BaseSettings, name: str, low: int, high: int, default: int) -> int:
    try:
        value = settings.getint(name, default)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {settings.get(name)!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _number(settings: BaseSettings, name: str, default: float, low: float, high: float = float("inf")) -> float:
    try:
        value = settings.getfloat(name, default)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {settings.get(name)!r}") from None
    if not low <= value <= high:
        limits = f"at least {low:g}" if high == float("inf") else f"between {low:g} and {high:g}"
        raise ConfigError(f"{name} must be {limits}, got {value:g}")
    return value


