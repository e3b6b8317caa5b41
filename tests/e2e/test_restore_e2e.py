"""The restore end to end: the real ``scrapy crawl zendesk_restore`` between two sandboxes, and its safety catches.

Sandbox A is backed up by the real crawler (attachments on); the restore writes the backup into sandbox B.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest

from tests.support.crawl import RunningRestore, run_crawl, run_restore
from tests.support.servers import moto_s3_server
from zendesk_crawler.restore.markers import is_marker_tag
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
    assert f"Restore (dry run: nothing is written) of {backup} (the backup of 127.0.0.1:" in result.stderr
    (manifest_path,) = (tmp_path / "restore").glob("restore-manifest-*.json")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    assert manifest["dry_run"] is True and manifest["refused"] == []
    assert manifest["counts"]["ticket"] == {"would import": sum(live.values())}
    assert not list((tmp_path / "restore").glob("restore-map-*.jsonl"))


def download_digest(sandbox: SandboxProcess, url: str) -> str:
    """The sha256 of a file an attachment's ``content_url`` serves: credentials on the account's host only, the
    redirect to the content host followed without them."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Authorization": sandbox.basic_auth()})
    try:
        with opener.open(request) as response:
            return hashlib.sha256(response.read()).hexdigest()
    except urllib.error.HTTPError as redirect:
        assert redirect.code in (301, 302, 303, 307), redirect.code
        with urllib.request.urlopen(redirect.headers["Location"]) as response:
            return hashlib.sha256(response.read()).hexdigest()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def marker_free(tags: list[str]) -> list[str]:
    return sorted(tag for tag in tags or [] if not is_marker_tag(tag))


class Account:
    """One sandbox's truth, with ids turned into what a restore keeps: e-mails, names, titles, file digests."""

    def __init__(self, sandbox: SandboxProcess, download: bool = False, only: set[int] | None = None) -> None:
        truth = sandbox.truth(comments=True, users=True)
        self.tickets = {t["id"]: t for t in truth["tickets"]}
        self.users = {u["id"]: u for u in truth["users"]}
        self.groups = {g["id"]: g["name"] for g in sandbox.stream_truth("groups")}
        self.organizations = {o["id"]: o["name"] for o in sandbox.stream_truth("organizations")}
        # By type and title: titles repeat (the sandbox's hostile fields), as they can in Zendesk.
        self.fields = {f["id"]: (f["type"], f["title"]) for f in sandbox.stream_truth("ticket_fields")}
        #: Each comment's files (inline images too) by their digests.
        self.files: dict[int, list[str]] = {}
        if download:  # the files as the target serves them (a restored inline image is an attachment there)
            for ticket in self.tickets.values():
                if only is not None and ticket["id"] not in only:
                    continue
                for comment in ticket.get("comments") or []:
                    self.files[comment["id"]] = sorted(download_digest(sandbox, a["content_url"])
                                                       for a in comment.get("attachments") or [])
        else:  # the sandbox's own truth: every attachment it serves, inline images included
            for a in sandbox.attachments_truth():
                if a["kind"] == "attachment" and a["servable"]:
                    self.files.setdefault(a["comment_id"], []).append(a["sha256"])

    def person(self, user_id: int | None) -> str | None:
        user = self.users.get(user_id) if user_id is not None else None
        return None if user is None else (user.get("email") or user.get("name"))

    def view(self, ticket: dict) -> dict:
        """What a restore must bring back of a ticket (GUIDE 1c, "Compare")."""
        return {
            "subject": ticket.get("subject"), "status": ticket["status"], "priority": ticket.get("priority"),
            "type": ticket.get("type"), "tags": marker_free(ticket.get("tags")),
            "requester": self.person(ticket.get("requester_id")), "assignee": self.person(ticket.get("assignee_id")),
            "group": self.groups.get(ticket.get("group_id")),
            "organization": self.organizations.get(ticket.get("organization_id")),
            "fields": {self.fields[f["id"]]: f["value"] for f in ticket.get("custom_fields") or []
                       if f.get("value") is not None and f["id"] in self.fields},
            "created_at": ticket.get("created_at"),
            "comments": [(c.get("html_body") or c.get("body"), self.person(c.get("author_id")), c.get("public"),
                          c.get("created_at"), sorted(self.files.get(c["id"], [])))
                         for c in ticket.get("comments") or []],
        }


@pytest.fixture(scope="module")
def restored(source, backup, tmp_path_factory):
    with SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0) as target:
        restore_dir = tmp_path_factory.mktemp("restore")
        result = run_restore(target.url, restore_dir, backup, ZENDESK_RESTORE_SEARCH_DELAY="0")
        yield result, restore_dir, Account(source), Account(target, download=True), target.written_truth()


def map_lines(restore_dir) -> list[dict]:
    return [json.loads(line) for path in sorted(restore_dir.glob("restore-map-*.jsonl"))
            for line in path.read_text("utf-8").splitlines()]


def test_a_backup_restored_into_an_empty_account_comes_back_ticket_for_ticket(restored):
    result, restore_dir, a, b, written = restored
    assert result.returncode == 0, result.stderr[-3000:]
    tickets = {line["source_id"]: line["target_id"] for line in map_lines(restore_dir) if line["type"] == "ticket"}
    live = {tid for tid, t in a.tickets.items() if t["status"] != "deleted"}
    assert set(tickets) == live and len(set(tickets.values())) == len(tickets)
    assert written["counts"]["ticket"] == len(live)  # each imported once
    for source_id, target_id in tickets.items():
        expected, got = a.view(a.tickets[source_id]), b.view(b.tickets[target_id])
        assert got == expected, (source_id, {k: (expected[k], got[k]) for k in expected if expected[k] != got[k]})
    assert sum(len(view["comments"]) for view in map(a.view, (a.tickets[t] for t in live))) > len(live)
    assert any(files for t in live for *_, files in a.view(a.tickets[t])["comments"])  # files came back too


def test_no_user_is_created_twice_and_every_person_keeps_their_address(restored):
    result, restore_dir, a, b, written = restored
    emails = [u["email"].lower() for u in b.users.values() if u.get("email")]
    assert len(emails) == len(set(emails))
    users = {line["source_id"]: line["target_id"] for line in map_lines(restore_dir) if line["type"] == "user"}
    for source_id, target_id in users.items():
        if a.users.get(source_id, {}).get("email"):
            assert b.users[target_id]["email"].lower() == a.users[source_id]["email"].lower()


#: The target's search indexes an imported ticket this many seconds late; the restore waits a little longer.
INDEX_DELAY, RESTORE_WAIT = 2, "3"


def check_restored_once(a: Account, target: SandboxProcess, restore_dir) -> None:
    """Every live source ticket in the target exactly once, equal to its source; no e-mail twice."""
    b = Account(target, download=True)
    tickets = {line["source_id"]: line["target_id"] for line in map_lines(restore_dir) if line["type"] == "ticket"}
    live = {tid for tid, t in a.tickets.items() if t["status"] != "deleted"}
    assert set(tickets) == live
    assert target.written_truth()["counts"]["ticket"] == len(live) == len(b.tickets)  # nothing imported twice
    for source_id, target_id in tickets.items():
        assert b.view(b.tickets[target_id]) == a.view(a.tickets[source_id]), source_id
    emails = [u["email"].lower() for u in b.users.values() if u.get("email")]
    assert len(emails) == len(set(emails))


def test_an_import_answered_with_a_500_or_never_answered_after_zendesk_created_it_is_not_imported_again(
        source, backup, tmp_path):
    a = Account(source)
    with SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0,
                        search_index_delay=INDEX_DELAY) as target:
        target.faults([{"endpoint": "ticket_import_create_many", "kind": "commit_status", "status": 500, "count": 1},
                       {"endpoint": "ticket_import_create_many", "kind": "commit_drop", "count": 1},
                       {"endpoint": "users_create_or_update_many", "kind": "commit_drop", "count": 1}])
        result = run_restore(target.url, tmp_path / "restore", backup, ZENDESK_RESTORE_SEARCH_DELAY=RESTORE_WAIT)
        assert result.returncode == 0, result.stderr[-3000:]
        assert [rule["fired"] for rule in target.fault_rules()] == [1, 1, 1]
        assert "looked for by their markers" in result.stderr
        check_restored_once(a, target, tmp_path / "restore")


@pytest.mark.parametrize("kill_at", [
    "Restore: users:",  # users on their way (create_or_update_many: safe to send again)
    "Restore: importing batch",  # an import about to be sent, or sent, unanswered
    # an import answered, its job not read, its ids in no stored map file (and the other batch maybe unanswered)
    "answered with job",
])
def test_a_restore_killed_and_run_again_finishes_and_creates_nothing_twice(source, backup, tmp_path, kill_at):
    a = Account(source)
    restore_dir = tmp_path / "restore"
    with SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0,
                        search_index_delay=INDEX_DELAY) as target:
        running = RunningRestore(target.url, restore_dir, backup, ZENDESK_RESTORE_SEARCH_DELAY=RESTORE_WAIT)
        running.wait_for(kill_at)
        running.proc.kill()
        running.finish()
        result = run_restore(target.url, restore_dir, backup, ZENDESK_RESTORE_SEARCH_DELAY=RESTORE_WAIT)
        assert result.returncode == 0, result.stderr[-3000:]
        check_restored_once(a, target, restore_dir)
        assert json.loads((restore_dir / "restore-journal.json").read_text("utf-8")) == {"pending": {}}


def test_people_and_fields_the_target_already_has_are_reused_not_created_again(source, backup, tmp_path):
    with SandboxProcess(account="partial", seed=61, rate_limit=1_000_000, export_rate_limit=0) as target:
        before = Account(target)
        existing = {u["email"].lower(): uid for uid, u in before.users.items() if u.get("email")}
        category = [fid for fid, key in before.fields.items() if key == ("text", "Category")]
        result = run_restore(target.url, tmp_path / "restore", backup, ZENDESK_RESTORE_SEARCH_DELAY=RESTORE_WAIT)
        assert result.returncode == 0, result.stderr[-3000:]
        lines = map_lines(tmp_path / "restore")
        a = Account(source)
        reused_users = {line["target_id"] for line in lines if line["type"] == "user" and line["action"] == "reused"}
        shared = {email for email in existing if any((u.get("email") or "").lower() == email
                                                     for u in a.users.values())}
        assert len(shared) >= 4 and {existing[email] for email in shared} <= reused_users
        assert [line["target_id"] for line in lines if line["type"] == "ticket_field"
                and line["action"] == "reused" and line["target_id"] in category] == category
        check_restored_once(a, target, tmp_path / "restore")


def test_a_ticket_the_target_refuses_is_named_with_zendesks_message_and_the_rest_is_restored(source, backup,
                                                                                             tmp_path):
    damaged = tmp_path / "backup"
    shutil.copytree(backup, damaged)
    (feed,) = damaged.glob("tickets-*.jsonl")
    lines = feed.read_bytes().split(b"\n")[:-1]
    records = [json.loads(line) for line in lines]
    refused = next(r for r in records if r["status"] not in ("deleted", "closed") and r["comments"])
    refused["comments"][0]["created_at"] = "2099-01-01T00:00:00Z"  # Zendesk: not in the future
    feed.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records))
    with SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0) as target:
        result = run_restore(target.url, tmp_path / "restore", damaged, ZENDESK_RESTORE_SEARCH_DELAY=RESTORE_WAIT)
        assert result.returncode == 1, result.stderr[-3000:]
        (last,) = result.failure_lines()
        assert f"ticket {refused['id']}:" in last and "future" in last
        (manifest_path,) = (tmp_path / "restore").glob("restore-manifest-*.json")
        manifest = json.loads(manifest_path.read_text("utf-8"))
        assert [(p["type"], p["source_id"]) for p in manifest["refused"]] == [("ticket", refused["id"])]
        live = {r["id"] for r in records if r["status"] != "deleted"}
        mapped = {line["source_id"] for line in map_lines(tmp_path / "restore") if line["type"] == "ticket"}
        assert mapped == live - {refused["id"]}
        assert target.written_truth()["counts"]["ticket"] == len(live) - 1


def test_a_ticket_deleted_by_mistake_comes_back_into_its_own_account_from_its_last_version(tmp_path):
    with SandboxProcess(tickets=20, seed=63, rate_limit=1_000_000, export_rate_limit=0) as account:
        backup_dir = tmp_path / "backup"
        assert run_crawl(account.url, backup_dir, "-a", "start_time=0", "-a", "attachments=true",
                         ZENDESK_FORMATS="jsonl,json").returncode == 0
        before = Account(account)
        victim = max((t for t in before.tickets.values() if t["status"] not in ("deleted", "closed")),
                     key=lambda t: len(t["comments"]))
        account.change(delete=[victim["id"]])
        account.advance_clock(120)
        second = run_crawl(account.url, backup_dir, ZENDESK_FORMATS="jsonl,json")
        assert second.returncode == 0, second.stderr[-2000:]
        assert any(r["id"] == victim["id"] and r["status"] == "deleted" for r in second.records("tickets"))
        written_before = account.written_truth()["counts"]
        result = run_restore(account.url, tmp_path / "restore", backup_dir, "-a", f"ticket_ids={victim['id']}",
                             ZENDESK_RESTORE_SEARCH_DELAY=RESTORE_WAIT)
        assert result.returncode == 0, result.stderr[-3000:]
        (line,) = [line for line in map_lines(tmp_path / "restore") if line["type"] == "ticket"]
        assert line["source_id"] == victim["id"]
        after = Account(account, download=True, only={line["target_id"]})
        assert after.view(after.tickets[line["target_id"]]) == before.view(victim)
        # Nothing else is written but stand-ins for the ticket's people the account has no address of (deleted
        # users: a comment keeps its author), and those only once.
        people = {victim.get("requester_id"), victim.get("submitter_id"), victim.get("assignee_id"),
                  *(c.get("author_id") for c in victim["comments"])} - {None}
        stand_ins = {uid for uid in people if before.users[uid].get("_deleted") or not before.users[uid].get("email")}
        written = account.written_truth()["counts"]
        changed = {kind: n - written_before.get(kind, 0) for kind, n in written.items()
                   if n != written_before.get(kind, 0) and kind not in ("upload", "job")}
        assert changed == {"ticket": 1, **({"user": len(stand_ins)} if stand_ins else {})}


def test_a_backup_on_s3_is_restored_into_a_restore_location_on_s3(tmp_path):
    aws = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    with moto_s3_server() as s3_server, \
            SandboxProcess(tickets=12, seed=64, rate_limit=1_000_000, export_rate_limit=0) as source_account, \
            SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0) as target:
        s3 = boto3.client("s3", endpoint_url=s3_server.url, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
        s3.create_bucket(Bucket="backups")
        env = {"AWS_ENDPOINT_URL": s3_server.url, **aws}
        backed_up = run_crawl(source_account.url, tmp_path / "unused", "-a", "start_time=0", "-a", "attachments=true",
                              ZENDESK_EXPORT_URI="s3://backups/acme", **env)
        assert backed_up.returncode == 0, backed_up.stderr[-3000:]
        result = run_restore(target.url, tmp_path / "unused-too", "s3://backups/acme",
                             ZENDESK_EXPORT_URI="s3://backups/restore-1", ZENDESK_RESTORE_SEARCH_DELAY="0", **env)
        assert result.returncode == 0, result.stderr[-3000:]
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="backups", Prefix="restore-1/")["Contents"]]
        assert any(key.startswith("restore-1/restore-map-") for key in keys)
        assert any(key.startswith("restore-1/restore-manifest-") for key in keys)
        lines = [json.loads(line) for key in keys if key.startswith("restore-1/restore-map-")
                 for line in s3.get_object(Bucket="backups", Key=key)["Body"].read().decode().splitlines()]
        a, b = Account(source_account), Account(target, download=True)
        tickets = {line["source_id"]: line["target_id"] for line in lines if line["type"] == "ticket"}
        assert set(tickets) == {tid for tid, t in a.tickets.items() if t["status"] != "deleted"}
        for source_id, target_id in tickets.items():
            assert b.view(b.tickets[target_id]) == a.view(a.tickets[source_id]), source_id
