"""Run the real ``scrapy crawl zendesk`` as a separate process against a sandbox, and read what it wrote.

For the tests, the benchmarks and the README's screenshots; the crawler's JSON feeds, manifests and state file are
read with the standard library (the tests' helpers add the XML feeds).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zendesk_sandbox.auth import DEFAULT_API_TOKEN, DEFAULT_EMAIL

#: The project checkout (``scrapy.cfg``), where ``scrapy crawl zendesk`` runs.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CrawlResult:
    """Exit status, output and files of one crawl process."""

    returncode: int
    stdout: str
    stderr: str
    export_dir: Path
    #: This run's new files of every stream and the manifest.
    all_new_files: list[Path] = field(default_factory=list)

    @property
    def new_files(self) -> list[Path]:
        """This run's ticket feed files."""
        return self.stream_files("tickets")

    def stream_files(self, stream: str) -> list[Path]:
        """This run's feed files of one stream, in batch order."""
        return sorted(p for p in self.all_new_files if p.name.startswith(f"{stream}-"))

    def feeds(self, suffix: str, stream: str = "tickets") -> list[Path]:
        """This run's feed files of one stream and format, in batch order."""
        return [p for p in self.stream_files(stream) if p.suffix == suffix]

    def records(self, stream: str) -> list[dict[str, Any]]:
        """This run's records of one stream, from its JSON files."""
        return [r for path in self.feeds(".json", stream) for r in json.loads(path.read_bytes())]

    def json_records(self) -> list[dict[str, Any]]:
        """This run's ticket records, from its JSON files."""
        return self.records("tickets")

    def manifest(self) -> dict[str, Any]:
        """This run's manifest."""
        (path,) = [p for p in self.all_new_files if p.name.startswith("manifest-")]
        return json.loads(path.read_text("utf-8"))

    def state(self) -> dict[str, Any] | None:
        """The export location's state file after the run, if there is one."""
        path = self.export_dir / "state.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    def failure_lines(self) -> list[str]:
        """The crawler's ``FAILED:`` lines on stderr."""
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


class RunningCrawl:
    """A ``scrapy crawl zendesk`` process still running, whose log can be waited on line by line."""

    def __init__(self, sandbox_url: str, export_dir: Path, *args: str, spider: str = "zendesk", **env: str) -> None:
        self.export_dir = export_dir
        self.before = _files(export_dir)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", spider, *args],
            cwd=PROJECT_ROOT, env=crawl_env(sandbox_url, export_dir, **env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        """Block until a log line containing ``text`` appears; fail if the process ends first."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"crawl ended before logging {text!r}:\n{''.join(self.log[-40:])}")
            self.log.append(line)
            if text in line:
                return line

    def finish(self, timeout: float = 240) -> CrawlResult:
        """Wait for the process to exit and collect the rest of its output."""
        returncode = self.proc.wait(timeout=timeout)
        while (line := self.lines.get(timeout=timeout)) is not None:
            self.log.append(line)
        stdout = self.proc.stdout.read() if self.proc.stdout else ""
        return CrawlResult(returncode, stdout, "".join(self.log), self.export_dir,
                           sorted(_files(self.export_dir) - self.before))


def run_crawl(sandbox_url: str, export_dir: Path, *args: str, timeout: float = 240, spider: str = "zendesk",
              **env: str) -> CrawlResult:
    """``scrapy crawl zendesk ARGS`` (or another ``spider``: ``zendesk_restore``) from the project root; returns
    when the process exits."""
    before = _files(export_dir)
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", spider, *args],
        cwd=PROJECT_ROOT, env=crawl_env(sandbox_url, export_dir, **env),
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, export_dir, sorted(_files(export_dir) - before))


def _files(export_dir: Path) -> set[Path]:
    """The files directly in an export directory (feeds, manifests, the state)."""
    return {p for p in export_dir.iterdir() if p.is_file()} if export_dir.exists() else set()
