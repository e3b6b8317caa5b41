"""What the comment fetchers may ask of the ticket stream they work for: five services, nothing else.

The fetchers (per ticket, or from the event export) build their requests as the
stream's (so their failures are the stream's), report that the stream cannot be
complete, and retry malformed answers the stream's way. They never call back into
the stream's pages; when a fetcher frees room, it asks the one callable it was
given, :data:`NextWork`, for what may go now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure


class StreamHandle(Protocol):
    """The ticket stream, as its comment fetchers see it."""

    def request(self, url: str, callback: Callable[..., Any], errback: Callable[[Failure], Any], priority: int,
                endpoint: str, meta: dict[str, Any]) -> Request:
        """A request of the ticket stream."""

    def fail(self, why: str) -> None:
        """The ticket stream cannot be complete."""

    def failed(self) -> bool:
        """Whether the ticket stream (or the run) failed."""

    def retry_or_fail(self, response: Response, give_up: Callable[[str], None]) -> Iterator[Request]:
        """Retry a malformed answer, or give up with a reason."""

    def tell(self, signal: object, **arguments: Any) -> None:
        """Send one of the crawler's signals as the stream's."""


#: The stream's source pages that may go now (the next export page once the tickets waiting here are few).
NextWork = Callable[[], list[Request]]
