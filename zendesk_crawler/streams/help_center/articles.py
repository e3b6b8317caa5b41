"""Help Center articles from the incremental article export, each with its translations.

``GET /api/v2/help_center/incremental/articles?start_time=&include=translations``: up to 1,000 articles a page,
in the order of their last change; ``next_page`` names the next ``start_time``, the time of the last change of
the page's last article, which the page also gives as ``end_time`` ("Understanding incremental article exports").
So the next page starts with that second's articles again: :class:`TimeExportStream` exports them once and keeps
them with the saved position. The export has no ``end_of_stream``: a page that is not full, or has no
``next_page``, is the last. ``include=translations`` is the List Articles sideload (translations embedded in each
article): one request a page of 1,000 articles instead of one per article. No ``per_page`` (not documented).

With attachments on (``-a attachments=true``), each exported article also gets ``attachments``: every object of
``GET /api/v2/help_center/articles/{id}/attachments`` (inline images too; cursor pages of 100, the documented
maximum), one request per exported article; the attachment pipeline stores their files and adds ``stored_file``
to each. The article goes on once its list is read; a list that cannot be read fails the stream, so the saved
position never passes an article whose attachments are not stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import HELP_CENTER_ARTICLE_ATTACHMENTS_ENDPOINT, HELP_CENTER_ARTICLES_ENDPOINT
from zendesk_crawler.api.pagination import PaginationError, next_page_cursor
from zendesk_crawler.api.responses import describe, json_object
from zendesk_crawler.items import ArticleRecord, StreamRecord
from zendesk_crawler.streams.base import TimeExportStream

#: "The endpoint returns up to 1,000 articles per page."
ARTICLE_EXPORT_PAGE = 1000
#: An article's attachment list: "the maximum attachments per page, which is 100".
ATTACHMENTS_PAGE = 100
#: Request meta: the article record whose attachment list a request reads.
ARTICLE_META = "zendesk_article"


class ArticleStream(TimeExportStream):
    """Articles changed since the saved ``start_time`` (drafts too: agents see them), translations embedded."""

    name = "articles"
    path = "/api/v2/help_center/incremental/articles.json"
    list_key = "articles"
    label = "Help Center article export"
    endpoint = HELP_CENTER_ARTICLES_ENDPOINT
    record_class = ArticleRecord
    needs_feature = "the Help Center"

    def export_params(self, start_time: int) -> dict[str, Any]:
        return {"start_time": start_time, "include": "translations"}

    def page_ends(self, page: dict[str, Any]) -> bool:
        articles = page.get(self.list_key)
        return not page.get("next_page") or not isinstance(articles, list) or len(articles) < ARTICLE_EXPORT_PAGE

    def hand_on(self, records: list[StreamRecord], page: int) -> list[Any]:
        """The page's records, or with attachments on, the requests for their attachment lists."""
        records = super().hand_on(records, page)
        if not self.config.attachments:
            return records
        return [self.attachments_request(record) for record in records]

    def attachments_request(self, record: StreamRecord, after: str | None = None) -> Request:
        params: dict[str, Any] = {"page[size]": ATTACHMENTS_PAGE, **({"page[after]": after} if after else {})}
        url = f"{self.config.base_url}/api/v2/help_center/articles/{record.get('id')}/attachments.json"
        return self.request(f"{url}?{urlencode(params)}", self.parse_attachments, self.attachments_failed,
                            self.page_priority, HELP_CENTER_ARTICLE_ATTACHMENTS_ENDPOINT, {ARTICLE_META: record})

    def parse_attachments(self, response: Response) -> Iterator[Any]:
        """A page of an article's attachment list: more pages, or the article with every attachment."""
        record: StreamRecord = response.meta[ARTICLE_META]
        page = json_object(response, "article_attachments")
        if page is None:
            yield from self.retry_or_fail(response, lambda why: self.fail(
                f"the attachment list of article {record.get('id')} stopped: {why}"))
            return
        record.setdefault("attachments", []).extend(page["article_attachments"])
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self.fail(f"the attachment list of article {record.get('id')} stopped: {error} ({response.url})")
            return
        yield self.attachments_request(record, after) if after is not None else record

    def attachments_failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        record = request.meta.get(ARTICLE_META, {}) if isinstance(request, Request) else {}
        self.fail(f"the attachment list of article {record.get('id')} stopped: {describe(failure)}")
