"""Benchmark the real ``scrapy crawl zendesk`` against the sandbox Zendesk.

    .venv/bin/python bench/run.py                      # every scenario (about 17 minutes on 2 cores)
    .venv/bin/python bench/run.py --scenario cpu       # one scenario (repeatable)
    .venv/bin/python bench/run.py --smoke              # a tiny run of each kind, for CI (no timing asserted)

Each scenario starts the sandbox with its own ticket count, latency, rate limit
and time scale (a rate-limit "minute" of 60/scale seconds), runs the crawler as
a separate process and prints one row: tickets, comments, requests, requests
per ticket, 429s, wall seconds, the theoretical minimum (requests needed ÷
allowed rate, for rate-limited scenarios), budget utilisation, tickets per
second, crawler CPU seconds per 1000 tickets and the crawler's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from zendesk_sandbox import SandboxProcess  # noqa: E402 - imported after the project root is put on sys.path

UNLIMITED = 1_000_000_000


@dataclass
class Scenario:
    """One benchmark setting: the sandbox's shape and the crawler's settings."""

    name: str
    tickets: int
    rate_limit: int = UNLIMITED
    export_rate_limit: int = 0
    time_scale: float = 1.0
    latency_ms: float = 0
    crawler_env: dict[str, str] = field(default_factory=dict)
    #: Spider arguments; the ticket scenarios export the ticket stream only (what the peers do).
    crawl_args: list[str] = field(default_factory=lambda: ["-a", "streams=tickets"])
    change_fraction: float = 0.0  # > 0: measure a second run after this share of tickets changed
    peer: bool = False  # also run the Zenpy peer extractor on the same sandbox
    floor: bool = False  # also run bench/scrapy_floor.py, the minimal Scrapy spider, on the same sandbox
    tell_window: bool = True  # False: the crawler is not told the sandbox's window (it must follow the headers)
    backup: bool = True  # False: a filtered or person export (no start_time, no state: counts from the manifest)
    #: The sandbox's default heavy tickets (1 in 60 with 150-450 comments, long bodies) instead of about 4 comments.
    heavy: bool = False

    def allowed_rate(self) -> float | None:
        """Requests per real second the account budget allows (None: unlimited)."""
        if self.rate_limit >= UNLIMITED:
            return None
        return self.rate_limit * self.time_scale / 60


@dataclass
class Row:
    """What one crawl did and cost."""

    scenario: str
    tickets: int
    comments: int
    requests: int
    rejected_429: int
    wall: float
    cpu: float
    peak_rss_mb: float
    allowed_rate: float | None
    exit_status: int

    def cells(self) -> list[str]:
        ok_requests = self.requests - self.rejected_429
        minimum = ok_requests / self.allowed_rate if self.allowed_rate else None
        utilisation = (ok_requests / self.wall) / self.allowed_rate if self.allowed_rate else None
        return [
            self.scenario, str(self.tickets), str(self.comments), str(self.requests),
            f"{self.requests / max(1, self.tickets):.3f}", str(self.rejected_429), f"{self.wall:.1f}",
            f"{minimum:.1f}" if minimum else "-", f"{utilisation:.0%}" if utilisation else "-",
            f"{self.tickets / self.wall:.0f}", f"{1000 * self.cpu / max(1, self.tickets):.2f}",
            f"{self.peak_rss_mb:.0f}", str(self.exit_status),
        ]


HEADER = ["scenario", "tickets", "comments", "requests", "req/ticket", "429s", "wall s", "min s",
          "budget use", "tickets/s", "CPU s/1000", "peak RSS MB", "exit"]


def crawl(sandbox: SandboxProcess, scenario: Scenario, export_dir: Path, *args: str) -> Row:
    """Run ``scrapy crawl zendesk`` once and measure it (CPU and peak RSS of the crawler process only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")}
    env.update(sandbox.crawler_env())
    env.update({"ZENDESK_EXPORT_URI": str(export_dir), "ZENDESK_PROGRESS_INTERVAL": "0",
                "PYTHONPATH": str(PROJECT_ROOT)})
    if scenario.tell_window:
        env["ZENDESK_RATE_LIMIT_WINDOW"] = str(60 / scenario.time_scale)
    env.update(scenario.crawler_env)
    before = sandbox.requests_log(since=10**12)
    started = time.monotonic()
    measured = measure([sys.executable, "-m", "scrapy", "crawl", "zendesk", "-s", "LOG_LEVEL=WARNING", *args],
                       env, export_dir)
    wall = time.monotonic() - started
    after = sandbox.requests_log(since=10**12)
    statuses_before, statuses_after = before["statuses"], after["statuses"]
    manifests = sorted(export_dir.glob("manifest-*.json"))
    last = json.loads(manifests[-1].read_text("utf-8")) if manifests else {}
    files = last.get("attachments")
    streams = last.get("streams") or {}
    if len(streams) > 1:  # a run of several streams: what each cost, beside the table
        total = after["count"] - before["count"]
        print(f"# {scenario.name}: requests (records) by stream, the crawler's per-stream stats ({total} requests "
              "in the sandbox's log): " + ", ".join(f"{name} {facts.get('requests', 0)} ({facts.get('records', 0)})"
                                                      for name, facts in streams.items()),
              file=sys.stderr, flush=True)
    if files:  # the file downloads of an attachments scenario, beside the table
        print(f"# {scenario.name}: {files.get('downloaded', 0)} files downloaded "
              f"({files.get('downloaded', 0) / wall:.1f} files/s, {files.get('downloaded_bytes', 0) / 1e6:.1f} MB), "
              f"{files.get('files_stored', 0)} stored ({files.get('stored_bytes', 0) / 1e6:.1f} MB)",
              file=sys.stderr, flush=True)
    return Row(
        scenario=scenario.name, tickets=last.get("tickets_exported", 0), comments=last.get("comments_exported", 0),
        requests=after["count"] - before["count"],
        rejected_429=statuses_after.get("429", 0) - statuses_before.get("429", 0),
        wall=wall, cpu=measured["cpu_seconds"], peak_rss_mb=measured["peak_rss_mb"],
        allowed_rate=scenario.allowed_rate(), exit_status=measured["exit_status"],
    )


def measure(command: list[str], env: dict[str, str], workdir: Path, cwd: Path = PROJECT_ROOT) -> dict[str, Any]:
    """Run a command in ``cwd`` through bench/launch.py; its exit status, CPU seconds and peak RSS."""
    result_path = workdir.parent / f"{workdir.name}-measure.json"
    proc = subprocess.run([sys.executable, str(PROJECT_ROOT / "bench" / "launch.py"), str(result_path), *command],
                          cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode:
        print(proc.stderr[-2000:], file=sys.stderr)
    return {**json.loads(result_path.read_text("utf-8")), "stdout": proc.stdout}


def run_peer(sandbox: SandboxProcess, scenario: Scenario, output: Path) -> Row:
    """The sequential Zenpy extractor (bench/zenpy_peer.py) on the same sandbox."""
    command = [sys.executable, str(PROJECT_ROOT / "bench" / "zenpy_peer.py"), "--start-time", "0",
               "--output", str(output)]
    return run_other(sandbox, scenario, "zenpy peer", command, output.parent)


def run_floor(sandbox: SandboxProcess, scenario: Scenario, workdir: Path) -> Row:
    """The minimal Scrapy spider (bench/scrapy_floor.py) on the same sandbox."""
    # Run outside the project, so that none of its settings apply (plain Scrapy defaults).
    command = [sys.executable, "-m", "scrapy", "runspider", str(PROJECT_ROOT / "bench" / "scrapy_floor.py")]
    return run_other(sandbox, scenario, "minimal Scrapy spider", command, workdir, cwd=workdir)


def run_other(sandbox: SandboxProcess, scenario: Scenario, label: str, command: list[str], workdir: Path,
              cwd: Path = PROJECT_ROOT) -> Row:
    """Another extractor that prints ``{"tickets", "comments"}`` as its last line, measured like the crawler."""
    env = {**os.environ, **sandbox.crawler_env()}
    before = sandbox.requests_log(since=10**12)
    started = time.monotonic()
    measured = measure(command, env, workdir, cwd)
    wall = time.monotonic() - started
    after = sandbox.requests_log(since=10**12)
    summary = measured["stdout"].strip()
    result = json.loads(summary.splitlines()[-1]) if summary else {}
    return Row(
        scenario=f"{scenario.name}: {label}", tickets=result.get("tickets", 0), comments=result.get("comments", 0),
        requests=after["count"] - before["count"],
        rejected_429=after["statuses"].get("429", 0) - before["statuses"].get("429", 0),
        wall=wall, cpu=measured["cpu_seconds"], peak_rss_mb=measured["peak_rss_mb"],
        allowed_rate=scenario.allowed_rate(), exit_status=measured["exit_status"],
    )


def run_scenario(scenario: Scenario) -> list[Row]:
    """Start the sandbox, crawl it (twice for a delta scenario), return the rows."""
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(
        tickets=scenario.tickets, seed=1, rate_limit=scenario.rate_limit, export_rate_limit=scenario.export_rate_limit,
        time_scale=scenario.time_scale, latency_ms=scenario.latency_ms, gzip=False, heavy_tickets=scenario.heavy,
        # Unlimited scenarios lift the conversation logs' own budget too (Zendesk's: 100 a minute).
        conversation_log_rate_limit=100 if scenario.allowed_rate() else UNLIMITED,
    ) as sandbox:
        export_dir = Path(tmp)
        start = ["-a", "start_time=0"] if scenario.backup else []
        rows = [crawl(sandbox, scenario, export_dir, *start, *scenario.crawl_args)]
        if scenario.peer:
            rows.append(run_peer(sandbox, scenario, export_dir / "peer.jsonl"))
        if scenario.floor:
            rows.append(run_floor(sandbox, scenario, export_dir))
        if scenario.change_fraction:
            ids = [t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
            changed = ids[:: max(1, round(1 / scenario.change_fraction))]
            sandbox.change(add_comments=changed[::2], update=changed[1::2])
            sandbox.advance_clock(120)
            second = crawl(sandbox, scenario, export_dir, *scenario.crawl_args)
            second.scenario = f"{scenario.name} (after {len(changed)} changed)"
            rows.append(second)
        return rows


def scenarios(smoke: bool) -> dict[str, Scenario]:
    """The benchmark's scenarios (``smoke``: tiny versions for CI)."""
    scale = 0.01 if smoke else 1.0
    fast = {"ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "1000000", "ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE": "1000000"}
    return {
        # Zendesk Enterprise: 700 requests/minute, 10 export pages/minute, 200 ms per answer;
        # a "minute" lasts 20 s so that the run takes about a minute.
        "api": Scenario("api-bound 700/min, 200 ms", max(50, int(2000 * scale)), rate_limit=700,
                        export_rate_limit=10, time_scale=3, latency_ms=200),
        # The whole account (every stream) on the same budgets: what the other streams cost beside the tickets.
        "account": Scenario("whole account 700/min, 200 ms", max(50, int(2000 * scale)), rate_limit=700,
                            export_rate_limit=10, time_scale=3, latency_ms=200, crawl_args=[]),
        # The api-bound shape with every attachment file downloaded: downloads must not slow the API crawl.
        "attachments": Scenario("api-bound 700/min, 200 ms, attachments on", max(50, int(2000 * scale)),
                                rate_limit=700, export_rate_limit=10, time_scale=3, latency_ms=200,
                                crawl_args=["-a", "streams=tickets", "-a", "attachments=true"]),
        "attachments-8": Scenario("api-bound 700/min, 200 ms, attachments on, 8 downloads",
                                  max(50, int(2000 * scale)), rate_limit=700, export_rate_limit=10, time_scale=3,
                                  latency_ms=200, crawl_args=["-a", "streams=tickets", "-a", "attachments=true"],
                                  crawler_env={"ZENDESK_ATTACHMENT_DOWNLOADS": "8"}),
        # A filtered run and a person export on the api-bound budgets: the cost follows the matches.
        "filter": Scenario("filter status=solved, 700/min, 200 ms", max(50, int(2000 * scale)), rate_limit=700,
                           export_rate_limit=10, time_scale=3, latency_ms=200, backup=False,
                           crawl_args=["-a", "status=solved"]),
        "person": Scenario("person export, 700/min, 200 ms", max(50, int(2000 * scale)), rate_limit=700,
                           export_rate_limit=10, time_scale=3, latency_ms=200, backup=False,
                           crawl_args=["-a", "user=agent2@sandbox.example.com"]),
        # The same budget in 6-second windows the crawler is not told about: it must follow the headers.
        "api-untold-window": Scenario("api-bound 700 per 6 s window, not told", max(50, int(2000 * scale)),
                                      rate_limit=700, export_rate_limit=10, time_scale=10, latency_ms=20,
                                      tell_window=False),
        # An unlimited account budget and Zendesk's real export budget (10 pages a minute): the export
        # budget must not be what limits a per-ticket backfill.
        "export-budget": Scenario("unlimited account, 10 export pages/min", max(50, int(20000 * scale)),
                                  export_rate_limit=10),
        "cpu": Scenario("cpu-bound per-ticket", max(50, int(20000 * scale)), crawler_env=fast, floor=True),
        "cpu-events": Scenario("cpu-bound bulk events", max(50, int(20000 * scale)), crawler_env=fast,
                               crawl_args=["-a", "streams=tickets", "-a", "comments=events"]),
        "peer": Scenario("peer comparison", max(50, int(2000 * scale)), crawler_env=fast, peer=True),
        "peer-latency": Scenario("peer comparison, 200 ms", max(20, int(200 * scale)), latency_ms=200,
                                 crawler_env=fast, peer=True),
        "memory-10k": Scenario("memory 10k", max(50, int(10000 * scale)), crawler_env=fast),
        "memory-100k": Scenario("memory 100k", max(50, int(100000 * scale)), crawler_env=fast),
        "memory-events-10k": Scenario("memory bulk events 10k", max(50, int(10000 * scale)), crawler_env=fast,
                                      crawl_args=["-a", "streams=tickets", "-a", "comments=events"]),
        "memory-events-40k": Scenario("memory bulk events 40k", max(50, int(40000 * scale)), crawler_env=fast,
                                      crawl_args=["-a", "streams=tickets", "-a", "comments=events"]),
        # The sandbox's heavy tickets (its default): events mode's memory must stay flat in the account's size.
        "heavy-20k": Scenario("heavy per-ticket 20k", max(50, int(20000 * scale)), crawler_env=fast, heavy=True),
        "heavy-events-20k": Scenario("heavy bulk events 20k", max(50, int(20000 * scale)), crawler_env=fast,
                                     heavy=True, crawl_args=["-a", "streams=tickets", "-a", "comments=events"]),
        "heavy-events-100k": Scenario("heavy bulk events 100k", max(50, int(100000 * scale)), crawler_env=fast,
                                      heavy=True, crawl_args=["-a", "streams=tickets", "-a", "comments=events"]),
        "delta": Scenario("delta 1%", max(100, int(10000 * scale)), crawler_env=fast, change_fraction=0.01),
    }


def print_table(rows: list[Row]) -> None:
    """Markdown table, one row per crawl."""
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark scrapy crawl zendesk against the sandbox.")
    parser.add_argument("--scenario", action="append", help="run only these (see scenarios())")
    parser.add_argument("--smoke", action="store_true", help="tiny versions of every scenario (for CI)")
    args = parser.parse_args(argv)
    available = scenarios(args.smoke)
    chosen = args.scenario or list(available)
    rows: list[Row] = []
    for name in chosen:
        rows += run_scenario(available[name])
        print(f"# {name} done", file=sys.stderr, flush=True)
    print_table(rows)
    return 0 if all(row.exit_status == 0 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
