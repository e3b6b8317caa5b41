"""Zendesk timestamps (ISO 8601, UTC) as unix seconds."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def epoch(timestamp: Any) -> int | None:
    """Unix seconds of a Zendesk ISO 8601 timestamp (``None`` if it is not one)."""
    if not isinstance(timestamp, str):
        return None
    try:
        return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None
