"""Requests a full backup spends per endpoint, side conversations and conversation logs among them.

    .venv/bin/python bench/collaboration_cost.py               # the sandbox's default account: 300 tickets, seed 1
    .venv/bin/python bench/collaboration_cost.py --tickets 2000

Prints one JSON line: the requests by endpoint of ``scrapy crawl zendesk -a start_time=0`` (every stream), the
side conversations exported against the sandbox's truth, and the messaging tickets; then the same account with
``--without collaboration``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.crawl import run_crawl  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_sandbox import SandboxProcess  # noqa: E402 - imported after the project root is put on sys.path


def backup(tickets: int, seed: int, without: tuple[str, ...] = ()) -> dict[str, object]:
    """One full backup of a fresh sandbox: requests by endpoint and what the collaboration streams hold."""
    with SandboxProcess(tickets=tickets, seed=seed, rate_limit=0, export_rate_limit=0, without=without) as sandbox, \
            tempfile.TemporaryDirectory() as export_dir:
        result = run_crawl(sandbox.url, Path(export_dir), "-a", "start_time=0")
        if result.returncode != 0:
            raise SystemExit(result.stderr[-3000:])
        truth = [] if without else sandbox.stream_truth("side_conversations")
        return {"without": list(without), "requests": sandbox.requests_log()["by_endpoint"],
                "side_conversations": len(result.records("side_conversations")),
                "side_conversations_truth": len(truth),
                "tickets_with_side_conversations": len({s["ticket_id"] for s in truth}),
                "messaging_tickets": len(sandbox.stream_truth("conversation_logs"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps({"tickets": args.tickets, "seed": args.seed,
                      "runs": [backup(args.tickets, args.seed), backup(args.tickets, args.seed, ("collaboration",))]}))


if __name__ == "__main__":
    main()
