"""Zendesk timestamps (ISO 8601, UTC) as unix seconds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from zendesk_crawler.errors import ConfigError


def epoch(timestamp: Any) -> int | None:
    """Unix seconds of a Zendesk ISO 8601 timestamp (``None`` if it is not one)."""
    moment = unix_time(timestamp)
    return None if moment is None else int(moment)


def unix_time(timestamp: Any) -> float | None:
    """Unix time of a Zendesk ISO 8601 timestamp with its fraction (``2018-11-20T16:58:36.453+00:00``), ``None`` if
    it is not one."""
    if not isinstance(timestamp, str):
        return None
    try:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def parse_timestamp(name: str, value: Any) -> int:
    """A spider argument that is a moment: unix seconds or an ISO 8601 date/datetime (UTC if no zone)."""
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time())
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ConfigError(
            f"{name} must be unix seconds or an ISO 8601 date/datetime (2024-06-01 or "
            f"2024-06-01T12:00:00Z), got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int(moment.timestamp()))
