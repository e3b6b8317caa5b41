"""The sandbox's Help Center endpoints and the satisfaction ratings list, as pure functions of their data.

- ``GET /api/v2/help_center/categories`` and ``/sections``: cursor pagination (``page[size]`` ≤ 100, id order)
  or offset pagination (``page``, ``per_page``), as the docs say ("Cursor pagination (recommended)");
  ``include=translations`` embeds each record's translations.
- ``GET /api/v2/help_center/incremental/articles?start_time=``: the incremental article export. Up to 1,000
  articles a page by ``updated_at``; ``next_page`` names a new ``start_time``, the time of the last change of the
  last article on the page, which is also the page's ``end_time`` (the docs' *Understanding incremental article
  exports*); so the next page starts with that second's articles again. ``next_page`` is null on a page that is
  not full. Members: ``articles``, ``next_page``, ``end_time``, ``count`` (``count``: the page's articles).
  ``include=translations`` embeds each article's translations (the List Articles sideloads).
- ``GET /api/v2/help_center/articles/{id}/attachments``: an article's attachments (inline ones too).
- ``GET /api/v2/satisfaction_ratings``: see :mod:`.satisfaction`.
"""

from __future__ import annotations

import re

from .api import (
    JSON_TYPE,
    NOT_FOUND,
    BadRequest,
    Response,
    _int,
    _is_cursor_request,
    _list_cursor_page,
    _url,
    error,
    offset_list,
)
from .encoding import dumps
from .help_center import HelpCenter
from .satisfaction import PATH as RATINGS_URL_PATH
from .satisfaction import SatisfactionRatings

CATEGORIES_PATH = re.compile(r"/api/v2/help_center(?:/[a-z-]+)?/categories(?:\.json)?")
SECTIONS_PATH = re.compile(r"/api/v2/help_center(?:/[a-z-]+)?/sections(?:\.json)?")
ARTICLES_EXPORT_PATH = re.compile(r"/api/v2/help_center/incremental/articles(?:\.json)?")
ARTICLES_EXPORT_URL_PATH = "/api/v2/help_center/incremental/articles.json"
ARTICLE_ATTACHMENTS_PATH = re.compile(r"/api/v2/help_center(?:/[a-z-]+)?/articles/(\d+)/attachments(?:\.json)?")
RATINGS_PATH = re.compile(r"/api/v2/satisfaction_ratings(?:\.json)?")
#: The incremental article export's page: "up to 1,000 articles per page".
ARTICLE_EXPORT_PAGE = 1000


def _translations(query: dict[str, str]) -> bool:
    return "translations" in {part.strip() for part in query.get("include", "").split(",")}


def categories(hc: HelpCenter, base_url: str, query: dict[str, str]) -> Response:
    with_translations = _translations(query)
    records = [((cid,), hc.category_json(cid, with_translations)) for cid in sorted(hc.categories)]
    return _list(base_url, "/api/v2/help_center/categories.json", "categories", records, query)


def sections(hc: HelpCenter, base_url: str, query: dict[str, str]) -> Response:
    with_translations = _translations(query)
    records = [((sid,), hc.section_json(sid, with_translations)) for sid in sorted(hc.sections)]
    return _list(base_url, "/api/v2/help_center/sections.json", "sections", records, query)


def _list(base_url: str, path: str, name: str, records: list[tuple[tuple[int], bytes]],
          query: dict[str, str]) -> Response:
    if _is_cursor_request(query):
        return _list_cursor_page(base_url, path, name, "id", records, query)
    return offset_list(base_url, path, name, [j for _, j in records], query)


def incremental_articles(hc: HelpCenter, base_url: str, query: dict[str, str]) -> Response:
    """The incremental article export (see the module docstring); ``start_time`` is required (400 without)."""
    if not query.get("start_time"):
        raise BadRequest(error(400, "InvalidValue", "start_time is required"))
    start_time = _int(query, "start_time", 0, 0)
    ids, end_time = hc.export_page(start_time, ARTICLE_EXPORT_PAGE)
    with_translations = _translations(query)
    next_page = None
    if len(ids) == ARTICLE_EXPORT_PAGE and end_time is not None:
        kept = [(k, v) for k, v in query.items() if k != "start_time"]
        next_page = _url(base_url, ARTICLES_EXPORT_URL_PATH, sorted(kept + [("start_time", str(end_time))]))
    body = b"".join((b'{"articles":[', b",".join(hc.article_json(aid, with_translations) for aid in ids),
                     b'],"next_page":', dumps(next_page), b',"end_time":',
                     dumps(end_time if end_time is not None else start_time), b',"count":%d}' % len(ids)))
    return Response(200, [JSON_TYPE], body)


def article_attachments(hc: HelpCenter, base_url: str, path: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/help_center/articles/{id}/attachments``: every attachment, inline ones too; cursor pagination
    (``page[size]`` ≤ 100, id order) or offset pagination ("the maximum attachments per page, which is 100");
    404 RecordNotFound for no such article."""
    match = ARTICLE_ATTACHMENTS_PATH.fullmatch(path)
    aid = int(match.group(1)) if match else 0
    found = hc.article_attachments(aid)
    if found is None:
        return NOT_FOUND
    records = [((att_id,), body) for att_id, body in found]
    url_path = f"/api/v2/help_center/articles/{aid}/attachments.json"
    return _list(base_url, url_path, "article_attachments", records, query)


def satisfaction_ratings(ratings: SatisfactionRatings, base_url: str, query: dict[str, str]) -> Response:
    """``GET /api/v2/satisfaction_ratings``: cursor pages (``page[size]``) or offset pages, filters applied."""
    try:
        ids = ratings.matching(query)
    except ValueError as exc:
        raise BadRequest(error(400, "InvalidValue", str(exc))) from None
    records = [((rid,), ratings.json(rid)) for rid in ids]
    if _is_cursor_request(query):
        return _list_cursor_page(base_url, RATINGS_URL_PATH, "satisfaction_ratings", "id", records, query)
    return offset_list(base_url, RATINGS_URL_PATH, "satisfaction_ratings", [j for _, j in records], query)
