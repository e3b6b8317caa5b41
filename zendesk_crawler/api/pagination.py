"""Zendesk's cursor pagination, read one way everywhere.

Two shapes use cursors (and a third reading checks the lists that have no pagination at all):

- Cursor pagination of lists (``page[size]``, ``page[after]``): each page has ``meta.has_more``,
  ``meta.after_cursor`` and ``links.next``. Groups, ticket fields, a ticket's comments, the Search
  Export, a user's identities and ticket lists, and every list stream to come.
- The cursor-based incremental exports (tickets, users): ``after_cursor``/``after_url`` and
  ``end_of_stream``.
- Lists Zendesk returns whole, without pagination (ticket forms, custom statuses, SLA policies, schedules):
  :func:`check_whole_list` refuses an answer that says more follows, since there is no way to ask for it.

A page that says more follows but gives no way to ask for it, or an offset-paginated answer
(``next_page``) to a cursor request, is never taken as the end: :class:`PaginationError` says why
in one line, and the caller fails its stream, so its saved position does not move past what was
not read. Zendesk always gives the cursor; a proxy or an incident that drops it must not turn a
backup silently incomplete.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit


class PaginationError(ValueError):
    """A page that cannot be followed; the message is one line meant for a person."""


def next_page_cursor(page: dict[str, Any]) -> str | None:
    """The ``page[after]`` cursor of the page after ``page`` of a cursor-paginated list, or ``None`` at the end.

    The cursor is ``meta.after_cursor``, else the ``page[after]`` of ``links.next``.
    """
    meta = page.get("meta")
    if not isinstance(meta, dict):
        meta = {}
    if meta.get("has_more"):
        cursor = meta.get("after_cursor") or _link_cursor(page)
        if not isinstance(cursor, str) or not cursor:
            raise PaginationError("a page says has_more but gives neither meta.after_cursor nor links.next")
        return cursor
    if page.get("next_page"):
        raise PaginationError("the answer has a next_page but no cursor pagination")
    return None


def export_page_end(page: dict[str, Any]) -> tuple[str | None, bool]:
    """A cursor-based incremental export page's ``after_cursor`` and whether the stream ends with it.

    The last page (``end_of_stream: true``) still carries the cursor to save; a page that is not the
    last must carry the cursor of the next.
    """
    cursor = page.get("after_cursor")
    cursor = cursor if isinstance(cursor, str) and cursor else None
    if page.get("end_of_stream"):
        return cursor, True
    if cursor is None:
        raise PaginationError("a page says end_of_stream is false but gives no after_cursor")
    return cursor, False


def check_whole_list(page: dict[str, Any]) -> None:
    """Check that an answer of an unpaginated list is the whole list: it must not say that more follows.

    Such a list has no parameter to ask for more, so a ``next_page`` or ``meta.has_more: true`` (a proxy's
    doing, or an endpoint that started to paginate) means records the crawler cannot reach: :class:`PaginationError`.
    """
    meta = page.get("meta")
    if page.get("next_page") or (isinstance(meta, dict) and meta.get("has_more")):
        raise PaginationError("a list that Zendesk returns whole says more follows, and has no way to ask for it")


def _link_cursor(page: dict[str, Any]) -> str | None:
    links = page.get("links")
    if not isinstance(links, dict):
        links = {}
    url = links.get("next")
    if not isinstance(url, str):
        return None
    values = parse_qs(urlsplit(url).query).get("page[after]")
    return values[0] if values else None
