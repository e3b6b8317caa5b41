"""Reading the target's answers: JSON bodies, the next page of a list, Zendesk's refusals and job results."""

from __future__ import annotations

import json
from typing import Any

from scrapy import Request
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api.responses import zendesk_reason

#: Request meta a restore request hands on to the next page's request (Scrapy's own keys stay behind).
CARRIED_META = ("kind", "then", "batch", "settle", "records")


def next_link(page: dict[str, Any]) -> str | None:
    """The next page of a cursor list (``links.next`` while ``meta.has_more``) or of an offset one (``next_page``)."""
    meta, links = page.get("meta") or {}, page.get("links") or {}
    if isinstance(meta, dict) and meta.get("has_more") and isinstance(links, dict) and links.get("next"):
        return str(links["next"])
    next_page = page.get("next_page")
    return next_page if isinstance(next_page, str) and next_page else None


def carried(meta: dict[str, Any]) -> dict[str, Any]:
    """The meta keys of ours that a request hands on to the request of its next page."""
    return {key: meta[key] for key in CARRIED_META if key in meta}


def request_of(failure: Failure) -> Request:
    """The request a failure is of (Scrapy sets it on every errback's failure)."""
    request = getattr(failure, "request", None)
    assert isinstance(request, Request)
    return request


def json_or_none(body: bytes) -> dict[str, Any] | None:
    """A body's JSON object, ``None`` when it is not one."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def refusal(response: Response) -> str:
    """Zendesk's reason for refusing a write, in one line: the ``details`` descriptions of a 422, else its error."""
    body = json_or_none(response.body) or {}
    details = body.get("details")
    if isinstance(details, dict):
        messages = [str(item["description"]) for items in details.values() if isinstance(items, list)
                    for item in items if isinstance(item, dict) and item.get("description")]
        if messages:
            return f"HTTP {response.status}: {'; '.join(messages)}"
    return f"HTTP {response.status}: {zendesk_reason(response) or 'refused'}"


def result_message(result: dict[str, Any]) -> str:
    """Why a job status result has no id: its ``error`` and ``details``."""
    error, details = result.get("error"), result.get("details")
    if error or details:
        return f"{error or 'refused'}: {details}" if details else str(error)
    return "the job gave no id for it"
