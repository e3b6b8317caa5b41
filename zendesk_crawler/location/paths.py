"""Export locations by URI: a local directory (a plain path or ``file://``) or an ``s3://bucket/prefix``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from w3lib.url import file_uri_to_path


def join_uri(base: str, name: str) -> str:
    """Join a file name onto a local directory or an ``s3://`` prefix."""
    return f"{base.rstrip('/')}/{name}"


def local_path(uri: str) -> Path:
    """The path of a local URI (a plain path or ``file://``)."""
    return Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)


def is_local(uri: str) -> bool:
    """True for a plain path or a ``file://`` URI."""
    scheme = urlsplit(uri).scheme
    return scheme in ("", "file") or len(scheme) == 1  # one letter: a Windows drive
