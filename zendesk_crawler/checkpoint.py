"""Which export cursor is safe to save while the run is still going.

A long backfill stores its records in batch files as it goes (Scrapy's
``batch_item_count``). The cursor after export page *p* may be saved once every
ticket of pages 1..p has been exported (or superseded by a newer version
later in the stream) and every record of those pages is in a stored file. A
ticket whose comments failed keeps its page open forever, so the saved cursor
never moves past a ticket that is not in a stored file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Page:
    cursor: str | None
    pending: int
    last_item: int = 0


class PageTracker:
    """Follows export pages from first request to stored records."""

    def __init__(self) -> None:
        self.pages: dict[int, _Page] = {}
        self.items_exported = 0
        self.next_page = 1
        #: ``after_cursor`` of the last page all of whose records are stored.
        self.safe_cursor: str | None = None

    def page_started(self, page: int, cursor: str | None, pending: int) -> None:
        """Page ``page`` (numbered 1, 2, … in stream order) holds ``pending`` tickets to export."""
        self.pages[page] = _Page(cursor, pending)

    def ticket_exported(self, page: int) -> None:
        """A record of ``page`` went to the feeds, as item number ``items_exported``."""
        self.items_exported += 1
        entry = self.pages[page]
        entry.pending -= 1
        entry.last_item = self.items_exported

    def ticket_dropped(self, page: int) -> None:
        """A ticket of ``page`` needs no record (a newer version of it comes later in the stream)."""
        self.pages[page].pending -= 1

    def advance(self, items_stored: int) -> bool:
        """Move ``safe_cursor`` past every leading page whose records are among the first ``items_stored``."""
        moved = False
        while (entry := self.pages.get(self.next_page)) is not None:
            if entry.pending > 0 or entry.last_item > items_stored:
                break
            if entry.cursor:
                self.safe_cursor = entry.cursor
                moved = True
            del self.pages[self.next_page]
            self.next_page += 1
        return moved
