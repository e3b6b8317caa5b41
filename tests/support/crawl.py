"""The crawl runner of ``harness.crawl`` with results that also read the XML feeds; crawl settings the
tests share."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from harness import crawl
from harness.crawl import crawl_env
from tests.support.xmlfeed import read_xml_feed

__all__ = ["CHECKPOINTING", "CrawlResult", "RunningCrawl", "RunningRestore", "crawl_env", "run_crawl", "run_restore"]

#: Many small export pages and batch files, so that checkpoints happen early and often.
CHECKPOINTING = {
    "ZENDESK_EXPORT_PAGE_SIZE": "40",
    "ZENDESK_BATCH_ITEM_COUNT": "25",
    "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000",
    "ZENDESK_RETRY_BACKOFF_BASE": "0.05",
}


@dataclasses.dataclass
class CrawlResult(crawl.CrawlResult):
    """Exit status, output and files of one crawl process; its records from the JSON or the XML feeds."""

    @classmethod
    def of(cls, result: crawl.CrawlResult) -> CrawlResult:
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})

    def records(self, stream: str, suffix: str = ".json") -> list[dict[str, Any]]:
        """This run's records of one stream, from its JSON (or XML) files."""
        if suffix == ".xml":
            return [r for path in self.feeds(".xml", stream) for r in read_xml_feed(path.read_bytes())]
        return super().records(stream)

    def xml_records(self) -> list[dict[str, Any]]:
        """This run's ticket records, from its XML files."""
        return self.records("tickets", ".xml")


class RunningCrawl(crawl.RunningCrawl):
    """A ``scrapy crawl zendesk`` process still running, whose log can be waited on line by line."""

    def finish(self, timeout: float = 240) -> CrawlResult:
        """Wait for the process to exit and collect the rest of its output."""
        return CrawlResult.of(super().finish(timeout))


def run_crawl(sandbox_url: str, export_dir: Path, *args: str, timeout: float = 240, **env: str) -> CrawlResult:
    """``scrapy crawl zendesk ARGS`` from the project root; returns when the process exits."""
    return CrawlResult.of(crawl.run_crawl(sandbox_url, export_dir, *args, timeout=timeout, **env))


def run_restore(target_url: str, restore_dir: Path, source: Path | str, *args: str, target: str | None = None,
                timeout: float = 240, **env: str) -> CrawlResult:
    """``scrapy crawl zendesk_restore -a source=SOURCE -a target=HOST ARGS`` into the sandbox at ``target_url``
    (``target``: the host named, by default the sandbox's own); the restore's location is ``restore_dir``."""
    host = target if target is not None else target_url.split("//", 1)[-1]
    return CrawlResult.of(crawl.run_crawl(target_url, restore_dir, "-a", f"source={source}", "-a", f"target={host}",
                                          *args, timeout=timeout, spider="zendesk_restore", **env))


class RunningRestore(RunningCrawl):
    """A ``scrapy crawl zendesk_restore`` process still running (to be killed at a chosen log line)."""

    def __init__(self, target_url: str, restore_dir: Path, source: Path | str, *args: str, **env: str) -> None:
        host = target_url.split("//", 1)[-1]
        super().__init__(target_url, restore_dir, "-a", f"source={source}", "-a", f"target={host}", *args,
                         spider="zendesk_restore", **env)
