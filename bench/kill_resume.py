"""A backfill killed after its first checkpoints, then run again: the rerun's requests as a share of a full export.

    .venv/bin/python bench/kill_resume.py   # 6000 tickets, 20 ms latency, no account limit (about a minute)

Prints one JSON line. The first run is a full export (the reference); the second is killed with
SIGKILL once its checkpoints say 3000 records are stored; the third resumes it.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.crawl import RunningCrawl, run_crawl  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_sandbox import SandboxProcess  # noqa: E402 - imported after the project root is put on sys.path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(tickets=6000, seed=1, rate_limit=0, export_rate_limit=0,
                                                              latency_ms=20, heavy_tickets=False) as sandbox:
        full = run_crawl(sandbox.url, Path(tmp) / "full", "-a", "start_time=0", ZENDESK_PROGRESS_INTERVAL="0")
        assert full.returncode == 0, full.stderr[-2000:]
        full_requests = sandbox.requests_log()["count"]
        first = RunningCrawl(sandbox.url, Path(tmp) / "killed", "-a", "start_time=0", ZENDESK_CHECKPOINT_INTERVAL="5")
        stored = 0
        while stored < 3000:
            found = re.search(r"tickets: (\d+) records", first.wait_for("Checkpoint: "))
            stored = int(found.group(1)) if found else stored
        first.proc.send_signal(signal.SIGKILL)
        first.finish()
        before = sandbox.requests_log()["count"]
        killed_requests = before - full_requests
        second = run_crawl(sandbox.url, Path(tmp) / "killed", "-a", "start_time=0")
        rerun = sandbox.requests_log()["count"] - before
        print(json.dumps({"full_export_requests": full_requests, "killed_run_requests": killed_requests,
                          "stored_at_kill": stored, "rerun_requests": rerun,
                          "rerun_share": round(rerun / full_requests, 3), "rerun_exit": second.returncode}))


if __name__ == "__main__":
    main()
