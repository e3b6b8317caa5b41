"""The satisfaction rating stream: ``/api/v2/satisfaction_ratings``, read in full, exported from its own position.

Why not ``start_time``: the list's ``start_time``/``end_time`` filter by the rating's creation ("Time of the oldest
satisfaction rating"; singer-io/tap-zendesk quotes Zendesk support: "the start_time query parameter filters based
off of created_at"), but a rating changes after it is created (offered, then rated good or bad, then changed:
the docs' own example has ``updated_at`` a day after ``created_at``). A ``start_time`` position would miss every
change of a rating created before it. So each run reads the list in full (cursor pages of 100, the documented
maximum) and exports the ratings whose ``updated_at`` is at or after the saved position: the second of the newest
``updated_at`` read, saved with the versions of that second already stored (the next run skips them). Nothing
changed is missed; nothing unchanged is exported again. Cost: one request per 100 ratings each run.

A rating can change while the list is read, after its page was read: the position never passes the time the
first page was answered (its ``Date`` header, Zendesk's clock), and every version read at or after the saved
second is listed with it (those the run changed while reading, usually none), so such a change comes in the next
run and nothing the run stored comes twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.http import Response

from zendesk_crawler.api.endpoints import SATISFACTION_RATINGS_ENDPOINT
from zendesk_crawler.api.pagination import PaginationError, next_page_cursor
from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.items import SatisfactionRatingRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.positions import RecordVersion, record_version
from zendesk_crawler.streams.base import Stream, note_position

#: The list's largest cursor page.
RATINGS_PAGE = 100


class SatisfactionRatingStream(Stream):
    """Every rating changed since the saved position; the position: the newest ``updated_at`` second read."""

    name = "satisfaction_ratings"
    path = "/api/v2/satisfaction_ratings.json"
    list_key = "satisfaction_ratings"
    label = "satisfaction rating list"
    endpoint = SATISFACTION_RATINGS_ENDPOINT
    record_class = SatisfactionRatingRecord
    position_key = "start_time"
    #: "Allowed For: Admins": an agent's credentials are answered 403, which makes the stream unavailable.
    needs_feature = "an admin role"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The newest ``updated_at`` second read so far, and the versions of that second.
        self.newest: int | None = None
        self.newest_versions: set[RecordVersion] = set()
        #: When the first page was answered (its ``Date``, unix seconds), if it said, and the versions read that
        #: changed at or after it (changed while the list was read: usually none).
        self.read_since: int | None = None
        self.since_versions: set[RecordVersion] = set()

    def start_requests(self) -> list[Request]:
        return [self.page_request({"page[size]": RATINGS_PAGE})]

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        objects = page[self.list_key]
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self.fail(f"the {self.label} stopped: {error} ({response.url})")
            return
        if number == 1:
            self.read_since = answered_at(response)
        # The ratings changed at or after the saved position (entries that cannot be placed are kept: ``records``
        # counts what is not an object).
        changed = []
        for obj in objects:
            version = record_version(obj) if isinstance(obj, dict) else (None, None)
            second = epoch(version[1]) if version[0] is not None else None
            if second is None or second >= self.position.start_time:
                changed.append(obj)
            if second is None:
                continue
            if self.newest is None or second > self.newest:
                self.newest, self.newest_versions = second, {version}
            elif second == self.newest:
                self.newest_versions.add(version)
            if self.read_since is not None and second >= self.read_since:
                self.since_versions.add(version)
        end = after is None
        # Only the last page names a position: the newest second of the whole list is known only then.
        position, repeats = self.final_position() if end else (None, [])
        self.tell(zendesk_signals.page_received, page=number, position=position, end_of_stream=end, repeats=repeats)
        yield from self.hand_on(self.records(changed, number), number)
        note_position(self, changed)
        if not end:
            yield self.page_request({"page[size]": RATINGS_PAGE, "page[after]": after})
            return
        self.tell(zendesk_signals.stream_ended)

    def final_position(self) -> tuple[int, list[RecordVersion]]:
        """The position after the whole list: the newest second read, but not past the first page's answer, and
        the versions read at or after it (the next run skips them)."""
        start, stored = self.position.start_time, self.position.already_stored
        if self.newest is None:  # nothing read: the position stays, with what it listed
            return start, sorted(stored, key=repr)
        if self.read_since is None or self.newest <= self.read_since:
            position, kept = self.newest, set(self.newest_versions)
        else:
            position, kept = self.read_since, set(self.since_versions)
        if position < start:  # nothing at or after the saved second any more
            return start, sorted(stored, key=repr)
        if position == start:
            kept |= stored
        return position, sorted(kept, key=repr)


def answered_at(response: Response) -> int | None:
    """Unix seconds of a response's ``Date`` header (the server's clock), or ``None``."""
    raw = response.headers.get("Date")
    try:
        return int(parsedate_to_datetime(raw.decode("latin-1")).timestamp()) if raw else None
    except (TypeError, ValueError):
        return None
