"""The ``zendesk`` spider's arguments (``-a``), validated once into the run's :class:`RunContext`.

Invalid input raises :class:`ConfigError` with a one-line message, before any request. The web page
validates the arguments of the runs it starts with the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from scrapy.settings import BaseSettings

from zendesk_crawler.api.timestamps import parse_timestamp
from zendesk_crawler.config import account_fields, checkpoint_interval_setting, formats_setting
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.run.context import RUN_ID_SETTING, RunContext, new_run_id
from zendesk_crawler.run.filters import FILTER_ARGS, parse_filter, parse_person
from zendesk_crawler.run.values import parse_bool
from zendesk_crawler.streams import STREAMS

#: Zendesk refuses a ``start_time`` newer than one minute ago.
MIN_START_TIME_AGE = 60
DEFAULT_START_DAYS = 30
#: ``-a comments=``: one request per ticket (``tickets``), or the ticket event export in bulk (``events``).
COMMENTS_MODES = ("tickets", "events")


def parse_run_arguments(settings: BaseSettings, spider_args: Mapping[str, Any], now: float | None = None) -> RunContext:
    """The run context of the ``zendesk`` spider's arguments and the crawler's settings.

    Raises :class:`ConfigError` when an argument or a setting is invalid."""
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
    account = account_fields(settings)
    raw_start = spider_args.get("start_time")
    checkpoint_interval_setting(settings)  # read by the feed exporter; validated before any request
    formats_setting(settings)  # read by the add-on's default feeds
    ticket_filter, person = parse_filter(spider_args), parse_person(spider_args.get("user"))
    if ticket_filter or person:
        _check_selection_args(spider_args, "user" if person else "a ticket filter")
    if ticket_filter and person:
        raise ConfigError("user cannot be combined with a ticket filter: a person export takes every ticket "
                          "of the person")
    return RunContext(
        **account,
        run_id=settings.get(RUN_ID_SETTING) or new_run_id(),
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


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    word = str(value).strip().lower()
    if word not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return word


def parse_streams(value: Any) -> tuple[str, ...]:
    """``-a streams=users,tickets``: the selected stream names in start order (all when not given)."""
    if value is None:
        return tuple(STREAMS)
    names = [name.strip() for name in str(value).split(",") if name.strip()]
    unknown = [name for name in names if name not in STREAMS]
    if unknown or not names:
        raise ConfigError(f"streams must be a comma list of {', '.join(sorted(STREAMS))}; "
                          f"got {value!r}" + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    return tuple(name for name in STREAMS if name in names)


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
