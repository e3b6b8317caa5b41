"""The run's configuration: target, credentials, export location and start time.

Everything is read from Scrapy settings (which default to the environment, see
``settings.py``) and spider arguments, and validated once, before any request
is sent. Invalid input raises :class:`ConfigError` with a one-line message.
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.paths import join_uri
from zendesk_crawler.selection.filters import FILTER_ARGS, TicketFilter, parse_filter, parse_person
from zendesk_crawler.api.timestamps import parse_timestamp

#: Zendesk refuses a ``start_time`` newer than one minute ago.
MIN_START_TIME_AGE = 60
DEFAULT_START_DAYS = 30
#: ``-a comments=``: one request per ticket (``tickets``), or the ticket event export in bulk (``events``).
COMMENTS_MODES = ("tickets", "events")
#: The streams a backup exports, in the order they start (``-a streams=``; all of them by default).
STREAM_NAMES = ("ticket_fields", "groups", "organizations", "users", "tickets")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
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
    rate_limit_window: float
    rate_limit_max_retries: int
    retry_backoff_base: float
    retry_backoff_max: float
    lock_ttl: float
    tickets_in_progress: int
    events_waiting_tickets: int
    events_buffered_tickets: int
    events_kept_tickets: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> AccountConfig:
        """Read and validate the ``ZENDESK_*`` settings."""
        return cls(**_account_fields(settings))


#: The setting in which the spider leaves its validated arguments for the other components.
RUN_OPTIONS_SETTING = "ZENDESK_RUN_OPTIONS"


@dataclass(frozen=True)
class ZendeskConfig(AccountConfig):
    """The account settings plus this run's options from the spider arguments (``-a``).

    The spider validates the arguments and leaves them in the ``ZENDESK_RUN_OPTIONS``
    setting (before Scrapy freezes the settings), so every other component reads the
    whole configuration from settings with :meth:`from_run_settings`.
    """

    start_time: int
    start_time_given: bool
    ignore_cursor: bool
    comments_mode: str
    #: The selected streams, in :data:`STREAM_NAMES` order.
    streams: tuple[str, ...] = STREAM_NAMES
    #: Whether every comment's attachment files (and voice recordings) are downloaded.
    attachments: bool = False
    #: Stop the ticket export once at least this many tickets were read (a backfill in slices); 0: no limit.
    max_tickets: int = 0
    #: Export only the tickets this filter selects (``-a query=`` …, ``-a ticket_ids=``); empty: a backup run.
    ticket_filter: TicketFilter = TicketFilter()
    #: Export everything about this person (``-a user=``: an id or an e-mail address); '': not a person export.
    person: str = ""

    @property
    def is_backup(self) -> bool:
        """Whether the run exports the streams from their saved positions (and moves them): no filter, no person."""
        return not self.ticket_filter and not self.person

    def run_options(self) -> dict[str, Any]:
        """The options from the spider arguments, as the ``ZENDESK_RUN_OPTIONS`` setting holds them."""
        return {"start_time": self.start_time, "start_time_given": self.start_time_given,
                "ignore_cursor": self.ignore_cursor, "comments_mode": self.comments_mode,
                "streams": list(self.streams), "attachments": self.attachments, "max_tickets": self.max_tickets,
                "ticket_filter": self.ticket_filter.options(), "person": self.person}

    @classmethod
    def from_run_settings(cls, settings: BaseSettings) -> ZendeskConfig | None:
        """The configuration the spider validated, or ``None`` when the crawl is not a zendesk spider's."""
        options = settings.getdict(RUN_OPTIONS_SETTING)
        if not options:
            return None
        return cls(**_account_fields(settings), **{**options, "streams": tuple(options.get("streams", STREAM_NAMES)),
                                                  "ticket_filter": TicketFilter.from_options(options.get("ticket_filter"))})

    @classmethod
    def for_run(cls, settings: BaseSettings, spider_args: Mapping[str, Any], now: float | None = None) -> ZendeskConfig:
        """Build the config from Scrapy settings and spider arguments."""
        now = time.time() if now is None else now
        known_args = {"start_time", "ignore_cursor", "comments", "streams", "attachments", "max_tickets", "user",
                      *FILTER_ARGS}
        # scrapyd passes the job id as the spider argument _job.
        unknown = sorted(set(spider_args) - known_args - {"_job"})
        if unknown:
            raise ConfigError(
                f"unknown spider argument(s): {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known_args))})"
            )
        account = _account_fields(settings)
        raw_start = spider_args.get("start_time")
        checkpoint_interval_setting(settings)  # read by the feed exporter; validated before any request
        formats_setting(settings)  # read by the add-on's default feeds
        ticket_filter, person = parse_filter(spider_args), parse_person(spider_args.get("user"))
        if ticket_filter or person:
            _check_selection_args(spider_args, "user" if person else "a ticket filter")
        if ticket_filter and person:
            raise ConfigError("user cannot be combined with a ticket filter: a person export takes every ticket "
                              "of the person")
        return cls(
            **account,
            start_time=parse_start_time(raw_start, now),
            start_time_given=raw_start is not None,
            ignore_cursor=parse_bool("ignore_cursor", spider_args.get("ignore_cursor", "false")),
            comments_mode=_choice("comments", spider_args.get("comments", "tickets"), COMMENTS_MODES),
            streams=("tickets",) if ticket_filter or person else parse_streams(spider_args.get("streams")),
            attachments=parse_bool("attachments", spider_args.get("attachments",
                                                                 settings.get("ZENDESK_ATTACHMENTS") or "false")),
            max_tickets=parse_max_tickets(spider_args.get("max_tickets"), spider_args.get("comments", "tickets")),
            ticket_filter=ticket_filter,
            person=person,
        )


#: Arguments of a backup run that mean nothing to a filtered or person export (which moves no position).
BACKUP_ONLY_ARGS = ("start_time", "ignore_cursor", "max_tickets")


def _check_selection_args(spider_args: Mapping[str, Any], what: str) -> None:
    """A filtered or person export exports tickets from no saved position: backup-only arguments are refused."""
    given = [name for name in BACKUP_ONLY_ARGS if name in spider_args]
    if given:
        hint = " (created_from/created_to select by time)" if "start_time" in given and what != "user" else ""
        raise ConfigError(f"{', '.join(given)} cannot be combined with {what}: it exports every matching ticket "
                          f"and never moves the saved positions{hint}")
    if str(spider_args.get("comments", "tickets")).strip().lower() == "events":
        raise ConfigError(f"comments=events cannot be combined with {what}: the event export reads the whole "
                          "account; the matching tickets' comments are fetched per ticket")
    streams = spider_args.get("streams")
    if streams is not None and [name.strip() for name in str(streams).split(",") if name.strip()] != ["tickets"]:
        exports = ("one document: the user, their identities and their tickets" if what == "user"
                   else "the matching tickets only")
        raise ConfigError(f"streams={streams!r} cannot be combined with {what}: it exports {exports}")


def _account_fields(settings: BaseSettings) -> dict[str, Any]:
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
        raise ConfigError(f"API token authentication needs both ZENDESK_EMAIL and ZENDESK_API_TOKEN: {missing} is not set")
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
    export budget, limits a backfill (with 200 a page it capped every account
    at 2000 tickets a minute). Memory stays bounded because the spider starts
    the comments of at most ``ZENDESK_TICKETS_IN_PROGRESS`` tickets at a time.
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


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    word = str(value).strip().lower()
    if word not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return word


def parse_streams(value: Any) -> tuple[str, ...]:
    """``-a streams=users,tickets``: the selected stream names in start order (all when not given)."""
    if value is None:
        return STREAM_NAMES
    names = [name.strip() for name in str(value).split(",") if name.strip()]
    unknown = [name for name in names if name not in STREAM_NAMES]
    if unknown or not names:
        raise ConfigError(f"streams must be a comma list of {', '.join(sorted(STREAM_NAMES))}; "
                          f"got {value!r}" + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    return tuple(name for name in STREAM_NAMES if name in names)


def parse_max_tickets(value: Any, comments_mode: str) -> int:
    """``-a max_tickets=N``: a positive whole number (not given: no limit)."""
    if value is None:
        return 0
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"max_tickets must be a whole number of tickets, at least 1; got {value!r}")
    if comments_mode == "events":
        raise ConfigError("max_tickets works with the per-ticket comments mode only: the event stream "
                          "of -a comments=events would still be read to its end every run")
    return number


def parse_bool(name: str, value: Any) -> bool:
    """Parse a yes/no spider argument; anything unclear is an error."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def parse_start_time(value: Any, now: float) -> int:
    """Parse ``start_time``: unix seconds or an ISO 8601 date/datetime (UTC if no zone).

    ``None`` means the default, 30 days ago. Zendesk only serves data older than
    a minute, so a later start is refused rather than silently moved.
    """
    if value is None:
        return int(now) - DEFAULT_START_DAYS * 86400
    text = str(value).strip()
    seconds = parse_timestamp("start_time", text)
    if seconds > now - MIN_START_TIME_AGE:
        raise ConfigError(
            f"start_time {text!r} is in the future or less than a minute ago; "
            "Zendesk only exports data older than one minute"
        )
    return seconds
