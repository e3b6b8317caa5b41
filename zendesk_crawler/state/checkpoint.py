"""Which position of an incremental stream is safe to save while the run is still going.

A long backfill stores its records in batch files as it goes (Scrapy's
``batch_item_count``, and every ``ZENDESK_CHECKPOINT_INTERVAL`` seconds). The
position after page *p* (a cursor, or a time-based export's ``end_time``) may
be saved once every record of pages 1..p has been exported (or superseded by a
newer version later in the stream) and is in a stored file. A ticket whose
comments failed keeps its page open forever, so the saved position never moves
past a ticket that is not in a stored file. One tracker follows one stream.

A page holds up to 1000 records (for tickets: minutes of API budget to
complete), and a position cannot point inside a page. So a checkpoint also
lists the record versions (id, ``updated_at``) after the position that are
already in stored files: a resumed run reads those pages again (one export
request each) but skips those records (for tickets: their comments). A
time-based export's next page starts with the records of the saved second
again; those are listed too.

A run's slice (``-a max_tickets``) may end inside a page: that page is *cut*,
some of its records left for the next run. No position is ever saved past a
cut page; the final position is the one before it, with the page's stored
records listed after it.

A time position (a time-based export's ``end_time``) also keeps the stored
versions of the pages before it that are newer than it: a record listed per
ticket (side conversations) may have changed after the export page that named
its ticket, and the next run meets it again after the position.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.run.positions import RecordVersion


@dataclass
class _Page:
    position: Any
    repeats: list[RecordVersion]
    pending: int
    #: (item number, record version) of each record of this page handed to the feeds.
    exported: list[tuple[int, RecordVersion]] = field(default_factory=list)


class PageTracker:
    """Follows one stream's pages from first request to stored records."""

    def __init__(self) -> None:
        self.pages: dict[int, _Page] = {}
        self.items_exported = 0
        self.next_page = 1
        #: Position after the last page all of whose records are stored, and that page's repeated versions.
        self.safe_position: Any = None
        self.safe_repeats: list[RecordVersion] = []
        #: Position after the last page read, and that page's repeated versions (the final save's).
        self.last_position: Any = None
        self.last_repeats: list[RecordVersion] = []
        #: The page inside which this run's slice ended (``None``: none).
        self.cut_page: int | None = None
        #: Stored versions of the pages up to ``safe_position`` (a time) that are not older than it.
        self.ahead: list[RecordVersion] = []

    def page_started(self, page: int, position: Any, repeats: list[RecordVersion]) -> None:
        """Page ``page`` (numbered 1, 2, … in stream order) arrived; its records are being looked at."""
        self.pages[page] = _Page(position, list(repeats), 0)
        if position is not None:
            self.last_position, self.last_repeats = position, list(repeats)

    def records_pending(self, page: int, count: int) -> None:
        """``count`` records of ``page`` are to be exported (records or drops will follow for each)."""
        self.pages[page].pending += count

    def record_exported(self, page: int, version: RecordVersion) -> None:
        """A record of ``page`` went to the feeds, as item number ``items_exported`` of the stream."""
        self.items_exported += 1
        entry = self.pages[page]
        entry.pending -= 1
        entry.exported.append((self.items_exported, version))

    def record_already_stored(self, page: int, version: RecordVersion) -> None:
        """A record of ``page`` an earlier run already stored: listed again, nothing to export."""
        self.pages[page].exported.append((0, version))

    def record_dropped(self, page: int) -> None:
        """A record of ``page`` needs no export (a newer version of it comes later in the stream)."""
        self.pages[page].pending -= 1

    def page_cut(self, page: int) -> None:
        """The run's slice ended inside ``page``: some of its records are left for the next run."""
        self.cut_page = page

    def advance(self, items_stored: int) -> bool:
        """Move ``safe_position`` past every leading page whose records are among the first ``items_stored``
        (never past a cut page)."""
        moved = False
        while self.next_page != self.cut_page and (entry := self.pages.get(self.next_page)) is not None:
            if entry.pending > 0 or (entry.exported and entry.exported[-1][0] > items_stored):
                break
            if entry.position is not None:
                self.safe_position, self.safe_repeats = entry.position, entry.repeats
                moved = True
            self.ahead += [version for _, version in entry.exported]
            del self.pages[self.next_page]
            self.next_page += 1
        if moved:
            self.ahead = [version for version in self.ahead if not_older(version, self.safe_position)]
        return moved

    def stored_beyond_position(self, items_stored: int) -> list[RecordVersion]:
        """Versions after ``safe_position`` already stored: its page's repeats, and the stored records of later
        pages (those a checkpoint can list)."""
        later = [version for page in sorted(self.pages) for number, version in self.pages[page].exported
                 if number <= items_stored]
        return _listable([*self.safe_repeats, *self.ahead, *later])

    def final_position(self) -> tuple[Any, list[RecordVersion]]:
        """Where the next run goes on once every record exported is stored: the position after the last page
        read and that page's repeats; for a slice cut inside a page, the position before it (``None``: the
        one this run resumed from) and the records stored after it."""
        self.advance(sys.maxsize)
        if self.cut_page is not None:
            return self.safe_position, self.stored_beyond_position(sys.maxsize)
        ahead = [version for version in self.ahead if not_older(version, self.last_position)]
        return self.last_position, _listable([*self.last_repeats, *ahead])


def not_older(version: RecordVersion, position: Any) -> bool:
    """Whether a stored version changed at or after a time position (never for a cursor position)."""
    if not isinstance(position, int) or isinstance(position, bool):
        return False
    changed = epoch(version[1])
    return changed is not None and changed >= position


def _listable(versions: list[RecordVersion]) -> list[RecordVersion]:
    """The versions a checkpoint can list (``record_version`` gives ``(None, None)`` for the others), once each."""
    return [version for version in dict.fromkeys(versions) if version[0] is not None]
