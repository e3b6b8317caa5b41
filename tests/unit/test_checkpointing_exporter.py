"""The checkpointing feed exporter on real feed files: a batch closes on its item count and when the checkpoint
interval calls ``roll_batches`` (the timer's callback, called here instead of waiting for the timer), never
empty; each stored file is told with ``feed_file_stored``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.utils.test import get_crawler

from zendesk_crawler.addon import FEED_EXPORTERS, FEED_STORAGES
from zendesk_crawler.feeds.checkpointing import CheckpointingFeedExporter
from zendesk_crawler.run import signals as zendesk_signals


def exporter(tmp_path: Path, batch_item_count: int) -> tuple[CheckpointingFeedExporter, list[dict[str, Any]]]:
    """An exporter of one JSON Lines batch feed in ``tmp_path``, and the ``feed_file_stored`` calls it makes."""
    feeds = {str(tmp_path / "tickets-%(batch_id)05d.jsonl"): {"format": "jsonl", "batch_item_count": batch_item_count,
                                                             "overwrite": True}}
    crawler = get_crawler(settings_dict={"FEEDS": feeds, "FEED_EXPORTERS": FEED_EXPORTERS,
                                         "FEED_STORAGES": FEED_STORAGES, "ZENDESK_CHECKPOINT_INTERVAL": "0"})
    told: list[dict[str, Any]] = []

    def stored(**arguments: Any) -> None:
        arguments.pop("signal"), arguments.pop("sender")
        told.append(arguments)

    crawler.signals.connect(stored, zendesk_signals.feed_file_stored, weak=False)
    return CheckpointingFeedExporter.from_crawler(crawler), told


def run(feed: CheckpointingFeedExporter, steps: list[Any]) -> None:
    """Open the feed, then for each step export an item (a dict) or roll the batches (``"roll"``), then close."""
    async def drive() -> None:
        spider = Spider("zendesk")
        feed.open_spider(spider)
        for step in steps:
            if step == "roll":
                feed.roll_batches()
            else:
                feed.item_scraped(step, spider)
        await feed.close_spider(spider)

    asyncio.run(drive())


def files(tmp_path: Path) -> dict[str, list[int]]:
    return {path.name: [json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()]
            for path in sorted(tmp_path.glob("tickets-*.jsonl")) if path.is_file()}


def test_a_batch_closes_on_its_item_count(tmp_path):
    feed, told = exporter(tmp_path, batch_item_count=2)
    run(feed, [{"id": n} for n in range(1, 6)])
    assert files(tmp_path) == {"tickets-00001.jsonl": [1, 2], "tickets-00002.jsonl": [3, 4],
                               "tickets-00003.jsonl": [5]}
    assert [(t["batch_id"], t["records"], t["stored"]) for t in told] == [(1, 2, True), (2, 2, True), (3, 1, True)]
    assert told[0]["uri"].endswith("tickets-00001.jsonl") and told[0]["uri_template"].endswith("%(batch_id)05d.jsonl")


def test_a_batch_with_items_closes_when_the_interval_rolls_it_and_an_empty_one_does_not(tmp_path):
    feed, told = exporter(tmp_path, batch_item_count=5000)
    run(feed, [{"id": 1}, {"id": 2}, "roll", "roll", {"id": 3}, "roll", {"id": 4}])
    assert files(tmp_path) == {"tickets-00001.jsonl": [1, 2], "tickets-00002.jsonl": [3],
                               "tickets-00003.jsonl": [4]}
    assert [(t["batch_id"], t["records"]) for t in told] == [(1, 2), (2, 1), (3, 1)]
    assert not any((tmp_path / ".partial").glob("*"))  # every file renamed into place


def test_a_file_that_cannot_be_stored_is_told_as_not_stored(tmp_path):
    # A directory (not empty) where the first batch's file belongs: renaming the file into place fails.
    (tmp_path / "tickets-00001.jsonl").mkdir()
    (tmp_path / "tickets-00001.jsonl" / "in-the-way").touch()
    feed, told = exporter(tmp_path, batch_item_count=1)
    run(feed, [{"id": 1}, {"id": 2}])
    assert [(t["batch_id"], t["records"], t["stored"]) for t in told] == [(1, 1, False), (2, 1, True)]
    assert files(tmp_path) == {"tickets-00002.jsonl": [2]}
