"""The restore's cost: a backup of the sandbox (attachments on) restored into an empty sandbox at Zendesk's pace.

    .venv/bin/python bench/restore.py [--tickets 2000] [--rate-limit 700]

Backs up a seeded sandbox (every stream, attachments on, no rate limit: the backup is not what is measured),
then runs ``scrapy crawl zendesk_restore`` into an empty sandbox whose account budget is ``--rate-limit``
requests a minute (Enterprise: 700). Prints the restore's requests by endpoint (the target's request log), its
wall time against the least those requests need at that budget, its CPU seconds, peak RSS and exit status, and
what it wrote (the target's ``/_sandbox/truth/written`` counts).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import PROJECT_ROOT, measure  # noqa: E402 - imported after the project root is put on sys.path
from harness.crawl import run_crawl  # noqa: E402 - likewise
from zendesk_sandbox import SandboxProcess  # noqa: E402 - likewise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--rate-limit", type=int, default=700)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        backup, restore = Path(work) / "backup", Path(work) / "restore"
        with SandboxProcess(tickets=args.tickets, seed=1, rate_limit=0, export_rate_limit=0) as source:
            result = run_crawl(source.url, backup, "-a", "start_time=0", "-a", "attachments=true",
                               ZENDESK_FORMATS="jsonl", timeout=3600)
            if result.returncode:
                sys.exit(f"the backup failed: {result.stderr[-2000:]}")
        with SandboxProcess(account="empty", rate_limit=args.rate_limit, export_rate_limit=10) as target:
            env = {k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")}
            env.update(target.crawler_env())
            env.update({"ZENDESK_EXPORT_URI": str(restore), "ZENDESK_PROGRESS_INTERVAL": "0",
                        "PYTHONPATH": str(PROJECT_ROOT)})
            restore.mkdir()
            started = time.monotonic()
            measured = measure([sys.executable, "-m", "scrapy", "crawl", "zendesk_restore", "-s", "LOG_LEVEL=WARNING",
                                "-a", f"source={backup}", "-a", f"target={target.url.split('//', 1)[-1]}"],
                               env, restore)
            wall = time.monotonic() - started
            log = target.requests_log()["log"]
            written = target.written_truth()["counts"]
    requests = Counter(f"{entry['method']} {entry['path'].rstrip('0123456789abcdef/').split('.json')[0]}"
                       for entry in log)
    budgeted = sum(n for name, n in requests.items() if "/incremental/" not in name)
    least = budgeted / args.rate_limit * 60
    print(f"restore of {args.tickets} tickets at {args.rate_limit}/min: exit {measured['exit_status']}, "
          f"{len(log)} requests, wall {wall:.1f} s (least at the budget: {least:.1f} s), "
          f"CPU {measured['cpu_seconds']:.1f} s, peak RSS {measured['peak_rss_mb']:.0f} MB")
    for name, count in requests.most_common():
        print(f"  {count:6d}  {name}")
    print("written: " + json.dumps(written))


if __name__ == "__main__":
    main()
