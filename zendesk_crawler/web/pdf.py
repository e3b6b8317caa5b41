"""The PDF of a conversation, from the same template as the page (WeasyPrint, with the system's pango and fonts).

WeasyPrint fetches nothing from the network here: its URL fetcher answers only
the page's own attachment links, from the backup, and refuses everything else.

What one PDF renders is capped, so that a long ticket cannot take the page's
time and memory (a 1200-comment ticket took 15 s and 100 MB in one render): a
conversation is cut into parts (:func:`pdf_parts`) of at most
``COMMENTS_PER_PART`` comments (``ZENDESK_WEB_PDF_COMMENTS``) and
``CHARACTERS_PER_PART`` characters of bodies, each its own PDF that says which
comments it holds and names the others; a PDF shows at most ``IMAGES_PER_PDF``
images of at most ``IMAGE_BYTES`` each (the others keep their name and link).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from zendesk_crawler.web.ticket_rows import record_comments

#: The base URL of the rendered HTML: the page's links resolve under it, and only the fetcher answers them.
BASE_URL = "https://conversation.invalid/"
_ATTACHMENT = re.compile(r"^https://conversation\.invalid/tickets/(\d+)/attachments/(\d+)$")

#: The caps of one PDF (see the module's docstring).
COMMENTS_PER_PART = 200
CHARACTERS_PER_PART = 400_000
IMAGES_PER_PDF = 40
IMAGE_BYTES = 8 * 1024 * 1024

AttachmentReader = Callable[[int, int], "tuple[bytes, str] | None"]


class BackupFetcher(URLFetcher):
    """Answers the conversation's attachment links from the backup, up to ``IMAGES_PER_PDF`` images of at most
    ``IMAGE_BYTES``; every other URL is refused."""

    def __init__(self, read_attachment: AttachmentReader) -> None:
        super().__init__(allowed_protocols=["https"])
        self.read_attachment = read_attachment
        self.images = 0

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        match = _ATTACHMENT.match(url)
        if match is None or self.images >= IMAGES_PER_PDF:
            raise ValueError(f"not fetched: {url[:100]}")
        found = self.read_attachment(int(match[1]), int(match[2]))
        if found is None or len(found[0]) > IMAGE_BYTES:
            raise ValueError(f"not fetched: {url[:100]}")
        self.images += 1
        data, content_type = found
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


def capped_comment(comment: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The comment as one PDF shows it: bodies longer than ``CHARACTERS_PER_PART`` cut there (the HTML is
    sanitised after the cut, so no tag is left open); and whether it was cut."""
    cut = {key: value[:CHARACTERS_PER_PART] for key in ("html_body", "body", "plain_body")
           if isinstance(value := comment.get(key), str) and len(value) > CHARACTERS_PER_PART}
    return ({**comment, **cut}, True) if cut else (comment, False)


def _characters(comment: dict[str, Any]) -> int:
    body = comment.get("html_body") or comment.get("body") or comment.get("plain_body") or ""
    return len(body) if isinstance(body, str) else 0


def pdf_parts(comments: Sequence[dict[str, Any]], per_part: int = COMMENTS_PER_PART,
              characters: int = CHARACTERS_PER_PART) -> list[range]:
    """The comments of each PDF part of a conversation, in order: a part ends at ``per_part`` comments or once its
    bodies hold ``characters`` characters (a single longer comment is a part of its own). Always one part at least."""
    parts: list[range] = []
    start, size = 0, 0
    for number, comment in enumerate(comments):
        length = _characters(comment)
        if number > start and (number - start >= per_part or size + length > characters):
            parts.append(range(start, number))
            start, size = number, 0
        size += length
    parts.append(range(start, len(comments)))
    return parts


@dataclass(frozen=True)
class PdfPart:
    """Which comments one PDF of a conversation holds (``first`` and ``last`` count from 1)."""

    number: int
    parts: int
    first: int
    last: int
    comments: int

    @property
    def href_suffix(self) -> str:
        """The query of its link (none for a conversation in one part)."""
        return "" if self.parts == 1 else f"?part={self.number}"


def pdf_part_views(record: dict[str, Any], per_part: int) -> list[PdfPart]:
    """The PDF parts of a ticket's conversation, as the page links them."""
    comments = record_comments(record)
    parts = pdf_parts(comments, per_part)
    return [PdfPart(number, len(parts), part.start + 1, part.stop, len(comments))
            for number, part in enumerate(parts, start=1)]


def render_version(files: Iterable[Path]) -> str:
    """A digest of the templates and stylesheet a PDF is drawn with: a new version of the page renders PDFs again."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def write_pdf(html: str, stylesheet: str, read_attachment: AttachmentReader) -> bytes:
    """Render the conversation's HTML; ``read_attachment(ticket, attachment)`` gives an image's bytes and type."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=BackupFetcher(read_attachment))
    return document.write_pdf(stylesheets=[CSS(string=stylesheet)])
