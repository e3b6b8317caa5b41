"""The run's default feeds: JSON and XML files of each exported stream under ``ZENDESK_EXPORT_URI``.

One feed per stream and format, routed by record class (``item_classes``).
Records are split into files of ``ZENDESK_BATCH_ITEM_COUNT`` records
(``tickets-<run id>-00001.json``, ``users-<run id>-00001.json`` …) with Scrapy's batch feeds, so
a long backfill stores its work as it goes and the state can checkpoint the
cursor; ``ZENDESK_FEED_GZIP`` compresses them (``.json.gz``, ``.xml.gz``). They are plain Scrapy ``FEEDS`` entries, so every feed option and
storage works with them, and ``-o``/``-O`` or a ``FEEDS`` setting replace them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from scrapy.settings import BaseSettings

from zendesk_crawler.config import RUN_OPTIONS_SETTING, STREAM_NAMES, batch_item_count_setting, export_uri_setting, \
    formats_setting, join_uri
from zendesk_crawler.items import RECORD_CLASSES

#: The feeds of one stream in each format: (file name prefix, exporter name in FEED_EXPORTERS).
#: In CSV a ticket record also becomes rows of ``comments-….csv``.
FORMAT_FEEDS = {
    "json": lambda stream: [(stream, "json")],
    "jsonl": lambda stream: [(stream, "jsonl")],
    "xml": lambda stream: [(stream, "xml")],
    "csv": lambda stream: [("tickets", "ticket_csv"), ("comments", "comment_csv")] if stream == "tickets"
    else [(stream, "csv")],
}


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique name for one run: UTC start time plus a random suffix."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def add_default_feeds(settings: BaseSettings) -> None:
    """Set ``ZENDESK_RUN_ID`` and, unless the user gave feeds, the JSON and XML feeds of each exported stream.

    Add-ons apply after the spider is created, so the streams the spider
    selected (``-a streams=``) are in the run options already.
    """
    run_id = settings.get("ZENDESK_RUN_ID") or new_run_id()
    settings.set("ZENDESK_RUN_ID", run_id, priority="spider")
    if settings.getdict("FEEDS") or settings.get("FEED_URI"):
        return
    if settings.getdict(RUN_OPTIONS_SETTING).get("person"):
        return  # a person export writes its own two documents (person_document.py)
    export_uri = export_uri_setting(settings)
    batch_size = batch_item_count_setting(settings)
    gzip = settings.getbool("ZENDESK_FEED_GZIP")
    streams = settings.getdict(RUN_OPTIONS_SETTING).get("streams") or STREAM_NAMES
    formats = formats_setting(settings)
    feeds = {}
    for stream in (name for name in RECORD_CLASSES if name in streams):
        record_class = RECORD_CLASSES[stream]
        for fmt in formats:
            for prefix, exporter in FORMAT_FEEDS[fmt](stream):
                name = f"{prefix}-{run_id}-%(batch_id)05d" if batch_size else f"{prefix}-{run_id}"
                options: dict[str, Any] = {
                    "format": exporter, "batch_item_count": batch_size,
                    "item_classes": [f"{record_class.__module__}.{record_class.__qualname__}"]}
                if fmt == "xml":  # <users><user>…</user></users>, <ticket_fields><ticket_field>…
                    options["item_export_kwargs"] = {"root_element": stream, "item_element": record_class.xml_element}
                if gzip:
                    options["postprocessing"] = ["scrapy.extensions.postprocessing.GzipPlugin"]
                feeds[join_uri(export_uri, f"{name}.{fmt}{'.gz' if gzip else ''}")] = options
    settings.set("FEEDS", feeds, priority="spider")
