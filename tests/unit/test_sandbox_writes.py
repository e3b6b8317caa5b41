"""The sandbox's write side over real HTTP: an empty and a partial account, the Ticket Import API, job statuses,
uploads, creating users, organizations, groups, fields and configuration, Zendesk's limits and errors, admin-only
endpoints, faults that lose the answer of a write that was done, and the read endpoints serving what was written."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.support.paths import SAMPLES
from tests.support.sandbox_writes import ADMIN, AGENT, NO_REDIRECT, call, finished_job, new_user, upload
from zendesk_sandbox import DEFAULT_EMAIL, SandboxError, SandboxProcess
from zendesk_sandbox.clock import Clock
from zendesk_sandbox.data import Dataset
from zendesk_sandbox.generator import Options
from zendesk_sandbox.writes.config import DEFAULT_TRIGGERS


def keys_of(value: Any) -> Any:
    """The nested key structure of a JSON value (dicts' keys, the first item of lists)."""
    if isinstance(value, dict):
        return {key: keys_of(item) for key, item in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [keys_of(value[0])]
    return None


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_bytes())


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(account="empty", rate_limit=1_000_000, export_rate_limit=0) as server:
        yield server


def import_many(sandbox: SandboxProcess, tickets: list[dict[str, Any]], archive: bool = False) -> list[dict[str, Any]]:
    query = "?archive_immediately=true" if archive else ""
    status, body = call(sandbox, "POST", f"/api/v2/imports/tickets/create_many{query}", {"tickets": tickets})
    assert status == 200, body
    return finished_job(sandbox, body["job_status"])["results"]


# ------------------------------------------------------------ a new account

def test_an_empty_account_has_only_the_admin_and_zendesks_defaults(sandbox):
    stats = sandbox.stats()
    assert (stats["tickets"], stats["users"], stats["organizations"], stats["groups"]) == (0, 1, 0, 1)
    assert [u["email"] for u in sandbox.stream_truth("users")] == [DEFAULT_EMAIL]
    assert [g["name"] for g in sandbox.stream_truth("groups")] == ["Support"]
    assert [f["type"] for f in sandbox.stream_truth("ticket_fields")] == [
        "subject", "description", "status", "tickettype", "priority", "group", "assignee"]
    assert [f["name"] for f in sandbox.stream_truth("ticket_forms")] == ["Default Ticket Form"]
    assert [t["title"] for t in sandbox.stream_truth("triggers")] == list(DEFAULT_TRIGGERS)
    assert len(sandbox.stream_truth("brands")) == 1 and sandbox.stream_truth("views")
    assert sandbox.stream_truth("automations") and sandbox.stream_truth("macros")
    assert sandbox._control("GET", "/_sandbox/truth/articles")["articles"] == []  # no Help Center content yet


def test_a_partial_account_has_seeded_peoples_emails_and_a_seeded_field_under_other_ids():
    seeded = Dataset(Options(tickets=300, seed=3, epoch=1_700_000_000), Clock()).account
    seeded_users = {seeded.user_email(uid): uid for uid in seeded.user_ids()}
    with SandboxProcess(account="partial", seed=3, tickets=300) as sandbox:
        users = [u for u in sandbox.stream_truth("users") if u["email"] != DEFAULT_EMAIL]
        fields = [f for f in sandbox.stream_truth("ticket_fields") if f["type"] == "text"]
        assert sandbox.stats()["tickets"] == 0
    assert len(users) == 4 and all(u["email"] in seeded_users for u in users)
    assert all(u["id"] != seeded_users[u["email"]] for u in users)
    assert [(f["type"], f["title"]) for f in fields] == [("text", "Category")]
    assert fields[0]["id"] != seeded.generator.ticket_fields.field(360001234567)["id"]


# --------------------------------------------------------------- uploads

def test_an_upload_answers_the_samples_shape_and_serves_the_same_bytes(sandbox):
    data = bytes(range(256)) * 10
    body = upload(sandbox, "ü report.bin", data, "application/octet-stream")
    assert keys_of({"upload": body}) == keys_of(sample("upload.json"))
    attachment = body["attachment"]
    assert (attachment["file_name"], attachment["size"]) == ("ü report.bin", len(data))
    status, _ = call(sandbox, "GET", attachment["content_url"][len(sandbox.url):])
    assert status == 302
    request = urllib.request.Request(sandbox.url + attachment["content_url"][len(sandbox.url):],
                                     headers={"Authorization": ADMIN})
    with pytest.raises(urllib.error.HTTPError) as redirect:
        NO_REDIRECT.open(request, timeout=30)
    with urllib.request.urlopen(redirect.value.headers["Location"], timeout=30) as response:
        assert response.read() == data
        assert response.headers["Content-Type"] == "application/octet-stream"


def test_an_expired_upload_token_makes_its_ticket_fail(sandbox):
    token = upload(sandbox, "late.txt", b"late")["token"]
    requester = new_user(sandbox, "late@example.com")
    sandbox.advance_clock(3601)
    results = import_many(sandbox, [{"requester_id": requester, "subject": "late",
                                     "comments": [{"value": "x", "uploads": [token]}]}])
    assert results[0]["index"] == 0 and "upload token" in results[0]["details"]
    assert "id" not in results[0]


# --------------------------------------------------------------- imports

def test_imported_tickets_are_served_by_the_read_endpoints_as_written(sandbox):
    requester = new_user(sandbox, "reader@example.com")
    token = upload(sandbox, "a.txt", b"attached bytes")["token"]
    results = import_many(sandbox, [
        {"requester_id": requester, "subject": "Old", "status": "solved", "tags": ["restored", "vip"],
         "created_at": "1960-05-01T00:00:00Z", "updated_at": "2020-02-01T00:00:00Z",
         "comments": [{"author_id": requester, "html_body": "<p>Hello &amp; bye</p>",
                       "created_at": "2020-01-01T00:00:00Z", "uploads": [token]},
                      {"author_id": requester, "body": "internal", "public": False,
                       "created_at": "2020-01-02T00:00:00Z"}]},
        {"requester_id": 12345, "subject": "nobody"},
    ])
    assert results[0]["index"] == 0 and results[1]["index"] == 1 and "error" in results[1]
    ticket_id = results[0]["id"]
    status, shown = call(sandbox, "GET", f"/api/v2/tickets/{ticket_id}.json")
    ticket = shown["ticket"]
    assert (ticket["created_at"], ticket["updated_at"]) == ("1970-01-01T00:00:00Z", "2020-02-01T00:00:00Z")
    assert (ticket["status"], ticket["tags"], ticket["requester_id"]) == ("solved", ["restored", "vip"], requester)
    status, comments = call(sandbox, "GET", f"/api/v2/tickets/{ticket_id}/comments.json?include=users")
    assert [c["html_body"] for c in comments["comments"]][0] == "<p>Hello &amp; bye</p>"
    assert [c["public"] for c in comments["comments"]] == [True, False]
    assert comments["comments"][0]["attachments"][0]["size"] == len(b"attached bytes")
    assert [u["id"] for u in comments["users"]] == [requester]
    sandbox.advance_clock(61)
    status, export = call(sandbox, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0&include=users")
    assert ticket_id in [t["id"] for t in export["tickets"]]
    assert requester in [u["id"] for u in export["users"]]
    seeded_keys = list(sample("incremental_tickets_cursor.json")["tickets"][0])
    assert list(next(t for t in export["tickets"] if t["id"] == ticket_id)) == seeded_keys


def test_create_many_refuses_101_tickets_and_writes_nothing(sandbox):
    before = sandbox.written_truth()["counts"].get("ticket", 0)
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets/create_many",
                        {"tickets": [{"requester_id": 1, "subject": str(k)} for k in range(101)]})
    assert status == 400 and body["error"] == "TooManyValues"
    assert sandbox.written_truth()["counts"].get("ticket", 0) == before


def test_a_comment_in_the_future_is_refused(sandbox):
    requester = new_user(sandbox, "future@example.com")
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
        "requester_id": requester, "subject": "f", "comments": [{"value": "x", "created_at": "2999-01-01T00:00:00Z"}]}})
    assert status == 422 and body["error"] == "RecordInvalid"


def test_imported_tickets_are_searchable_by_tag_after_the_index_delay_archived_ones_too(sandbox):
    requester = new_user(sandbox, "search@example.com")
    ids = [r["id"] for r in import_many(sandbox, [
        {"requester_id": requester, "subject": "s", "status": "closed", "tags": ["marker-x1"],
         "comments": [{"value": "closed one"}]}], archive=True)]
    path = "/api/v2/search/export?query=tags:marker-x1&filter%5Btype%5D=ticket"
    assert call(sandbox, "GET", path)[1]["results"] == []
    sandbox.advance_clock(60)
    assert call(sandbox, "GET", path)[1]["results"] == []  # "it might take a few minutes for them to be indexed"
    sandbox.advance_clock(61)
    assert [t["id"] for t in call(sandbox, "GET", path)[1]["results"]] == ids
    assert set(ids) <= set(sandbox.archived_truth())
    status, shown = call(sandbox, "GET", f"/api/v2/tickets/show_many.json?ids={ids[0]}")
    assert shown["tickets"] == []  # archived: not in show_many, as for seeded archived tickets


# ------------------------------------------------------------------ jobs

def test_a_job_goes_queued_working_completed_and_expires_after_an_hour(sandbox):
    status, body = call(sandbox, "POST", "/api/v2/organizations/create_many",
                        {"organizations": [{"name": "Job Org A"}, {"name": "Job Org A"}]})
    job = body["job_status"]
    assert job["status"] == "queued"
    states = [call(sandbox, "GET", f"/api/v2/job_statuses/{job['id']}")[1]["job_status"] for _ in range(2)]
    assert [s["status"] for s in states] == ["working", "completed"]
    assert keys_of({"job_status": {**states[1], "results": states[1]["results"][:1]}}) == keys_of(
        sample("job_status.json"))
    assert "id" in states[1]["results"][0] and "has already been taken" in states[1]["results"][1]["details"]
    status, many = call(sandbox, "GET", f"/api/v2/job_statuses/show_many?ids={job['id']}")
    assert [j["id"] for j in many["job_statuses"]] == [job["id"]]
    sandbox.advance_clock(3600)
    assert call(sandbox, "GET", f"/api/v2/job_statuses/{job['id']}")[0] == 404


def test_at_most_30_jobs_run_at_once(sandbox):
    sandbox.advance_clock(120)  # earlier jobs have completed
    answers = [call(sandbox, "POST", "/api/v2/users/create_many", {"users": [{"name": f"j{k}"}]})[0]
               for k in range(31)]
    assert answers == [200] * 30 + [429]
    sandbox.advance_clock(120)
    assert call(sandbox, "POST", "/api/v2/users/create_many", {"users": [{"name": "after"}]})[0] == 200


def test_users_create_or_update_many_matches_by_email_and_external_id(sandbox):
    existing = new_user(sandbox, "match@example.com")
    status, body = call(sandbox, "POST", "/api/v2/users/create_or_update_many", {"users": [
        {"name": "Matched", "email": "MATCH@example.com"}, {"name": "Fresh", "email": "fresh@example.com",
                                                            "external_id": "ext-9"},
        {"name": "Fresh again", "external_id": "ext-9"}]})
    results = finished_job(sandbox, body["job_status"])["results"]
    assert [r["status"] for r in results] == ["Updated", "Created", "Updated"]
    assert results[0]["id"] == existing and results[1]["id"] == results[2]["id"]
    status, duplicate = call(sandbox, "POST", "/api/v2/users", {"user": {"name": "x", "email": "fresh@example.com"}})
    assert status == 422 and "already being used" in duplicate["details"]["email"][0]["description"]


# -------------------------------------------------- records and configuration

@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v2/triggers", {"trigger": {"title": "t", "actions": [{"field": "status", "value": "open"}]}}, "conditions"),
    ("/api/v2/macros", {"macro": {"title": "m"}}, "actions"),
    ("/api/v2/ticket_fields", {"ticket_field": {"type": "text"}}, "title"),
    ("/api/v2/ticket_fields", {"ticket_field": {"type": "tagger", "title": "No options"}}, "custom_field_options"),
    ("/api/v2/brands", {"brand": {"name": "Again", "subdomain": "sandbox"}}, "subdomain"),
    ("/api/v2/groups", {"group": {}}, "name"),
    ("/api/v2/views", {"view": {"title": "v", "all": [{"field": "priority", "operator": "is", "value": "high"}]}},
     "all"),
])
def test_zendesks_validation_errors(sandbox, path, body, field):
    status, answer = call(sandbox, "POST", path, body)
    assert status == 422 and answer["error"] == "RecordInvalid" and field in answer["details"]


def test_created_records_and_configuration_are_listed_like_seeded_ones(sandbox):
    status, group = call(sandbox, "POST", "/api/v2/groups", {"group": {"name": "Tier 2"}})
    assert status == 201
    status, field = call(sandbox, "POST", "/api/v2/ticket_fields", {"ticket_field": {
        "type": "tagger", "title": "Region", "custom_field_options": [{"name": "EMEA", "value": "emea"}]}})
    assert status == 201 and field["ticket_field"]["custom_field_options"][0]["value"] == "emea"
    status, trigger = call(sandbox, "POST", "/api/v2/triggers", {"trigger": {
        "title": "Restored trigger", "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]},
        "actions": [{"field": "group_id", "value": str(group["group"]["id"])}]}})
    assert status == 201
    assert group["group"]["id"] in [g["id"] for g in call(sandbox, "GET", "/api/v2/groups.json")[1]["groups"]]
    fields = call(sandbox, "GET", "/api/v2/ticket_fields.json?page%5Bsize%5D=100")[1]["ticket_fields"]
    assert field["ticket_field"] in fields
    triggers = call(sandbox, "GET", "/api/v2/triggers.json?page%5Bsize%5D=100")[1]["triggers"]
    assert trigger["trigger"] in triggers
    assert list(trigger["trigger"]) == list(sample("triggers.json")["triggers"][0])
    status, org = call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": "Unique Org"}})
    assert status == 201
    status, again = call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": "unique org"}})
    assert status == 422 and again["details"]["name"][0]["description"] == "Name: has already been taken"


def test_an_agent_is_refused_the_admin_only_writes_but_may_upload(sandbox):
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {"subject": "x"}}, authorization=AGENT)
    assert status == 403 and body["error"] == "Forbidden"
    assert call(sandbox, "POST", "/api/v2/groups", {"group": {"name": "g"}}, authorization=AGENT)[0] == 403
    status, _ = call(sandbox, "POST", "/api/v2/uploads?filename=a.txt", raw=b"a", authorization=AGENT)
    assert status == 201


# ---------------------------------------------------------------- faults, truth

@pytest.mark.parametrize("kind", ["commit_status", "commit_drop"])
def test_a_write_can_be_done_and_its_answer_lost(sandbox, kind):
    sandbox.faults([{"endpoint": "organizations_create", "kind": kind, "count": 1}])
    name = f"Lost answer {kind}"
    try:
        if kind == "commit_status":
            status, _ = call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": name}})
            assert status == 500
        else:
            with pytest.raises((urllib.error.URLError, ConnectionError)):
                call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": name}})
    finally:
        sandbox.faults([])
    assert name in [o["name"] for o in sandbox.stream_truth("organizations")]  # created all the same
    status, retry = call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": name}})
    assert status == 422  # a blind retry meets the record it created


def test_every_write_is_logged_by_its_endpoint_name_and_counted_in_the_truth(sandbox):
    start = sandbox.requests_log()["count"]
    call(sandbox, "POST", "/api/v2/macros", {"macro": {"title": "Counted", "actions": [{"field": "status",
                                                                                        "value": "open"}]}})
    log = sandbox.requests_log(since=start)
    assert log["by_endpoint"]["macros_create"] >= 1
    assert [e["path"] for e in log["log"]] == ["/api/v2/macros"]
    written = sandbox.written_truth()
    assert written["counts"]["macro"] == len(written["created"]["macro"]) == len(set(written["created"]["macro"]))
    imported = {t["id"]: t for t in written["tickets"]}
    assert set(imported) == set(written["created"]["ticket"])
    assert all(set(t) == {"id", "external_id", "tags", "subject", "status"} for t in imported.values())


# ------------------------------------------------------- finding records again

def test_organizations_are_found_by_name_and_tickets_by_external_id_archived_ones_not(sandbox):
    status, org = call(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": "Findable Örg",
                                                                                   "external_id": "org-ext-1"}})
    found = call(sandbox, "GET", "/api/v2/organizations/search.json?name=findable%20%C3%B6rg")[1]["organizations"]
    assert [o["id"] for o in found] == [org["organization"]["id"]]
    by_external = call(sandbox, "GET", "/api/v2/organizations/search.json?external_id=org-ext-1")[1]
    assert [o["id"] for o in by_external["organizations"]] == [org["organization"]["id"]]
    assert org["organization"]["id"] in [o["id"] for o in call(sandbox, "GET", "/api/v2/organizations.json")[1][
        "organizations"]]
    requester = new_user(sandbox, "external@example.com")
    ids = [r["id"] for r in import_many(sandbox, [
        {"requester_id": requester, "external_id": "src-1", "status": "open", "comments": [{"value": "open"}]},
        {"requester_id": requester, "external_id": "src-1", "status": "closed", "comments": [{"value": "closed"}]},
    ], archive=True)]
    listed = call(sandbox, "GET", "/api/v2/tickets.json?external_id=src-1")[1]["tickets"]
    assert [t["id"] for t in listed] == ids[:1]  # the archived one only by search


def test_a_single_import_answers_the_ticket_and_the_truth_counts_its_upload(sandbox):
    requester = new_user(sandbox, "single@example.com")
    up = upload(sandbox, "one.bin", b"\x00\x01 one")
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
        "requester_id": requester, "subject": "Single", "comments": [{"value": "v", "uploads": [up["token"]]}]}})
    assert status == 201 and body["ticket"]["subject"] == "Single" and body["ticket"]["description"] == "v"
    uploads = {u["attachment_id"]: u for u in sandbox.written_truth()["uploads"]}
    assert uploads[up["attachment"]["id"]]["ticket_id"] == body["ticket"]["id"]
    assert uploads[up["attachment"]["id"]]["size"] == len(b"\x00\x01 one")
    status, again = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
        "requester_id": requester, "comments": [{"value": "v", "uploads": [up["token"]]}]}})
    assert status == 422  # a token serves one ticket


def test_organizations_create_many_refuses_101():
    with SandboxProcess(account="empty") as sandbox:
        status, body = call(sandbox, "POST", "/api/v2/organizations/create_many",
                            {"organizations": [{"name": f"o{k}"} for k in range(101)]})
        assert (status, body["error"], body["max_count"]) == (400, "TooManyValues", 100)
        assert sandbox.written_truth()["counts"] == {}


def test_writes_into_a_seeded_account_bring_back_a_ticket_beside_the_seeded_ones():
    with SandboxProcess(tickets=30, seed=5, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        seeded = sandbox.truth(comments=False, users=False)["tickets"]
        gone = next(t for t in seeded if t["status"] == "deleted")
        requester = next(u for u in sandbox.stream_truth("users") if u["role"] == "end-user" and u["active"])
        status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
            "requester_id": requester["id"], "subject": "Brought back", "tags": ["restored"],
            "comments": [{"value": f"was ticket {gone['id']}"}]}})
        assert status == 201
        new_id = body["ticket"]["id"]
        assert new_id not in {t["id"] for t in seeded}
        sandbox.advance_clock(61)
        status, export = call(sandbox, "GET", "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=1000"
                                                "&support_type_scope=all")
        ids = [t["id"] for t in export["tickets"]]
        assert new_id in ids and len(ids) == len(seeded) + 1
        assert sandbox.stats()["tickets"] == len(seeded) + 1


def test_users_me_is_the_authenticated_user(sandbox):
    status, body = call(sandbox, "GET", "/api/v2/users/me.json")
    assert status == 200 and body["user"]["email"] == DEFAULT_EMAIL and body["user"]["role"] == "admin"


def test_a_ticket_without_comments_takes_its_description_as_first_comment(sandbox):
    requester = new_user(sandbox, "described@example.com")
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
        "requester_id": requester, "subject": "d", "description": "only a description", "is_public": False}})
    assert status == 201 and body["ticket"]["description"] == "only a description"
    assert body["ticket"]["is_public"] is False
    comments = call(sandbox, "GET", f"/api/v2/tickets/{body['ticket']['id']}/comments.json")[1]["comments"]
    assert [c["body"] for c in comments] == ["only a description"]


CONDITIONS = {"all": [{"field": "status", "operator": "less_than", "value": "solved"}], "any": []}
ACTIONS = [{"field": "status", "value": "open"}]
#: (path, request key, a valid object, sample file, the sample's list key)
CREATES = [
    ("/api/v2/groups", "group", {"name": "Sampled group"}, "groups.json", "groups"),
    ("/api/v2/ticket_fields", "ticket_field", {"type": "text", "title": "Sampled field"}, "ticket_fields.json",
     "ticket_fields"),
    ("/api/v2/organizations", "organization", {"name": "Sampled org"}, "incremental_organizations.json",
     "organizations"),
    ("/api/v2/users", "user", {"name": "Sampled", "email": "sampled@example.com"}, "incremental_users_cursor.json",
     "users"),
    ("/api/v2/ticket_forms", "ticket_form", {"name": "Sampled form"}, "ticket_forms.json", "ticket_forms"),
    ("/api/v2/user_fields", "user_field", {"type": "text", "key": "sampled", "title": "Sampled"}, "user_fields.json",
     "user_fields"),
    ("/api/v2/organization_fields", "organization_field", {"type": "text", "key": "sampled", "title": "Sampled"},
     "organization_fields.json", "organization_fields"),
    ("/api/v2/brands", "brand", {"name": "Sampled", "subdomain": "sampled"}, "brands.json", "brands"),
    ("/api/v2/macros", "macro", {"title": "Sampled", "actions": ACTIONS}, "macros.json", "macros"),
    ("/api/v2/triggers", "trigger", {"title": "Sampled", "conditions": CONDITIONS, "actions": ACTIONS},
     "triggers.json", "triggers"),
    ("/api/v2/automations", "automation", {"title": "Sampled", "conditions": CONDITIONS, "actions": ACTIONS},
     "automations.json", "automations"),
    ("/api/v2/views", "view", {"title": "Sampled", "all": CONDITIONS["all"]}, "views.json", "views"),
]


@pytest.mark.parametrize(("path", "key", "payload", "sample_file", "list_key"), CREATES,
                         ids=[create[1] for create in CREATES])
def test_a_created_object_has_the_members_of_the_recorded_sample(sandbox, path, key, payload, sample_file, list_key):
    status, body = call(sandbox, "POST", path, {key: payload})
    assert status == 201, body
    recorded = [obj for obj in sample(sample_file)[list_key] if obj.get("type") == payload.get("type")
                and (obj.get("active", True) or "type" in obj)]  # a live object (a field of the same type)
    wanted = max((list(obj) for obj in recorded), key=len)  # the fullest of them
    assert set(wanted) <= set(body[key]), set(wanted) - set(body[key])


def test_an_upload_token_takes_more_files_and_an_end_user_cannot_be_assignee(sandbox):
    first = upload(sandbox, "one.txt", b"1")
    status, second = call(sandbox, "POST", f"/api/v2/uploads?filename=two.txt&token={first['token']}", raw=b"22")
    assert status == 201 and second["upload"]["token"] == first["token"]
    assert [a["file_name"] for a in second["upload"]["attachments"]] == ["one.txt", "two.txt"]
    requester = new_user(sandbox, "assignee@example.com")
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
        "requester_id": requester, "assignee_id": requester, "comments": [{"value": "x"}]}})
    assert status == 422 and "assignee_id" in body["details"]
    status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
        "requester_id": requester, "comments": [{"value": "files", "uploads": [first["token"]]}]}})
    comments = call(sandbox, "GET", f"/api/v2/tickets/{body['ticket']['id']}/comments.json")[1]["comments"]
    assert [a["file_name"] for a in comments[0]["attachments"]] == ["one.txt", "two.txt"]


def test_the_job_list_shows_the_latest_jobs_newest_first(sandbox):
    sandbox.advance_clock(120)
    ids = [call(sandbox, "POST", "/api/v2/users/create_many", {"users": [{"name": f"l{k}"}]})[1]["job_status"]["id"]
           for k in range(2)]
    listed = call(sandbox, "GET", "/api/v2/job_statuses.json")[1]
    assert [job["id"] for job in listed["job_statuses"][:2]] == ids[::-1]
    assert listed["count"] == len(listed["job_statuses"]) <= 100


def test_the_search_index_delay_is_set_by_the_command_line():
    with SandboxProcess(account="empty", search_index_delay=0) as sandbox:
        requester = new_user(sandbox, "now@example.com")
        status, body = call(sandbox, "POST", "/api/v2/imports/tickets", {"ticket": {
            "requester_id": requester, "tags": ["at-once"], "comments": [{"value": "x"}]}})
        found = call(sandbox, "GET", "/api/v2/search/export?query=tags:at-once&filter%5Btype%5D=ticket")[1]
        assert [t["id"] for t in found["results"]] == [body["ticket"]["id"]]


def test_commit_faults_take_only_write_endpoints_and_a_plain_drop_writes_nothing(sandbox):
    with pytest.raises(SandboxError, match="400"):
        sandbox.faults([{"endpoint": "groups", "kind": "commit_status", "count": 1}])
    sandbox.faults([{"endpoint": "groups_create", "kind": "drop", "count": 1}])
    try:
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            call(sandbox, "POST", "/api/v2/groups", {"group": {"name": "Never reached"}})
    finally:
        sandbox.faults([])
    assert "Never reached" not in [g["name"] for g in sandbox.stream_truth("groups")]


def test_an_imported_ticket_has_one_audit_per_comment_in_the_ticket_event_export(sandbox):
    requester = new_user(sandbox, "audited@example.com")
    ticket_id = import_many(sandbox, [{"requester_id": requester, "status": "pending", "comments": [
        {"value": "first", "created_at": "2022-01-01T00:00:00Z"},
        {"value": "second", "created_at": "2022-01-02T00:00:00Z", "public": False}]}])[0]["id"]
    truth = [e for e in sandbox._control("GET", "/_sandbox/truth/ticket_events")["ticket_events"]
             if e["ticket_id"] == ticket_id]
    assert [e["created_at"] for e in truth] == ["2022-01-01T00:00:00Z", "2022-01-02T00:00:00Z"]
    first = truth[0]["child_events"]
    assert first[0]["body"] == "first" and {"status": "pending", "event_type": "Create"}.items() <= first[1].items()
    assert [c["event_type"] for c in truth[1]["child_events"]] == ["Comment"]  # no triggers: no notifications
    sandbox.advance_clock(61)
    status, page = call(sandbox, "GET", f"/api/v2/incremental/ticket_events.json?start_time={truth[0]['timestamp']}"
                                        "&include=comment_events")
    assert [e["id"] for e in page["ticket_events"] if e["ticket_id"] == ticket_id] == [e["id"] for e in truth]
