"""The feed files of a backup location, one per stream, run and batch, in the best format the location holds.

A run writes each batch of a stream as ``<stream>-<run id>-NNNNN.<ext>`` in every format of
``ZENDESK_FORMATS`` (``json``, ``jsonl``, ``xml``, ``csv``; ``.gz`` when compressed): the same
records in each. Compare reads one of them, the best first: JSON Lines, JSON, XML, then CSV (CSV
holds less: a ticket CSV row and its comments' rows in ``comments-<run id>-NNNNN.csv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.reader import ExportLocation

FEED_NAME = re.compile(r"(?P<stream>[a-z_]+)-(?P<run>\d{8}T\d{6}Z-[0-9a-f]{6})-(?P<batch>\d{5})"
                       r"\.(?P<format>jsonl|json|xml|csv)(?P<gz>\.gz)?")
MANIFEST_NAME = re.compile(r"manifest-(?P<run>\d{8}T\d{6}Z-[0-9a-f]{6})\.json")
#: The formats, best first.
FORMATS = ("jsonl", "json", "xml", "csv")
#: The CSV file of a ticket batch's comments (part of the ticket records, not a stream of its own).
COMMENTS_CSV = "comments"


@dataclass(frozen=True, order=True)
class FeedFile:
    """One feed file, ordered as its records were written (run, then batch)."""

    run: str
    batch: int
    stream: str
    format: str
    path: str
    #: The ``comments-….csv`` beside a ticket CSV (``None`` for other files).
    comments_path: str | None = None


def backup_runs(location: ExportLocation) -> list[str]:
    """The runs of a backup location, oldest first (:class:`ConfigError` when it holds none)."""
    runs = sorted(match["run"] for name in location.names("manifest-") if (match := MANIFEST_NAME.fullmatch(name)))
    if not runs:
        raise ConfigError(f"{location.uri} is not a backup (no manifest-<run id>.json): give a location "
                          "`scrapy crawl zendesk` wrote")
    return runs


def feed_files(location: ExportLocation) -> dict[str, list[FeedFile]]:
    """Each stream's files, one per run and batch in the best format present, in write order."""
    found: dict[tuple[str, str, int], dict[str, str]] = {}
    for name in location.names(""):
        match = FEED_NAME.fullmatch(name)
        if match:
            key = (match["stream"], match["run"], int(match["batch"]))
            found.setdefault(key, {})[match["format"]] = name
    streams: dict[str, list[FeedFile]] = {}
    for (stream, run, batch), by_format in found.items():
        if stream == COMMENTS_CSV and set(by_format) == {"csv"}:
            continue
        fmt = next(fmt for fmt in FORMATS if fmt in by_format)
        comments = None
        if fmt == "csv" and stream == "tickets":
            comments = found.get((COMMENTS_CSV, run, batch), {}).get("csv")
        streams.setdefault(stream, []).append(FeedFile(run, batch, stream, fmt, by_format[fmt], comments))
    return {stream: sorted(files) for stream, files in sorted(streams.items())}
