"""Requests per run of the satisfaction rating and Help Center streams on the default sandbox (300 tickets).

    .venv/bin/python bench/help_center_cost.py [--tickets 300]

Three real crawls of ``-a streams=satisfaction_ratings,categories,sections,articles`` into one location: a
first run, a first run with ``-a attachments=true`` (into a second location), then, after one rating and one
article changed, a second run with attachments on. Prints the requests of each run by endpoint (from the
sandbox's request log) and the records each stream exported.
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

STREAMS = ("satisfaction_ratings", "categories", "sections", "articles")


def endpoint(path: str) -> str:
    if path.startswith("/api/v2/help_center/articles/"):
        return "article attachment lists"
    if path.startswith("/hc/article_attachments/"):
        return "article attachment downloads"
    if path.startswith("/attachment/"):
        return "content host"
    return path


def measure(sandbox: SandboxProcess, label: str, export_dir: Path, *args: str) -> None:
    start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, export_dir, "-a", "streams=" + ",".join(STREAMS), *args)
    requests = Counter(endpoint(e["path"]) for e in sandbox.requests_log(since=start)["log"])
    print(f"{label}: exit {result.returncode}, {sum(requests.values())} requests {dict(requests)}")
    print("  records: " + ", ".join(f"{s} {len(result.records(s))}" for s in STREAMS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    tickets = parser.parse_args().tickets
    with SandboxProcess(tickets=tickets, rate_limit=1_000_000, export_rate_limit=0) as sandbox, \
            tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as files:
        measure(sandbox, "first run", Path(plain), "-a", "start_time=0")
        measure(sandbox, "first run, attachments on", Path(files), "-a", "start_time=0", "-a", "attachments=true")
        sandbox.change(satisfaction_ratings={"update": [sandbox.stream_truth("satisfaction_ratings")[0]["id"]]},
                       articles={"update": [sandbox.stream_truth("articles")[0]["id"]]})
        sandbox.advance_clock(120)
        measure(sandbox, "second run (1 rating, 1 article changed), attachments on", Path(files), "-a",
                "attachments=true")


if __name__ == "__main__":
    main()
