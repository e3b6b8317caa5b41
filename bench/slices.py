"""A backfill in slices (``-a max_tickets=N``) against one full run of the same account: requests per slice.

    .venv/bin/python bench/slices.py                                  # 2000 tickets, slices of 300
    .venv/bin/python bench/slices.py --tickets 600 --max-tickets 100  # one 1000-ticket export page, 6 slices

Zendesk's 1000-ticket export pages, no account limit, no latency. Prints one JSON line: the full run's requests,
each slice's tickets and requests (export pages among them), the slices' total, and the tickets whose
comments were asked for more than once across the slices (0: nothing fetched twice).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.crawl import run_crawl  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_sandbox import SandboxProcess  # noqa: E402 - imported after the project root is put on sys.path

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
SETTINGS = {"ZENDESK_EXPORT_PAGE_SIZE": "1000", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "1000000",
            "ZENDESK_PROGRESS_INTERVAL": "0"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--max-tickets", type=int, default=300)
    args = parser.parse_args()
    base = ["-a", "streams=tickets", "-a", "start_time=0"]
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(tickets=args.tickets, seed=1, rate_limit=0,
                                                              export_rate_limit=0, heavy_tickets=False) as sandbox:
        full = run_crawl(sandbox.url, Path(tmp) / "full", *base, **SETTINGS)
        assert full.returncode == 0, full.stderr[-2000:]
        full_requests = sandbox.requests_log()["count"]
        slices, asked, exported = [], Counter[int](), 0
        while len(slices) < 100:
            start = sandbox.requests_log()["count"]
            result = run_crawl(sandbox.url, Path(tmp) / "slices", *base, "-a", f"max_tickets={args.max_tickets}",
                               **SETTINGS)
            assert result.returncode == 0, result.stderr[-2000:]
            log = sandbox.requests_log(since=start)["log"]
            asked.update(int(e["path"].split("/")[4]) for e in log
                         if e["path"].endswith("/comments.json") and "page[after]" not in e["query"])
            tickets = len(result.json_records())
            exported += tickets
            slices.append({"tickets": tickets, "requests": len(log),
                           "export_pages": sum(e["path"] == EXPORT_PATH for e in log)})
            if not result.manifest()["max_tickets_reached"]:
                break
        print(json.dumps({"tickets": args.tickets, "max_tickets": args.max_tickets,
                          "full_run_requests": full_requests, "slices": slices,
                          "slices_tickets": exported, "slices_requests": sum(s["requests"] for s in slices),
                          "tickets_fetched_twice": sum(1 for n in asked.values() if n > 1)}))


if __name__ == "__main__":
    main()
