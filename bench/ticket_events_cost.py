"""Requests per run of the ``ticket_events`` stream on the default sandbox (300 tickets), and the one read of events
mode.

    .venv/bin/python bench/ticket_events_cost.py [--tickets 300]

Real crawls against one sandbox: ``-a streams=ticket_events`` from ``start_time=0``, then a second run after a few
tickets changed (from the saved position); then, into other locations, events comment mode with and without the
``ticket_events`` stream (the event pages asked must be the same: one read for both). Prints each run's requests by
path (from the sandbox's request log), the event pages asked twice, and the records of ``ticket_events``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.crawl import run_crawl  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_sandbox import SandboxProcess  # noqa: E402 - likewise

EVENTS_PATH = "/api/v2/incremental/ticket_events.json"


def measure(sandbox: SandboxProcess, label: str, export_dir: Path, *args: str) -> None:
    start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, export_dir, *args, ZENDESK_EXPORT_REQUESTS_PER_MINUTE="10000")
    log = sandbox.requests_log(since=start)["log"]
    paths = Counter("comments" if e["path"].endswith("/comments.json") else e["path"] for e in log)
    asked = Counter(e["query"].get("start_time") for e in log if e["path"] == EVENTS_PATH)
    twice = sum(1 for count in asked.values() if count > 1)
    print(f"{label}: exit {result.returncode}, {len(log)} requests, {paths[EVENTS_PATH]} event pages "
          f"({twice} asked twice), {len(result.records('ticket_events'))} ticket_events records; {dict(paths)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(tickets=args.tickets, seed=1, rate_limit=0,
                                                              export_rate_limit=0) as sandbox:
        sandbox.advance_clock(120)
        base = Path(tmp)
        measure(sandbox, "first run", base / "history", "-a", "streams=ticket_events", "-a", "start_time=0")
        ids = [t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
        sandbox.change(add_comments=ids[:5], update=ids[5:10])
        sandbox.advance_clock(120)
        measure(sandbox, "second run (5 tickets commented, 5 updated)", base / "history", "-a", "streams=ticket_events")
        measure(sandbox, "events mode, tickets only", base / "events", "-a", "streams=tickets", "-a",
                "comments=events", "-a", "start_time=0")
        measure(sandbox, "events mode, tickets and ticket_events", base / "both", "-a",
                "streams=tickets,ticket_events", "-a", "comments=events", "-a", "start_time=0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
