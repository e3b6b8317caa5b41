"""A state file of the version before issue 21 (the five streams' crawler) is read and carried on by today's.

``tests/fixtures/state/state-v2-49da7d9.json`` was written by the crawler of commit 49da7d9 itself (``git worktree
add /tmp/old 49da7d9``, then its ``harness.crawl.run_crawl`` with ``-a start_time=0`` and
``ZENDESK_EXPORT_PAGE_SIZE=25`` against its own sandbox: ``SandboxProcess(tickets=40, seed=61, epoch=1796500000,
port=58761)``), unchanged. Today's sandbox of the same seed and epoch is that account; the file's ``base_url`` is
pointed at it, as the account's address is not what this checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.crawl import run_crawl
from tests.support.truth import check_against_truth
from zendesk_crawler.streams import STREAMS
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

OLD_STATE = Path(__file__).resolve().parent.parent / "fixtures" / "state" / "state-v2-49da7d9.json"
#: The old version's incremental streams and the export each resumes.
OLD_EXPORTS = {"tickets": "/api/v2/incremental/tickets/cursor.json",
               "users": "/api/v2/incremental/users/cursor.json",
               "organizations": "/api/v2/incremental/organizations.json"}


def first_query(log: list[dict[str, Any]], path: str) -> dict[str, str]:
    return next(entry["query"] for entry in log if entry["path"] == path)


def test_the_previous_versions_state_goes_on_from_its_positions_and_starts_the_new_streams(tmp_path):
    old = json.loads(OLD_STATE.read_text("utf-8"))
    assert set(old["streams"]) == set(OLD_EXPORTS)  # what the old version saved: nothing of the new streams
    new_streams = [name for name, cls in STREAMS.items() if cls.position_key and name not in old["streams"]]
    assert new_streams  # issue 21's incremental streams
    with SandboxProcess(tickets=40, seed=61, rate_limit=1_000_000, export_rate_limit=0, epoch=1796500000) as sandbox:
        (tmp_path / "state.json").write_text(json.dumps({**old, "base_url": sandbox.url}), encoding="utf-8")
        tickets = sandbox.truth(comments=False, users=False)["tickets"]
        live = sorted(t["id"] for t in tickets if t["status"] != "deleted")
        organization = next(o["id"] for o in sandbox.stream_truth("organizations") if not o.get("deleted_at"))
        changed = sandbox.change(update=live[:3], users={"create": 1}, organizations={"update": [organization]})
        sandbox.advance_clock(120)  # the changes, and every record of the new streams, are due
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()["log"]
        # The old streams go on from their saved positions: each export's first request asks from it...
        for stream in ("tickets", "users"):
            assert first_query(log, OLD_EXPORTS[stream])["cursor"] == old["streams"][stream]["cursor"]
        assert first_query(log, OLD_EXPORTS["organizations"])["start_time"] == \
            str(old["streams"]["organizations"]["start_time"])
        # ... and exports only what changed since.
        assert sorted(r["id"] for r in result.records("tickets")) == live[:3]
        assert [r["id"] for r in result.records("users")] == changed["users"]["created"]
        assert [r["id"] for r in result.records("organizations")] == [organization]
        # Each new incremental stream starts from start_time: everything it has, against the truth.
        for stream in new_streams:
            check_against_truth(sandbox, result, stream)
    manifest = result.manifest()
    for stream in OLD_EXPORTS:
        before = manifest["streams"][stream]["position_before"]
        assert all(before[key] == value for key, value in old["streams"][stream].items() if key in before), stream
    for stream in new_streams:
        assert manifest["streams"][stream]["position_before"] == {"start_time": 0}, stream
    # The next state keeps every key of the old one, and holds a position for every incremental stream.
    new = result.state()
    assert new["version"] == old["version"] and set(old) <= set(new) and set(old["last_run"]) <= set(new["last_run"])
    for stream, entry in old["streams"].items():
        kept = set(entry) - {"stored_after_cursor"}  # listed only while records of the position's second are stored
        assert kept <= set(new["streams"][stream]), stream
        assert new["streams"][stream] != entry  # moved on past the changes
    assert {name for name, cls in STREAMS.items() if cls.position_key} <= set(new["streams"])
