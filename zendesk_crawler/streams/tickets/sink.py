"""What the comment fetchers need of the ticket stream they work for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.items import TicketConversation


class ConversationSink(Protocol):
    """The ticket stream, as the comment fetchers see it: where conversations go, and its requests."""

    def request(self, url: str, callback: Callable[..., Any], errback: Callable[[Failure], Any], priority: int,
                endpoint: str, meta: dict[str, Any]) -> Request:
        """A request of the ticket stream."""

    def finished(self, conversation: TicketConversation) -> list[TicketConversation]:
        """The conversation to hand on, unless a newer version of its ticket came since (then nothing)."""

    def is_current(self, conversation: TicketConversation) -> bool:
        """Whether the conversation is of the newest version of its ticket seen."""

    def superseded(self, conversation: TicketConversation) -> None:
        """A conversation needs no record: a newer version of its ticket is exported instead."""

    def fail(self, why: str) -> None:
        """The ticket stream cannot be complete."""

    def failed(self) -> bool:
        """Whether the ticket stream (or the run) failed."""

    def retry_or_fail(self, response: Response, give_up: Callable[[str], None]) -> Iterator[Request]:
        """Retry a malformed answer, or give up with a reason."""

    def ticket_done(self) -> list[Request]:
        """A ticket's comment pages are finished (or failed): requests that may go now."""

    def fetch_per_ticket(self, conversations: list[TicketConversation]) -> list[Request]:
        """Queue conversations for the comments endpoint; the requests that may start now."""

    def export_progress(self) -> tuple[bool, int | None]:
        """Whether the ticket export ended, and the newest ``updated_at`` (unix seconds) it reached."""

    def release_export(self) -> list[Request]:
        """The next export page, if it may go now."""
