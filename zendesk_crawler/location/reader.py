"""An export location, read-only: list, read, stream and range-read the files of a local directory or an S3 prefix.

Bytes only: what the files mean (gzip, lines, records) is for their readers.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from zendesk_crawler.location.paths import is_local, local_path
from zendesk_crawler.location.s3 import error_code, s3_client, split_s3_uri

#: Bytes per read when streaming a file.
CHUNK_SIZE = 256 * 1024
#: A relative path the page may serve: plain names joined by ``/`` (no dot files, no ``..``, no backslash).
_SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+@=-]*$")


def safe_relative_path(path: str) -> str | None:
    """``path`` if it names a file inside the location without leaving it (else ``None``).

    Every part must be a plain name: no ``..``, no dot files (``.partial/``, locks),
    no backslash, no empty part, nothing absolute, whatever encoding it arrived in.
    """
    parts = path.split("/")
    if not path or len(path) > 1024 or not all(_SAFE_PART.match(part) for part in parts):
        return None
    if parts[-1].endswith(".lock") or posixpath.normpath(path) != path:
        return None
    return path


class FileNotInLocation(LookupError):
    """No such file in the export location."""


class ExportLocation(Protocol):
    """What the page reads from an export location; paths are relative to it."""

    uri: str

    def names(self, prefix: str) -> list[str]:
        """Names of the files directly in the location that start with ``prefix``."""

    def identities(self, paths: list[str]) -> dict[str, str]:
        """What identifies the present content of each file of ``paths`` that exists (absent ones left out).

        The identity changes when a file is rewritten: size and modification time locally, ETag, size
        and LastModified on S3.
        """

    def read_bytes(self, path: str) -> bytes | None:
        """A whole file (``None``: no such file)."""

    def size(self, path: str) -> int:
        """A file's size in bytes (:class:`FileNotInLocation`: no such file)."""

    def stream(self, path: str) -> Iterator[bytes]:
        """A file's bytes in chunks of :data:`CHUNK_SIZE` (closing the iterator releases the file)."""

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """At most ``length`` bytes of a file from ``offset``."""

    def relative(self, uri: str) -> str | None:
        """The path inside the location of a file URI a manifest lists (``None``: outside it)."""


class LocalLocation:
    """An export directory on this machine."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.root = local_path(uri).resolve()

    def _path(self, path: str) -> Path:
        safe = safe_relative_path(path)
        if safe is None:
            raise FileNotInLocation(path)
        full = (self.root / safe).resolve()
        if not full.is_relative_to(self.root) or not full.is_file():
            raise FileNotInLocation(path)
        return full

    def names(self, prefix: str) -> list[str]:
        """Names of the files directly in the location that start with ``prefix``."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.glob(f"{prefix}*") if p.is_file())

    def identities(self, paths: list[str]) -> dict[str, str]:
        """Size and modification time (ns) of each file of ``paths`` that exists."""
        found = {}
        for path in paths:
            try:
                stat = self._path(path).stat()
            except (FileNotInLocation, OSError):
                continue
            found[path] = f"{stat.st_size}:{stat.st_mtime_ns}"
        return found

    def read_bytes(self, path: str) -> bytes | None:
        """A whole file (``None``: no such file)."""
        try:
            return self._path(path).read_bytes()
        except FileNotInLocation:
            return None

    def size(self, path: str) -> int:
        """A file's size in bytes."""
        return self._path(path).stat().st_size

    def stream(self, path: str) -> Iterator[bytes]:
        """A file's bytes in chunks (the file is opened on the first chunk, closed with the iterator)."""
        full = self._path(path)

        def chunks() -> Iterator[bytes]:
            with full.open("rb") as file:
                while chunk := file.read(CHUNK_SIZE):
                    yield chunk
        return chunks()

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """At most ``length`` bytes of a file from ``offset``."""
        with self._path(path).open("rb") as file:
            file.seek(offset)
            return file.read(length)

    def relative(self, uri: str) -> str | None:
        """The path inside the location of a file URI a manifest lists (``None``: outside it)."""
        candidate = local_path(uri)
        if not candidate.is_absolute():
            candidate = Path.cwd() / candidate
        try:
            return candidate.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None


class S3Location:
    """An export location under ``s3://bucket/prefix``; files are streamed from S3 through the page."""

    def __init__(self, uri: str, client: Any) -> None:
        self.uri = uri.rstrip("/")
        self.client = client
        self.bucket, prefix = split_s3_uri(self.uri)
        self.prefix = f"{prefix}/" if prefix else ""

    def _key(self, path: str) -> str:
        safe = safe_relative_path(path)
        if safe is None:
            raise FileNotInLocation(path)
        return self.prefix + safe

    def names(self, prefix: str) -> list[str]:
        """Names of the objects directly under the location's prefix that start with ``prefix``."""
        names = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix, Delimiter="/"):
            names += [entry["Key"][len(self.prefix):] for entry in page.get("Contents", [])]
        return sorted(names)

    def identities(self, paths: list[str]) -> dict[str, str]:
        """ETag, size and LastModified of each object of ``paths`` that exists, from listings (no HEAD per file).

        One paginated listing per folder, narrowed to the longest prefix the folder's names share.
        """
        folders: dict[str, list[str]] = {}
        for path in paths:
            if safe_relative_path(path) is not None:
                folder, _, name = path.rpartition("/")
                folders.setdefault(folder, []).append(name)
        found = {}
        paginator = self.client.get_paginator("list_objects_v2")
        for folder, names in folders.items():
            base = self.prefix + (folder + "/" if folder else "")
            wanted = {base + name: (folder + "/" if folder else "") + name for name in names}
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + posixpath.commonprefix(names),
                                           Delimiter="/"):
                for entry in page.get("Contents", []):
                    if entry["Key"] in wanted:
                        found[wanted[entry["Key"]]] = (f"{entry.get('ETag', '')}:{entry.get('Size', '')}:"
                                                       f"{entry.get('LastModified', '')}")
        return found

    def _get(self, path: str, **extra: Any) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(path), **extra)
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404", "InvalidRange"):
                raise FileNotInLocation(path) from None
            raise

    def read_bytes(self, path: str) -> bytes | None:
        """A whole object (``None``: no such object)."""
        try:
            return self._get(path)["Body"].read()
        except FileNotInLocation:
            return None

    def size(self, path: str) -> int:
        """An object's size in bytes (a HEAD request)."""
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(path))["ContentLength"]
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                raise FileNotInLocation(path) from None
            raise

    def stream(self, path: str) -> Iterator[bytes]:
        """An object's bytes in chunks; closing the iterator early closes the GET's connection."""
        body = self._get(path)["Body"]

        def chunks() -> Iterator[bytes]:
            try:
                yield from body.iter_chunks(CHUNK_SIZE)
            finally:
                body.close()
        return chunks()

    def read_range(self, path: str, offset: int, length: int) -> bytes:
        """At most ``length`` bytes of an object from ``offset`` (a ranged GET)."""
        return self._get(path, Range=f"bytes={offset}-{offset + length - 1}")["Body"].read()

    def relative(self, uri: str) -> str | None:
        """The path inside the location of an ``s3://`` URI a manifest lists (``None``: outside it)."""
        if uri.startswith(self.uri + "/"):
            return uri[len(self.uri) + 1:]
        return None


def location_for(uri: str, settings: BaseSettings) -> ExportLocation:
    """The location of a local path, ``file://`` or ``s3://`` URI (the S3 client built like the crawler's)."""
    if is_local(uri):
        return LocalLocation(uri)
    if urlsplit(uri).scheme == "s3":
        return S3Location(uri, s3_client(settings))
    raise ValueError(f"unsupported export location {uri!r}")
