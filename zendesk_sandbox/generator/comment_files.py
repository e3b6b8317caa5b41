"""The attachments of comments: which catalog files a comment carries, in which state (inline, deleted, flagged as
malware, redacted), the hostile cases forced onto the first tickets, and the Attachment JSON."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from .. import attachments as files
from ..encoding import dumps, id_json
from .layout import ATTACHMENT_OFFSET
from .options import Options
from .randomness import DrawRandom

#: Share of comments with files (1-3 of them), and of comments carrying the e-mail signature logo as an inline
#: image (e-mailed ones and others).
FILES_SHARE, LOGO_SHARE_EMAIL, LOGO_SHARE_OTHER = 0.12, 0.3, 0.05
#: The first comment of ticket number ``n < FORCED_TICKETS`` carries the hostile case ``n % FORCE_PERIOD`` of
#: ``CommentFiles.forced`` (so that even a 60-ticket sandbox has most cases twice; numbers 3, 5 and 8 are left
#: alone: the forced heavy, AI-agent and deleted tickets). Larger sandboxes meet them in the seeded draws too.
FORCE_PERIOD = 40
FORCED_TICKETS = 2 * FORCE_PERIOD
_LOGO_ONLY = ((files.LOGO, "image001.png", True),)
#: The end of an Attachment object by (inline, deleted, malware_access_override, malware_scan_result).
_FLAGS = {(inline, deleted, override, scan): b'"inline":%s,"deleted":%s,"malware_access_override":%s,'
          b'"malware_scan_result":"%s","thumbnails":[]' % (
              b"true" if inline else b"false", b"true" if deleted else b"false", b"true" if override else b"false",
              scan.encode())
          for inline in (False, True) for deleted in (False, True) for override in (False, True)
          for scan in ("malware_not_found", "malware_found", "not_scanned", "failed_to_scan")}


class Attached(NamedTuple):
    """One attachment of a comment: its id, the catalog file it serves, its name and state."""

    id: int
    file: int
    name: str
    inline: bool = False
    deleted: bool = False
    #: ``malware_scan_result``: malware_not_found, malware_found, not_scanned or failed_to_scan.
    scan: str = "malware_not_found"
    override: bool = False

    @property
    def why_not(self) -> str | None:
        """Why a download gets no bytes (``deleted``, ``malware_found``), or None when it is served."""
        if self.deleted:
            return "deleted"
        if self.scan == "malware_found" and not self.override:
            return "malware_found"
        return None


class CommentFiles:
    """Which files each comment carries, and their JSON."""

    def __init__(self, options: Options, catalog: files.Catalog, tokens: files.Tokens) -> None:
        self.options = options
        self.catalog = catalog
        self.tokens = tokens
        self._base_url = options.base_url.encode("ascii")
        self._attachment_url = b'{"url":"%s/api/v2/attachments/' % self._base_url
        #: See ``FORCE_PERIOD``.
        self.forced = self._forced_cases()

    def _forced_cases(self) -> dict[int, tuple[tuple[Any, ...], ...] | str]:
        """The hostile case of the first comment of ticket number ``n`` (``n % FORCE_PERIOD``): attachment specs
        ``(file, name, inline, deleted, scan, override)`` or the name of a voice comment case."""
        catalog, pool = self.catalog, files.POOL_FIRST

        def named(key: int, **flags: Any) -> tuple[Any, ...]:
            spec = Attached(0, key, catalog.spec(key).name, **flags)
            return spec[1:]

        hostile = [named(files.HOSTILE_FIRST + k) for k in range(len(files.HOSTILE_FILES))]
        return {
            1: (named(pool, deleted=True),),
            2: (named(pool + 1, scan="malware_found"), named(files.SHARED_PDF)),
            4: (named(pool + 2, scan="malware_found", override=True),),
            6: (named(files.REDACTED),),
            7: tuple(named(key) for key in files.LARGE),
            9: tuple(hostile[:8]),
            10: tuple(hostile[8:16]),
            11: tuple(hostile[16:]),
            12: (named(files.HOSTILE_FIRST, inline=True), named(files.SHARED_PDF), named(files.SHARED_PDF),
                 named(files.LOGO, inline=True)),
            13: (named(pool + 3, scan="not_scanned"), named(pool + 4, scan="failed_to_scan"),
                 named(pool + 5, deleted=True, scan="malware_found")),
            14: "answered",
            15: "voicemail",
            16: "no_recording",
            17: "no_recording_absent",
        }

    def drawn(self, comment_id: int, files_roll: float, logo_roll: float,
              channel: str) -> tuple[tuple[Any, ...], ...]:
        """Seeded attachments: 1-3 files for about 12 % of comments (the shared PDF, now and then a large file,
        else the hostile names and the pool; pasted PNG screenshots inline; about 1.5 % deleted, 1.5 % flagged as
        malware (40 % of those overridden), 1 % redacted to an empty ``redacted.txt``, a few not scanned),
        then the signature logo (inline) on a share of the comments, more of the e-mailed ones."""
        if files_roll >= FILES_SHARE:
            return _LOGO_ONLY if logo_roll < (LOGO_SHARE_EMAIL if channel == "email" else LOGO_SHARE_OTHER) else ()
        specs: list[tuple[Any, ...]] = []
        catalog = self.catalog
        rng = DrawRandom(b"%d,att,%d" % (self.options.seed, comment_id))
        for _ in range(1 + int(rng.random() * rng.random() * 3)):
            roll = rng.random()
            if roll < 0.04:
                key = files.SHARED_PDF
            elif roll < 0.046:
                key = files.LARGE[int((roll - 0.04) / 0.002)]
            else:
                key = catalog.pool_key(rng.random())
            spec = catalog.spec(key)
            inline = spec.kind == files.PNG and rng.random() < 0.25
            status = rng.random()
            name, deleted, scan, override = spec.name, False, "malware_not_found", False
            if status < 0.015:
                deleted = True
            elif status < 0.03:
                scan, override = "malware_found", rng.random() < 0.4
            elif status < 0.034:
                scan = "not_scanned"
            elif status < 0.036:
                scan = "failed_to_scan"
            elif status < 0.046:
                key, name = files.REDACTED, "redacted.txt"
            specs.append((key, name, inline, deleted, scan, override))
        if logo_roll < (LOGO_SHARE_EMAIL if channel == "email" else LOGO_SHARE_OTHER):
            specs.append(_LOGO_ONLY[0])
        return tuple(specs)

    def uploaded(self, comment_id: int, count: int) -> tuple[Attached, ...]:
        """The attachments of a comment added with ``count`` attachments: new bytes first, then shared ones
        (the shared PDF, the inline signature logo, pool files)."""
        out = []
        for k in range(count):
            attachment_id = comment_id + ATTACHMENT_OFFSET + k
            key = (attachment_id if k == 0 else files.SHARED_PDF if k == 1 else files.LOGO if k == 2
                   else files.POOL_FIRST + (comment_id + k) % self.catalog.pool)
            out.append(Attached(attachment_id, key, self.catalog.spec(key).name, inline=key == files.LOGO))
        return tuple(out)

    def content_url(self, attachment: Attached) -> bytes:
        """``{base}/attachments/token/{token}/?name={file name}``, as Zendesk's ``content_url``."""
        return b"%s/attachments/token/%s/?name=%s" % (
            self._base_url, self.tokens.attachment(attachment.id).encode("ascii"), files.name_parts(attachment.name)[1])

    def json(self, attachment: Attached, url: bytes | None = None) -> bytes:
        """The Attachment object, members in the order of a real answer (see ``ticket_comments_attachments.json``)."""
        url = url or self.content_url(attachment)
        return b'%s%d.json","id":%d,"file_name":%s,"content_url":"%s","mapped_content_url":"%s",%s%s}' % (
            self._attachment_url, attachment.id, attachment.id, files.name_parts(attachment.name)[0], url, url,
            self._file_members(attachment.file), _FLAGS[attachment.inline, attachment.deleted, attachment.override,
                                                        attachment.scan])

    @lru_cache(maxsize=4096)  # noqa: B019 - one generator lives as long as its sandbox
    def _file_members(self, key: int) -> bytes:
        """``"content_type":…,"size":…,"width":…,"height":…,`` of a catalog file."""
        spec = self.catalog.spec(key)
        return b'"content_type":%s,"size":%d,"width":%s,"height":%s,' % (
            dumps(spec.content_type), spec.size, id_json(spec.width), id_json(spec.height))
