"""A backup as a restore reads it: every stream's records in their newest version, and the stored attachment files.

A backup location holds the files of many runs: ``<stream>-<run id>-NNNNN.<ext>``
(``.gz`` when compressed), one record a line in both JSON Lines and the JSON the
crawler writes, and ``manifest-<run id>.json`` per run, which names the account.
A record's newest version is its last in run order, then file order, then line
order (a ticket changed during a run comes again later in it). Records are read in
two passes over the files, never held all at once: the first notes where each id's
newest version lies, the second hands those on in file order, so memory follows the
number of ids, not the size of the backup, and compressed files and S3 are read
front to back only.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.reader import ExportLocation

#: A feed file's name: stream, run id, batch number, format, compression.
FEED_NAME = re.compile(r"(?P<stream>[a-z_]+)-(?P<run>\d{8}T\d{6}Z-[0-9a-f]{6})-(?P<batch>\d{5})"
                       r"\.(?P<format>jsonl|json)(?P<gz>\.gz)?")
MANIFEST_NAME = re.compile(r"manifest-(?P<run>\d{8}T\d{6}Z-[0-9a-f]{6})\.json")
#: Formats a restore reads, the preferred first: both hold one record a line.
FORMATS = ("jsonl", "json")


@dataclass(frozen=True, order=True)
class FeedFile:
    """One feed file of a stream, ordered as its records were written."""

    run: str
    batch: int
    path: str
    gzip: bool


@dataclass(frozen=True)
class Version:
    """Where one record's version lies: the file's place in the stream's files and the record's ordinal in it."""

    file: int
    ordinal: int


class Backup:
    """The records and files of one backup location (local directory or S3 prefix), read-only."""

    def __init__(self, location: ExportLocation) -> None:
        self.location = location
        names = location.names("")
        self.runs = sorted(match["run"] for name in names if (match := MANIFEST_NAME.fullmatch(name)))
        if not self.runs:
            raise ConfigError(f"{location.uri} holds no backup (no manifest-<run id>.json): give the location "
                              "a `scrapy crawl zendesk` run wrote")
        self._files = _feed_files(names)

    def source_host(self) -> str:
        """The host of the account the backup was made of (its manifests' ``base_url``)."""
        hosts = set()
        for run in self.runs:
            data = self.location.read_bytes(f"manifest-{run}.json")
            try:
                manifest = json.loads(data) if data else None
            except ValueError:
                manifest = None
            base_url = manifest.get("base_url") if isinstance(manifest, dict) else None
            if isinstance(base_url, str) and base_url:
                hosts.add(urlsplit(base_url).netloc.lower())
        if len(hosts) != 1:
            raise ConfigError(f"the manifests of {self.location.uri} name {len(hosts) or 'no'} accounts "
                              f"({', '.join(sorted(hosts)) or 'none'}): a backup location holds one account")
        return hosts.pop()

    def streams(self) -> set[str]:
        """The streams the backup holds records of."""
        return set(self._files)

    def records(self, stream: str) -> Iterator[dict[str, Any]]:
        """Every record of a stream, every version, in the order they were written."""
        for feed in self._files.get(stream, []):
            yield from self._read(feed)

    def newest(self, stream: str, last_live: bool = False) -> Iterator[dict[str, Any]]:
        """Each record of a stream once, in its newest version (by ``id``), in file order.

        ``last_live``: for a record whose newest version is deleted (``status`` ``deleted``),
        its last version before the deletion instead, where the backup holds one (a
        deleted ticket brought back).
        """
        newest: dict[Any, Version] = {}
        live: dict[Any, Version] = {}
        files = self._files.get(stream, [])
        for index, feed in enumerate(files):
            for ordinal, line in enumerate(self._record_lines(feed)):
                record = self._decode(feed, line)
                record_id = record.get("id") if record is not None else None
                if record_id is None:
                    continue
                newest[record_id] = Version(index, ordinal)
                if record is not None and record.get("status") != "deleted":
                    live[record_id] = Version(index, ordinal)
        if last_live:
            newest = {record_id: live.get(record_id, version) for record_id, version in newest.items()}
        wanted: dict[int, set[int]] = {}
        for version in newest.values():
            wanted.setdefault(version.file, set()).add(version.ordinal)
        for index, feed in enumerate(files):
            ordinals = wanted.get(index)
            if not ordinals:
                continue
            # The file's wanted lines are read whole and the file closed before its records are handed on: a
            # restore takes minutes over a file's records, longer than an S3 stream should stay open.
            lines = [line for ordinal, line in enumerate(self._record_lines(feed)) if ordinal in ordinals]
            for line in lines:
                kept = self._decode(feed, line)
                if kept is not None:
                    yield kept

    def stored_file(self, path: str) -> bytes | None:
        """An attachment file the backup stored (``stored_file.path`` of an attachment), or ``None``."""
        return self.location.read_bytes(path)

    def _read(self, feed: FeedFile) -> Iterator[dict[str, Any]]:
        for line in self._record_lines(feed):
            record = self._decode(feed, line)
            if record is not None:
                yield record

    def _record_lines(self, feed: FeedFile) -> Iterator[bytes]:
        """The file's record lines (a JSON array's brackets and commas left out), ordinal for ordinal."""
        for line in _lines(self.location.stream(feed.path), feed.gzip):
            text = line.strip()
            if text in (b"", b"[", b"]"):
                continue
            yield text[:-1] if text.endswith(b",") else text

    @staticmethod
    def _decode(feed: FeedFile, line: bytes) -> dict[str, Any] | None:
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{feed.path} is not one JSON record a line ({exc}): not a file the crawler "
                              "wrote, or damaged") from exc
        return record if isinstance(record, dict) else None


def _feed_files(names: list[str]) -> dict[str, list[FeedFile]]:
    """Each stream's files in the preferred format it has (JSON Lines, else JSON), in write order."""
    found: dict[str, dict[str, list[FeedFile]]] = {}
    for name in names:
        match = FEED_NAME.fullmatch(name)
        if match:
            feed = FeedFile(match["run"], int(match["batch"]), name, bool(match["gz"]))
            found.setdefault(match["stream"], {}).setdefault(match["format"], []).append(feed)
    streams = {}
    for stream, by_format in found.items():
        streams[stream] = sorted(next(by_format[fmt] for fmt in FORMATS if fmt in by_format))
    return streams


def _lines(chunks: Iterator[bytes], gzip: bool) -> Iterator[bytes]:
    """The lines of a file streamed in chunks (decompressed on the way when it is gzip)."""
    inflate = zlib.decompressobj(wbits=31) if gzip else None
    rest = b""
    for chunk in chunks:
        data = inflate.decompress(chunk) if inflate is not None else chunk
        rest += data
        *lines, rest = rest.split(b"\n")
        yield from lines
    if inflate is not None:
        rest += inflate.flush()
    if rest:
        yield from rest.split(b"\n")
