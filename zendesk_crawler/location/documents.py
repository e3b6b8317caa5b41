"""Small text documents (the state, manifests, status documents, the attachment index) at a URI, local or on S3.

A document is read whole and replaced atomically: a local file is written beside its
place and renamed over it, an S3 PUT replaces the object. A crash leaves the old
document or the new one, never half of either.
"""

from __future__ import annotations

import json
from typing import Any, Protocol
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from zendesk_crawler.errors import StateError
from zendesk_crawler.location.files import write_atomically
from zendesk_crawler.location.paths import is_local, local_path
from zendesk_crawler.location.s3 import describe_s3_error, error_code, s3_client, split_s3_uri


class Documents(Protocol):
    """Reads and atomically replaces small text documents at URIs of one kind."""

    def read(self, uri: str) -> str | None: ...

    def write(self, uri: str, text: str) -> None: ...


class LocalDocuments:
    """Documents on the local file system."""

    def read(self, uri: str) -> str | None:
        try:
            return local_path(uri).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StateError(f"cannot read {uri}: {getattr(exc, 'strerror', None) or exc}") from None

    def write(self, uri: str, text: str) -> None:
        write_atomically(local_path(uri), text.encode("utf-8"))


class S3Documents:
    """Documents as S3 objects (``s3://bucket/key``)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def read(self, uri: str) -> str | None:
        bucket, key = split_s3_uri(uri)
        try:
            body = self.client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise StateError(describe_s3_error(exc, uri)) from None
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise StateError(f"{uri} is not UTF-8 text") from None

    def write(self, uri: str, text: str) -> None:
        bucket, key = split_s3_uri(uri)
        try:
            self.client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"),
                                   ContentType="application/json")
        except Exception as exc:
            raise StateError(describe_s3_error(exc, uri)) from None


def documents_for(uri: str, settings: BaseSettings) -> Documents:
    """The document backend for a local path, ``file://`` or ``s3://`` URI."""
    if is_local(uri):
        return LocalDocuments()
    if urlsplit(uri).scheme == "s3":
        return S3Documents(s3_client(settings))
    raise StateError(f"unsupported location {uri!r}: use a local path or s3://bucket/key")


def to_json(document: dict[str, Any]) -> str:
    """The text form of a state or manifest document."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
