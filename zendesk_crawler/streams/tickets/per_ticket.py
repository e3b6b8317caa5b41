"""Per-ticket comments: ``/api/v2/tickets/{id}/comments.json`` pages of queued tickets, a bounded number at once."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from urllib.parse import urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import COMMENTS_ENDPOINT
from zendesk_crawler.api.pagination import PaginationError, next_page_cursor
from zendesk_crawler.api.responses import COMMENTS_PRIORITY, by_id, describe, json_object
from zendesk_crawler.items import COMMENTS_NOT_FOUND, TicketConversation
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import COMMENTS_ANSWERED_404, TICKETS_FAILED
from zendesk_crawler.streams.tickets.handle import NextWork, StreamHandle
from zendesk_crawler.streams.tickets.versions import TicketVersions

logger = logging.getLogger(__name__)

COMMENTS_PATH = "/api/v2/tickets/{ticket_id}/comments.json"


class TicketComments:
    """Fetches the comment pages of queued tickets, in stream order, at most ``tickets_in_progress`` at once.

    A 1000-ticket export page is not turned into 1000 concurrent conversations:
    the rest wait here, and a queued ticket superseded by a newer version in the
    meantime is skipped.
    """

    def __init__(self, handle: StreamHandle, versions: TicketVersions, next_work: NextWork, crawler: Crawler,
                 config: RunContext) -> None:
        self.handle = handle
        self.versions = versions
        self.next_work = next_work
        #: Ask for inline images among the attachments (Zendesk lists them only when asked).
        self.inline_images = config.attachments
        self.crawler = crawler
        self.base_url = config.base_url
        self.page_size = config.comments_page_size
        self.limit = config.tickets_in_progress
        self.queued: deque[TicketConversation] = deque()
        self.in_progress = 0

    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats

    def queue(self, conversations: list[TicketConversation]) -> None:
        """Tickets whose comments are to be fetched, in stream order."""
        self.queued.extend(conversations)

    def backlog(self) -> int:
        """Tickets queued and not started yet."""
        return len(self.queued)

    def unfinished(self) -> int:
        """Tickets queued or being fetched."""
        return len(self.queued) + self.in_progress

    def start(self) -> list[Request]:
        """First comment requests of queued tickets, while fewer than the limit are being fetched."""
        if self.handle.failed():
            return []  # the run failed (rejected credentials, say): no point in more requests
        requests = []
        while self.queued and self.in_progress < self.limit:
            conversation = self.queued.popleft()
            if not self.versions.is_current(conversation):
                # A newer version came while this one waited its turn.
                self.versions.superseded(conversation.export_page)
                continue
            self.in_progress += 1
            requests.append(self.comments_request(conversation, {}))
        return requests

    def fetch(self, conversations: list[TicketConversation]) -> list[Request]:
        """Queue conversations for their comments; the requests that may go now."""
        self.queue(conversations)
        return self.start() + self.next_work()

    def _done(self) -> list[Request]:
        """A ticket's comments were fetched (or failed): its place is free; the requests that may go now."""
        self.in_progress -= 1
        return self.start() + self.next_work()

    def comments_request(self, conversation: TicketConversation, position: dict[str, str]) -> Request:
        ticket_id = conversation.ticket["id"]
        params = {"page[size]": self.page_size, "include": "users", **position}
        if self.inline_images:
            params["include_inline_images"] = "true"
        return self.handle.request(
            f"{self.base_url}{COMMENTS_PATH.format(ticket_id=ticket_id)}?{urlencode(params)}",
            self.parse_comments, self.comments_failed, COMMENTS_PRIORITY, COMMENTS_ENDPOINT,
            {"conversation": conversation, "handle_httpstatus_list": [404]})

    def parse_comments(self, response: Response) -> Iterator[Request | TicketConversation]:
        """One page of a ticket's comments: the next page, or the finished conversation."""
        conversation: TicketConversation = response.meta["conversation"]
        if response.status == 404:
            # Deleted between the export page and this request: export what is known, flagged.
            conversation.comments_status = COMMENTS_NOT_FOUND
            self.stats.inc_value(COMMENTS_ANSWERED_404)
            logger.warning("Comments of ticket %s answered 404 (deleted during the run?); exported without them",
                           conversation.ticket.get("id"))
            finished = self.versions.finished(conversation)
            yield from self._done()  # requests first: the record may wait in the pipelines
            yield from finished
            return
        page = json_object(response, "comments")
        if page is None:
            retry = list(self.handle.retry_or_fail(response, lambda why: self._ticket_failed(conversation, why)))
            yield from retry or self._done()
            return
        conversation.comments.extend(page["comments"])
        conversation.users.update(by_id(page.get("users")))
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self._ticket_failed(conversation, f"{error} ({response.url})")
            yield from self._done()
            return
        if after is not None:
            yield self.comments_request(conversation, {"page[after]": after})
            return
        finished = self.versions.finished(conversation)
        # The next tickets' requests before the record: Scrapy handles a callback's output in order, and the
        # record may wait in the pipelines (for its attachment files) before what follows it is scheduled.
        yield from self._done()
        yield from finished

    def comments_failed(self, failure: Failure) -> list[Request]:
        """Errback of comment pages: the ticket is named and the run fails (the cursor stays)."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on the Failure an errback gets
        self._ticket_failed(request.meta["conversation"], describe(failure))
        return self._done()

    def _ticket_failed(self, conversation: TicketConversation, why: str) -> None:
        self.stats.inc_value(TICKETS_FAILED)
        self.handle.fail(f"the comments of ticket {conversation.ticket.get('id')} could not be fetched: {why}")
