"""The restore end to end: the real ``scrapy crawl zendesk_restore`` between two sandboxes, and its safety catches.

Sandbox A is backed up by the real crawler (attachments on); the restore writes the backup into sandbox B.
"""

from __future__ import annotations

import json

import pytest

from tests.support.crawl import run_crawl, run_restore
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def source():
    with SandboxProcess(tickets=40, seed=61, rate_limit=1_000_000, export_rate_limit=0) as server:
        yield server


@pytest.fixture(scope="module")
def backup(source, tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("backup")
    result = run_crawl(source.url, export_dir, "-a", "start_time=0", "-a", "attachments=true",
                       ZENDESK_FORMATS="jsonl,json")
    assert result.returncode == 0, result.stderr[-3000:]
    return export_dir


@pytest.fixture
def target():
    with SandboxProcess(tickets=3, seed=62, rate_limit=1_000_000, export_rate_limit=0) as server:
        yield server


def test_a_target_not_named_as_configured_is_refused_before_any_request(backup, target, tmp_path):
    result = run_restore(target.url, tmp_path / "restore", backup, target="acme.zendesk.com")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "is not the configured account" in result.stderr
    assert target.requests_log()["count"] == 0


def test_a_restore_into_the_backups_own_account_needs_the_tickets_named(backup, source, tmp_path):
    before = source.requests_log()["count"]
    result = run_restore(source.url, tmp_path / "restore", backup)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "same account" in result.stderr
    assert source.requests_log()["count"] == before


def test_a_dry_run_reads_and_says_what_it_would_do_and_writes_nothing(backup, target, tmp_path):
    result = run_restore(target.url, tmp_path / "restore", backup, "-a", "dry_run=true")
    assert result.returncode == 0, result.stderr[-3000:]
    log = target.requests_log()["log"]
    assert log and not [entry for entry in log if entry["method"] in WRITE_METHODS]
    live = {}
    for path in sorted(backup.glob("tickets-*.jsonl")):
        for line in path.read_bytes().split(b"\n")[:-1]:  # not splitlines(): bodies hold U+2028
            ticket = json.loads(line)
            live[ticket["id"]] = ticket["status"] != "deleted"
    assert f"ticket: {sum(live.values())} would import" in result.stdout
    (manifest_path,) = (tmp_path / "restore").glob("restore-manifest-*.json")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    assert manifest["dry_run"] is True and manifest["refused"] == []
    assert manifest["counts"]["ticket"] == {"would import": sum(live.values())}
    assert not list((tmp_path / "restore").glob("restore-map-*.jsonl"))
