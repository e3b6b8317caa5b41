"""The auth middleware: credentials only to the account's exact origin; a 401 or 403 from it stops the run once."""

from __future__ import annotations

import asyncio
import base64

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from zendesk_crawler.api.endpoints import ATTACHMENT_ENDPOINT, ENDPOINT_META, FEATURE_META
from zendesk_crawler.middlewares.auth import ZendeskAuthMiddleware
from zendesk_crawler.run.stats_keys import AUTH_FAILED, FAILURE_REASON, RUN_FAILURE_COUNT

ACCOUNT = {"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "agent@example.com",
           "ZENDESK_API_TOKEN": "s3cret"}


class EngineCloses:
    """Stands in for Scrapy's engine, which exists only in a running crawl: records the closes asked for."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def close_spider_async(self, reason: str) -> None:
        self.reasons.append(reason)


@pytest.fixture
def middleware() -> ZendeskAuthMiddleware:
    crawler = get_crawler(settings_dict=ACCOUNT)
    crawler.engine = EngineCloses()
    return ZendeskAuthMiddleware.from_crawler(crawler)


def sent(middleware: ZendeskAuthMiddleware, url: str, **headers: str) -> Request:
    request = Request(url, headers=headers)
    middleware.process_request(request)
    return request


@pytest.mark.parametrize("url", ["https://acme.zendesk.com/api/v2/tickets.json",
                                 "https://ACME.zendesk.com:443/api/v2/users.json"])
def test_the_accounts_origin_gets_the_credentials(middleware, url):
    basic = base64.b64encode(b"agent@example.com/token:s3cret").decode()
    assert sent(middleware, url).headers["Authorization"] == f"Basic {basic}".encode()


@pytest.mark.parametrize("url", [
    "http://acme.zendesk.com/api/v2/tickets.json",         # another scheme
    "https://acme.zendesk.com:8443/api/v2/tickets.json",   # another port
    "https://acme.zendesk.com.evil.example/api/v2/x.json",  # a host that only starts like it
    "https://other.zendesk.com/api/v2/tickets.json",       # another account
    "https://acme.zdusercontent.com/attachments/1/a.png",  # the content host of a download
])
def test_no_other_origin_gets_them_and_a_header_set_earlier_is_taken_off(middleware, url):
    assert "Authorization" not in sent(middleware, url).headers
    assert "Authorization" not in sent(middleware, url, Authorization="Basic leftover").headers


def test_a_redirect_to_another_host_goes_without_the_credentials(middleware):
    first = sent(middleware, "https://acme.zendesk.com/attachments/token/abc/?name=a.png")
    assert "Authorization" in first.headers
    # Scrapy's redirect middleware sends a copy of the request (headers included) to the new URL.
    redirected = first.replace(url="https://acme.zdusercontent.com/attachments/token/abc/a.png")
    middleware.process_request(redirected)
    assert "Authorization" not in redirected.headers


@pytest.mark.parametrize("status, said", [(401, "were rejected"), (403, "were not allowed")])
def test_a_401_or_403_of_the_account_stops_the_run_once(middleware, status, said):
    async def answer_twice() -> None:
        for _ in range(2):
            request = sent(middleware, "https://acme.zendesk.com/api/v2/tickets.json")
            with pytest.raises(IgnoreRequest):
                middleware.process_response(request, TextResponse(request.url, status=status, request=request))
        await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}))

    asyncio.run(answer_twice())
    stats = middleware.crawler.stats
    assert middleware.crawler.engine.reasons == ["auth_failed"]
    assert stats.get_value(AUTH_FAILED) == status and stats.get_value(RUN_FAILURE_COUNT) == 1
    assert said in stats.get_value(FAILURE_REASON) and "s3cret" not in stats.get_value(FAILURE_REASON)


def test_a_401_of_a_download_or_of_another_host_is_that_requests_own_answer(middleware):
    download = sent(middleware, "https://acme.zendesk.com/attachments/token/abc/?name=a.png")
    download.meta[ENDPOINT_META] = ATTACHMENT_ENDPOINT
    elsewhere = sent(middleware, "https://acme.zdusercontent.com/attachments/1/a.png")
    for request in (download, elsewhere):
        response = TextResponse(request.url, status=401, request=request)
        assert middleware.process_response(request, response) is response
    assert middleware.crawler.engine.reasons == []
    assert middleware.crawler.stats.get_value(AUTH_FAILED) is None


def test_a_403_to_a_stream_of_a_feature_goes_on_to_the_stream_but_a_401_still_stops_the_run(middleware):
    """A 403 to a request of a stream that needs a feature is the feature's answer (the stream decides)."""
    request = sent(middleware, "https://acme.zendesk.com/api/v2/slas/policies")
    request.meta[FEATURE_META] = "SLA policies on the plan"
    forbidden = TextResponse(request.url, status=403, request=request)
    assert middleware.process_response(request, forbidden) is forbidden
    assert middleware.crawler.stats.get_value(AUTH_FAILED) is None

    async def rejected() -> None:
        with pytest.raises(IgnoreRequest):
            middleware.process_response(request, TextResponse(request.url, status=401, request=request))
        await asyncio.gather(*(asyncio.all_tasks() - {asyncio.current_task()}))

    asyncio.run(rejected())
    assert middleware.crawler.stats.get_value(AUTH_FAILED) == 401
