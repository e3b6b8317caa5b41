"""The add-on on real settings: what it adds, that applying it twice changes nothing, that the user's own
settings win, and the default feeds of the streams a run exports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from scrapy.settings import BaseSettings
from scrapy.utils.test import get_crawler

from zendesk_crawler.addon import DOWNLOADER_MIDDLEWARES, EXTENSIONS, ITEM_PIPELINES, ZendeskAddon
from zendesk_crawler.feeds.checkpointing import CheckpointingFeedExporter
from zendesk_crawler.middlewares.auth import ZendeskAuthMiddleware
from zendesk_crawler.spiders.zendesk import ZendeskSpider
from zendesk_crawler.streams import STREAMS

ACCOUNT = {"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "agent@example.com",
           "ZENDESK_API_TOKEN": "s3cret"}
COMPONENTS = ("DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS", "FEED_EXPORTERS", "FEED_STORAGES", "FEEDS",
              "DOWNLOAD_SLOTS", "CONCURRENT_REQUESTS")


def run_settings(tmp_path: Path, settings: dict[str, Any] | None = None, **arguments: str) -> BaseSettings:
    """The settings of a crawl whose spider got ``arguments`` (``-a``), before any add-on ran."""
    crawler = get_crawler(ZendeskSpider, {**ACCOUNT, "ZENDESK_EXPORT_URI": str(tmp_path), "ZENDESK_RUN_ID": "r1",
                                          **(settings or {})})
    crawler.settings.frozen = False  # as ``scrapy crawl`` has them when the spider and the add-ons run
    ZendeskSpider.from_crawler(crawler, **arguments)
    return crawler.settings


def applied(settings: BaseSettings) -> dict[str, Any]:
    return {name: settings.getwithbase(name).copy() if name.endswith(("MIDDLEWARES", "PIPELINES", "EXTENSIONS"))
            else settings.get(name) for name in COMPONENTS}


def paths(components: Any) -> dict[str, Any]:
    """A component dictionary by import path (keys may be paths or classes)."""
    return {key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}": order
            for key, order in dict(components).items()}


def test_it_adds_every_component_and_replaces_scrapys_feed_exporter(tmp_path):
    settings = run_settings(tmp_path)
    ZendeskAddon().update_settings(settings)
    for name, components in (("DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES), ("ITEM_PIPELINES", ITEM_PIPELINES),
                             ("EXTENSIONS", EXTENSIONS)):
        assert paths(settings.getwithbase(name)).items() >= components.items(), name
    assert paths(settings.getwithbase("EXTENSIONS"))["scrapy.extensions.feedexport.FeedExporter"] is None


@pytest.mark.parametrize("arguments", [{}, {"attachments": "true"}])
def test_applying_it_twice_changes_nothing(tmp_path, arguments):
    settings = run_settings(tmp_path, **arguments)
    ZendeskAddon().update_settings(settings)
    once = applied(settings)
    ZendeskAddon().update_settings(settings)
    assert applied(settings) == once


def test_attachment_downloads_get_room_beside_the_api_requests_only_when_on(tmp_path):
    for arguments, room in (({}, 0), ({"attachments": "true"}, 5)):
        settings = run_settings(tmp_path, {"CONCURRENT_REQUESTS": 16, "ZENDESK_ATTACHMENT_DOWNLOADS": "5"},
                                **arguments)
        ZendeskAddon().update_settings(settings)
        assert settings.getint("CONCURRENT_REQUESTS") == 16 + room
        assert settings.getdict("DOWNLOAD_SLOTS")["zendesk-attachments"]["concurrency"] == 5


def test_the_users_own_settings_win(tmp_path):
    auth = f"{ZendeskAuthMiddleware.__module__}.{ZendeskAuthMiddleware.__qualname__}"
    feeds = {str(tmp_path / "mine.jsonl"): {"format": "jsonl"}}
    settings = run_settings(tmp_path, {
        "DOWNLOADER_MIDDLEWARES": {auth: None},                          # disabled by the project
        "EXTENSIONS": {f"{CheckpointingFeedExporter.__module__}.{CheckpointingFeedExporter.__qualname__}": 7},
        "FEED_EXPORTERS": {"json": "scrapy.exporters.JsonItemExporter"},
        "DOWNLOAD_SLOTS": {"zendesk-attachments": {"concurrency": 1}},
        "FEEDS": feeds,
    })
    ZendeskAddon().update_settings(settings)
    assert paths(settings.getwithbase("DOWNLOADER_MIDDLEWARES"))[auth] is None
    assert paths(settings.getwithbase("EXTENSIONS"))[
        "zendesk_crawler.feeds.checkpointing.CheckpointingFeedExporter"] == 7
    assert settings.getdict("FEED_EXPORTERS")["json"] == "scrapy.exporters.JsonItemExporter"
    assert settings.getdict("DOWNLOAD_SLOTS")["zendesk-attachments"] == {"concurrency": 1}
    assert settings.getdict("FEEDS") == feeds  # no default feeds beside the user's


def test_default_feeds_are_json_and_xml_batches_of_each_exported_stream(tmp_path):
    settings = run_settings(tmp_path, {"ZENDESK_BATCH_ITEM_COUNT": "25"}, streams="users,tickets")
    ZendeskAddon().update_settings(settings)
    feeds = settings.getdict("FEEDS")
    assert list(feeds) == [str(tmp_path / f"{stream}-r1-%(batch_id)05d.{fmt}")
                           for stream in ("tickets", "users") for fmt in ("json", "xml")]
    assert {options["batch_item_count"] for options in feeds.values()} == {25}
    tickets_xml = feeds[str(tmp_path / "tickets-r1-%(batch_id)05d.xml")]
    assert tickets_xml["format"] == "xml" and tickets_xml["item_export_kwargs"]["root_element"] == "tickets"
    record = STREAMS["tickets"].record_class
    assert tickets_xml["item_classes"] == [f"{record.__module__}.{record.__qualname__}"]
