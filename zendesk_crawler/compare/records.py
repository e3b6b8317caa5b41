"""The records of one feed file, whatever its format: JSON Lines, JSON (one record a line), XML or CSV.

Each file is read front to back once, in bounded memory (``location.content``: gzip
in bounded steps, lines one at a time), so the same code reads local files and S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from zendesk_crawler.compare.csvrecords import csv_records
from zendesk_crawler.compare.feeds import FeedFile
from zendesk_crawler.compare.xmlrecords import xml_records
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.content import lines
from zendesk_crawler.location.reader import ExportLocation


def records(location: ExportLocation, feed: FeedFile) -> Iterator[dict[str, Any]]:
    """The records of a feed file in the order they were written (objects only)."""
    if feed.format == "xml":
        return xml_records(location, feed.path)
    if feed.format == "csv":
        return csv_records(location, feed)
    return json_records(location, feed.path)


def json_records(location: ExportLocation, path: str) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines file, or of a JSON array the crawler wrote (one record a line)."""
    for offset, _, line in lines(location, path):
        if line is None:
            raise ConfigError(f"{path}: the line at byte {offset} is longer than a record may be")
        text = line.strip()
        if text in (b"", b"[", b"]"):
            continue
        if text.endswith(b","):
            text = text[:-1]
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not one JSON record a line at byte {offset} ({exc}): not a file "
                              "the crawler wrote, or damaged") from None
        if isinstance(record, dict):
            yield record
