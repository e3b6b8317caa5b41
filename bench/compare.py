"""Benchmark ``python -m zendesk_crawler.compare`` on two large backups of the sandbox.

    .venv/bin/python bench/compare.py --tickets 100000     # the issue's size (a long run on 2 cores)
    .venv/bin/python bench/compare.py --tickets 20000

Builds backup A with one bulk-events crawl (``-a comments=events``, tickets only, JSON Lines),
copies it, changes 1% of the tickets in the sandbox (comments added, subjects renamed, a few
deleted), and lets a delta run bring the copy up to date: that is backup B. Then times
``compare A B`` (no map) and ``compare B B --map M`` (M an identity id map of every ticket: the
restore mode's worst case, every ticket compared through the map), each as a separate process:
wall seconds, CPU seconds and peak RSS (bench/launch.py, ``resource.getrusage`` of the child).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.run import UNLIMITED, Scenario, crawl, measure  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_sandbox import SandboxProcess  # noqa: E402

#: No pacing (the sandbox paces nothing either) and one format.
FAST = {"ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "1000000", "ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE": "1000000",
        "ZENDESK_FORMATS": "jsonl"}


def identity_map(backup: Path, restore: Path) -> int:
    """An id map naming every ticket of ``backup`` as restored to itself; how many lines."""
    restore.mkdir()
    count = 0
    with (restore / "restore-map-20261207T000000Z-abcdef-00001.jsonl").open("w", encoding="utf-8") as out:
        for path in sorted(backup.glob("tickets-*.jsonl")):
            for line in path.open(encoding="utf-8"):
                ticket_id = json.loads(line)["id"]
                out.write(json.dumps({"type": "ticket", "source_id": ticket_id, "target_id": ticket_id,
                                      "action": "created"}) + "\n")
                count += 1
    return count


def timed_compare(label: str, args: list[str], workdir: Path) -> list[str]:
    """One compare process, measured; its row."""
    started = time.monotonic()
    result = measure([sys.executable, "-m", "zendesk_crawler.compare", *args, "--json",
                      str(workdir / f"{label}.json")], {"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
                     workdir / label)
    wall = time.monotonic() - started
    report = json.loads((workdir / f"{label}.json").read_text("utf-8"))
    counts = report["streams"]["tickets"]["counts"]
    return [label, json.dumps(counts), f"{wall:.1f}", f"{result['cpu_seconds']:.1f}",
            f"{result['peak_rss_mb']:.0f}", str(result["exit_status"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100000)
    args = parser.parse_args(argv)
    scenario = Scenario("compare", args.tickets, crawler_env=FAST,
                        crawl_args=["-a", "streams=tickets", "-a", "comments=events"])
    sandbox_process = SandboxProcess(tickets=args.tickets, seed=1, gzip=False, rate_limit=UNLIMITED,
                                     export_rate_limit=0, conversation_log_rate_limit=UNLIMITED,
                                     heavy_tickets=False)
    with tempfile.TemporaryDirectory() as tmp, sandbox_process as sandbox:
        root = Path(tmp)
        live = root / "live"
        first = crawl(sandbox, scenario, live, "-a", "start_time=0", *scenario.crawl_args)
        print(f"# backup A: {first.tickets} tickets, {first.comments} comments, {first.wall:.0f} s", flush=True)
        shutil.copytree(live, root / "a")
        ids = [t["id"] for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
        changed = ids[::100]
        sandbox.change(add_comments=changed[0::3], update=changed[1::3], delete=changed[2::30])
        sandbox.advance_clock(120)
        second = crawl(sandbox, scenario, live, *scenario.crawl_args)
        print(f"# backup B: A and a delta run of {second.tickets} tickets ({len(changed)} changed)", flush=True)
        mapped = identity_map(live, root / "restore")
        size = sum(p.stat().st_size for p in live.glob("tickets-*")) / 2**20
        print(f"# B's ticket files: {size:.0f} MB; identity map: {mapped} lines", flush=True)
        rows = [timed_compare("changes A B", [str(root / "a"), str(live)], root),
                timed_compare("restore B B --map", [str(live), str(live), "--map", str(root / "restore")], root)]
    print("| compare | ticket counts | wall s | CPU s | peak RSS MB | exit |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
