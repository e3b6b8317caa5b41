"""Which export position is safe to save while the run is still going.

A long backfill stores its records in batch files as it goes (Scrapy's
``batch_item_count``, and every ``ZENDESK_CHECKPOINT_INTERVAL`` seconds). The
cursor after export page *p* may be saved once every ticket of pages 1..p has
been exported (or superseded by a newer version later in the stream) and every
record of those pages is in a stored file. A ticket whose comments failed
keeps its page open forever, so the saved cursor never moves past a ticket
that is not in a stored file.

A page of the cursor export holds up to 1000 tickets, which can take minutes
of API budget to complete; the cursor cannot point inside a page. So a
checkpoint also lists the ticket versions (id, ``updated_at``) of the pages
after the cursor that are already in stored files: a resumed run reads those
pages again (one export request each) but skips those tickets' comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A ticket version as a checkpoint lists it: ``[id, updated_at]`` (JSON-friendly).
TicketVersion = tuple[Any, Any]


def ticket_version(ticket: Any) -> TicketVersion:
    """``(id, updated_at)`` of a ticket or record; ``(None, None)`` for one a checkpoint cannot list."""
    ticket_id, updated_at = ticket.get("id"), ticket.get("updated_at")
    if isinstance(ticket_id, int) and not isinstance(ticket_id, bool) and isinstance(updated_at, str):
        return ticket_id, updated_at
    return None, None


@dataclass
class _Page:
    cursor: str | None
    pending: int
    #: (item number, ticket version) of each record of this page handed to the feeds.
    exported: list[tuple[int, TicketVersion]] = field(default_factory=list)


class PageTracker:
    """Follows export pages from first request to stored records."""

    def __init__(self) -> None:
        self.pages: dict[int, _Page] = {}
        self.items_exported = 0
        self.next_page = 1
        #: ``after_cursor`` of the last page all of whose records are stored.
        self.safe_cursor: str | None = None

    def page_started(self, page: int, cursor: str | None) -> None:
        """Page ``page`` (numbered 1, 2, … in stream order) arrived; its tickets are being looked at."""
        self.pages[page] = _Page(cursor, 0)

    def tickets_pending(self, page: int, count: int) -> None:
        """``count`` tickets of ``page`` are to be exported (records or drops will follow for each)."""
        self.pages[page].pending += count

    def ticket_exported(self, page: int, version: TicketVersion) -> None:
        """A record of ``page`` went to the feeds, as item number ``items_exported``."""
        self.items_exported += 1
        entry = self.pages[page]
        entry.pending -= 1
        entry.exported.append((self.items_exported, version))

    def ticket_already_stored(self, page: int, version: TicketVersion) -> None:
        """A ticket of ``page`` an interrupted run already stored: listed again, nothing to export."""
        self.pages[page].exported.append((0, version))

    def ticket_dropped(self, page: int) -> None:
        """A ticket of ``page`` needs no record (a newer version of it comes later in the stream)."""
        self.pages[page].pending -= 1

    def advance(self, items_stored: int) -> bool:
        """Move ``safe_cursor`` past every leading page whose records are among the first ``items_stored``."""
        moved = False
        while (entry := self.pages.get(self.next_page)) is not None:
            if entry.pending > 0 or (entry.exported and entry.exported[-1][0] > items_stored):
                break
            if entry.cursor:
                self.safe_cursor = entry.cursor
                moved = True
            del self.pages[self.next_page]
            self.next_page += 1
        return moved

    def stored_beyond_cursor(self, items_stored: int) -> list[TicketVersion]:
        """The ticket versions of pages after ``safe_cursor`` whose records are among the first ``items_stored``."""
        return [version for page in sorted(self.pages) for number, version in self.pages[page].exported
                if number <= items_stored]
