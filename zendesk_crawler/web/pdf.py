"""The PDF of a conversation, from the same template as the page (WeasyPrint, with the system's pango and fonts).

WeasyPrint fetches nothing from the network here: its URL fetcher answers only
the page's own attachment links, from the backup, and refuses everything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The base URL of the rendered HTML: the page's links resolve under it, and only the fetcher answers them.
BASE_URL = "https://conversation.invalid/"
_ATTACHMENT = re.compile(r"^https://conversation\.invalid/tickets/(\d+)/attachments/(\d+)$")

AttachmentReader = Callable[[int, int], "tuple[bytes, str] | None"]


class BackupFetcher(URLFetcher):
    """Answers the conversation's attachment links from the backup; every other URL is refused."""

    def __init__(self, read_attachment: AttachmentReader) -> None:
        super().__init__(allowed_protocols=["https"])
        self.read_attachment = read_attachment

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        match = _ATTACHMENT.match(url)
        found = self.read_attachment(int(match[1]), int(match[2])) if match else None
        if found is None:
            raise ValueError(f"not fetched: {url[:100]}")
        data, content_type = found
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


def write_pdf(html: str, stylesheet: str, read_attachment: AttachmentReader) -> bytes:
    """Render the conversation's HTML; ``read_attachment(ticket, attachment)`` gives an image's bytes and type."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=BackupFetcher(read_attachment))
    return document.write_pdf(stylesheets=[CSS(string=stylesheet)])
