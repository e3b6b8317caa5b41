"""Attachment files: the seeded catalog of distinct contents, their bytes, and the opaque tokens of their URLs.

Zendesk lists a comment's files as Attachment objects whose ``content_url`` is on the account host
(``https://{subdomain}.zendesk.com/attachments/token/{token}/?name={file name}``); a download there
answers with a redirect to a separate content host (``*.zdusercontent.com``) that serves the bytes
under a signed, short-lived URL and needs no credentials (see ``tests/fixtures/zendesk-samples/SOURCES.md``,
"Attachments and voice recordings").

Here every attachment points at one file of a seeded :class:`Catalog`: a few files are shared by many
attachments (an e-mail signature logo, the same PDF on many tickets), the rest come from a pool whose
size grows with the account. A file is a :class:`FileSpec` (name, type, size, image size) known without
its bytes; the bytes are made on the first download (exactly ``size`` of them, with the right magic
bytes: valid PNG and PDF, JPEG/ZIP/MP3 headers) and kept in a small LRU, their SHA-256 for ever.

Tokens are deterministic (same seed, same URLs) and opaque: an attachment token is 25 letters and digits
like Zendesk's (``vqeBqaBsgjXG7r8hsct9yXbnD``); the content host's signed token looks like the JWE Zendesk uses
and carries an expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import random
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import quote

#: The numeric account id in the content host's paths (``/attachment/{account}/{token}``), as observed.
ACCOUNT_ID = 9012345
#: How long a content-host URL stays valid after the redirect that issued it (sandbox seconds).
CONTENT_TOKEN_TTL = 600
#: Catalog keys of the shared files.
LOGO, SHARED_PDF, REDACTED = 0, 1, 2
LARGE = (3, 4, 5)
#: Catalog keys at or above this are files uploaded by changes: the key is the attachment id itself.
FRESH_BASE = 10**12
#: Recordings of voice comments: this many distinct MP3 files.
RECORDINGS = 12

PNG, JPEG, PDF, ZIP, CSV, TXT, BIN, MP3, EMPTY = "png", "jpeg", "pdf", "zip", "csv", "txt", "bin", "mp3", "empty"
TYPES = {PNG: "image/png", JPEG: "image/jpeg", PDF: "application/pdf", ZIP: "application/zip", CSV: "text/csv",
         TXT: "text/plain", BIN: "application/octet-stream", MP3: "audio/mpeg", EMPTY: "text/plain"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Files with hostile names (name, kind, content type); every one appears even in a small sandbox.
#: Two distinct files share the name ``same name.pdf``; the MIME type of ``файл.docx`` is wrong on purpose.
HOSTILE_FILES: tuple[tuple[str, str, str], ...] = (
    ("screenshot.png", PNG, "image/png"),
    ("résumé (1).pdf", PDF, "application/pdf"),
    ("报告.xlsx", ZIP, XLSX),
    ("../../etc/passwd", BIN, "application/octet-stream"),
    ("a\"b'c.txt", TXT, "text/plain"),
    ("😀.png", PNG, "image/png"),
    ("invoice #42 & more.pdf", PDF, "application/pdf"),
    ("файл.docx", ZIP, "application/msword"),
    ("with space.log", TXT, "text/plain"),
    ("noext", BIN, "application/octet-stream"),
    ("x\u202egnp.exe", PNG, "image/png"),
    ("2024/05/report.csv", CSV, "text/csv"),
    ("Q1\u2044Q2 \u2215 summary \uff0f final.pdf", PDF, "application/pdf"),
    ("C:\\Users\\agent\\Desktop\\notes.txt", TXT, "text/plain"),
    ("a?b=c&d#e%2F..%2Fx.txt", TXT, "text/plain"),
    ("A very long file name that keeps going " * 7 + "until it is well past 255 bytes in UTF-8 – "
     "ünïcödé ñame (final version) [2].pdf", PDF, "application/pdf"),
    ("CON.txt", TXT, "text/plain"),
    ("  leading and trailing spaces .txt ", TXT, "text/plain"),
    ("تقرير الربع الأول.pdf", PDF, "application/pdf"),
    ("👨\u200d👩\u200d👧\u200d👦 family photo.jpg", JPEG, "image/jpeg"),
    ("IMAGE.PNG", PNG, "image/png"),
    ("same name.pdf", PDF, "application/pdf"),
    ("same name.pdf", PDF, "application/pdf"),
)
HOSTILE_FIRST = 6
POOL_FIRST = HOSTILE_FIRST + len(HOSTILE_FILES)
#: Pool kinds and their weights (screenshots and PDFs dominate).
_POOL_KINDS = ((PNG, 38), (JPEG, 14), (PDF, 22), (CSV, 8), (TXT, 8), (ZIP, 5), (BIN, 3), ("xlsx", 2))
#: Size ranges (bytes) per kind for pool files.
_SIZES = {PNG: (2_500, 60_000), JPEG: (8_000, 120_000), PDF: (20_000, 400_000), CSV: (1_000, 60_000),
          TXT: (300, 40_000), ZIP: (10_000, 300_000), BIN: (1_000, 50_000), "xlsx": (8_000, 80_000),
          MP3: (40_000, 400_000)}


class FileSpec(NamedTuple):
    """One distinct file: what an Attachment object says about it, and the seed of its bytes."""

    name: str
    content_type: str
    size: int
    kind: str
    width: int | None
    height: int | None
    seed: int


def _mix(*parts: int) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


class Catalog:
    """The account's distinct files: shared ones, hostile names, a pool, large files and recordings."""

    def __init__(self, seed: int, tickets: int) -> None:
        self.seed = seed
        self.pool = max(24, min(600, tickets // 4))
        specs = [
            self._make(LOGO, "image001.png", PNG, "image/png", (4_000, 7_000), (180, 60)),
            self._make(SHARED_PDF, "Terms and Conditions – AGB 2024.pdf", PDF, "application/pdf", (180_000, 220_000)),
            FileSpec("redacted.txt", "text/plain", 0, EMPTY, None, None, 0),
            self._make(3, "full-export (2).zip", ZIP, "application/zip", (2_600_000, 3_000_000)),
            self._make(4, "Manual – Handbuch – 取扱説明書.pdf", PDF, "application/pdf", (1_400_000, 1_800_000)),
            self._make(5, "server.log", TXT, "text/plain", (1_050_000, 1_300_000)),
        ]
        for k, (name, kind, content_type) in enumerate(HOSTILE_FILES):
            specs.append(self._make(HOSTILE_FIRST + k, name, kind, content_type))
        kinds = [kind for kind, weight in _POOL_KINDS for _ in range(weight)]
        for k in range(self.pool):
            key = POOL_FIRST + k
            rng = random.Random(_mix(seed, 42, key))
            kind = rng.choice(kinds)
            specs.append(self._pool_file(key, kind, rng))
        self.recordings_first = len(specs)
        for k in range(RECORDINGS):
            key = self.recordings_first + k
            specs.append(self._make(key, f"recording-{k + 1}.mp3", MP3, "audio/mpeg"))
        self._specs = specs
        self._lock = threading.Lock()
        self._digests: dict[int, str] = {}

    def _make(self, key: int, name: str, kind: str, content_type: str, sizes: tuple[int, int] | None = None,
              dims: tuple[int, int] | None = None) -> FileSpec:
        rng = random.Random(_mix(self.seed, 40, key))
        low, high = sizes or _SIZES[kind]
        size = rng.randint(low, high)
        width = height = None
        if kind in (PNG, JPEG):
            width, height = dims or (rng.randint(64, 1600), rng.randint(48, 1000))
            while width * height > size * 400:  # a blank PNG of that size must fit in the bytes
                width, height = max(1, width // 2), max(1, height // 2)
        return FileSpec(name, content_type, size, kind, width, height, _mix(self.seed, 43, key))

    def _pool_file(self, key: int, kind: str, rng: random.Random) -> FileSpec:
        n = rng.randint(1, 99999)
        name, content_type = {
            PNG: (f"Screenshot 2024-{n % 12 + 1:02d}-{n % 28 + 1:02d} at {n % 24:02d}.{n % 60:02d}.{n % 59:02d}.png",
                  "image/png"),
            JPEG: (f"IMG_{n:05d}.jpg", "image/jpeg"),
            PDF: (rng.choice((f"invoice-{n}.pdf", f"Rechnung_{n}.pdf", f"contract {n} signed.pdf", f"見積書_{n}.pdf")),
                  "application/pdf"),
            CSV: (f"export_{n}.csv", "text/csv"),
            TXT: (rng.choice((f"error-{n}.log", f"notes {n}.txt", f"trace_{n}.txt")), "text/plain"),
            ZIP: (f"logs-{n}.zip", "application/zip"),
            BIN: (f"dump-{n}.bin", "application/octet-stream"),
            "xlsx": (f"Report {n}.xlsx", XLSX),
        }[kind]
        return self._make(key, name, ZIP if kind == "xlsx" else kind, content_type, _SIZES[kind])

    # ------------------------------------------------------------------ lookup

    def pool_key(self, roll: float) -> int:
        """A file of the hostile names and the pool (``roll`` in [0, 1))."""
        return HOSTILE_FIRST + int(roll * (len(HOSTILE_FILES) + self.pool))

    def recording_key(self, roll: float) -> int:
        return self.recordings_first + int(roll * RECORDINGS)

    def spec(self, key: int) -> FileSpec:
        """The file of a catalog key (a fresh upload's key is its attachment id)."""
        if key >= FRESH_BASE:
            return _fresh_spec(self.seed, key)
        return self._specs[key]

    def content(self, key: int) -> bytes:
        """The file's bytes, exactly ``spec(key).size`` of them."""
        return _content(self.spec(key))

    def digest(self, key: int) -> str:
        """SHA-256 (hex) of the file's bytes, computed once."""
        with self._lock:
            known = self._digests.get(key)
        if known is None:
            known = hashlib.sha256(self.content(key)).hexdigest()
            with self._lock:
                self._digests[key] = known
        return known

    def __len__(self) -> int:
        return len(self._specs)


@lru_cache(maxsize=1024)
def _fresh_spec(seed: int, key: int) -> FileSpec:
    """A file uploaded by an ``add_comments`` change: its own bytes, never shared."""
    rng = random.Random(_mix(seed, 44, key))
    kind = (PNG, PDF, CSV, ZIP)[key % 4]
    low, high = _SIZES[kind]
    size = rng.randint(low, high // 4)
    ext = {PNG: "png", PDF: "pdf", CSV: "csv", ZIP: "zip"}[kind]
    width, height = (rng.randint(64, 800), rng.randint(48, 600)) if kind == PNG else (None, None)
    return FileSpec(f"upload {key} – ünïcode.{ext}", TYPES[kind], size, kind, width, height, _mix(seed, 45, key))


# ----------------------------------------------------------------------- bytes

@lru_cache(maxsize=48)
def _content(spec: FileSpec) -> bytes:
    data = _MAKERS[spec.kind](spec, random.Random(spec.seed))
    assert len(data) == spec.size, (spec, len(data))
    return data


def _filler(rng: random.Random, n: int) -> bytes:
    return rng.randbytes(n) if n > 0 else b""


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(spec: FileSpec, rng: random.Random) -> bytes:
    """A valid grey PNG of the spec's width and height, padded to size with a private ancillary chunk."""
    width, height = spec.width or 1, spec.height or 1
    rows = (b"\x00" + bytes(width)) * height
    head = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(rows, 9)))
    tail = _png_chunk(b"IEND", b"")
    pad = spec.size - len(head) - len(tail) - 12
    if pad < 0:
        raise ValueError(f"PNG {width}x{height} does not fit in {spec.size} bytes")
    return head + _png_chunk(b"prVt", _filler(rng, pad)) + tail


def _jpeg(spec: FileSpec, rng: random.Random) -> bytes:
    """JPEG markers (SOI, JFIF APP0, SOF0 with the spec's size, comment segments as filler, EOI): valid magic
    bytes and dimensions, no decodable scan."""
    head = (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
            + b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, spec.height or 1, spec.width or 1, 3)
            + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01")
    left = spec.size - len(head) - 2
    if left < 0 or 0 < left < 4:
        raise ValueError(f"JPEG does not fit in {spec.size} bytes")
    segments = []
    while left > 0:
        segment = min(left, 65537)  # a comment segment: marker, length, up to 65533 bytes
        if 0 < left - segment < 4:  # never leave a remainder too small for a segment
            segment = left - 4
        segments.append(b"\xff\xfe" + struct.pack(">H", segment - 2) + _filler(rng, segment - 4))
        left -= segment
    return head + b"".join(segments) + b"\xff\xd9"


def _pdf(spec: FileSpec, rng: random.Random) -> bytes:
    """A valid one-page PDF; an unreferenced stream object of random bytes brings it to size."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"]
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    body, offsets = head, []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    offsets.append(len(body))

    def build(length: int, data: bytes | None) -> bytes:
        """The file with a stream of ``length`` bytes (``data``, or nothing when only measuring)."""
        stream_head = b"4 0 obj\n<< /Length %d >>\nstream\n" % length
        stream_tail = b"\nendstream\nendobj\n"
        xref_at = len(body) + len(stream_head) + length + len(stream_tail)
        xref = b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
        trailer = b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
        return body + stream_head + (data or b"") + stream_tail + xref + trailer

    length = 0
    for _ in range(8):  # the stream's length and the xref offset are written in digits: settle them
        length = max(0, spec.size - len(build(length, None)))
        if len(build(length, None)) + length == spec.size:
            return build(length, _filler(rng, length))
    raise ValueError(f"PDF cannot be exactly {spec.size} bytes")


def _zip(spec: FileSpec, rng: random.Random) -> bytes:
    """A valid ZIP archive (one stored member of random bytes)."""
    name = "[Content_Types].xml" if spec.content_type in (XLSX, "application/msword") else "data/part-0001.bin"
    overhead = 30 + 46 + 22 + 2 * len(name.encode())
    member = _filler(rng, spec.size - overhead)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), member)
    return out.getvalue()


def _text_lines(spec: FileSpec, rng: random.Random, first: bytes, line: Callable[[random.Random], bytes]) -> bytes:
    parts, used = [first], len(first)
    while True:
        row = line(rng)
        if used + len(row) > spec.size:
            break
        parts.append(row)
        used += len(row)
    parts.append(b"#" * (spec.size - used))
    return b"".join(parts)


def _csv(spec: FileSpec, rng: random.Random) -> bytes:
    """UTF-8 CSV with a BOM, ``;`` separators and CRLF line ends (as Excel writes them)."""
    names = ("Müller", "Ωmega", "O'Brien", "\"quoted\"", "日本", "Zoë; semi", "plain")

    def line(r: random.Random) -> bytes:
        return (f"{r.randint(1, 10**6)};{r.choice(names)};{r.randint(0, 9999)}.{r.randint(0, 99):02d};"
                f"{r.choice(('ok', 'refund', 'n/a', ''))}\r\n").encode()

    first = "\ufeffid;name;amount;note\r\n".encode()
    return _text_lines(spec, rng, first, line) if spec.size >= len(first) else first[: spec.size]


def _txt(spec: FileSpec, rng: random.Random) -> bytes:
    levels = ("INFO", "WARN", "ERROR", "DEBUG")

    def line(r: random.Random) -> bytes:
        return (f"2024-05-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:{r.randint(0, 59):02d}:"
                f"{r.randint(0, 59):02d} {r.choice(levels)} worker-{r.randint(1, 16)}: request "
                f"{r.getrandbits(32):08x} took {r.randint(1, 9000)} ms – ünïcode ✓\n").encode()

    return _text_lines(spec, rng, b"", line)


def _mp3(spec: FileSpec, rng: random.Random) -> bytes:
    """An ID3v2.3 header, then MPEG-1 Layer III frame headers (128 kbit/s, 44.1 kHz) over random frame data."""
    head = b"ID3\x03\x00\x00\x00\x00\x00\x00"
    frames, left = [head], spec.size - len(head)
    while left > 0:
        frame = (b"\xff\xfb\x90\x64" + _filler(rng, 413))[:left]
        frames.append(frame)
        left -= len(frame)
    return b"".join(frames)


def _bin(spec: FileSpec, rng: random.Random) -> bytes:
    return _filler(rng, spec.size)


_MAKERS = {PNG: _png, JPEG: _jpeg, PDF: _pdf, ZIP: _zip, CSV: _csv, TXT: _txt, BIN: _bin, MP3: _mp3,
           EMPTY: lambda spec, rng: b""}


# ---------------------------------------------------------------------- tokens

_ALNUM = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TO_ALNUM = bytes(_ALNUM[b % 62] for b in range(256))
_MASK48 = (1 << 48) - 1
_MULT = 0x9E3779B97F4B & _MASK48 | 1
_INV = pow(_MULT, -1, 1 << 48)
_JWE_HEADER = base64.urlsafe_b64encode(
    json.dumps({"alg": "dir", "enc": "A128CBC-HS256"}, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """The account's URL tokens: deterministic per seed, opaque, checked with a keyed MAC."""

    def __init__(self, seed: int) -> None:
        self._key = hashlib.blake2b(b"sandbox attachments %d" % seed, digest_size=32).digest()
        self._mask = int.from_bytes(self._key[:6], "big")

    def _scramble(self, item_id: int) -> int:
        return ((item_id * _MULT) & _MASK48) ^ self._mask

    def _unscramble(self, value: int) -> int:
        return ((value ^ self._mask) * _INV) & _MASK48

    def _mac(self, data: bytes, size: int) -> bytes:
        return hashlib.blake2b(data, key=self._key, digest_size=size).digest()

    def attachment(self, item_id: int) -> str:
        """The 25-character token of an attachment's (or recording's) URLs: 12 hex digits naming the id
        (scrambled), 13 letters and digits of MAC."""
        prefix = b"%012x" % self._scramble(item_id)
        return (prefix + self._mac(prefix, 13).translate(_TO_ALNUM)).decode("ascii")

    def attachment_id(self, token: str) -> int | None:
        """The id a token names, or None when it is not one of ours."""
        if len(token) != 25 or not token.isascii() or not token.isalnum():
            return None
        try:
            item_id = self._unscramble(int(token[:12], 16))
        except ValueError:
            return None
        return item_id if hmac.compare_digest(self.attachment(item_id), token) else None

    def call_sid(self, item_id: int) -> str:
        """A Twilio-like call SID (``CA`` + 32 hex digits) naming a voice comment's recording."""
        head = b"%012x" % self._scramble(item_id)
        return "CA" + (head + self._mac(b"sid" + head, 10).hex().encode()).decode("ascii")

    def call_id(self, sid: str) -> int | None:
        if len(sid) != 34 or not sid.startswith("CA"):
            return None
        try:
            item_id = self._unscramble(int(sid[2:14], 16))
        except ValueError:
            return None
        return item_id if hmac.compare_digest(self.call_sid(item_id), sid) else None

    def signed(self, item_id: int, expires: int) -> str:
        """The content host's ``token`` parameter: JWE-shaped, binding the id to an expiry (unix seconds)."""
        iv = self._mac(b"iv%d,%d" % (item_id, expires), 16)
        plain = struct.pack(">QQ", item_id, expires)
        stream = self._mac(b"ks" + iv, 16)
        cipher = bytes(a ^ b for a, b in zip(plain, stream, strict=True))
        tag = self._mac(b"tag" + iv + cipher, 16)
        return f"{_JWE_HEADER}..{_b64(iv)}.{_b64(cipher)}.{_b64(tag)}"

    def verify(self, signed: str) -> tuple[int, int] | None:
        """(id, expiry) of a signed token, or None when it was not issued here."""
        parts = signed.split(".")
        if len(parts) != 5 or parts[0] != _JWE_HEADER or parts[1]:
            return None
        try:
            iv, cipher, tag = (_unb64(p) for p in parts[2:])
        except (ValueError, TypeError):
            return None
        if len(iv) != 16 or len(cipher) != 16 or not hmac.compare_digest(tag, self._mac(b"tag" + iv + cipher, 16)):
            return None
        stream = self._mac(b"ks" + iv, 16)
        item_id, expires = struct.unpack(">QQ", bytes(a ^ b for a, b in zip(cipher, stream, strict=True)))
        return item_id, expires


@lru_cache(maxsize=4096)
def name_parts(name: str) -> tuple[bytes, bytes]:
    """A file name as a JSON string and percent-encoded for ``?name=``."""
    return json.dumps(name, ensure_ascii=False).encode("utf-8"), quote(name, safe="").encode("ascii")


def content_disposition(name: str) -> str:
    """``attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded`` (RFC 6266)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
