"""The run's default feeds: JSON and XML files of each exported stream under ``ZENDESK_EXPORT_URI``.

One feed per stream and format, routed by record class (``item_classes``).
Records are split into files of ``ZENDESK_BATCH_ITEM_COUNT`` records
(``tickets-<run id>-00001.json``, ``users-<run id>-00001.json`` …) with Scrapy's batch feeds, so
a long backfill stores its work as it goes and the state can checkpoint the
cursor; ``ZENDESK_FEED_GZIP`` compresses them (``.json.gz``, ``.xml.gz``). They
are plain Scrapy ``FEEDS`` entries, so every feed option and storage works with
them, and ``-o``/``-O`` or a ``FEEDS`` setting replace them.
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import BaseSettings

from zendesk_crawler.config import batch_item_count_setting, export_uri_setting, formats_setting
from zendesk_crawler.location.paths import join_uri
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.streams import STREAMS

#: The feeds of one stream in each format: (file name prefix, exporter name in FEED_EXPORTERS).
#: In CSV a ticket record also becomes rows of ``comments-….csv``.
FORMAT_FEEDS = {
    "json": lambda stream: [(stream, "json")],
    "jsonl": lambda stream: [(stream, "jsonl")],
    "xml": lambda stream: [(stream, "xml")],
    "csv": lambda stream: [("tickets", "ticket_csv"), ("comments", "comment_csv")] if stream == "tickets"
    else [(stream, "csv")],
}


def add_default_feeds(settings: BaseSettings) -> None:
    """Unless the user gave feeds, set the feeds of each exported stream in each of ``ZENDESK_FORMATS``.

    Add-ons apply after the spider is created, so the run context (the streams the
    spider selected with ``-a streams=``, the run id) is in the settings already.
    """
    context = RunContext.of(settings)
    if context is None or settings.getdict("FEEDS") or settings.get("FEED_URI"):
        return
    if context.person:
        return  # a person export writes its own two documents (selection/person_document.py)
    export_uri = export_uri_setting(settings)
    batch_size = batch_item_count_setting(settings)
    gzip = settings.getbool("ZENDESK_FEED_GZIP")
    formats = formats_setting(settings)
    feeds = {}
    # Tickets first, as earlier versions listed them (the manifest lists the files in the order they are stored).
    for stream in (name for name in reversed(STREAMS) if name in context.streams):
        record_class = STREAMS[stream].record_class
        for fmt in formats:
            for prefix, exporter in FORMAT_FEEDS[fmt](stream):
                name = f"{prefix}-{context.run_id}-%(batch_id)05d" if batch_size else f"{prefix}-{context.run_id}"
                options: dict[str, Any] = {
                    "format": exporter, "batch_item_count": batch_size,
                    "item_classes": [f"{record_class.__module__}.{record_class.__qualname__}"]}
                if fmt == "xml":  # <users><user>…</user></users>, <ticket_fields><ticket_field>…
                    options["item_export_kwargs"] = {"root_element": stream, "item_element": record_class.xml_element}
                if gzip:
                    options["postprocessing"] = ["scrapy.extensions.postprocessing.GzipPlugin"]
                feeds[join_uri(export_uri, f"{name}.{fmt}{'.gz' if gzip else ''}")] = options
    settings.set("FEEDS", feeds, priority="spider")
