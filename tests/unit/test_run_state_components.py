"""The run-state components as the add-on wires them, driven by real Scrapy signals without an engine.

A small run of the users stream: the spider opens, one page with one record arrives, the stream ends, the spider
closes. What each shutdown step sees on disk and of the run lock shows the order they run in.
"""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import signals
from scrapy.crawler import AsyncCrawlerRunner, Crawler
from scrapy.utils.test import get_reactor_settings

from zendesk_crawler.addon import EXTENSIONS
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.items import UserRecord
from zendesk_crawler.location.files import PARTIAL_DIR
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import failure_reason
from zendesk_crawler.run.stats_keys import STATE_SAVED
from zendesk_crawler.spiders.zendesk import ZendeskSpider
from zendesk_crawler.state.lock import LocalRunLock, RunLockedError
from zendesk_crawler.state.store import StateError

#: The feed exporter and the run-state components, with the add-on's order.
RUN_STATE_EXTENSIONS = {path: order for path, order in EXTENSIONS.items()
                        if path.startswith("zendesk_crawler.state.") or path.startswith("scrapy.extensions.feedexport")
                        or path.endswith("CheckpointingFeedExporter")}


def build_crawler(export: Path, feeds: dict[str, Any] | None = None, **arguments: str) -> Crawler:
    """A crawler built the way ``Crawler.crawl`` builds one (the spider first, then the extensions), not started."""
    settings = {
        "REMOTE_CONTROL_ENABLED": False, "TELNETCONSOLE_ENABLED": False, **get_reactor_settings(),
        "ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(export), "EXTENSIONS": RUN_STATE_EXTENSIONS,
        "FEEDS": {str(export / "users-%(batch_id)05d.json"): {"format": "json"}} if feeds is None else feeds,
    }
    crawler = AsyncCrawlerRunner(settings).create_crawler(ZendeskSpider)
    crawler.spider = crawler._create_spider(**(arguments or {"start_time": "0", "streams": "users"}))
    crawler._apply_settings()
    # No engine here to start the streams that wait for this one.
    crawler.signals.disconnect(crawler.spider.stream_ended, signal=zendesk_signals.stream_ended)
    return crawler


def lock_is_held(export: Path) -> bool:
    other = LocalRunLock(export / "state.json.lock")
    try:
        other.acquire("another-run")
    except RunLockedError:
        return True
    other.release()
    return False


def state(export: Path) -> dict[str, Any]:
    return json.loads((export / "state.json").read_text())


async def one_page_run(crawler: Crawler, reason: str = "finished") -> None:
    """The users stream reads one page with one record, to its end; then the spider closes."""
    send = crawler.signals.send_catch_log_async
    await send(signals.spider_opened, spider=crawler.spider)
    async for _ in crawler.spider.start():  # the stream's first request (no engine sends it)
        pass
    await send(zendesk_signals.page_received, stream="users", page=1, position="cursor-1", end_of_stream=True,
               repeats=[])
    await send(zendesk_signals.page_records, stream="users", page=1, count=1)
    await send(signals.item_scraped, item=UserRecord.from_page({"id": 7, "updated_at": "2026-01-01T00:00:00Z"}, 1),
               response=None, spider=crawler.spider)
    await send(zendesk_signals.stream_ended, stream="users")
    await send(signals.spider_closed, spider=crawler.spider, reason=reason)


def test_shutdown_steps_run_in_order_and_the_lock_is_let_go_last(tmp_path):
    crawler = build_crawler(tmp_path)
    seen: list[tuple[str, Any]] = []

    def final_state_saved() -> bool:
        return bool(state(tmp_path).get("last_run"))

    def manifest_written() -> bool:
        return any(tmp_path.glob("manifest-*.json"))

    # Connected after the components, so each runs once the component of its step has acted.
    def feed_file_stored(uri: str) -> None:
        seen.append(("feed file stored", Path(uri).name, final_state_saved()))

    def outputs_closed() -> None:
        seen.append(("outputs closed", final_state_saved(), manifest_written()))

    def final_save_done() -> None:
        seen.append(("final save done", manifest_written(), lock_is_held(tmp_path)))

    def run_closed() -> None:
        seen.append(("run closed", lock_is_held(tmp_path)))

    receivers = [(feed_file_stored, zendesk_signals.feed_file_stored), (outputs_closed, zendesk_signals.outputs_closed),
                 (final_save_done, zendesk_signals.final_save_done), (run_closed, zendesk_signals.run_closed)]
    for receiver, signal in receivers:
        crawler.signals.connect(receiver, signal=signal)

    assert lock_is_held(tmp_path)  # taken while the crawler was built
    asyncio.run(one_page_run(crawler))

    assert seen == [
        ("feed file stored", "users-00001.json", False),  # the last batch, stored as the spider closed: a checkpoint
        ("outputs closed", True, False),  # then the final save, before the manifest
        ("final save done", True, True),  # then the manifest, while the lock is held
        ("run closed", False),  # then the lock is let go
    ]
    assert not lock_is_held(tmp_path)
    assert failure_reason(crawler) is None
    assert crawler.stats.get_value(STATE_SAVED) == str(tmp_path / "state.json")
    manifest = json.loads(next(tmp_path.glob("manifest-*.json")).read_text())
    assert manifest["status"] == "complete"
    assert manifest["streams"]["users"]["position_after"] == "cursor-1"
    assert manifest["files"] == [str(tmp_path / "users-00001.json")]


def test_a_stopped_run_keeps_its_checkpoint_and_still_writes_its_manifest_before_letting_the_lock_go(tmp_path):
    crawler = build_crawler(tmp_path)
    asyncio.run(one_page_run(crawler, reason="shutdown"))

    saved = state(tmp_path)
    assert saved["last_run"] is None
    assert saved["checkpoint"]["files"] == [str(tmp_path / "users-00001.json")]
    assert saved["streams"]["users"]["cursor"] == "cursor-1"  # the checkpoint made when the feed file was stored
    manifest = json.loads(next(tmp_path.glob("manifest-*.json")).read_text())
    assert manifest["status"] == "failed"
    assert manifest["streams"]["users"]["problem"] == "the run was stopped before it finished (shutdown)"
    assert not lock_is_held(tmp_path)


def test_a_second_run_of_the_same_location_refuses_to_start(tmp_path):
    build_crawler(tmp_path)
    with pytest.raises(RunLockedError, match="another run is using this export location"):
        build_crawler(tmp_path)


def test_a_stream_no_feed_takes_is_refused_before_the_lock_is_taken(tmp_path):
    feeds = {str(tmp_path / "groups.json"): {"format": "json", "item_classes": ["zendesk_crawler.items.GroupRecord"]}}
    with pytest.raises(ConfigError, match="no feed takes the records of users"):
        build_crawler(tmp_path, feeds=feeds)
    assert not (tmp_path / "state.json.lock").exists()


def test_an_unreadable_state_lets_the_lock_go(tmp_path):
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(StateError):
        build_crawler(tmp_path)
    assert not lock_is_held(tmp_path)


def test_stale_partial_files_are_removed_under_the_lock(tmp_path):
    partial = tmp_path / PARTIAL_DIR / "users-00001.json"
    partial.parent.mkdir()
    partial.write_text("[")
    build_crawler(tmp_path)
    assert not partial.exists()


def test_a_person_export_without_its_document_writer_fails(tmp_path):
    crawler = build_crawler(tmp_path, user="7")

    async def run() -> None:
        await crawler.signals.send_catch_log_async(signals.spider_opened, spider=crawler.spider)
        await crawler.signals.send_catch_log_async(signals.spider_closed, spider=crawler.spider, reason="finished")

    asyncio.run(run())
    assert failure_reason(crawler) == ("a person export needs the PersonDocumentWriter extension, which EXTENSIONS "
                                       "disables: no document was written")
    assert not lock_is_held(tmp_path)


def test_the_add_on_wires_the_run_state_components_and_the_state_imports_nothing_of_selection():
    state = Path(__file__).parents[2] / "zendesk_crawler" / "state"
    for module in state.glob("*.py"):
        imported = [node.module or "" for node in ast.walk(ast.parse(module.read_text()))
                    if isinstance(node, ast.ImportFrom)]
        assert not [name for name in imported if name.startswith("zendesk_crawler.selection")], module.name
    components = [path for path in EXTENSIONS if path.startswith("zendesk_crawler.state.")]
    assert components[:4] == ["zendesk_crawler.state.feed_coverage.FeedCoverageCheck",
                              "zendesk_crawler.state.run_lock.RunLockHolder",
                              "zendesk_crawler.state.stale_partials.StalePartialCleanup",
                              "zendesk_crawler.state.loader.StateLoader"]  # the FEEDS check before the lock
    assert "zendesk_crawler.state.shutdown.ShutdownCoordinator" in components
    assert "zendesk_crawler.state.extension.RunStateExtension" not in EXTENSIONS
