"""Credentials for the account's own origin only."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from zendesk_crawler.api.endpoints import ATTACHMENT_ENDPOINT, ENDPOINT_META, FEATURE_META, VOICE_RECORDING_ENDPOINT
from zendesk_crawler.config import AccountConfig
from zendesk_crawler.run.outcome import record_failure
from zendesk_crawler.run.stats_keys import AUTH_FAILED


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL: credentials go only to the account's own origin."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class ZendeskAuthMiddleware:
    """Sends the account's credentials to the account's own base URL, and nowhere else.

    Scrapy's ``HttpAuthMiddleware`` knows only Basic auth and matches a domain
    (any port, any scheme); Zendesk also takes OAuth Bearer tokens, and
    attachment URLs may point at other hosts, so credentials are bound to the
    exact origin (scheme, host, port) of the configured base URL.

    A 401 or 403 from the account stops the run at once: retrying rejected
    credentials only burns the budget. But a 403 to a stream of a feature the
    account may lack (``FEATURE_META``, from ``Stream.needs_feature``) is that
    feature's answer: it goes on to the stream, which decides.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.config = AccountConfig.from_settings(crawler.settings)
        self.origin = origin(self.config.base_url)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ZendeskAuthMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if origin(request.url) == self.origin:
            request.headers["Authorization"] = self.config.auth_header
        else:
            request.headers.pop("Authorization", None)

    def process_response(self, request: Request, response: Response) -> Response:
        # A file download answered 401/403 is that file's failure, not the credentials' (see the pipeline).
        if response.status in (401, 403) and origin(request.url) == self.origin \
                and request.meta.get(ENDPOINT_META) not in (ATTACHMENT_ENDPOINT, VOICE_RECORDING_ENDPOINT) \
                and not (response.status == 403 and request.meta.get(FEATURE_META)):
            what = "rejected" if response.status == 401 else "not allowed (the user needs admin access)"
            reason = (
                f"Zendesk answered {response.status}: the credentials ({self.config.auth_kind}) were {what} "
                f"for {self.config.base_url}"
            )
            if self.crawler.stats.get_value(AUTH_FAILED) is None:
                self.crawler.stats.set_value(AUTH_FAILED, response.status)
                record_failure(self.crawler, reason)
                assert self.crawler.engine is not None
                asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="auth_failed"))
            raise IgnoreRequest(reason)
        return response
