"""Attachment and recording downloads: the account host's redirects and the content host's bytes.

- ``GET {account}/attachments/token/{token}/?name={file name}`` (an attachment's ``content_url`` and
  ``mapped_content_url``): credentials required like the API (401 otherwise); 404 for a token that names
  nothing; a servable attachment answers ``302`` to ``{content}/attachment/{account id}/{token}?token={signed}``;
  a deleted one ``404``; one flagged ``malware_found`` without ``malware_access_override`` ``302`` to
  ``{account}/attachments/token/{token}/malware_detected``, an HTML page saying the file cannot be downloaded
  (200 ``text/html``: the bytes are never served).
- ``GET {account}/api/v2/channels/voice/calls/{call sid}/twilio/call/recording`` (a voice comment's
  ``recording_url``): an API request (credentials, rate limit); ``302`` to the content host like an
  attachment, ``404`` RecordNotFound when the call has no recording here.
- ``GET {account}/hc/article_attachments/{id}/{file name}`` (a Help Center article attachment's
  ``content_url``): like an attachment's (credentials, ``302`` to the content host), 404 for ids of none.
- ``GET {content}/attachment/{account id}/{token}?token={signed}``: no credentials; a request that carries an
  ``Authorization`` header is refused (``403``), so is a signed token that is missing, forged, for another
  file or expired (``CONTENT_TOKEN_TTL`` sandbox seconds after the redirect); ``404`` for a file no current
  comment has (its ticket was deleted since). Otherwise ``200`` with the file's ``Content-Type``, its exact
  bytes (``Content-Length`` equal to the attachment's ``size``; never gzipped) and a ``Content-Disposition``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from .api import NOT_FOUND, Response
from .attachments import ACCOUNT_ID, CONTENT_TOKEN_TTL, content_disposition
from .data import Dataset
from .generator.comment_files import Attached
from .generator.voice import Recording
from .writes.uploads import Uploads

ARTICLE_ATTACHMENT_PATH = re.compile(r"/hc/article_attachments/(\d{1,15})/[^/]+")
ATTACHMENT_PATH = re.compile(r"/attachments/token/([A-Za-z0-9]{1,64})/(malware_detected)?")
RECORDING_PATH = re.compile(r"/api/v2/channels/voice/calls/([A-Za-z0-9]{1,64})/twilio/call/recording(?:\.json)?")
CONTENT_PATH = re.compile(r"/attachment/(\d{1,12})/([A-Za-z0-9]{1,64})")
HTML_TYPE = ("Content-Type", "text/html; charset=utf-8")
TEXT_TYPE = ("Content-Type", "text/plain; charset=utf-8")

_NOT_FOUND_PAGE = Response(404, [HTML_TYPE], (
    b"<!DOCTYPE html>\n<html>\n<head><title>The page you were looking for doesn't exist (404)</title></head>\n"
    b"<body><h1>The page you were looking for doesn't exist.</h1></body>\n</html>\n"))
_MALWARE_PAGE = (
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Attachment blocked</title></head>\n"
    "<body><h1>This file can't be downloaded</h1>\n<p>{name} has been deemed malicious and cannot be downloaded. "
    "Ask an admin to review it.</p></body>\n</html>\n")


def forbidden(reason: str) -> Response:
    return Response(403, [TEXT_TYPE], f"Forbidden: {reason}\n".encode())


def _redirect(location: str) -> Response:
    body = f'<html><body>You are being <a href="{html.escape(location)}">redirected</a>.</body></html>'.encode()
    return Response(302, [("Location", location), HTML_TYPE], body)


def content_location(dataset: Dataset, content_url: str, item_id: int) -> str:
    """A fresh, signed content-host URL for an attachment or recording."""
    tokens = dataset.generator.tokens
    signed = tokens.signed(item_id, dataset.clock.now_int() + CONTENT_TOKEN_TTL)
    return f"{content_url}/attachment/{ACCOUNT_ID}/{tokens.attachment(item_id)}?token={signed}"


def _live(dataset: Dataset) -> Callable[[int], bool]:
    def live(ticket_id: int) -> bool:
        state = dataset.state(ticket_id)
        return state is not None and not state.deleted
    return live


def attachment(dataset: Dataset, base_url: str, content_url: str, path: str, uploads: Uploads) -> Response:
    """``GET /attachments/token/{token}/`` (and its ``malware_detected`` page) on the account host; uploaded files
    (``POST /api/v2/uploads``) too."""
    match = ATTACHMENT_PATH.fullmatch(path)
    item_id = dataset.generator.tokens.attachment_id(match.group(1)) if match else None
    if uploads.file(item_id, _live(dataset)) is not None and match and not match.group(2):
        return _redirect(content_location(dataset, content_url, item_id))  # type: ignore[arg-type]  # found by id
    found = dataset.download(item_id) if item_id is not None else None
    if found is None or not isinstance(found[2], Attached):
        return _NOT_FOUND_PAGE
    item = found[2]
    if match and match.group(2):  # the page a blocked download lands on
        if item.why_not != "malware_found":
            return _NOT_FOUND_PAGE
        return Response(200, [HTML_TYPE], _MALWARE_PAGE.format(name=html.escape(item.name)).encode())
    if item.why_not == "deleted":
        return _NOT_FOUND_PAGE
    if item.why_not == "malware_found":
        return _redirect(f"{base_url}/attachments/token/{match.group(1)}/malware_detected")
    return _redirect(content_location(dataset, content_url, item.id))


def article_attachment(dataset: Dataset, content_url: str, path: str) -> Response:
    """``GET /hc/article_attachments/{id}/{name}`` on the account host."""
    match = ARTICLE_ATTACHMENT_PATH.fullmatch(path)
    if match is None or dataset.help_center.attachment_file(int(match.group(1))) is None:
        return _NOT_FOUND_PAGE
    return _redirect(content_location(dataset, content_url, int(match.group(1))))


def recording(dataset: Dataset, content_url: str, path: str) -> Response:
    """``GET /api/v2/channels/voice/calls/{sid}/twilio/call/recording`` (an API request)."""
    match = RECORDING_PATH.fullmatch(path)
    item_id = dataset.generator.tokens.call_id(match.group(1)) if match else None
    found = dataset.download(item_id) if item_id is not None else None
    if found is None or not isinstance(found[2], Recording):
        return NOT_FOUND
    return _redirect(content_location(dataset, content_url, found[2].id))


def content(dataset: Dataset, path: str, query: dict[str, str], authorization: str | None,
            uploads: Uploads) -> Response:
    """``GET /attachment/{account}/{token}?token={signed}`` on the content host."""
    match = CONTENT_PATH.fullmatch(path)
    tokens = dataset.generator.tokens
    item_id = tokens.attachment_id(match.group(2)) if match and int(match.group(1)) == ACCOUNT_ID else None
    if item_id is None:
        return Response(404, [TEXT_TYPE], b"Not Found\n")
    if authorization is not None:
        return forbidden("this host takes no Authorization header (the URL is signed)")
    signed = tokens.verify(query.get("token", ""))
    if signed is None or signed[0] != item_id:
        return forbidden("missing or invalid token")
    if signed[1] < dataset.clock.now_int():
        return forbidden("token expired")
    uploaded = uploads.file(item_id, _live(dataset))
    if uploaded is not None:
        return Response(200, [("Content-Type", uploaded.content_type),
                              ("Content-Disposition", content_disposition(uploaded.name))], uploaded.data)
    found = dataset.download(item_id)
    article_file = dataset.help_center.attachment_file(item_id) if found is None else None
    catalog = dataset.generator.catalog
    if article_file is not None:
        spec = catalog.spec(article_file[1])
        return Response(200, [("Content-Type", spec.content_type), ("Content-Disposition",
                                                                    content_disposition(article_file[0]))],
                        catalog.content(article_file[1]))
    if found is None:
        return Response(404, [TEXT_TYPE], b"Not Found\n")
    item = found[2]
    if isinstance(item, Attached) and item.why_not is not None:
        return forbidden(item.why_not)
    spec = catalog.spec(item.file)
    name = item.name if isinstance(item, Attached) else spec.name
    return Response(200, [("Content-Type", spec.content_type), ("Content-Disposition", content_disposition(name))],
                    catalog.content(item.file))


def item_of(endpoint: str, path: str, dataset: Dataset) -> int | None:
    """The attachment or recording id a download request names (for fault rules' ``attachment_ids``)."""
    tokens = dataset.generator.tokens
    if endpoint == "article_attachment":
        match = ARTICLE_ATTACHMENT_PATH.fullmatch(path)
        return int(match.group(1)) if match else None
    if endpoint == "attachment":
        match = ATTACHMENT_PATH.fullmatch(path)
        return tokens.attachment_id(match.group(1)) if match else None
    if endpoint == "attachment_content":
        match = CONTENT_PATH.fullmatch(path)
        return tokens.attachment_id(match.group(2)) if match else None
    if endpoint == "voice_recording":
        match = RECORDING_PATH.fullmatch(path)
        return tokens.call_id(match.group(1)) if match else None
    return None

