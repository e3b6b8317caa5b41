"""The floor of per-ticket mode on this machine: the smallest Scrapy spider that does the same requests.

    ZENDESK_URL=http://127.0.0.1:PORT ZENDESK_EMAIL=... ZENDESK_API_TOKEN=... \\
        scrapy runspider bench/scrapy_floor.py

It reads the cursor export (200 tickets a page, ``include=users``,
``support_type_scope=all``) and every live ticket's comment pages (100 a page)
and a messaging ticket's conversation log pages, like ``scrapy crawl zendesk``,
and yields each ticket with its comments, but
with nothing else: no feeds, no pipeline, no rate limiting, no state, no checks.
Scrapy's per-request machinery is all it costs, so its tickets per second bound
what any Scrapy crawler that asks one comments page per ticket can reach here.
At the end it prints ``{"tickets", "comments"}`` as one JSON line.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy


class ScrapyFloorSpider(scrapy.Spider):
    """Cursor export plus comments, yielding plain dicts; no feeds."""

    name = "scrapy_floor"
    custom_settings = {
        "CONCURRENT_ITEMS": 1, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False, "LOG_LEVEL": "WARNING",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = os.environ["ZENDESK_URL"].rstrip("/")
        credentials = f"{os.environ['ZENDESK_EMAIL']}/token:{os.environ['ZENDESK_API_TOKEN']}".encode()
        self.headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
        self.tickets = self.comments = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        params = {"start_time": 0, "per_page": 200, "include": "users", "support_type_scope": "all"}
        yield scrapy.Request(f"{self.base_url}/api/v2/incremental/tickets/cursor.json?{urlencode(params)}",
                             headers=self.headers)

    def parse(self, response: scrapy.http.Response) -> Iterator[Any]:
        page = json.loads(response.body)
        for ticket in page["tickets"]:
            if ticket["status"] == "deleted":
                self.tickets += 1
                yield ticket
            else:
                yield self._comments(ticket, {})
        if not page["end_of_stream"]:
            yield scrapy.Request(page["after_url"], headers=self.headers, priority=-1)

    def _comments(self, ticket: dict[str, Any], position: dict[str, str]) -> scrapy.Request:
        params = {"page[size]": 100, "include": "users", **position}
        return scrapy.Request(f"{self.base_url}/api/v2/tickets/{ticket['id']}/comments.json?{urlencode(params)}",
                              headers=self.headers, callback=self.parse_comments, cb_kwargs={"ticket": ticket})

    def parse_comments(self, response: scrapy.http.Response, ticket: dict[str, Any]) -> Iterator[Any]:
        page = json.loads(response.body)
        ticket.setdefault("comments", []).extend(page["comments"])
        if page["meta"]["has_more"]:
            yield self._comments(ticket, {"page[after]": page["meta"]["after_cursor"]})
            return
        if ticket.get("from_messaging_channel") is True:
            yield self._log(ticket, {})
            return
        yield from self._finished(ticket)

    def _log(self, ticket: dict[str, Any], position: dict[str, str]) -> scrapy.Request:
        """A messaging ticket's conversation log page (the crawler reads it for those tickets too)."""
        params = {"page[size]": 100, **position}
        return scrapy.Request(f"{self.base_url}/api/v2/tickets/{ticket['id']}/conversation_log?{urlencode(params)}",
                              headers=self.headers, callback=self.parse_log, cb_kwargs={"ticket": ticket})

    def parse_log(self, response: scrapy.http.Response, ticket: dict[str, Any]) -> Iterator[Any]:
        page = json.loads(response.body)
        ticket.setdefault("conversation_log", []).extend(page["events"])
        if page["meta"]["has_more"]:
            yield self._log(ticket, {"page[after]": page["meta"]["after_cursor"]})
            return
        yield from self._finished(ticket)

    def _finished(self, ticket: dict[str, Any]) -> Iterator[Any]:
        self.tickets += 1
        self.comments += len(ticket["comments"])
        yield ticket

    def closed(self, reason: str) -> None:
        print(json.dumps({"tickets": self.tickets, "comments": self.comments}), flush=True)
