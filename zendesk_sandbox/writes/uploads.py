"""Uploads: ``POST /api/v2/uploads?filename=NAME[&token=TOKEN]`` with the file's bytes as the body.

Sources: *Ticket Attachments* → *Upload Files* (https://developer.zendesk.com/api-reference/ticketing/tickets/
ticket-attachments/#upload-files): ``filename`` required, ``token`` adds the file to an earlier upload, the body is the
file with its ``Content-Type``; the answer (201) is ``{"upload": {"token", "expires_at", "attachments": [...],
"attachment": {...}}}``. Zendesk's help center: "The attachment's token expires after 60 minutes", "If you don't
complete this step [put the token in a comment's ``uploads``], Zendesk will delete the uploaded files and display a
404 not found error when the upload token expires" (support.zendesk.com/hc/en-us/articles/4408887057946).

Here a token is good for one ticket import within ``TOKEN_LIFETIME`` sandbox seconds; a comment naming an unknown,
expired or already used token makes its ticket fail (the docs say only that the files are deleted: refusing is the
sandbox's hostile reading, so a restore must upload again). A file is downloadable through its ``content_url`` (the
usual redirect to the content host, same bytes) until its token expires, or for good once attached to a ticket that
is not deleted.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..attachments import Tokens
from ..clock import Clock
from ..encoding import iso

TOKEN_LIFETIME = 3600
#: Uploaded attachments' ids (far from the generated comments' and their attachments' ranges).
FIRST_UPLOAD_ID = 27_000_000_000_001
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class Uploaded:
    """One uploaded file."""

    id: int
    token: str
    name: str
    content_type: str
    data: bytes
    #: The ticket it was attached to (None until a ticket import uses its token).
    ticket_id: int | None = None


class Uploads:
    """Upload tokens and their files; thread-safe."""

    def __init__(self, clock: Clock, base_url: str, tokens: Tokens) -> None:
        self.clock = clock
        self.base_url = base_url
        self.tokens = tokens
        self._lock = threading.Lock()
        self._by_token: dict[str, list[Uploaded]] = {}
        self._issued: dict[str, int] = {}
        self._files: dict[int, Uploaded] = {}
        self._next_id = FIRST_UPLOAD_ID

    def add(self, name: str, content_type: str, data: bytes, token: str | None) -> tuple[str, list[Uploaded]] | None:
        """Store a file under a new token (or an earlier, still valid one); None when ``token`` is not valid."""
        now = self.clock.now_int()
        with self._lock:
            if token is not None and not self._usable(token, now):
                return None
            if token is None:
                token = "".join(_ALNUM[b % 36] for b in hashlib.sha256(b"upload %d" % self._next_id).digest()[:25])
                self._by_token[token] = []
                self._issued[token] = now
            item = Uploaded(self._next_id, token, name, content_type, data)
            self._next_id += 1
            self._by_token[token].append(item)
            self._files[item.id] = item
            return token, list(self._by_token[token])

    def _usable(self, token: str, now: int) -> bool:
        files = self._by_token.get(token)
        return files is not None and now - self._issued[token] < TOKEN_LIFETIME \
            and all(f.ticket_id is None for f in files)

    def expires_at(self, token: str) -> str:
        return iso(self._issued[token] + TOKEN_LIFETIME)

    def usable(self, token: Any) -> bool:
        """Whether a comment may attach the files of this token now."""
        with self._lock:
            return isinstance(token, str) and self._usable(token, self.clock.now_int())

    def attach(self, token: str, ticket_id: int) -> list[Uploaded]:
        """Give a usable token's files to a ticket (the token is used up)."""
        with self._lock:
            files = self._by_token[token]
            for item in files:
                item.ticket_id = ticket_id
            return list(files)

    def file(self, item_id: int | None, ticket_is_live: Any) -> Uploaded | None:
        """The uploaded file with this attachment id if it is served now: attached to a live ticket
        (``ticket_is_live(ticket_id)``), or not attached and its token not expired."""
        with self._lock:
            item = self._files.get(item_id) if item_id is not None else None
            if item is None:
                return None
            if item.ticket_id is None:
                return item if self.clock.now_int() - self._issued[item.token] < TOKEN_LIFETIME else None
        return item if ticket_is_live(item.ticket_id) else None

    def truth(self) -> list[dict[str, Any]]:
        """Every uploaded file: ``attachment_id``, ``token``, ``ticket_id`` (null until attached), ``file_name``,
        ``content_type``, ``size``, ``sha256`` of the bytes, in upload order."""
        with self._lock:
            files = list(self._files.values())
        return [{"attachment_id": f.id, "token": f.token, "ticket_id": f.ticket_id, "file_name": f.name,
                 "content_type": f.content_type, "size": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest()}
                for f in files]

    def content_url(self, item: Uploaded) -> str:
        return f"{self.base_url}/attachments/token/{self.tokens.attachment(item.id)}/?name={quote(item.name, safe='')}"

    def attachment(self, item: Uploaded) -> dict[str, Any]:
        """The Attachment object, members in the order of the comments' attachments."""
        url = self.content_url(item)
        return {"url": f"{self.base_url}/api/v2/attachments/{item.id}.json", "id": item.id, "file_name": item.name,
                "content_url": url, "mapped_content_url": url, "content_type": item.content_type,
                "size": len(item.data), "width": None, "height": None, "inline": False, "deleted": False,
                "malware_access_override": False, "malware_scan_result": "malware_not_found", "thumbnails": []}
