"""What the configuration streams cost: requests per stream of a crawl of the fourteen, from the sandbox's log.

    .venv/bin/python bench/configuration_requests.py [--tickets 300] [--list-page-size 100]

Starts the sandbox (seed 1, no rate limits), runs the real ``scrapy crawl zendesk -a streams=<the fourteen>``
once, and prints per stream the objects the sandbox holds and the requests its endpoint was sent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.crawl import run_crawl  # noqa: E402 - after the project root is on the path
from zendesk_sandbox import SandboxProcess  # noqa: E402 - after the project root is on the path

STREAMS = ("ticket_forms", "user_fields", "organization_fields", "brands", "custom_statuses", "macros", "triggers",
           "automations", "views", "sla_policies", "schedules", "dynamic_content", "group_memberships",
           "organization_memberships")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--list-page-size", type=int, default=100)
    args = parser.parse_args()
    with SandboxProcess(tickets=args.tickets, seed=1, rate_limit=0, export_rate_limit=0) as sandbox, \
            tempfile.TemporaryDirectory() as export_dir:
        result = run_crawl(sandbox.url, Path(export_dir), "-a", f"streams={','.join(STREAMS)}",
                           ZENDESK_LIST_PAGE_SIZE=str(args.list_page_size))
        requests = sandbox.requests_log()["by_endpoint"]
        print(f"exit {result.returncode}; {sum(requests.values())} requests in all")
        print("| stream | objects | requests |\n|---|---|---|")
        for stream in STREAMS:
            print(f"| `{stream}` | {len(sandbox.stream_truth(stream))} | {requests.get(stream, 0)} |")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
