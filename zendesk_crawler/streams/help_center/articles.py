"""Help Center articles from the incremental article export, each with its translations.

``GET /api/v2/help_center/incremental/articles?start_time=&include=translations``: up to 1,000 articles a page,
in the order of their last change; ``next_page`` names the next ``start_time``, the time of the last change of
the page's last article, which the page also gives as ``end_time`` ("Understanding incremental article exports").
So the next page starts with that second's articles again: :class:`TimeExportStream` exports them once and keeps
them with the saved position. The export has no ``end_of_stream``: a page that is not full, or has no
``next_page``, is the last. ``include=translations`` is the List Articles sideload (translations embedded in each
article): one request a page of 1,000 articles instead of one per article. No ``per_page`` (not documented).
"""

from __future__ import annotations

from typing import Any, ClassVar

from zendesk_crawler.api.endpoints import HELP_CENTER_ARTICLES_ENDPOINT
from zendesk_crawler.items import ArticleRecord
from zendesk_crawler.streams.base import TimeExportStream

#: "The endpoint returns up to 1,000 articles per page."
ARTICLE_EXPORT_PAGE = 1000


class ArticleStream(TimeExportStream):
    """Articles changed since the saved ``start_time`` (drafts too: agents see them), translations embedded."""

    name = "articles"
    path = "/api/v2/help_center/incremental/articles.json"
    list_key = "articles"
    label = "Help Center article export"
    endpoint = HELP_CENTER_ARTICLES_ENDPOINT
    record_class = ArticleRecord
    needs_feature: ClassVar[str | None] = "the Help Center"

    def export_params(self, start_time: int) -> dict[str, Any]:
        return {"start_time": start_time, "include": "translations"}

    def page_ends(self, page: dict[str, Any]) -> bool:
        articles = page.get(self.list_key)
        return not page.get("next_page") or not isinstance(articles, list) or len(articles) < ARTICLE_EXPORT_PAGE
