"""Reading Zendesk API answers: the JSON page of a response, one line on a failed request, request priorities."""

from __future__ import annotations

import json
from typing import Any, cast

from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api import jsoncodec

#: Scheduler priorities: a ticket's comment pages go before the next ticket export page, so the
#: tickets in flight stay bounded by one export page however large the account is. The pages of
#: the other streams go before both: a ticket backfill keeps thousands of comment requests
#: scheduled, and those pages would otherwise wait for them (their export budgets bound them).
STREAM_PAGE_PRIORITY = 20
COMMENTS_PRIORITY = 10
PAGE_PRIORITY = 0


def json_object(response: Response, list_key: str, kind: type = list) -> dict[str, Any] | None:
    """The response's JSON object if it is one with a ``list_key`` list (or other ``kind``), else ``None``."""
    try:
        data = jsoncodec.loads(response.body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get(list_key), kind):
        return None
    return data


def by_id(objects: Any) -> dict[int, dict[str, Any]]:
    """A list of API objects (a sideload: users, groups, organizations) by id; entries without an integer id are
    left out."""
    if not isinstance(objects, list):
        return {}
    return {obj["id"]: obj for obj in objects if isinstance(obj, dict) and isinstance(obj.get("id"), int)}


def describe(failure: Failure) -> str:
    """One line on why a request failed: the HTTP status and URL, or the error."""
    response = getattr(failure.value, "response", None)
    if response is not None:
        return f"HTTP {response.status} from {response.url}"
    request = getattr(failure, "request", None)
    where = f" ({request.url})" if request is not None else ""
    # A Failure holds its exception's class once made (its annotation allows None for the moment before).
    return f"{failure.getErrorMessage() or cast(type[BaseException], failure.type).__name__}{where}"


def api_error(failure: Failure) -> str:
    """:func:`describe`, plus Zendesk's own reason when a 4xx answer carries one (``error``, ``description``)."""
    line = describe(failure)
    response = getattr(failure.value, "response", None)
    reason = zendesk_reason(response) if response is not None and 400 <= response.status < 500 else None
    return f"{line}: Zendesk says {reason!r}" if reason else line


#: How much of Zendesk's reason a short answer keeps (its descriptions can run to a paragraph).
SHORT_REASON_CHARS = 160


def short_answer(response: Response) -> str:
    """Zendesk's answer in one short line: the status and the body's ``error`` and ``description``
    (``HTTP 404 (RecordNotFound: Not found)``); never the request, so never its credentials."""
    reason = zendesk_reason(response)
    if reason and len(reason) > SHORT_REASON_CHARS:
        reason = reason[:SHORT_REASON_CHARS - 1].rstrip() + "…"
    return f"HTTP {response.status} ({reason})" if reason else f"HTTP {response.status}"


def zendesk_reason(response: Response) -> str | None:
    """The ``error`` and ``description`` of a JSON error answer (``{"error": {"title": …}}`` too), else ``None``."""
    try:
        body = json.loads(response.body)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    # {"error": {"title": "Forbidden", "message": …}} or {"error": "RecordNotFound", "description": …}
    parts = [error.get("title"), error.get("message")] if isinstance(error, dict) else [error]
    reason = ": ".join(part for part in (*parts, body.get("description")) if isinstance(part, str) and part)
    return reason or None
