"""Browsing and searching the backup's tickets: filters, sort orders and pages over the index's ``current`` table.

A browse page is a keyset page: the rows after (or before) the last one shown
in the sort order, read through the index of that order, so a page costs the
same on page 1 and page 10,000. A search page ranks the tickets holding every
term (``web/fulltext.py``), the filters applied to the tickets found.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.web import fulltext
from zendesk_crawler.web.numbers import digits
from zendesk_crawler.web.ticket_rows import SQLITE_INT

#: The sort orders: a column of ``current`` each (ties broken by id).
SORTS = {"updated": "updated_at", "created": "created_at", "id": "id", "subject": "subject", "status": "status"}
#: Tickets a page lists.
PAGE_SIZE = 50
#: Beyond this many, a count says "more than".
COUNT_LIMIT = 10_000
#: The filter fields of the page's forms and URLs.
FILTERS = ("status", "created_from", "created_to", "updated_from", "updated_to", "group", "assignee", "requester",
           "tag", "brand")
_COLUMNS = ("id, subject, status, updated_at, created_at, requester_email, requester_name, assignee_email, "
            "assignee_name, group_name, organization_name, brand_id, deleted_at, comment_count")


@dataclass(frozen=True)
class TicketLine:
    """A ticket as a line of a list: the version it is shown in (see ``web/tickets.py``)."""

    id: int
    subject: str
    status: str
    updated_at: str
    created_at: str
    requester_email: str | None
    requester_name: str | None
    assignee_email: str | None
    assignee_name: str | None
    group_name: str | None
    organization_name: str | None
    brand_id: int | None
    deleted_at: str | None
    comment_count: int
    tags: tuple[str, ...] = ()
    snippet: str | None = None
    comment_id: int | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


def _day(name: str, value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ConfigError(f"{name}: give a date as YYYY-MM-DD (got {value!r})") from None


def _day_after(day: str) -> str:
    """What every time of ``day`` sorts before: the next day (past the last day of the calendar, a time's end)."""
    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except OverflowError:
        return day + "T\uffff"


@dataclass(frozen=True)
class Filters:
    """The filters of a list, as given (empty: not filtered); dates are days (``to`` included)."""

    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Filters:
        """The filters of a query string; :class:`ConfigError` for a malformed date or brand id."""
        values = {name: params[name].strip() for name in FILTERS if params.get(name, "").strip()}
        for name in ("created_from", "created_to", "updated_from", "updated_to"):
            if name in values:
                values[name] = _day(name, values[name])
        for name in ("brand", "group"):
            number = digits(values[name]) if name in values else 0
            if number is None or number not in SQLITE_INT:  # (``None in range`` would walk the whole range)
                raise ConfigError(f"{name}: give a {name} id (got {values[name]!r})")
        return cls(values)

    def where(self) -> tuple[str, list[Any]]:
        """An SQL condition on ``current`` (``c``) and its parameters."""
        conditions: list[str] = []
        parameters: list[Any] = []
        values = self.values
        if "status" in values:
            conditions.append("c.status = ?")
            parameters.append(values["status"].lower())
        for name, column in (("created", "c.created_at"), ("updated", "c.updated_at")):
            if f"{name}_from" in values:
                conditions.append(f"{column} >= ?")
                parameters.append(values[f"{name}_from"])
            if f"{name}_to" in values:
                conditions.append(f"{column} < ?")
                parameters.append(_day_after(values[f"{name}_to"]))
        if "group" in values:
            conditions.append("c.group_id = ?")
            parameters.append(int(values["group"]))
        for person in ("assignee", "requester"):
            if person in values:
                conditions.append(f"(c.{person}_email = ? OR c.{person}_name = ?)")
                parameters += [values[person].lower(), values[person]]  # e-mails are kept lower-cased by Python
        if "tag" in values:
            conditions.append("c.id IN (SELECT id FROM current_tags WHERE tag = ?)")
            parameters.append(values["tag"])
        if "brand" in values:
            conditions.append("c.brand_id = ?")
            parameters.append(int(values["brand"]))
        return (" AND ".join(conditions) or "1"), parameters


def _cursor(value: Any, ticket_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([value, ticket_id])).decode().rstrip("=")


def _parse_cursor(text: str) -> tuple[Any, int]:
    try:
        value, ticket_id = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise ConfigError("this page link is damaged: start again from the first page") from None
    if type(ticket_id) is not int or ticket_id not in SQLITE_INT or not (
            isinstance(value, str) or (type(value) is int and value in SQLITE_INT)):
        raise ConfigError("this page link is damaged: start again from the first page")
    return value, ticket_id


@dataclass(frozen=True)
class Page:
    """A page of a list: its lines, links to the pages around it (``None``: none), how many in all (capped)."""

    lines: list[TicketLine]
    next_cursor: str | None
    previous_cursor: str | None
    total: int
    total_capped: bool


def _tags(db: sqlite3.Connection, lines: list[TicketLine]) -> list[TicketLine]:
    if not lines:
        return lines
    marks = ",".join("?" * len(lines))
    tags: dict[int, list[str]] = {}
    for ticket_id, tag in db.execute(f"SELECT id, tag FROM current_tags WHERE id IN ({marks}) ORDER BY tag",
                                     [line.id for line in lines]):
        tags.setdefault(ticket_id, []).append(tag)
    return [replace(line, tags=tuple(tags.get(line.id, ()))) for line in lines]


#: At most this many tickets passing a list's filters are sorted after they are found (see ``browse``).
FEW = 2000


def _count(db: sqlite3.Connection, sql: str, parameters: list[Any]) -> tuple[int, bool]:
    total = db.execute(f"SELECT count(*) FROM ({sql} LIMIT {COUNT_LIMIT + 1})", parameters).fetchone()[0]
    return min(total, COUNT_LIMIT), total > COUNT_LIMIT


def browse(db: sqlite3.Connection, filters: Filters, sort: str, descending: bool, after: str | None = None,
           before: str | None = None, size: int = PAGE_SIZE) -> Page:
    """A keyset page of the tickets passing ``filters`` in the ``sort`` order (:class:`ConfigError`: unknown sort
    or damaged cursor)."""
    if sort not in SORTS:
        raise ConfigError(f"sort: one of {', '.join(SORTS)} (got {sort!r})")
    column = f"c.{SORTS[sort]}"
    where, parameters = filters.where()
    total, capped = _count(db, f"SELECT 1 FROM current c WHERE {where}", parameters)
    backwards = before is not None
    cursor = before if backwards else after
    condition, bounds = "", []
    if cursor is not None:
        value, ticket_id = _parse_cursor(cursor)
        forward = descending != backwards
        condition = f" AND ({column}, c.id) {'<' if forward else '>'} (?, ?)"
        bounds = [value, ticket_id]
    order = "DESC" if descending != backwards else "ASC"
    # Few tickets pass the filters: found by the filters' indexes and sorted, rather than by walking the sort's
    # index through every ticket to find them (``+`` keeps SQLite off that index).
    ordered = f"+{column}" if total <= FEW and not capped else column
    rows = db.execute(f"SELECT {_COLUMNS.replace('id, subject', 'c.id, subject', 1)} FROM current c "
                      f"WHERE {where}{condition} ORDER BY {ordered} {order}, c.id {order} LIMIT ?",
                      [*parameters, *bounds, size + 1]).fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    lines = _tags(db, [TicketLine(*row) for row in rows])
    sort_key = SORTS[sort]

    def cursor_of(line: TicketLine) -> str:
        return _cursor(getattr(line, sort_key), line.id)

    has_next = (more if not backwards else True) and bool(lines)
    has_previous = (cursor is not None if not backwards else more) and bool(lines)
    return Page(lines, cursor_of(lines[-1]) if has_next else None,
                cursor_of(lines[0]) if has_previous else None, total, capped)


def page_parameter(text: str | None) -> int:
    """The ``page`` of a search's URL: a number from 1 (:class:`ConfigError` otherwise)."""
    if not text:
        return 1
    number = digits(text, 9)
    if not number:
        raise ConfigError(f"page: a number from 1 (got {text!r})")
    return number


def _with_hit(line: TicketLine, hit: fulltext.Hit | None) -> TicketLine:
    return line if hit is None else replace(line, snippet=hit.snippet, comment_id=hit.comment_id)


def search(db: sqlite3.Connection, query: fulltext.Query, filters: Filters, page: int = 1,
           size: int = PAGE_SIZE) -> Page:
    """A page of the tickets holding every term of ``query`` and passing ``filters``, best match first, each with
    a snippet of its best-matching text."""
    where, parameters = filters.where()
    matching = fulltext.matching_tickets(query)
    candidates = f"SELECT c.id FROM current c WHERE {where} AND c.id IN ({matching})"
    candidate_parameters = [*parameters, *query.terms]
    total, capped = _count(db, candidates, candidate_parameters)
    # One term and no filter: every text matching the term is a candidate's, no need to ask again.
    among, among_parameters = ("", []) if len(query.terms) == 1 and not filters.values else (
        f"AND t.ticket_id IN ({candidates}) ", candidate_parameters)
    ranked = db.execute(
        "SELECT t.ticket_id FROM texts_fts JOIN texts t ON t.rowid = texts_fts.rowid "
        f"WHERE texts_fts MATCH ? {among}"
        "GROUP BY t.ticket_id ORDER BY min(texts_fts.rank), t.ticket_id LIMIT ? OFFSET ?",
        [query.any_term, *among_parameters, size + 1, (page - 1) * size]).fetchall()
    ids = [row[0] for row in ranked]
    more = len(ids) > size
    ids = ids[:size]
    found = fulltext.hits(db, query, ids)
    marks = ",".join("?" * len(ids))
    rows = {row[0]: row for row in db.execute(f"SELECT {_COLUMNS} FROM current WHERE id IN ({marks})", ids)}
    lines = [_with_hit(TicketLine(*rows[ticket_id]), found.get(ticket_id)) for ticket_id in ids if ticket_id in rows]
    return Page(_tags(db, lines), str(page + 1) if more else None, str(page - 1) if page > 1 else None,
                total, capped)


@dataclass(frozen=True)
class Choices:
    """The values the filter form offers (each at most :data:`CHOICES_LIMIT`)."""

    statuses: list[str]
    #: (id, name) of each group; a name two groups share is told apart by the id.
    groups: list[tuple[int, str]]
    brands: list[int]


#: Values offered per filter (a text field takes any other).
CHOICES_LIMIT = 200


def filter_choices(db: sqlite3.Connection) -> Choices:
    """The statuses, groups and brands the backup's tickets have."""
    def distinct(column: str) -> list[Any]:
        return [row[0] for row in db.execute(
            f"SELECT DISTINCT {column} FROM current WHERE {column} IS NOT NULL AND {column} != '' "
            f"ORDER BY {column} LIMIT {CHOICES_LIMIT}")]
    groups = db.execute("SELECT DISTINCT group_id, group_name FROM current WHERE group_id IS NOT NULL "
                        f"ORDER BY group_name, group_id LIMIT {CHOICES_LIMIT}").fetchall()
    return Choices(distinct("status"), [(group_id, name or f"group {group_id}") for group_id, name in groups],
                   distinct("brand_id"))


@dataclass(frozen=True)
class ListLink:
    """Links of a list keeping its filters (and sort or query), with some parameters changed."""

    filters: Filters
    fixed: dict[str, str]

    def __call__(self, path: str, **changes: str | None) -> str:
        params = {**self.filters.values, **self.fixed, **changes}
        return path + "?" + urlencode({name: value for name, value in params.items() if value})


def list_link(filters: Filters, **fixed: str) -> ListLink:
    """A :class:`ListLink` for a list with ``filters`` and the ``fixed`` parameters (sort, order, q)."""
    return ListLink(filters, fixed)
