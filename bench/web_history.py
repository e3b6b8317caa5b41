"""What a ticket's history costs the web page: a ticket of 50 versions and 2000 events in a large backup.

    .venv/bin/python bench/web_history.py [--tickets 20000] [--audits 100000] [--dir DIR]

Writes a backup shaped like the crawler's: a first run with every ticket, then
49 runs each re-exporting the ticket with the long history (so it has 50
versions) and 200 others, every run with its ``ticket_events`` (JSON Lines
batches of 10,000 audits, gzipped as ``ZENDESK_FEED_GZIP`` writes them; 2000
audits of the one ticket among the others) and a ``users`` file. Then measures,
in this process: building the event and name indexes from nothing, a refresh
with nothing new, and the history of the one ticket (a page of 50 versions with
their differences, 51 records read back; a page of 200 of its 2000 audits with
every name resolved), and the history of a ticket with two versions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from zendesk_crawler.location.reader import LocalLocation  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.web.history import TicketHistory  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.web.runs import read_runs  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.web.tickets import TicketIndex  # noqa: E402 - imported after the project root is put on sys.path

LONG = 7  # the ticket with 50 versions and 2000 events
RUNS = 50
AUDIT_BATCH = 10_000


def ticket(ticket_id: int, version: int) -> dict:
    return {"id": ticket_id, "subject": f"Ticket {ticket_id}", "status": ("open", "pending", "solved")[version % 3],
            "priority": ("low", "normal", "high")[version % 3], "updated_at": f"2026-01-01T00:00:{version:02d}Z",
            "created_at": "2025-01-01T00:00:00Z", "tags": ["bench", f"v{version}"],
            "requester": {"id": 900, "name": "User", "email": "user@example.com"},
            "comments": [{"id": ticket_id * 1000 + n, "body": "Hello " * 40, "public": True,
                          "created_at": "2025-01-01T00:00:00Z"} for n in range(version + 2)]}


def audit(audit_id: int, ticket_id: int, second: int) -> dict:
    return {"id": audit_id, "ticket_id": ticket_id, "timestamp": second,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_700_000_000 + second)),
            "updater_id": 900 + audit_id % 500, "via": "Web form", "system": {}, "event_type": "Audit",
            "child_events": [
                {"id": audit_id + 1, "via": "Web form", "via_reference_id": None, "status": "pending",
                 "event_type": "Change", "previous_value": "open"},
                {"id": audit_id + 2, "via": "Web form", "via_reference_id": None, "assignee_id": 900 + second % 500,
                 "event_type": "Change", "previous_value": 901},
                {"id": audit_id + 3, "type": "Comment", "author_id": 900, "body": "Hello " * 40, "public": True,
                 "event_type": "Comment"}]}


def write_backup(root: Path, tickets: int, audits: int) -> None:
    root.mkdir(parents=True)
    per_run = audits // RUNS
    long_per_run = 2000 // RUNS
    next_audit = 1_000_000
    for number in range(RUNS):
        run_id = f"202601{number // 24 + 1:02d}T{number % 24:02d}0000Z-{number:06d}"
        ids = range(1, tickets + 1) if number == 0 else [LONG, *range(100 + number * 200, 300 + number * 200)]
        files = [root / f"tickets-{run_id}-00001.jsonl"]
        files[0].write_bytes(b"".join(orjson.dumps(ticket(i, number)) + b"\n" for i in ids))
        lines = []
        for k in range(per_run):
            owner = LONG if k < long_per_run else 1000 + (next_audit // 10) % tickets
            lines.append(orjson.dumps(audit(next_audit, owner, number * per_run + k)) + b"\n")
            next_audit += 10
        for batch, start in enumerate(range(0, len(lines), AUDIT_BATCH), 1):
            path = root / f"ticket_events-{run_id}-{batch:05d}.jsonl.gz"
            path.write_bytes(gzip.compress(b"".join(lines[start:start + AUDIT_BATCH]), compresslevel=9))
            files.append(path)
        users = root / f"users-{run_id}-00001.jsonl"
        users.write_bytes(b"".join(orjson.dumps({"id": 900 + u, "name": f"Agent {u}", "email": f"a{u}@example.com",
                                                 "updated_at": f"2026-01-01T00:{number:02d}:00Z"}) + b"\n"
                                   for u in range(500)))
        files.append(users)
        (root / f"manifest-{run_id}.json").write_text(json.dumps({
            "run_id": run_id, "status": "complete", "failure": None, "tickets_exported": len(ids),
            "comments_exported": 0, "files": [str(path) for path in files]}), encoding="utf-8")


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--audits", type=int, default=100_000)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-history-"))
    shutil.rmtree(work / "export", ignore_errors=True)
    shutil.rmtree(work / "cache", ignore_errors=True)
    _, seconds = timed(write_backup, work / "export", args.tickets, args.audits)
    print(f"backup: {args.tickets} tickets, {RUNS} runs, {args.audits} audits; written in {seconds:.1f} s")
    location = LocalLocation(str(work / "export"))
    runs = read_runs(location)
    tickets = TicketIndex(work / "cache" / "tickets.sqlite", location)
    tickets.refresh(runs)
    history = TicketHistory(tickets, location)
    _, seconds = timed(history.refresh, runs)
    print(f"event and name indexes built in {seconds:.2f} s")
    _, seconds = timed(history.refresh, runs)
    print(f"a refresh with nothing new: {seconds * 1000:.1f} ms")
    view, seconds = timed(history.view, LONG)
    assert len(view.versions.entries) == 50 and view.events.total == 2000 and len(view.events.entries) == 200
    samples = [timed(history.view, LONG)[1] for _ in range(20)]
    print(f"ticket {LONG} (50 versions, 2000 audits): first {seconds * 1000:.0f} ms, then {spread(samples)}")
    events = [timed(history.events.page, LONG)[1] for _ in range(20)]
    print(f"  of which a page of 200 audits: {spread(events)}")
    short = [timed(history.view, 150 + 200)[1] for _ in range(20)]
    print(f"a ticket of two versions: {spread(short)}")


def spread(samples: list[float]) -> str:
    """Median and 95th percentile of some seconds, in milliseconds."""
    p95 = statistics.quantiles(samples, n=20)[-1]
    return f"median {statistics.median(samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms ({len(samples)} views)"


if __name__ == "__main__":
    main()
