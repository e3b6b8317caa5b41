"""The run's default feeds: JSON and XML files under ``ZENDESK_EXPORT_URI``.

Records are split into files of ``ZENDESK_BATCH_ITEM_COUNT`` tickets
(``tickets-<run id>-00001.json``, ``-00002`` …) with Scrapy's batch feeds, so
a long backfill stores its work as it goes and the state can checkpoint the
cursor; ``ZENDESK_FEED_GZIP`` compresses them (``.json.gz``, ``.xml.gz``). They are plain Scrapy ``FEEDS`` entries, so every feed option and
storage works with them, and ``-o``/``-O`` or a ``FEEDS`` setting replace them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from scrapy.settings import BaseSettings

from zendesk_crawler.config import batch_item_count_setting, export_uri_setting, join_uri

FEED_FORMATS = ("json", "xml")


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique name for one run: UTC start time plus a random suffix."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def add_default_feeds(settings: BaseSettings) -> None:
    """Set ``ZENDESK_RUN_ID`` and, unless the user gave feeds, the run's JSON and XML feeds."""
    run_id = settings.get("ZENDESK_RUN_ID") or new_run_id()
    settings.set("ZENDESK_RUN_ID", run_id, priority="spider")
    if settings.getdict("FEEDS") or settings.get("FEED_URI"):
        return
    export_uri = export_uri_setting(settings)
    batch_size = batch_item_count_setting(settings)
    gzip = settings.getbool("ZENDESK_FEED_GZIP")
    name = f"tickets-{run_id}-%(batch_id)05d" if batch_size else f"tickets-{run_id}"
    feeds = {}
    for fmt in FEED_FORMATS:
        options: dict[str, Any] = {"format": fmt, "batch_item_count": batch_size}
        if gzip:
            options["postprocessing"] = ["scrapy.extensions.postprocessing.GzipPlugin"]
        feeds[join_uri(export_uri, f"{name}.{fmt}{'.gz' if gzip else ''}")] = options
    settings.set("FEEDS", feeds, priority="spider")
