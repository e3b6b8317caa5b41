"""A ticket record as a conversation to show: comment bodies sanitised, attachments linked to their stored files.

Comment bodies are untrusted HTML. ``nh3`` (the Rust ``ammonia`` sanitiser)
keeps a small set of formatting tags and drops everything else: scripts, event
handlers, styles, forms, frames. An ``<img>`` keeps its ``src`` only when it is
one of the comment's own attachments stored in the backup (it then points at
the page's copy); any other image is dropped, so nothing loads from elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import nh3

_TAGS = {"a", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
         "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th",
         "thead", "tr", "u", "ul"}
_ATTRIBUTES = {"*": {"dir", "lang", "title"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
               "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
#: Image types shown inline in the page (SVG is not: it can carry scripts).
INLINE_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}


@dataclass(frozen=True)
class AttachmentView:
    """An attachment of a comment: its name and type, and the page's link to the stored file (if stored)."""

    file_name: str
    content_type: str
    size: int | None
    href: str | None
    #: Shown as an image under the comment: a stored image that is not already inline in the body.
    preview: bool


@dataclass(frozen=True)
class CommentView:
    """A comment ready for the template; ``body_html`` is sanitised, ``body_text`` is escaped by the template."""

    author: str
    author_email: str | None
    author_role: str | None
    created_at: str
    public: bool
    body_html: str | None
    body_text: str
    attachments: list[AttachmentView] = field(default_factory=list)
    #: The comment's id (its anchor on the page, ``comment-<id>``), when it has one.
    id: int | None = None
    #: Its body is cut (in a PDF: ``web/pdf.py`` caps what one renders).
    cut: bool = False


@dataclass(frozen=True)
class Deletion:
    """What the ticket page says of a ticket deleted in Zendesk: when (``None``: unknown), the run that saw it
    deleted, and whether the version shown is a live one (from ``shown_run``) or only the deleted record."""

    at: str | None
    run: str | None
    live: bool
    shown_run: str


def attachment_href(ticket_id: int, attachment: dict[str, Any]) -> str | None:
    """The page's link to an attachment's stored file, or ``None`` when the file was not archived."""
    if not (attachment.get("stored_file") or {}).get("path") or attachment.get("id") is None:
        return None
    return f"/tickets/{ticket_id}/attachments/{attachment['id']}"


#: An image of a comment body with no text alternative (most in Zendesk have none) gets this one, for screen readers.
_IMAGE_ALT = "An image in the comment"
_IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt=)")


def sanitise_html(html: str, images: dict[str, str]) -> str:
    """Safe HTML from an untrusted body; ``images`` maps an attachment's URL to the page's link to its file."""

    def keep(element: str, attribute: str, value: str) -> str | None:
        if element == "img" and attribute == "src":
            return images.get(value)
        return value

    clean = nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer nofollow", attribute_filter=keep, strip_comments=True)
    return _IMAGE_WITHOUT_ALT.sub(f'<img alt="{_IMAGE_ALT}"', clean)


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list of a record (a record is data from the backup: anything else is none)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def comment_view(ticket_id: int, comment: dict[str, Any], cut: bool = False) -> CommentView:
    """One comment of a ticket record, ready to show (``cut``: its bodies were cut before)."""
    attachments, images = [], {}
    for attachment in _objects(comment.get("attachments")):
        href = attachment_href(ticket_id, attachment)
        content_type = str(attachment.get("content_type") or "application/octet-stream")
        if href:
            for key in ("content_url", "mapped_content_url"):
                if attachment.get(key):
                    images[attachment[key]] = href
        attachments.append(AttachmentView(str(attachment.get("file_name") or attachment.get("id")), content_type,
                                          attachment.get("size"), href,
                                          bool(href) and content_type in INLINE_IMAGE_TYPES
                                          and not attachment.get("inline")))
    given = comment.get("author")
    author: dict[str, Any] = given if isinstance(given, dict) else {}
    html = comment.get("html_body")
    return CommentView(
        author=str(author.get("name") or comment.get("author_id") or "unknown"),
        author_email=author.get("email"), author_role=author.get("role"),
        created_at=str(comment.get("created_at") or ""), public=bool(comment.get("public", True)),
        body_html=sanitise_html(html, images) if isinstance(html, str) and html else None,
        body_text=str(comment.get("plain_body") or comment.get("body") or ""),
        attachments=attachments, id=comment.get("id") if type(comment.get("id")) is int else None, cut=cut)


def find_attachment(record: dict[str, Any], attachment_id: int) -> dict[str, Any] | None:
    """The attachment with this id among a ticket record's comments."""
    for comment in _objects(record.get("comments")):
        for attachment in _objects(comment.get("attachments")):
            if attachment.get("id") == attachment_id:
                return attachment
    return None


def field_value(value: Any) -> str:
    """A custom field's value as text: lists joined by commas, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(field_value(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
