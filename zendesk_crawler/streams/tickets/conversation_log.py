"""A messaging ticket's conversation log: ``/api/v2/tickets/{id}/conversation_log``, every cursor page.

A ticket that came through messaging (the web widget, the mobile SDKs, WhatsApp, …) holds its
conversation in Zendesk's messaging platform: the bot's, the end user's and the agents' messages
are ``Messaging::ConversationMessage`` entries of the ticket's conversation log, not ticket comments,
so neither the comments endpoint nor the ticket event export carries them. Zendesk marks such a
ticket with ``from_messaging_channel: true`` (and its ``via.channel`` names the messaging channel).

Only those tickets are asked for their log (one request per page of up to 100 entries); the
ticket is finished once every page was read, so its record carries the whole log as
``conversation_log`` in both comment modes. A 404 (the ticket was deleted meanwhile) leaves the
log empty and the ticket is exported as it is known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import CONVERSATION_LOG_ENDPOINT
from zendesk_crawler.api.pagination import PaginationError, next_page_cursor
from zendesk_crawler.api.responses import COMMENTS_PRIORITY, describe, json_object
from zendesk_crawler.items import TicketConversation
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import CONVERSATION_LOG_ENTRIES, CONVERSATION_LOGS_READ, TICKETS_FAILED
from zendesk_crawler.streams.tickets.handle import StreamHandle

logger = logging.getLogger(__name__)

CONVERSATION_LOG_PATH = "/api/v2/tickets/{ticket_id}/conversation_log"
#: ``via.channel`` values of messaging tickets (Zendesk's via types of messaging channels).
MESSAGING_CHANNELS = frozenset({
    "native_messaging", "messaging", "sunshine_conversations_api", "sunshine_conversations_facebook_messenger",
    "sunshine_conversations_twitter_dm", "whatsapp", "instagram_dm", "line", "wechat", "telegram", "viber",
    "kakaotalk", "apple_business_chat", "google_business_messages", "google_rcs", "messagebird_sms", "mailgun",
})

#: What finishes a conversation once its log is read (the ticket versions' check, again).
Finish = Callable[[TicketConversation], list[Any]]


def is_messaging(ticket: dict[str, Any]) -> bool:
    """Whether a ticket came through messaging: ``from_messaging_channel``, or a messaging ``via.channel``."""
    if ticket.get("from_messaging_channel") is True:
        return True
    via = ticket.get("via")
    return isinstance(via, dict) and via.get("channel") in MESSAGING_CHANNELS


class ConversationLogs:
    """Reads the conversation log of each messaging ticket before the ticket is finished."""

    def __init__(self, handle: StreamHandle, crawler: Crawler, config: RunContext) -> None:
        self.handle = handle
        self.crawler = crawler
        self.base_url = config.base_url
        self.page_size = config.comments_page_size
        #: Tickets whose log is being read.
        self.in_progress = 0

    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats

    def needs_log(self, conversation: TicketConversation) -> bool:
        """Whether the conversation still needs its log: a live messaging ticket whose log was not read."""
        ticket = conversation.ticket
        return (conversation.conversation_log is None and ticket.get("status") != "deleted"
                and isinstance(ticket.get("id"), int) and is_messaging(ticket))

    def read(self, conversation: TicketConversation, finish: Finish) -> list[Request]:
        """The first log request of a messaging ticket; ``finish`` hands the conversation on once it is read."""
        conversation.conversation_log = []
        self.in_progress += 1
        return [self.log_request(conversation, finish, {})]

    def unfinished(self) -> int:
        return self.in_progress

    def log_request(self, conversation: TicketConversation, finish: Finish, position: dict[str, str]) -> Request:
        params = {"page[size]": self.page_size, **position}
        url = f"{self.base_url}{CONVERSATION_LOG_PATH.format(ticket_id=conversation.ticket['id'])}?{urlencode(params)}"
        return self.handle.request(url, self.parse_log, self.log_failed, COMMENTS_PRIORITY, CONVERSATION_LOG_ENDPOINT,
                                   {"conversation": conversation, "finish": finish, "handle_httpstatus_list": [404]})

    def parse_log(self, response: Response) -> Iterator[Any]:
        """One page of a ticket's conversation log: the next page, or the finished conversation."""
        conversation: TicketConversation = response.meta["conversation"]
        finish: Finish = response.meta["finish"]
        log = conversation.conversation_log
        assert log is not None  # set by ``read``
        if response.status == 404:
            logger.warning("The conversation log of ticket %s answered 404 (deleted during the run?); exported "
                           "without it", conversation.ticket.get("id"))
            yield from self._done(conversation, finish)
            return
        page = json_object(response, "events")
        if page is None:
            retry = list(self.handle.retry_or_fail(response, lambda why: self._failed(conversation, why)))
            yield from retry if retry else self._given_up()
            return
        log.extend(page["events"])
        self.stats.inc_value(CONVERSATION_LOG_ENTRIES, len(page["events"]))
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self._failed(conversation, f"{error} ({response.url})")
            self._given_up()
            return
        if after is not None:
            yield self.log_request(conversation, finish, {"page[after]": after})
            return
        self.stats.inc_value(CONVERSATION_LOGS_READ)
        yield from self._done(conversation, finish)

    def log_failed(self, failure: Failure) -> None:
        """Errback of log pages: the ticket is named and the run fails (the cursor stays)."""
        request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it on the Failure an errback gets
        self._failed(request.meta["conversation"], describe(failure))
        self._given_up()

    def _done(self, conversation: TicketConversation, finish: Finish) -> list[Any]:
        self.in_progress -= 1
        return finish(conversation)

    def _given_up(self) -> list[Any]:
        self.in_progress -= 1
        return []

    def _failed(self, conversation: TicketConversation, why: str) -> None:
        self.stats.inc_value(TICKETS_FAILED)
        self.handle.fail(f"the conversation log of ticket {conversation.ticket.get('id')} could not be read: {why}")
