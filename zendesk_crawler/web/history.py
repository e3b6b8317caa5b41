"""A ticket's history as the page shows it: every version the location holds with what changed from the one before,
and the events of the ticket (who changed which field from what to what, when, through which channel).

Versions come from the ticket index (``web/tickets.py``): only this ticket's
records are read, a page of :data:`VERSIONS_PAGE` at a time, two records in
memory at once. What differs between two versions is found by
``compare/diff.py`` on ``compare/views.py``'s view of a record (all of it but
``_export``), then told field by field: people, group and organization by
name, tags added and removed, custom fields by title, comments added (linked to
their place in the version), anything else top-level by its value. Versions are
numbered oldest first (1 is the oldest the location holds), so a number stays
the same as new runs add versions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zendesk_crawler.compare.diff import differences, top_fields
from zendesk_crawler.compare.views import changes_view
from zendesk_crawler.location.reader import ExportLocation
from zendesk_crawler.web.events_index import AuditPage, EventIndex, FieldEvent, OtherEvent
from zendesk_crawler.web.index_follower import IndexFollower
from zendesk_crawler.web.names_index import Name, NameIndex
from zendesk_crawler.web.numbers import digits
from zendesk_crawler.web.runs import Run
from zendesk_crawler.web.tickets import TicketIndex, Version

logger = logging.getLogger(__name__)

#: Versions a page of the history shows.
VERSIONS_PAGE = 50
#: Longest value shown of a field (longer ones are cut, with an ellipsis).
VALUE_CHARS = 300
#: Never told as a change: the version's own time, shown beside it.
_NOT_TOLD = {"updated_at"}
#: Resolved people and names of a ticket record, and the ids they stand for.
_RESOLVED = {"requester": "requester_id", "assignee": "assignee_id", "submitter": "submitter_id",
             "group": "group_id", "organization": "organization_id"}
#: Fields of an event whose values are ids of users, groups, organizations, brands, custom statuses.
ID_FIELDS = {"requester_id": "users", "assignee_id": "users", "submitter_id": "users", "group_id": "groups",
             "organization_id": "organizations", "brand_id": "brands", "custom_status_id": "custom_statuses"}
#: Fields of a record whose ids the backup's own files name, in a version's differences.
_NAMED_FIELDS = {"brand_id": "brands", "custom_status_id": "custom_statuses"}
#: What an id of each stream is called when the backup does not name it (``brand 360001``).
_KINDS = {"users": "user", "groups": "group", "organizations": "organization", "brands": "brand",
          "custom_statuses": "custom status"}


def shown_value(value: Any) -> str:
    """A value as text: strings as they are, lists joined, nothing for null, anything else as JSON (cut)."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        text = ", ".join(str(item) for item in value)
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + "…"


def _person(value: Any) -> str:
    if not isinstance(value, dict):
        return shown_value(value)
    return Name(value.get("name"), value.get("email")).label() or shown_value(value.get("id"))


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: its label, the value before and after (as text)."""

    label: str
    before: str
    after: str


@dataclass
class VersionDiff:
    """What changed from one version to the next."""

    fields: list[FieldChange] = field(default_factory=list)
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)
    comments_added: list[int] = field(default_factory=list)
    comments_removed: int = 0
    comments_changed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.fields or self.tags_added or self.tags_removed or self.comments_added
                    or self.comments_removed or self.comments_changed)

    @property
    def names(self) -> list[str]:
        """The labels of what changed (``tags``, ``comments`` for those)."""
        labels = [change.label for change in self.fields]
        if self.tags_added or self.tags_removed:
            labels.append("tags")
        if self.comments_added or self.comments_removed or self.comments_changed:
            labels.append("comments")
        return labels


def _tags(record: Mapping[str, Any]) -> list[str]:
    tags = record.get("tags")
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _comments(record: Mapping[str, Any]) -> dict[Any, Any]:
    comments = record.get("comments")
    if not isinstance(comments, list):
        return {}
    return {comment.get("id") if isinstance(comment, dict) else None: comment for comment in comments}


def version_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> VersionDiff:
    """What differs from ``before`` to ``after`` (two records of one ticket), field by field."""
    diff = VersionDiff()
    old, new = changes_view(dict(before)), changes_view(dict(after))
    told = set(_NOT_TOLD)
    for name, id_key in _RESOLVED.items():  # told by name: the id is not told again
        if name in old or name in new:
            told.add(id_key)
    if "custom_fields_by_title" in old or "custom_fields_by_title" in new:
        told.update({"custom_fields", "fields"})
    for key in top_fields(differences(old, new)):
        if key in told:
            continue
        if key in _RESOLVED:
            diff.fields.append(FieldChange(key, _person(old.get(key)), _person(new.get(key))))
        elif key == "tags":
            old_tags, new_tags = _tags(old), _tags(new)
            diff.tags_added.extend(tag for tag in new_tags if tag not in old_tags)
            diff.tags_removed.extend(tag for tag in old_tags if tag not in new_tags)
        elif key == "custom_fields_by_title":
            old_fields, new_fields = old.get(key) or {}, new.get(key) or {}
            if not isinstance(old_fields, dict) or not isinstance(new_fields, dict):
                diff.fields.append(FieldChange(key, shown_value(old_fields), shown_value(new_fields)))
                continue
            for title in sorted({*old_fields, *new_fields}, key=str):
                if old_fields.get(title) != new_fields.get(title):
                    diff.fields.append(FieldChange(f"custom field: {title}", shown_value(old_fields.get(title)),
                                                   shown_value(new_fields.get(title))))
        elif key == "comments":
            old_comments, new_comments = _comments(old), _comments(new)
            diff.comments_added.extend(cid for cid in new_comments if cid not in old_comments and type(cid) is int)
            diff.comments_removed = sum(cid not in new_comments for cid in old_comments)
            diff.comments_changed = sum(cid in old_comments and old_comments[cid] != comment
                                        for cid, comment in new_comments.items())
        else:
            diff.fields.append(FieldChange(key, shown_value(old.get(key)), shown_value(new.get(key))))
    return diff


@dataclass(frozen=True)
class VersionEntry:
    """A version in the list: its number (1: the oldest), where it is from, and what changed from the one before
    (``diff``: ``None`` for the oldest, or when either record cannot be read)."""

    number: int
    version: Version
    readable: bool
    diff: VersionDiff | None
    oldest: bool


@dataclass(frozen=True)
class VersionsPage:
    """A page of a ticket's versions, newest first."""

    entries: list[VersionEntry]
    total: int
    page: int
    pages: int


def versions_page(index: TicketIndex, ticket_id: int, page: int = 1) -> VersionsPage:
    """Page ``page`` (1: the newest) of a ticket's versions, each with its difference from the one before; reads
    the records of that page and of the version just before it, two at a time."""
    versions = index.versions(ticket_id)
    total = len(versions)
    pages = max(1, -(-total // VERSIONS_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * VERSIONS_PAGE
    shown = versions[start:start + VERSIONS_PAGE + 1]  # and the one before the last shown, for its difference
    entries: list[VersionEntry] = []
    newer: tuple[Version, dict[str, Any] | None] | None = None
    for position, version in enumerate(shown):
        record = index.read_version(version)
        if newer is not None:
            entries.append(_entry(total - start - position + 1, newer, record, oldest=False))
        newer = (version, record)
    if newer is not None and start + len(shown) == total and len(entries) < VERSIONS_PAGE:
        entries.append(_entry(1, newer, None, oldest=True))
    return VersionsPage(entries, total, page, pages)


def _entry(number: int, newer: tuple[Version, dict[str, Any] | None], before: dict[str, Any] | None,
           oldest: bool) -> VersionEntry:
    version, record = newer
    diff = version_diff(before, record) if before is not None and record is not None else None
    return VersionEntry(number, version, record is not None, diff, oldest)


def version_number(index: TicketIndex, ticket_id: int, number: int) -> tuple[Version, int] | None:
    """Version ``number`` (1: the oldest) of a ticket and how many it has, or ``None``."""
    versions = index.versions(ticket_id)
    if not 1 <= number <= len(versions):
        return None
    return versions[len(versions) - number], len(versions)


# --- events --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventChange:
    """A field an event changed, as shown: its label and the values before and after (``created``: the field's
    first value, when the ticket was created)."""

    label: str
    before: str
    after: str
    created: bool


@dataclass(frozen=True)
class EventNote:
    """An event that changes no field, as shown (``href``: a comment's place on the ticket's page)."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class EventEntry:
    """An audit of the ticket as shown: when, who, through which channel, the fields it changed, the rest."""

    audit_id: int
    created_at: str
    who: str
    channel: str
    changes: list[EventChange]
    notes: list[EventNote]


@dataclass(frozen=True)
class EventsView:
    """A page of a ticket's events, newest first (``older``: the cursor of the next page)."""

    entries: list[EventEntry]
    total: int
    older: str | None
    first: bool


def _ids_wanted(page: AuditPage) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {stream: set() for stream in (*_KINDS, "ticket_fields")}
    for audit in page.audits:
        if audit.author_id is not None and audit.author_name is None:
            wanted["users"].add(audit.author_id)
    for events in page.changes.values():
        for event in events:
            stream = ID_FIELDS.get(event.field_name)
            if stream:
                wanted[stream].update(v for v in (event.previous, event.value) if type(v) is int)
            elif (field_id := digits(event.field_name)) is not None:
                wanted["ticket_fields"].add(field_id)
    for notes in page.others.values():
        for other in notes:
            author = other.detail.get("author_id")
            if type(author) is int:
                wanted["users"].add(author)
    return wanted


def _named(names: Mapping[int, Name], value: Any, kind: str) -> str:
    if type(value) is not int:
        return shown_value(value)
    found = names.get(value)
    return (found.label() if found is not None else "") or f"{kind} {value}"


def _change(event: FieldEvent, names: Mapping[str, Mapping[int, Name]]) -> EventChange:
    stream = ID_FIELDS.get(event.field_name)
    if stream:
        label = event.field_name.removesuffix("_id")
        return EventChange(label, _named(names.get(stream, {}), event.previous, _KINDS[stream]),
                           _named(names.get(stream, {}), event.value, _KINDS[stream]), event.created)
    label = event.field_name
    if (field_id := digits(label)) is not None:
        title = names["ticket_fields"].get(field_id)
        label = f"custom field: {title.name}" if title is not None and title.name else f"custom field {label}"
    return EventChange(label, shown_value(event.previous), shown_value(event.value), event.created)


def _note(ticket_id: int, other: OtherEvent, users: Mapping[int, Name]) -> EventNote:
    detail = other.detail
    if other.event_type in ("Comment", "VoiceComment"):
        public = detail.get("public")
        visibility = "comment" if not isinstance(public, bool) else "public reply" if public else "internal note"
        author = detail.get("author_id")
        by = f" by {_named(users, author, 'user')}" if type(author) is int else ""
        comment_id = detail.get("comment_id")
        text = f"{other.event_type}: {visibility}{by}" + (f" (#{comment_id})" if comment_id is not None else "")
        href = f"/tickets/{ticket_id}#comment-{comment_id}" if type(comment_id) is int else None
        return EventNote(text, href)
    parts = [other.event_type]
    if "recipients" in detail:
        parts.append(f"to {detail['recipients']} recipient(s)")
    if detail.get("subject"):
        parts.append(f"“{detail['subject']}”")
    if detail.get("rule"):
        parts.append(f"({detail['rule']})")
    return EventNote(" ".join(parts))


def record_names(record: Mapping[str, Any] | None) -> dict[str, dict[int, Name]]:
    """The people, group and organization a ticket record names (requester, assignee, comment authors, ...): what
    an event's ids stand for when the backup has no ``users`` (``groups``, ...) files that name them."""
    found: dict[str, dict[int, Name]] = {"users": {}, "groups": {}, "organizations": {}}
    if record is None:
        return found
    comments = record.get("comments")
    authors = [comment.get("author") for comment in comments if isinstance(comment, dict)] \
        if isinstance(comments, list) else []
    for stream, things in (("users", [record.get("requester"), record.get("assignee"), record.get("submitter"),
                                      *authors]),
                           ("groups", [record.get("group")]), ("organizations", [record.get("organization")])):
        for thing in things:
            if isinstance(thing, dict) and type(thing.get("id")) is int:
                name, email = thing.get("name"), thing.get("email")
                if isinstance(name, str) or isinstance(email, str):
                    found[stream][thing["id"]] = Name(name if isinstance(name, str) else None,
                                                      email if isinstance(email, str) else None)
    return found


def events_view(events: EventIndex, names: NameIndex, ticket_id: int, older_than: str | None,
                record: Mapping[str, Any] | None = None) -> EventsView:
    """A page of a ticket's events, with every id it shows resolved to a name in one lookup per kind (from the
    backup's own files, else from what the ticket's ``record`` says of them)."""
    page = events.page(ticket_id, older_than)
    found = {stream: names.names(stream, ids) for stream, ids in _ids_wanted(page).items()}
    for stream, known in record_names(record).items():
        found[stream] = {**known, **found[stream]}
    users = found["users"]
    entries = []
    for audit in page.audits:
        who = audit.author_name or (_named(users, audit.author_id, "user") if audit.author_id is not None
                                    else "unknown")
        entries.append(EventEntry(
            audit.audit_id, audit.created_at, who, audit.channel or "",
            [_change(event, found) for event in page.changes.get(audit.audit_id, [])],
            [_note(ticket_id, other, users) for other in page.others.get(audit.audit_id, [])]))
    return EventsView(entries, page.total, page.older, first=older_than is None)


# --- the whole --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketHistoryView:
    """What the ticket page shows under the conversation."""

    ticket_id: int
    versions: VersionsPage
    events: EventsView


class TicketHistory:
    """The history's indexes of one location (events and names, beside the ticket index in ``tickets.sqlite``)."""

    def __init__(self, tickets: TicketIndex, location: ExportLocation) -> None:
        self.tickets = tickets
        self.events = EventIndex(tickets.path, location)
        self.names = NameIndex(tickets.path, location)

    def refresh(self, runs: Iterable[Run], progress: Callable[[int, int], None] | None = None) -> None:
        """Follow new runs' event and name files (the ticket index is followed by the page); ``progress`` is told
        (files read, files to read) of the event files, then of the name files."""
        listed = list(runs)
        self.events.refresh(listed, progress)
        self.names.refresh(listed, progress)

    def name_ids(self, diffs: Iterable[VersionDiff | None]) -> None:
        """Name the ids of the fields the backup names (a brand, a custom status) in these differences, in place:
        ``brand: Acme Europe → Acme Asia`` rather than two ids (an id the backup does not name stays as it is)."""
        changes = [(diff, position, change) for diff in diffs if diff is not None
                   for position, change in enumerate(diff.fields) if change.label in _NAMED_FIELDS]
        wanted: dict[str, set[int]] = {stream: set() for stream in _NAMED_FIELDS.values()}
        for _, _, change in changes:
            wanted[_NAMED_FIELDS[change.label]].update(
                number for number in map(digits, (change.before, change.after)) if number is not None)
        found = {stream: self.labels(stream, ids) for stream, ids in wanted.items() if ids}
        for diff, position, change in changes:
            names = found.get(_NAMED_FIELDS[change.label], {})

            def named(value: str, names: Mapping[int, str] = names) -> str:
                number = digits(value)
                known = None if number is None else names.get(number)
                return f"{known} (#{value})" if known else value

            diff.fields[position] = FieldChange(change.label.removesuffix("_id"), named(change.before),
                                                named(change.after))

    def labels(self, stream: str, ids: Iterable[int]) -> dict[int, str]:
        """What the backup calls each id of ``stream`` it names (``brands``: the brand's name, ...)."""
        return {object_id: name.label() for object_id, name in self.names.names(stream, ids).items() if name.label()}

    def view(self, ticket_id: int, versions_page_number: int = 1, events_older_than: str | None = None,
             record: Mapping[str, Any] | None = None) -> TicketHistoryView:
        """A ticket's versions and events, a page of each (``record``: the version shown, whose people name the
        events' ids the backup's files do not)."""
        versions = versions_page(self.tickets, ticket_id, versions_page_number)
        self.name_ids(entry.diff for entry in versions.entries)
        return TicketHistoryView(ticket_id, versions,
                                 events_view(self.events, self.names, ticket_id, events_older_than, record))


class HistoryFollower(IndexFollower):
    """The page's follower (``web/index_follower.py``) of the ticket index and then of the history's indexes, in
    one refresh: in a thread of its own, a request waiting at most ``ZENDESK_WEB_INDEX_WAIT`` seconds, then
    answered from what is indexed so far. Every route that follows the location (the charts' ``ticket_changes``
    included) finds the history as far as it is indexed."""

    def __init__(self, history: TicketHistory, runs: Callable[[], Iterable[Run]], wait_seconds: float) -> None:
        super().__init__(history.tickets, runs, wait_seconds)
        self.history = history

    def _refresh(self) -> None:
        super()._refresh()
        try:
            self.history.refresh(self.runs(), lambda read, to_read: self._told(read, to_read, "history"))
        except Exception:  # a failed refresh must not end the page; the next request tries again
            logger.exception("indexing the export location's history failed")


def page_number(text: str | None) -> int:
    """A page number of the query string (1 for none or a malformed one)."""
    return digits(text, 6) or 1
