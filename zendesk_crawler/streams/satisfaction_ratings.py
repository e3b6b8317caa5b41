"""The satisfaction rating stream: ``/api/v2/satisfaction_ratings``, read in full, exported from its own position.

Why not ``start_time``: the list's ``start_time``/``end_time`` filter by the rating's creation ("Time of the oldest
satisfaction rating"; singer-io/tap-zendesk quotes Zendesk support: "the start_time query parameter filters based
off of created_at"), but a rating changes after it is created (offered, then rated good or bad, then changed:
the docs' own example has ``updated_at`` a day after ``created_at``). A ``start_time`` position would miss every
change of a rating created before it. So each run reads the list in full (cursor pages of 100, the documented
maximum) and exports the ratings whose ``updated_at`` is at or after the saved position: the second of the newest
``updated_at`` read, saved with the versions of that second already stored (the next run skips them). Nothing
changed is missed; nothing unchanged is exported again. Cost: one request per 100 ratings each run.
"""

from __future__ import annotations

from collections.abc import Iterator
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

    def start_requests(self) -> list[Request]:
        return [self.page_request({"page[size]": RATINGS_PAGE})]

    def read_page(self, page: dict[str, Any], number: int, response: Response) -> Iterator[Any]:
        objects = page[self.list_key]
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self.fail(f"the {self.label} stopped: {error} ({response.url})")
            return
        for obj in objects:
            version = record_version(obj) if isinstance(obj, dict) else (None, None)
            second = epoch(version[1]) if version[0] is not None else None
            if second is None:
                continue
            if self.newest is None or second > self.newest:
                self.newest, self.newest_versions = second, {version}
            elif second == self.newest:
                self.newest_versions.add(version)
        end = after is None
        # Only the last page names a position: the newest second of the whole list is known only then.
        position = (self.newest if self.newest is not None else self.position.start_time) if end else None
        repeats = sorted(self.newest_versions, key=repr) if end and self.newest is not None else []
        if end and self.newest is None:
            repeats = sorted(self.position.already_stored, key=repr)
        self.tell(zendesk_signals.page_received, page=number, position=position, end_of_stream=end, repeats=repeats)
        changed = [obj for obj in objects if self.changed_since_position(obj)]
        yield from self.hand_on(self.records(changed, number), number)
        note_position(self, changed)
        if not end:
            yield self.page_request({"page[size]": RATINGS_PAGE, "page[after]": after})
            return
        self.tell(zendesk_signals.stream_ended)

    def changed_since_position(self, obj: Any) -> bool:
        """Whether a rating changed at or after the saved position (entries that cannot be placed are kept:
        ``records`` counts what is not an object)."""
        if not isinstance(obj, dict):
            return True
        version = record_version(obj)
        second = epoch(version[1]) if version[0] is not None else None
        return second is None or second >= self.position.start_time
