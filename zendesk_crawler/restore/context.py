"""The restore's arguments (``-a``), validated once, before any request, into a :class:`RestoreContext`.

``scrapy crawl zendesk_restore -a source=<backup location> -a target=<host>`` writes the
backup into the account the usual ``ZENDESK_URL``/``ZENDESK_SUBDOMAIN`` and credentials
name; ``ZENDESK_EXPORT_URI`` is the restore's own location (its id map, journal and
manifest), never the source. The safety catches, each a :class:`ConfigError` (exit 2):

- ``target`` must equal the configured account's host, so that a restore never writes
  into an account its operator did not name twice;
- a restore into the account the backup came from is refused unless ``ticket_ids``
  names the tickets to bring back;
- the restore's location must not be the backup's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from zendesk_crawler.config import AccountConfig, account_fields
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.paths import is_local, local_path
from zendesk_crawler.run.context import RUN_ID_SETTING, new_run_id
from zendesk_crawler.run.values import parse_bool

#: The setting that holds the restore's context (set by the spider, read by its components).
RESTORE_CONTEXT_SETTING = "ZENDESK_RESTORE_CONTEXT"
#: ``-a streams=`` of a restore: the backup's streams it can write, in restore order.
RESTORE_STREAMS = ("ticket_fields", "user_fields", "organization_fields", "groups", "organizations", "users",
                   "brands", "ticket_forms", "macros", "triggers", "automations", "views", "tickets")
#: Each stream's id map type (custom statuses are not written, only found: a ticket keeps its own).
MAP_TYPE = {"ticket_fields": "ticket_field", "user_fields": "user_field", "organization_fields": "organization_field",
            "groups": "group", "organizations": "organization", "users": "user", "brands": "brand",
            "custom_statuses": "custom_status", "ticket_forms": "ticket_form", "macros": "macro",
            "triggers": "trigger", "automations": "automation", "views": "view", "tickets": "ticket"}
KNOWN_ARGS = {"source", "target", "streams", "ticket_ids", "dry_run"}


@dataclass(frozen=True)
class RestoreContext(AccountConfig):
    """The target account's settings (validated) plus the restore's options and its run id."""

    run_id: str = ""
    #: The backup location (a local directory or ``s3://bucket/prefix``).
    source: str = ""
    #: The target account's host as the operator named it (equal to ``base_url``'s).
    target: str = ""
    #: What is restored, in restore order.
    streams: tuple[str, ...] = RESTORE_STREAMS
    #: Only these tickets (deleted ones included); empty: every live ticket of the backup.
    ticket_ids: frozenset[int] = frozenset()
    #: Read the backup and the target and say what would be written; write nothing.
    dry_run: bool = False
    #: Seconds after an import whose answer was lost before Zendesk's search is trusted to list its tickets.
    search_delay: float = 300.0
    #: The streams whose objects the restore may create; the others' are only found in the target. Named tickets
    #: (``ticket_ids`` without ``streams``) create only people and tickets: bringing back a deleted ticket into
    #: its own account must not recreate configuration the account deleted on purpose.
    creates: frozenset[str] = frozenset(RESTORE_STREAMS)

    @classmethod
    def of(cls, settings: BaseSettings) -> RestoreContext | None:
        """The context the restore spider put into ``settings`` (``None`` in another spider's crawl)."""
        context = settings.get(RESTORE_CONTEXT_SETTING)
        return context if isinstance(context, RestoreContext) else None

    def put(self, settings: BaseSettings) -> None:
        """Hand the context to the restore's components (before Scrapy freezes the settings)."""
        settings.set(RESTORE_CONTEXT_SETTING, self, priority="spider")
        settings.set(RUN_ID_SETTING, self.run_id, priority="spider")

    @property
    def target_host(self) -> str:
        """The configured account's host (``acme.zendesk.com``; ``127.0.0.1:PORT`` for the sandbox)."""
        return urlsplit(self.base_url).netloc.lower()


def parse_restore_arguments(settings: BaseSettings, spider_args: Mapping[str, Any]) -> RestoreContext:
    """The restore's context from its arguments and the crawler's settings (:class:`ConfigError` when invalid)."""
    unknown = sorted(set(spider_args) - KNOWN_ARGS - {"_job"})
    if unknown:
        raise ConfigError(f"unknown restore argument(s): {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_ARGS))})")
    source = str(spider_args.get("source") or "").strip()
    target = str(spider_args.get("target") or "").strip().lower()
    if not source:
        raise ConfigError("-a source= is required: the backup location to restore (a directory or s3://bucket/prefix)")
    if not target:
        raise ConfigError("-a target= is required: the host of the account to write into, as configured "
                          "(ZENDESK_URL or ZENDESK_SUBDOMAIN), named a second time on purpose")
    account = account_fields(settings)
    streams = parse_restore_streams(spider_args.get("streams"))
    ticket_ids = parse_ticket_ids(spider_args.get("ticket_ids"))
    named_only = bool(ticket_ids) and not str(spider_args.get("streams") or "").strip()
    context = RestoreContext(**account, run_id=settings.get(RUN_ID_SETTING) or new_run_id(), source=source,
                             target=target, streams=streams, ticket_ids=ticket_ids,
                             creates=frozenset({"users", "tickets"} if named_only else streams),
                             dry_run=parse_bool("dry_run", spider_args.get("dry_run", "false")),
                             search_delay=_seconds(settings, "ZENDESK_RESTORE_SEARCH_DELAY", 300.0))
    if target.removeprefix("https://").removeprefix("http://").rstrip("/") != context.target_host:
        raise ConfigError(f"-a target={target} is not the configured account ({context.target_host}): a restore "
                          "writes only into the account named both by ZENDESK_URL/ZENDESK_SUBDOMAIN and by -a target=")
    if _same_location(source, context.export_uri):
        raise ConfigError("ZENDESK_EXPORT_URI is the backup itself: give the restore a location of its own "
                          "(its id map, journal and manifest go there)")
    return context


def check_source_account(context: RestoreContext, source_host: str) -> None:
    """Refuse a restore into the account the backup came from, unless ``ticket_ids`` names the tickets."""
    if source_host == context.target_host and not context.ticket_ids:
        raise ConfigError(f"the backup is of {source_host}, the target account itself: a restore into the same "
                          "account brings back only the tickets named by -a ticket_ids= (deleted ones, say)")


def parse_restore_streams(raw: Any) -> tuple[str, ...]:
    """``-a streams=``: a comma list of what to restore (every restorable stream when absent)."""
    if raw is None or not str(raw).strip():
        return RESTORE_STREAMS
    names = [name.strip() for name in str(raw).split(",") if name.strip()]
    unknown = sorted(set(names) - set(RESTORE_STREAMS))
    if unknown:
        raise ConfigError(f"streams: a restore cannot write {', '.join(unknown)} "
                          f"(it writes: {', '.join(RESTORE_STREAMS)})")
    return tuple(stream for stream in RESTORE_STREAMS if stream in names)


def parse_ticket_ids(raw: Any) -> frozenset[int]:
    """``-a ticket_ids=1,2,3``: positive integers."""
    if raw is None or not str(raw).strip():
        return frozenset()
    ids = set()
    for part in str(raw).split(","):
        part = part.strip()
        if not part.isdigit() or int(part) <= 0:
            raise ConfigError(f"ticket_ids: {part!r} is not a ticket id (a comma list of positive integers)")
        ids.add(int(part))
    return frozenset(ids)


def _seconds(settings: BaseSettings, name: str, default: float) -> float:
    raw = settings.get(name)
    try:
        value = float(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if value < 0:
        raise ConfigError(f"{name}={raw!r} must not be negative")
    return value


def _same_location(a: str, b: str) -> bool:
    if is_local(a) and is_local(b):
        return local_path(a).resolve() == local_path(b).resolve()
    return a.rstrip("/") == b.rstrip("/")
