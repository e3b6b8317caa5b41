"""Run the real ``scrapy crawl zendesk`` as a separate process against a sandbox, and read what it wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.xmlfeed import read_xml_feed
from zendesk_crawler.sandbox import DEFAULT_API_TOKEN, DEFAULT_EMAIL

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlResult:
    """Exit status, output and files of one crawl process."""

    returncode: int
    stdout: str
    stderr: str
    export_dir: Path
    new_files: list[Path] = field(default_factory=list)

    def feed(self, suffix: str) -> Path:
        (path,) = [p for p in self.new_files if p.suffix == suffix]
        return path

    def json_records(self) -> list[dict[str, Any]]:
        return json.loads(self.feed(".json").read_bytes())

    def xml_records(self) -> list[dict[str, Any]]:
        return read_xml_feed(self.feed(".xml").read_bytes())

    def state(self) -> dict[str, Any] | None:
        path = self.export_dir / "state.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    def failure_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("zendesk_crawler: FAILED:")]


def crawl_env(sandbox_url: str, export_dir: Path, **overrides: str) -> dict[str, str]:
    """A clean environment pointing the crawler at the sandbox (no ZENDESK_* leaks in from the caller)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY_"))}
    env.update({
        "ZENDESK_URL": sandbox_url,
        "ZENDESK_EMAIL": DEFAULT_EMAIL,
        "ZENDESK_API_TOKEN": DEFAULT_API_TOKEN,
        "ZENDESK_EXPORT_URI": str(export_dir),
        "ZENDESK_PROGRESS_INTERVAL": "1",
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run_crawl(sandbox_url: str, export_dir: Path, *args: str, timeout: float = 240, **env: str) -> CrawlResult:
    """``scrapy crawl zendesk ARGS`` from the project root; returns when the process exits."""
    before = set(export_dir.glob("tickets-*")) if export_dir.exists() else set()
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "zendesk", *args],
        cwd=PROJECT_ROOT, env=crawl_env(sandbox_url, export_dir, **env),
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    after = set(export_dir.glob("tickets-*")) if export_dir.exists() else set()
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, export_dir, sorted(after - before))
