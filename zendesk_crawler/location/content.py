"""A file of an export location as content: decompressed on the way when it is ``.gz``, and split into lines.

Bounded memory whatever the file: decompression goes in steps of at most :data:`INFLATE_STEP`
bytes, and a line longer than :data:`MAX_RECORD_BYTES` is reported by its size, not held.
"""

from __future__ import annotations

import zlib
from collections.abc import Generator, Iterator

from zendesk_crawler.location.reader import ExportLocation

#: At most this many decompressed bytes per step: a small compressed chunk cannot claim unbounded memory.
INFLATE_STEP = 256 * 1024
#: A longer line is no record a reader takes (skipped as a bad line): bounds the memory of indexing.
MAX_RECORD_BYTES = 64 * 2**20
_GZIP = 16 + zlib.MAX_WBITS


def content(location: ExportLocation, path: str) -> Generator[bytes, None, None]:
    """A file's content in chunks; ``.gz`` decompressed as a stream, at most :data:`INFLATE_STEP` bytes a step.

    Closing the iterator (or stopping a ``for`` over it) closes the file or the GET.
    Concatenated gzip members are read one after the other, as ``gzip`` does.
    """
    chunks = location.stream(path)
    try:
        if not path.endswith(".gz"):
            yield from chunks
            return
        decompressor = zlib.decompressobj(_GZIP)
        for data in chunks:
            while True:
                out = decompressor.decompress(data, INFLATE_STEP)
                if out:
                    yield out
                if decompressor.eof and decompressor.unused_data:  # the next member
                    data, decompressor = decompressor.unused_data, zlib.decompressobj(_GZIP)
                    continue
                data = decompressor.unconsumed_tail
                if not data and len(out) < INFLATE_STEP:
                    break
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def lines(location: ExportLocation, path: str) -> Iterator[tuple[int, int, bytes | None]]:
    """(offset, length, line) of each line of a file's content; the line is ``None`` beyond MAX_RECORD_BYTES."""
    offset = 0
    # The current line: its pieces read so far, their size, and whether it is longer than MAX_RECORD_BYTES.
    pending: list[bytes] = []
    pending_size, too_long = 0, False
    for data in content(location, path):
        start = 0
        while (end := data.find(b"\n", start)) != -1:
            size = pending_size + end + 1 - start
            line = None if too_long or size > MAX_RECORD_BYTES else b"".join([*pending, data[start:end + 1]])
            yield offset, size, line
            offset += size
            pending, pending_size, too_long, start = [], 0, False, end + 1
        if start < len(data):
            pending_size += len(data) - start
            too_long = too_long or pending_size > MAX_RECORD_BYTES
            pending = [] if too_long else [*pending, data[start:]]
    if pending_size:
        yield offset, pending_size, None if too_long else b"".join(pending)
