"""Person exports against the sandbox: everything about one person, found by id or by e-mail address, in one JSON
and one XML document, complete against the sandbox's truth, without moving the backup's cursors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.crawl import CrawlResult, run_crawl
from tests.support.truth import assert_matches_truth
from tests.support.xmlfeed import read_person_document
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def account(tmp_path_factory):
    """A sandbox where the person of interest has more than 1000 tickets, and a backup of it."""
    with SandboxProcess(tickets=2000, seed=1, rate_limit=0, export_rate_limit=0) as sandbox:
        backup_dir = tmp_path_factory.mktemp("backup")
        backup = run_crawl(sandbox.url, backup_dir, "-a", "start_time=0", "-a", "streams=tickets")
        assert backup.returncode == 0, backup.stderr[-3000:]
        yield sandbox, backup_dir, sandbox.truth(), sandbox.person_truth()


def documents(result: CrawlResult, user_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The run's JSON and XML person documents, named ``person-<user id>-<run id>``."""
    run_id = result.manifest()["run_id"]
    folder = Path(result.manifest()["files"][0]).parent
    json_doc = json.loads((folder / f"person-{user_id}-{run_id}.json").read_bytes())
    xml_doc = read_person_document((folder / f"person-{user_id}-{run_id}.xml").read_bytes())
    return json_doc, xml_doc


def assert_complete(doc: dict[str, Any], sandbox: SandboxProcess, truth: dict[str, Any],
                    person: dict[str, Any], comment_fields: tuple[str, ...] | None = None) -> None:
    """Profile and identities as the API serves them; every ticket of the person once, each complete."""
    users = {user["id"]: user for user in sandbox.stream_truth("users")}
    assert list(doc) == ["user", "identities", "tickets"]
    assert doc["user"] == users[person["user_id"]]
    assert doc["identities"] == person["identities"]
    wanted = set(person["requested"]) | set(person["ccd"]) | set(person["followed"]) | set(person["commented"])
    assert_matches_truth(doc["tickets"], truth, ids=wanted, comment_fields=comment_fields)


def test_a_person_found_by_email_gets_every_ticket_in_one_json_and_one_xml_document(account):
    sandbox, backup_dir, truth, person = account
    assert len(set(person["requested"]) | set(person["ccd"]) | set(person["followed"])
               | set(person["commented"])) > 1000  # beyond the plain Search API's 1000 results
    assert person["archived"] and person["commented"] and person["ccd"] and person["requested"]
    state_before = (backup_dir / "state.json").read_bytes()

    # Small search pages: the commenter search takes several pages.
    result = run_crawl(sandbox.url, backup_dir, "-a", f"user={person['email']}", ZENDESK_SEARCH_PAGE_SIZE="50",
                       ZENDESK_BATCH_ITEM_COUNT="10")

    assert result.returncode == 0, result.stderr[-3000:]
    json_doc, xml_doc = documents(result, person["user_id"])
    assert_complete(json_doc, sandbox, truth, person)
    assert xml_doc == json_doc  # the same content, by the XML rules of the feeds
    assert set(person["archived"]) <= {ticket["id"] for ticket in json_doc["tickets"]}
    manifest = result.manifest()
    assert manifest["status"] == "complete"
    assert manifest["person"] == {"user": person["email"], "user_id": person["user_id"],
                                  "ids_found": len(json_doc["tickets"]), "ids_not_found": [], "no_longer_matching": 0}
    assert len(person["commented"]) > 50
    assert not [f for f in result.new_files if f.name.startswith("tickets-")]  # the documents only
    assert (backup_dir / "state.json").read_bytes() == state_before


def test_a_person_found_by_id_with_attachment_files(account, tmp_path):
    sandbox, _, truth, person = account
    result = run_crawl(sandbox.url, tmp_path, "-a", f"user={person['user_id']}", "-a", "attachments=true")
    assert result.returncode == 0, result.stderr[-3000:]
    json_doc, _ = documents(result, person["user_id"])
    # attachments gain stored_file, and inline images are listed: compare the rest of each comment
    assert_complete(json_doc, sandbox, truth, person, ("id", "author_id", "body", "html_body", "public", "created_at"))
    files = [attachment["stored_file"] for ticket in json_doc["tickets"] for comment in ticket["comments"]
             for attachment in comment.get("attachments") or [] if attachment.get("stored_file")]
    assert files
    for stored in files:
        assert hashlib.sha256((tmp_path / stored["path"]).read_bytes()).hexdigest() == stored["sha256"]


@pytest.mark.parametrize("who, message", [
    ("12345", "no Zendesk user has the id 12345"),
    ("nobody@example.com", "no Zendesk user has the e-mail address nobody@example.com"),
])
def test_an_unknown_person_is_a_clear_error_and_leaves_no_document(account, tmp_path, who, message):
    sandbox, _, _, _ = account
    result = run_crawl(sandbox.url, tmp_path, "-a", f"user={who}")
    assert result.returncode == 1
    assert message in result.failure_lines()[0]
    assert not list(tmp_path.glob("person-*"))
    assert result.manifest()["status"] == "failed"


def test_a_person_export_that_fails_after_its_documents_were_opened_leaves_none(account, tmp_path):
    sandbox, _, _, person = account
    sandbox.faults([{"endpoint": "user_tickets_ccd", "kind": "status", "status": 500, "count": 1000}])
    try:
        result = run_crawl(sandbox.url, tmp_path, "-a", f"user={person['user_id']}",
                           ZENDESK_RETRY_BACKOFF_BASE="0")
    finally:
        sandbox.faults([])
    assert result.returncode == 1
    assert "the person's ccd tickets stopped: HTTP 500" in result.failure_lines()[0]
    assert "The person documents were not stored" in result.stderr
    assert result.manifest()["tickets_exported"] > 0  # tickets went through before the failure
    assert not list(tmp_path.glob("person-*")) and not list(tmp_path.glob(".partial/*"))


def test_an_address_the_users_search_matches_only_in_part_is_not_the_person(account, tmp_path):
    """Zendesk's users search matches parts of values: the one user it finds must have the address."""
    sandbox, _, _, person = account
    partial = person["email"][:-1]  # agent2@sandbox.example.co: the search finds agent2@sandbox.example.com
    start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, tmp_path, "-a", f"user={partial}")
    paths = [entry["path"] for entry in sandbox.requests_log(since=start)["log"]]
    assert result.returncode == 1
    assert f"no Zendesk user has the e-mail address {partial} (the users search found user " \
           f"{person['user_id']}, whose addresses differ" in result.failure_lines()[0]
    assert not [path for path in paths if "/tickets" in path]  # nothing of theirs was read
    assert not list(tmp_path.glob("person-*"))


@pytest.mark.parametrize("args, message", [
    (["user=not an address"], "user must be"),
    (["user=1", "status=open"], "cannot be combined"),
    (["user=1", "start_time=0"], "cannot be combined"),
])
def test_invalid_person_arguments_are_refused_before_any_request(account, tmp_path, args, message):
    sandbox, _, _, _ = account
    start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, tmp_path, *[part for arg in args for part in ("-a", arg)])
    assert result.returncode == 2
    assert message in result.failure_lines()[0]
    assert sandbox.requests_log()["count"] == start
