"""The sandbox's one JSON encoding (compact UTF-8, non-ASCII unescaped) and Zendesk's timestamp format."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1 << 14)
def iso(timestamp: int) -> str:
    """Zendesk's timestamp format, e.g. ``2024-06-19T11:40:22Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def encode(value: Any) -> str:
    """Compact JSON text, non-ASCII unescaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII unescaped): the one encoding of every API body and of the truth."""
    return encode(value).encode("utf-8")


def id_json(record_id: int | None) -> bytes:
    """The JSON of an id that may be null."""
    return b"null" if record_id is None else b"%d" % record_id
