"""Bytes kept on disk instead of the Python heap: events mode's comments until their ticket takes them.

The data goes into unlinked temporary files (``tempfile.TemporaryFile`` in the
temporary directory, ``TMPDIR``: mode 0600, no name anyone can open, gone when
the run ends or crashes). They hold conversations, so never a named file.

What is written is appended to the current *segment* (a file of about
``segment_bytes``); a span is named by its *position* (its segment's number in
the high bits, its offset in the low ``OFFSET_BITS``) and its length, and read
back with ``os.pread``. A segment whose every span was released is closed, so
the disk holds about what is still kept; ``compact`` moves the live spans of
half-empty segments into new ones when what is released but still on disk
grows (one long-kept span would otherwise hold its whole segment).
"""

from __future__ import annotations

import itertools
import os
import tempfile
from array import array
from collections.abc import Iterable
from typing import IO

#: Bits of a position that are the offset in its segment (1 TiB); the rest are the segment's number.
OFFSET_BITS = 40
OFFSET_MASK = (1 << OFFSET_BITS) - 1
#: The default size of a segment file.
SEGMENT_BYTES = 64 * 2**20


class Segment:
    """One temporary file, written at its end, and the bytes of it still kept."""

    __slots__ = ("file", "size", "live")

    def __init__(self, directory: str | None) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=directory, buffering=0)
        self.size = 0
        self.live = 0


class SpillStore:
    """Byte strings written to disk and read back by position, their disk space freed a segment at a time."""

    def __init__(self, segment_bytes: int = SEGMENT_BYTES, directory: str | None = None) -> None:
        self.segment_bytes = segment_bytes
        self.directory = directory
        self.segments: dict[int, Segment] = {}
        self.numbers = itertools.count()
        #: The segment written to (``None``: the next write starts a new one).
        self.current: int | None = None
        #: The bytes of the spans not released, and the size of the segment files still open.
        self.live_bytes = 0
        self.disk_bytes = 0

    def write(self, data: bytes) -> int:
        """Append ``data``; its position (read it back with ``read(position, len(data))``)."""
        number = self.current
        segment = None if number is None else self.segments.get(number)
        if number is None or segment is None or segment.size >= self.segment_bytes:
            number = self.current = next(self.numbers)
            segment = self.segments[number] = Segment(self.directory)
        offset = segment.size
        written = os.pwrite(segment.file.fileno(), data, offset)
        if written != len(data):  # a regular file writes everything or raises (a full disk: ENOSPC)
            raise OSError(f"short write to the spill file: {written} of {len(data)} bytes")
        segment.size += written
        segment.live += written
        self.live_bytes += written
        self.disk_bytes += written
        return number << OFFSET_BITS | offset

    def read(self, position: int, length: int) -> bytes:
        """The bytes written at ``position``."""
        segment = self.segments[position >> OFFSET_BITS]
        data = os.pread(segment.file.fileno(), length, position & OFFSET_MASK)
        if len(data) != length:
            raise OSError(f"short read from the spill file: {len(data)} of {length} bytes")
        return data

    def release(self, position: int, length: int) -> None:
        """The span is no longer needed; its segment's file is closed once none of its spans is kept."""
        number = position >> OFFSET_BITS
        segment = self.segments[number]
        segment.live -= length
        self.live_bytes -= length
        if segment.live == 0:
            self._close(number)

    def compact(self, spans: Iterable[array]) -> None:
        """Move every span of the segments at most half kept into new segments, and close those.

        ``spans`` are every kept span, as arrays of (position, length) pairs: they are updated in place.
        """
        sparse = {number for number, segment in self.segments.items() if segment.live * 2 <= segment.size}
        if not sparse:
            return
        self.current = None  # the spans moved go to a new segment, never into one being emptied
        for pairs in spans:
            for index in range(0, len(pairs), 2):
                position, length = pairs[index], pairs[index + 1]
                if position >> OFFSET_BITS in sparse:
                    pairs[index] = self.write(self.read(position, length))
                    self.release(position, length)

    def close(self) -> None:
        """Close every segment (their disk space is freed)."""
        for number in list(self.segments):
            self._close(number)
        self.live_bytes = 0

    def _close(self, number: int) -> None:
        if number == self.current:
            self.current = None
        segment = self.segments.pop(number)
        self.disk_bytes -= segment.size
        segment.file.close()
