"""Prove that a code reshape changes no output: crawl the same sandbox with a baseline revision and the working tree.

    .venv/bin/python bench/same_output.py                         # baseline 899bf07, main before the reshape
    .venv/bin/python bench/same_output.py --baseline REV --shape backup --shape incremental --keep /tmp/same

The baseline's code is checked out with ``git worktree add --detach`` into a temporary folder (removed
afterwards) and run from there (cwd and ``PYTHONPATH`` the worktree, this venv's python); the current code is
this working tree as it is, uncommitted changes included (or ``--current REV``, checked out the same way). Both
run the real ``scrapy crawl zendesk`` against the sandbox Zendesk of the baseline revision (so the data does not
depend on what the working tree's sandbox is going through), with ``ZENDESK_FORMATS=json,jsonl,xml,csv``, feed
gzip off and batches of 20 records (so that tickets, users and organizations span several files and
checkpoints), in these shapes:

- ``backup``: every stream from ``start_time=0``;
- ``incremental``: that backup, then tickets, users, organizations, groups and ticket fields change in the
  sandbox (comments with and without attachments, updates, deletions, new tickets, hostile data), then a
  second run resumes from the first run's state;
- ``attachments``: ``-a attachments=true``;
- ``events``: ``-a comments=events`` (comments from the ticket event export);
- ``filter``: ``-a status=solved`` (the search export and ``show_many``);
- ``person``: ``-a user=<id>`` of the sandbox's person of interest (``agent2@sandbox.example.com``);
- ``bad-credentials``: a wrong API token (a run that fails at its first request);
- ``failed-ticket``: one ticket's comments answer 500 every time (a run that fails after storing the rest).

For each shape it compares, baseline against current:

- every file the runs leave in the export location, sub-folders included (feeds of every stream and format,
  comment CSVs, person documents, attachment files and their index, manifests, the state file and its lock):
  the same names, the same bytes, and, where bytes differ, the parsed content (JSON, JSON Lines, CSV rows, XML
  elements) to name the first difference (record, key, value);
- each crawl's exit status, its ``zendesk_crawler: FAILED:`` lines, its stdout, and its WARNING and ERROR log
  messages;
- the requests the crawler sent, from the sandbox's request log (method, path, query, status, auth, host).

It prints one line per shape (``same`` or ``differs:`` with the first differences; ``--all`` lists every
difference) and exits 1 on any difference. ``--accept-new GLOB`` names files the current tree adds on purpose:
they are listed on the shape's line instead of counted as a difference (nothing else can be accepted).

Made equal rather than normalised: every side of a shape gets a fresh sandbox with the same seed, ticket count
and fixed ``--epoch`` (byte-identical data), on the same two ports (so URLs in records and ``base_url`` match),
and exports to the same absolute folder (moved aside after each side, so paths in manifests and the state
match). The sandbox clock is real time plus an offset, and a change is stamped with sandbox-now: before the
incremental shape's changes each sandbox's clock is moved to the same second, checked afterwards on a changed
ticket's ``updated_at``.

Normalised, and only this:

- run ids (the UTC start time plus a random suffix): each crawl's run id is replaced by ``<run N>`` (N the
  crawl's number in its shape) in file names and file contents; instead, the form of each run id (which
  characters are digits or hex letters) is compared;
- in manifests, the state file, its lock file and status documents (``status/status-<run id>.json``) only: the
  values of ``started_at``, ``finished_at``, ``saved_at``, ``since`` and ``updated_at``, which are wall-clock
  times the crawler stamps itself, become ``<wall clock>`` when they are an ISO 8601 UTC second (any other value
  is kept, so a change of format shows), and the lock's ``pid``;
- the request log: each request's real time and rate-limit window are dropped, so is the signed ``token`` of a
  download from the content host (the sandbox signs it with an expiry read from its clock), and the requests
  are compared as a multiset, since comment pages of concurrently fetched tickets are asked for in any order;
- log messages: only WARNING and higher, the first line of each, without its time stamp and logger name, and
  with dotted paths into ``zendesk_crawler`` cut to their last name (``zendesk_crawler.….AttachmentFilesPipeline``
  in Scrapy's "Disabled <class …>" warning): module paths are what the reshape moves. Compared as a sorted list
  (concurrent requests log in any order).

Compared order-free (see ``output_compare.py``), because two runs of the same code differ there (seen with
``--baseline HEAD --current HEAD``, 899bf07 as much as later revisions): ticket records, comment CSV rows, the
attachment index and a person document's tickets come in the order conversations complete; the state's
streams, its ``files`` lists and ``stored_after_cursor`` in the order streams checkpoint and batches are stored.
Every other stream's records are compared in order, byte for byte.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from output_compare import compare_files, first_difference, short

if TYPE_CHECKING:
    from zendesk_sandbox import SandboxProcess

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_BASELINE = "899bf07"
TICKETS = 100
SEED = 1
FORMATS = "json,jsonl,xml,csv"
BATCH_ITEM_COUNT = 20
PERSON_EMAIL = "agent2@sandbox.example.com"
#: The sandbox's history ends this long before the script started (at least 120 s, the sandbox requires).
EPOCH_AGE = 3600
#: The incremental shape's changes are stamped this long after the script started (ahead of real time, so that
#: every sandbox's clock can be moved forward to it).
CHANGE_AHEAD = 3600
MAX_DIFFERENCES = 5
CRAWL_TIMEOUT = 600
RUN_ID_RE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]+")
WALL_CLOCK_RE = re.compile(
    rb'("(?:started_at|finished_at|saved_at|since|updated_at)": ?)"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"')
PID_RE = re.compile(rb'("pid": ?)\d+')
LOG_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[^\]]+\] (WARNING|ERROR|CRITICAL): (.*)$")
#: A dotted path into the crawler's modules, as log messages name components ("Disabled <class '…'>").
MODULE_PATH_RE = re.compile(r"zendesk_crawler(?:\.\w+)*\.(\w+)")
FAILED_PREFIX = "zendesk_crawler: FAILED:"


# ---------------------------------------------------------------- shapes


@dataclass
class Crawl:
    """One ``scrapy crawl zendesk``: its arguments (given the sandbox), extra environment, and what to do first."""

    args: Callable[[SandboxProcess], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    before: Callable[[SandboxProcess, int], None] | None = None


@dataclass
class Shape:
    """A named sequence of crawls into one export location, each side on a fresh sandbox."""

    name: str
    crawls: list[Crawl]


def backup_args(*extra: str) -> Callable[[SandboxProcess], list[str]]:
    return lambda sandbox: ["-a", "start_time=0", *extra]


def person_args(sandbox: SandboxProcess) -> list[str]:
    (user,) = [u for u in sandbox.stream_truth("users") if u.get("email") == PERSON_EMAIL]
    return ["-a", f"user={user['id']}"]


def change_account(sandbox: SandboxProcess, change_at: int) -> None:
    """Change every stream at sandbox time ``change_at``, then move the clock past the exports' one-minute lag."""
    tickets = sandbox.truth(comments=False, users=False)["tickets"]
    live = sorted(t["id"] for t in tickets if t["status"] not in ("deleted", "closed"))
    users = sorted(u["id"] for u in sandbox.stream_truth("users") if u.get("active"))
    organizations = sorted(o["id"] for o in sandbox.stream_truth("organizations") if not o.get("deleted_at"))
    groups = sorted(g["id"] for g in sandbox.stream_truth("groups") if not g.get("deleted"))
    fields = sorted(f["id"] for f in sandbox.stream_truth("ticket_fields") if f.get("active"))
    changes = {
        "add_comments": [live[0], live[1], {"id": live[2], "attachments": 2}],
        "update": [live[3], live[4]], "delete": [live[5]], "create": 2,
        "odd": [live[6]], "huge_comment": [live[7]],
        "users": {"update": [users[3]], "create": 1, "delete": [users[-1]]},
        "organizations": {"update": [organizations[0]], "create": 1, "delete": [organizations[-1]]},
        "groups": {"update": [groups[0]]}, "ticket_fields": {"update": [fields[-1]]},
    }
    set_clock(sandbox, change_at)
    sandbox.change(**changes)
    stamped = [t for t in sandbox.truth(comments=False, users=False)["tickets"] if t["id"] == live[3]][0]
    if stamped["updated_at"] != iso(change_at):
        raise RuntimeError(f"the sandbox stamped the changes {stamped['updated_at']}, not {iso(change_at)}: "
                           "the clock could not be aligned (a slow machine); run again")
    sandbox.advance_clock(120)


def set_clock(sandbox: SandboxProcess, target: int) -> None:
    """Move the sandbox clock to a little after the start of second ``target``.

    The control API reads whole seconds, so wait for the second to turn (a few hundred reads at most) to know
    the fraction, then move forward by the rest.
    """
    first = sandbox.advance_clock(0)
    now = first
    while now == first:
        now = sandbox.advance_clock(0)
    if target <= now:
        raise RuntimeError(f"sandbox time {now} is past {target}")
    sandbox.advance_clock(target - now + 0.1)


def shapes(bad_token: str) -> list[Shape]:
    """The run shapes compared (see the module docstring)."""
    return [
        Shape("backup", [Crawl(backup_args())]),
        Shape("incremental", [Crawl(backup_args()), Crawl(lambda sandbox: [], before=change_account)]),
        Shape("attachments", [Crawl(backup_args("-a", "attachments=true"))]),
        Shape("events", [Crawl(backup_args("-a", "comments=events"))]),
        Shape("filter", [Crawl(lambda sandbox: ["-a", "status=solved"])]),
        Shape("person", [Crawl(person_args)]),
        Shape("bad-credentials", [Crawl(backup_args(), env={"ZENDESK_API_TOKEN": bad_token})]),
        # One batch, stored at the close: with several, whether the failure is recorded before or after a batch is
        # stored (and checkpointed) varies from run to run, and so does the state's stored_after_cursor.
        Shape("failed-ticket", [Crawl(backup_args(), env={"ZENDESK_RETRY_BACKOFF_BASE": "0",
                                                          "ZENDESK_BATCH_ITEM_COUNT": str(10 * TICKETS)},
                                      before=lambda sandbox, _: fail_one_ticket(sandbox))]),
    ]


def fail_one_ticket(sandbox: SandboxProcess) -> None:
    """Every comments request of one live ticket answers 500."""
    tickets = sandbox.truth(comments=False, users=False)["tickets"]
    victim = sorted(t["id"] for t in tickets if t["status"] != "deleted")[10]
    sandbox.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 500, "count": -1,
                     "ticket_ids": [victim]}])


# ---------------------------------------------------------------- one side of a shape


@dataclass
class CrawlOutcome:
    """What one crawl process said: exit status, failure lines, warnings, stdout, and its run id."""

    returncode: int
    failed_lines: list[str]
    warnings: list[str]
    stdout: str
    run_id: str | None


@dataclass
class Side:
    """Everything one side (baseline or current) of a shape produced, normalised."""

    files: dict[str, bytes]
    crawls: list[dict[str, Any]]
    requests: Counter[tuple[Any, ...]]


@dataclass
class Environment:
    """What both sides share: the sandbox (its class, fixed data and ports), and the times fixed at the start."""

    sandbox: type[SandboxProcess]
    work: Path
    port: int
    content_port: int
    epoch: int
    change_at: int


def crawl_env(tree: Path, sandbox: SandboxProcess, export_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    """A clean environment for the crawler of ``tree`` (no ZENDESK_* or SCRAPY_* variable leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY_"))}
    env.update(sandbox.crawler_env())
    env.update({
        "ZENDESK_EXPORT_URI": str(export_dir), "ZENDESK_FORMATS": FORMATS, "ZENDESK_FEED_GZIP": "false",
        "ZENDESK_BATCH_ITEM_COUNT": str(BATCH_ITEM_COUNT),
        # No progress lines on a timer, and the export budget of an unlimited sandbox (as bench/run.py does).
        "ZENDESK_PROGRESS_INTERVAL": "0", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "1000000",
        "PYTHONPATH": str(tree),
    })
    env.update(extra)
    return env


def check_import_path(tree: Path, env: dict[str, str]) -> None:
    """Fail unless ``zendesk_crawler`` imports from ``tree`` (and not from an installed copy)."""
    out = subprocess.run([sys.executable, "-c", "import zendesk_crawler; print(zendesk_crawler.__file__)"],
                         cwd=tree, env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(out).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"zendesk_crawler imports from {out}, not from {tree}")


def run_crawl(tree: Path, sandbox: SandboxProcess, export_dir: Path, crawl: Crawl) -> CrawlOutcome:
    """``scrapy crawl zendesk`` with the code of ``tree``, from ``tree``."""
    env = crawl_env(tree, sandbox, export_dir, crawl.env)
    check_import_path(tree, env)
    before = set(tree_files(export_dir))
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "zendesk", *crawl.args(sandbox)],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=CRAWL_TIMEOUT,
                          stdin=subprocess.DEVNULL)
    new_names = [p.name for p in set(tree_files(export_dir)) - before]
    run_ids = {m.group(0) for name in new_names if (m := RUN_ID_RE.search(name))}
    if len(run_ids) > 1:
        raise RuntimeError(f"one crawl wrote files of several run ids: {sorted(run_ids)}")
    lines = proc.stderr.splitlines()
    return CrawlOutcome(
        returncode=proc.returncode,
        failed_lines=[line for line in lines if line.startswith(FAILED_PREFIX)],
        warnings=sorted(log_message(m) for line in lines if (m := LOG_RE.match(line))),
        stdout=proc.stdout, run_id=run_ids.pop() if run_ids else None)


def log_message(match: re.Match[str]) -> str:
    """A log line's level and message, with module paths cut to their last name."""
    return f"{match.group(1)}: " + MODULE_PATH_RE.sub(r"zendesk_crawler.….\1", match.group(2))


def run_side(tree: Path, shape: Shape, env: Environment, label: str) -> Side:
    """Run a shape's crawls with the code of ``tree`` on a fresh sandbox; return what they produced."""
    export_dir = env.work / "export"
    shutil.rmtree(export_dir, ignore_errors=True)
    export_dir.mkdir()
    outcomes: list[CrawlOutcome] = []
    with env.sandbox(tickets=TICKETS, seed=SEED, epoch=env.epoch, port=env.port, content_port=env.content_port,
                        rate_limit=1_000_000, export_rate_limit=0, search_export_rate_limit=0) as sandbox:
        for crawl in shape.crawls:
            if crawl.before:
                crawl.before(sandbox, env.change_at)
            outcomes.append(run_crawl(tree, sandbox, export_dir, crawl))
        log = sandbox.requests_log(since=0)
    if log["count"] > len(log["log"]):
        raise RuntimeError(f"the sandbox logged {log['count']} requests but keeps only {len(log['log'])}")
    run_ids = [o.run_id for o in outcomes]
    side = Side(files=snapshot(export_dir, run_ids), crawls=[crawl_facts(o) for o in outcomes],
                requests=Counter(request_key(entry, f"127.0.0.2:{env.content_port}") for entry in log["log"]))
    kept = env.work / f"{shape.name}-{label}"
    shutil.rmtree(kept, ignore_errors=True)
    export_dir.rename(kept)
    return side


def crawl_facts(outcome: CrawlOutcome) -> dict[str, Any]:
    """The compared facts of one crawl (its run id only by form)."""
    return {"exit status": outcome.returncode, "FAILED lines": outcome.failed_lines,
            "warnings": outcome.warnings, "stdout": outcome.stdout,
            "run id form": run_id_form(outcome.run_id)}


def run_id_form(run_id: str | None) -> str:
    """A run id with its digits as 9 and its suffix's hex digits as h: what two runs' ids must share."""
    if run_id is None:
        return "(none)"
    stamp, _, suffix = run_id.partition("-")
    return re.sub("[0-9]", "9", stamp) + "-" + re.sub("[0-9a-f]", "h", suffix)


def request_key(entry: dict[str, Any], content_host: str) -> tuple[str, ...]:
    """A logged request without its real time and rate-limit window, and without the signed token of a download
    from the content host (the sandbox signs it with an expiry read from its clock)."""
    query = entry.get("query")
    if entry.get("host") == content_host and isinstance(query, dict) and "token" in query:
        query = {**query, "token": "<signed>"}
    return tuple(json.dumps(value, sort_keys=True) for value in (
        entry.get("method"), entry.get("host"), entry.get("path"), query, entry.get("status"), entry.get("auth"),
        entry.get("authorization"), entry.get("fault")))


def tree_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def snapshot(export_dir: Path, run_ids: list[str | None]) -> dict[str, bytes]:
    """Every file under the export location by relative name, run ids and wall-clock times normalised."""
    replacements = [(run_id, f"<run {n}>") for n, run_id in enumerate(run_ids, 1) if run_id]
    files = {}
    for path in tree_files(export_dir):
        name = path.relative_to(export_dir).as_posix()
        data = path.read_bytes()
        for run_id, placeholder in replacements:
            name = name.replace(run_id, placeholder)
            data = data.replace(run_id.encode(), placeholder.encode())
        if is_run_record(name):
            data = PID_RE.sub(rb"\1<pid>", WALL_CLOCK_RE.sub(rb'\1"<wall clock>"', data))
        files[name] = data
    return files


def is_run_record(name: str) -> bool:
    """Manifests, the state file, its lock and status documents: the files the crawler stamps with wall-clock
    times."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(("manifest-", "status-")) or base in ("state.json", "state.json.lock")


# ---------------------------------------------------------------- comparing


def compare(baseline: Side, current: Side) -> list[str]:
    """Every difference between two sides, each as one short line."""
    found = [diff for n, (a, b) in enumerate(zip(baseline.crawls, current.crawls, strict=True), 1)
             if (diff := first_difference(a, b, f"crawl {n}")) is not None]
    found += compare_files(baseline.files, current.files)
    if baseline.requests != current.requests:
        missing, extra = baseline.requests - current.requests, current.requests - baseline.requests
        found.append(f"requests: {sum(missing.values())} only in the baseline (e.g. {short(list(missing)[:2])}), "
                     f"{sum(extra.values())} only in the current tree (e.g. {short(list(extra)[:2])})")
    return found


def accept_new_files(baseline: Side, current: Side, patterns: list[str]) -> list[str]:
    """Drop from ``current`` the files only it has that match ``patterns``; return their names."""
    accepted = sorted(name for name in set(current.files) - set(baseline.files)
                      if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns))
    for name in accepted:
        del current.files[name]
    return accepted


def summary(side: Side) -> str:
    """Counts of what a side holds, for the 'same' line."""
    records = sum(len(data.splitlines()) for name, data in side.files.items()
                  if name.endswith(".jsonl") and "/" not in name)
    statuses = ", ".join(f"exit {c['exit status']}" for c in side.crawls)
    return (f"{len(side.crawls)} crawl(s), {statuses}; {len(side.files)} files, {records} JSON Lines records, "
            f"{sum(side.requests.values())} requests")


# ---------------------------------------------------------------- main


def free_port(host: str) -> int:
    """A TCP port free on ``host`` now; both sides' sandboxes reuse it, one after the other."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def baseline_sandbox(tree: Path) -> type[SandboxProcess]:
    """The baseline's ``SandboxProcess``, whose child runs the baseline's sandbox code.

    Both sides crawl the same sandbox code whatever the working tree's sandbox is going through. The child is
    ``python -m zendesk_sandbox`` in this process's folder, which comes first on its path: hence the chdir.
    """
    os.chdir(tree)
    sys.path.insert(0, str(tree))
    module = importlib.import_module("zendesk_sandbox")
    if not Path(module.__file__ or "").resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"zendesk_sandbox imports from {module.__file__}, not from {tree}")
    return module.SandboxProcess


def add_worktree(rev: str, path: Path) -> None:
    subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "add", "--detach", str(path), rev],
                   check=True, capture_output=True, text=True)


def remove_worktree(path: Path) -> None:
    subprocess.run(["git", "-C", str(PROJECT_ROOT), "worktree", "remove", "--force", str(path)],
                   check=False, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare the output of a baseline revision and the working tree.")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help=f"git revision (default {DEFAULT_BASELINE})")
    parser.add_argument("--current", help="a git revision to run instead of the working tree (the same revision "
                                          "as --baseline checks that the crawl and the sandbox are deterministic)")
    parser.add_argument("--shape", action="append", help="run only these shapes (repeatable)")
    parser.add_argument("--accept-new", action="append", default=[], metavar="GLOB",
                        help="files the current tree adds on purpose (e.g. 'status/*'): listed, not a difference")
    parser.add_argument("--all", action="store_true", help="print every difference, one a line")
    parser.add_argument("--keep", type=Path, help="keep both sides' export folders under this folder")
    args = parser.parse_args(argv)
    chosen = shapes(bad_token="not-the-token")
    if args.shape:
        unknown = set(args.shape) - {s.name for s in chosen}
        if unknown:
            parser.error(f"unknown shapes {sorted(unknown)}; shapes: {', '.join(s.name for s in chosen)}")
        chosen = [s for s in chosen if s.name in args.shape]
    started = int(datetime.now(UTC).timestamp())
    differing = 0
    with tempfile.TemporaryDirectory(prefix="same-output-") as tmp:
        work = args.keep.resolve() if args.keep else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        baseline_tree = Path(tmp) / "baseline-tree"
        current_tree = Path(tmp) / "current-tree" if args.current else PROJECT_ROOT
        add_worktree(args.baseline, baseline_tree)
        try:
            if args.current:
                add_worktree(args.current, current_tree)
            env = Environment(sandbox=baseline_sandbox(baseline_tree), work=work,
                              port=free_port("127.0.0.1"), content_port=free_port("127.0.0.2"),
                              epoch=started - EPOCH_AGE, change_at=started + CHANGE_AHEAD)
            print(f"baseline {args.baseline} against {args.current or 'the working tree'} ({current_tree}); "
                  f"the sandbox of {args.baseline}", flush=True)
            for shape in chosen:
                baseline = run_side(baseline_tree, shape, env, "baseline")
                current = run_side(current_tree, shape, env, "current")
                accepted = accept_new_files(baseline, current, args.accept_new)
                differences = compare(baseline, current)
                if differences:
                    differing += 1
                    more = len(differences) - MAX_DIFFERENCES
                    print(f"{shape.name}: differs: " + "; ".join(differences[:MAX_DIFFERENCES])
                          + (f"; and {more} more" if more > 0 else ""), flush=True)
                    if args.all:
                        print("".join(f"    {diff}\n" for diff in differences), end="", flush=True)
                else:
                    print(f"{shape.name}: same ({summary(current)})"
                          + (f"; new files accepted: {', '.join(accepted)}" if accepted else ""), flush=True)
        finally:
            os.chdir(PROJECT_ROOT)
            remove_worktree(baseline_tree)
            if args.current:
                remove_worktree(current_tree)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
