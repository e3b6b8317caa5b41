"""``make demo``: export the built-in sandbox Zendesk completely, then incrementally.

Starts the sandbox on a free loopback port, runs the real ``scrapy crawl zendesk``
against it (no credentials of yours needed; every stream: tickets, users,
organizations, groups, ticket fields, with the attachment files; a stream the account does not have is
shown as unavailable), changes a few tickets, users and
organizations in the sandbox, runs again from the saved positions, and prints a
summary per run and stream. Run from the project root: ``python -m zendesk_crawler.demo``.

It drives the crawler against the sandbox, so it lives beside the crawler, not in the fake Zendesk.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from zendesk_crawler.demo_sandbox import FILE_NAME as SANDBOX_RECORD
from zendesk_crawler.demo_sandbox import SandboxRecord
from zendesk_crawler.location.files import keep_private
from zendesk_sandbox import DEFAULT_API_TOKEN, DEFAULT_EMAIL, SandboxProcess

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def crawl(sandbox_url: str, export_dir: Path, run: int) -> tuple[int, float]:
    """Run ``scrapy crawl zendesk`` against the sandbox; return (exit status, wall seconds).

    Scrapy's log (its start-up dump included) goes to ``logs/run-<n>.log`` in the
    export directory; the screen shows the crawler's live progress display.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZENDESK_")}
    env.update({
        "ZENDESK_URL": sandbox_url,
        "ZENDESK_EMAIL": DEFAULT_EMAIL,
        "ZENDESK_API_TOKEN": DEFAULT_API_TOKEN,
        "ZENDESK_EXPORT_URI": str(export_dir),
        "ZENDESK_PROGRESS_INTERVAL": "5",
    })
    log_file = export_dir / "logs" / f"run-{run}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    status = subprocess.call([sys.executable, "-m", "scrapy", "crawl", "zendesk", "-a", "start_time=0",
                              "-a", "attachments=true", "-s", f"LOG_FILE={log_file}"],
                             cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL)
    if status:
        print(f"The crawl failed (exit status {status}); its log: {log_file}", file=sys.stderr)
    return status, time.monotonic() - started


def summary(title: str, export_dir: Path, wall: float) -> None:
    """Print what the last run exported, per stream, from its manifest."""
    manifest = json.loads(sorted(export_dir.glob("manifest-*.json"))[-1].read_text("utf-8"))
    print(f"\n== {title}: {manifest['status']}, wall time {wall:.1f} s "
          f"(log: {export_dir / 'logs'})")
    print(f"   {'stream':<24} {'records':>8} {'requests':>9}")
    for stream, facts in manifest["streams"].items():
        unavailable = facts.get("unavailable")
        print(f"   {stream:<24} {facts['records']:>8} {facts['requests']:>9}"
              + (f"   unavailable: {unavailable}" if unavailable else ""))
    print(f"   tickets: {manifest['tickets_exported']} ({manifest['deleted_tickets_exported']} deleted), "
          f"comments: {manifest['comments_exported']}, feed files: {len(manifest['files'])}")
    files = manifest.get("attachments") or {}
    skipped = sum(n for key, n in files.items() if key.startswith("skipped/"))
    print(f"   attachments: {files.get('downloaded', 0)} downloaded ({files.get('downloaded_bytes', 0) / 1e6:.1f} MB), "
          f"{files.get('files_stored', 0)} new files stored ({files.get('stored_bytes', 0) / 1e6:.1f} MB), "
          f"{files.get('already_stored', 0)} already stored, {skipped} skipped")


def main(argv: list[str] | None = None) -> int:
    """Two crawls of a fresh sandbox, with changes between them; the exit status of the first that failed, else 0."""
    keep_private()  # the demo's backup folder, like every backup: its owner's only
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=500, help="tickets in the sandbox (default 500)")
    parser.add_argument("--export-dir", type=Path, help="where to write (default output/demo-<time>)")
    parser.add_argument("--without", default="", metavar="FEATURE[,FEATURE]",
                        help="features the sandbox account lacks (help_center, collaboration, sla_policies, "
                             "admin_role): their streams are shown unavailable")
    args = parser.parse_args(argv)
    export_dir = args.export_dir or PROJECT_ROOT / "output" / f"demo-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    without = tuple(name.strip() for name in args.without.split(",") if name.strip())
    # A fixed end of the generated history, recorded with the rest in sandbox.json: the web page serves this
    # account again from it (the same data at the same URL), so that its runs go on from this backup's positions.
    epoch = int(time.time()) - 120
    with SandboxProcess(tickets=args.tickets, seed=1, without=without, epoch=epoch) as sandbox:
        record = SandboxRecord(args.tickets, 1, without, epoch, sandbox.url, sandbox.advance_clock(0))
        record.write(export_dir)
        print(f"Sandbox Zendesk with {args.tickets} tickets at {sandbox.url}; exporting to {export_dir}", flush=True)
        status, wall = crawl(sandbox.url, export_dir, 1)
        if status:
            return status
        summary("Run 1: full export", export_dir, wall)

        ids = sorted(t["id"] for t in sandbox.truth()["tickets"] if t["status"] != "deleted")
        users = [u["id"] for u in sandbox.stream_truth("users") if u["active"]][:3]
        organizations = [o["id"] for o in sandbox.stream_truth("organizations") if o["deleted_at"] is None][:2]
        sandbox.change(add_comments=[*ids[:4], {"id": ids[4], "attachments": 3}], update=ids[5:8], create=2,
                       users={"update": users, "create": 1}, organizations={"update": organizations})
        record = record.seen(sandbox.advance_clock(120))  # Zendesk exports only changes older than a minute
        record.write(export_dir)
        print("\nChanged 8 tickets (one with a new comment carrying 3 files), 3 users and 2 organizations and "
              "created 2 tickets and a user in the sandbox; running again from the saved positions...", flush=True)
        status, wall = crawl(sandbox.url, export_dir, 2)
        if status:
            return status
        summary("Run 2: incremental export from the saved positions", export_dir, wall)
        record.seen(sandbox.advance_clock(0)).write(export_dir)
    print(f"\nJSON and XML files, attachments/, manifests and the state file (state.json) are in {export_dir}; "
          f"the sandbox's parameters in {SANDBOX_RECORD} (`make web` serves this backup with that sandbox)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
