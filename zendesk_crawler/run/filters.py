"""What a run exports when it is not a backup: a ticket filter (``-a query=``, ``status=``, ``created_from=``,
``created_to=``, ``ticket_ids=``) or one person (``-a user=``).

Both are validated here, before any request. A filter becomes Search Export queries (``filter[type]=ticket``)
or a list of ticket ids for ``tickets/show_many``; a person is an id or an e-mail address to look up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zendesk_crawler.api.timestamps import epoch, parse_timestamp
from zendesk_crawler.errors import ConfigError

#: The spider arguments of a ticket filter.
FILTER_ARGS = ("query", "status", "created_from", "created_to", "ticket_ids")
#: Ticket statuses Zendesk search knows (deleted tickets are not searchable).
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
#: A keyword term of a search query (``type:``, ``-status<``, …), outside quoted phrases.
KEYWORD_TERM = r"(?:^|[\s(])-?{keyword}\s*[:<>]"
QUOTED = re.compile(r'"[^"]*"')
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class TicketFilter:
    """A ticket filter as the user gave it, validated; empty when the run is a backup."""

    query: str = ""
    statuses: tuple[str, ...] = ()
    created_from: int | None = None
    created_to: int | None = None
    ticket_ids: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.query or self.statuses or self.ticket_ids
                    or self.created_from is not None or self.created_to is not None)

    def search_queries(self) -> list[str]:
        """The Search Export queries that find the tickets: one per status (none for a list of ids).

        Each status is its own query: every ticket has one status, so the results
        do not overlap, and no reliance on how Zendesk combines two ``status:``
        terms. ``created_from`` is inclusive and ``created_to`` exclusive, written
        with ``>`` and ``<`` only (``created>`` the second before ``created_from``).
        """
        if self.ticket_ids:
            return []
        terms = [self.query] if self.query else []
        if self.created_from is not None:
            terms.append(f"created>{_iso(self.created_from - 1)}")
        if self.created_to is not None:
            terms.append(f"created<{_iso(self.created_to)}")
        if not self.statuses:
            return [" ".join(terms)]
        return [" ".join([f"status:{status}", *terms]) for status in self.statuses]

    def admits(self, ticket: dict[str, Any]) -> bool:
        """Whether a ticket has one of the statuses and a ``created_at`` in the range (the query's other terms
        are Zendesk's to judge)."""
        if self.statuses and ticket.get("status") not in self.statuses:
            return False
        if self.created_from is None and self.created_to is None:
            return True
        created = epoch(ticket.get("created_at"))
        if created is None:
            return True  # nothing to judge by: the search's word stands
        return (self.created_from is None or created >= self.created_from) and \
            (self.created_to is None or created < self.created_to)

    def describe(self) -> dict[str, Any]:
        """The filter as the manifest records it (only what was given)."""
        out: dict[str, Any] = {}
        if self.query:
            out["query"] = self.query
        if self.statuses:
            out["status"] = list(self.statuses)
        if self.created_from is not None:
            out["created_from"] = _iso(self.created_from)
        if self.created_to is not None:
            out["created_to"] = _iso(self.created_to)
        if self.ticket_ids:
            out["ticket_ids"] = list(self.ticket_ids)
        else:
            out["search_queries"] = self.search_queries()
        return out


def parse_filter(args: Mapping[str, Any]) -> TicketFilter:
    """The ticket filter of the spider arguments (empty when none of ``FILTER_ARGS`` is given)."""
    query = str(args.get("query", "")).strip()
    if "query" in args and not query:
        raise ConfigError("query is empty: give a Zendesk search query, e.g. -a query='tags:vip status:solved'")
    if _has_keyword(query, "type"):
        raise ConfigError(f"query {query!r} names a type: leave type: out, a filtered run searches tickets "
                          "(Zendesk's Search Export API takes the type separately and rejects type: in the query)")
    created_from = _created(args, "created_from")
    created_to = _created(args, "created_to")
    created_arg = next((name for name in ("created_from", "created_to") if name in args), None)
    for keyword, given in (("status", "status" if "status" in args else None), ("created", created_arg)):
        if given and _has_keyword(query, keyword):
            raise ConfigError(f"query {query!r} has a {keyword} term and -a {given} is given: say it once, "
                              f"either in the query or as -a {given}")
    if created_from is not None and created_to is not None and created_from >= created_to:
        raise ConfigError(f"created_from ({_iso(created_from)}) must be before created_to ({_iso(created_to)}); "
                          "created_to is exclusive")
    selected = TicketFilter(query=query, statuses=_statuses(args.get("status")), created_from=created_from,
                            created_to=created_to, ticket_ids=_ticket_ids(args.get("ticket_ids")))
    if selected.ticket_ids and (query or selected.statuses or created_from is not None or created_to is not None):
        raise ConfigError("ticket_ids cannot be combined with query, status or created_from/created_to: "
                          "the ids already name the tickets")
    return selected


def parse_person(value: Any) -> str:
    """``-a user=``: a user id or an e-mail address ('' when not given)."""
    if value is None:
        return ""
    text = str(value).strip()
    if re.fullmatch(r"[1-9]\d*", text) or EMAIL.fullmatch(text):
        return text
    raise ConfigError(f"user must be a Zendesk user id or an e-mail address, got {value!r}")


def _has_keyword(query: str, keyword: str) -> bool:
    """Whether ``query`` has a ``keyword:`` (``<``, ``>``) term outside its quoted phrases."""
    return re.search(KEYWORD_TERM.format(keyword=keyword), QUOTED.sub(" ", query), re.IGNORECASE) is not None


def _created(args: Mapping[str, Any], name: str) -> int | None:
    value = args.get(name)
    return None if value is None else parse_timestamp(name, value)


def _statuses(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [name.strip().lower() for name in str(value).split(",") if name.strip()]
    unknown = [name for name in names if name not in STATUSES]
    if "deleted" in unknown:
        raise ConfigError("status=deleted cannot be searched: Zendesk search leaves deleted tickets out "
                          "(a backup run exports them)")
    if unknown or not names:
        raise ConfigError(f"status must be a comma list of {', '.join(STATUSES)}; got {value!r}")
    return tuple(dict.fromkeys(names))


def _ticket_ids(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    parts = [part.strip() for part in str(value).split(",") if part.strip()]
    if not parts or not all(re.fullmatch(r"[1-9]\d*", part) for part in parts):
        raise ConfigError(f"ticket_ids must be a comma list of ticket ids (1,2,3); got {value!r}")
    return tuple(dict.fromkeys(int(part) for part in parts))


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
