"""The sandbox's configuration endpoints over real HTTP: the samples' shapes, each endpoint's pagination, ids that
point at the account's objects, the features an account may lack, the no_cursor fault, determinism."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.paths import SAMPLES
from zendesk_sandbox import DEFAULT_API_TOKEN, DEFAULT_EMAIL, SandboxProcess
from zendesk_sandbox.clock import Clock
from zendesk_sandbox.data import Dataset
from zendesk_sandbox.generator import Options

BASIC = "Basic " + base64.b64encode(f"{DEFAULT_EMAIL}/token:{DEFAULT_API_TOKEN}".encode()).decode()
#: stream: (path, list key, sample file); cursor pagination.
CURSOR = {
    "user_fields": ("/api/v2/user_fields.json", "user_fields", "user_fields.json"),
    "organization_fields": ("/api/v2/organization_fields.json", "organization_fields", "organization_fields.json"),
    "brands": ("/api/v2/brands.json", "brands", "brands.json"),
    "macros": ("/api/v2/macros.json", "macros", "macros.json"),
    "triggers": ("/api/v2/triggers.json", "triggers", "triggers.json"),
    "automations": ("/api/v2/automations.json", "automations", "automations.json"),
    "views": ("/api/v2/views.json", "views", "views.json"),
    "dynamic_content": ("/api/v2/dynamic_content/items.json", "items", "dynamic_content_items.json"),
    "group_memberships": ("/api/v2/group_memberships.json", "group_memberships", "group_memberships.json"),
    "organization_memberships": ("/api/v2/organization_memberships.json", "organization_memberships",
                                 "organization_memberships.json"),
}
#: Returned whole, no pagination.
WHOLE = {
    "ticket_forms": ("/api/v2/ticket_forms.json", "ticket_forms", "ticket_forms.json"),
    "custom_statuses": ("/api/v2/custom_statuses.json", "custom_statuses", "custom_statuses.json"),
    "sla_policies": ("/api/v2/slas/policies.json", "sla_policies", "sla_policies.json"),
    "schedules": ("/api/v2/business_hours/schedules.json", "schedules", "schedules.json"),
}


def get(url: str) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": BASIC})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_bytes())


def walk(sandbox: SandboxProcess, path: str, key: str, size: int) -> list[dict[str, Any]]:
    """Every object of a cursor list, following ``links.next`` while ``meta.has_more``."""
    status, page = get(f"{sandbox.url}{path}?page%5Bsize%5D={size}")
    objects = []
    while True:
        assert status == 200 and len(page[key]) <= size
        objects += page[key]
        if not page["meta"]["has_more"]:
            return objects
        assert dict(parse_qsl(urlsplit(page["links"]["next"]).query))["page[after]"] == page["meta"]["after_cursor"]
        status, page = get(page["links"]["next"])


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=120, seed=7, rate_limit=0, export_rate_limit=0) as server:
        yield server


@pytest.mark.parametrize("stream", CURSOR)
def test_cursor_lists_page_through_every_object_with_the_samples_shape(sandbox, stream):
    path, key, sample_file = CURSOR[stream]
    truth = sandbox.stream_truth(stream)
    assert walk(sandbox, path, key, 7) == truth
    assert walk(sandbox, path, key, 100) == truth
    status, first = get(f"{sandbox.url}{path}?page%5Bsize%5D=100")
    documented = sample(sample_file)
    assert list(first) == list(documented) and list(first["meta"]) == list(documented["meta"])
    assert list(first[key][0]) == list(documented[key][0])  # the members in Zendesk's order
    # without page[size]: offset pagination, as documented beside cursor pagination
    status, offset = get(f"{sandbox.url}{path}?per_page=5")
    assert status == 200 and offset[key] == truth[:5] and offset["count"] == len(truth)
    assert (offset["next_page"] is not None) == (len(truth) > 5)


@pytest.mark.parametrize("stream", WHOLE)
def test_whole_lists_come_in_one_answer_with_the_samples_shape(sandbox, stream):
    path, key, sample_file = WHOLE[stream]
    status, answer = get(f"{sandbox.url}{path}?page%5Bsize%5D=1")  # page parameters mean nothing to them
    assert status == 200 and answer[key] == sandbox.stream_truth(stream) and len(answer[key]) > 1
    documented = sample(sample_file)
    assert list(answer) == list(documented)
    assert list(answer[key][0]) == list(documented[key][0])


def test_macros_fill_several_pages_at_the_largest_page_size(sandbox):
    assert len(sandbox.stream_truth("macros")) > 150
    titles = [m["title"] for m in sandbox.stream_truth("macros")]
    assert len(titles) > len(set(titles))  # titles repeat; the cursor orders by (title, id)
    assert titles == sorted(titles)


def test_the_configuration_points_at_the_accounts_objects(sandbox):
    groups = {g["id"] for g in sandbox.stream_truth("groups")}
    users = {u["id"] for u in sandbox.stream_truth("users")}
    agents = {u["id"] for u in sandbox.stream_truth("users") if u["role"] != "end-user"}
    fields = {f["id"] for f in sandbox.stream_truth("ticket_fields")}
    organizations = {o["id"] for o in sandbox.stream_truth("organizations")}
    brands = {b["id"] for b in sandbox.stream_truth("brands")}
    forms = {f["id"] for f in sandbox.stream_truth("ticket_forms")}
    statuses = {s["id"] for s in sandbox.stream_truth("custom_statuses")}
    known = {"group_id": groups, "assignee_id": agents, "requester_id": users, "brand_id": brands,
             "ticket_form_id": forms, "organization_id": organizations, "follower": agents}
    seen = set()
    for stream in ("triggers", "automations", "macros", "views"):
        for rule in sandbox.stream_truth(stream):
            entries = rule["actions"] if "actions" in rule else []
            conditions = rule.get("conditions") or {"all": [], "any": []}
            for entry in [*entries, *conditions["all"], *conditions["any"]]:
                field, value = entry["field"], entry["value"]
                if field in known:
                    assert int(value) in known[field], (stream, rule["id"], entry)
                elif field == "custom_status_id":
                    assert {int(v) for v in (value if isinstance(value, list) else [value])} <= statuses
                elif field.startswith("custom_fields_"):
                    assert int(field[len("custom_fields_"):]) in fields
                else:
                    continue
                seen.add(field.split("_")[0] if field.startswith("custom_fields_") else field)
    assert {"group_id", "assignee_id", "brand_id", "ticket_form_id", "custom_status_id", "custom"} <= seen
    assert all(set(form["ticket_field_ids"]) <= fields for form in sandbox.stream_truth("ticket_forms"))
    memberships = sandbox.stream_truth("group_memberships")
    assert {m["user_id"] for m in memberships} == agents and {m["group_id"] for m in memberships} <= groups
    members = sandbox.stream_truth("organization_memberships")
    assert {m["organization_id"] for m in members} <= organizations and {m["user_id"] for m in members} <= users
    assert len({m["user_id"] for m in members}) < len(members)  # some users belong to two organizations
    organization_keys = {k for o in sandbox.stream_truth("organizations") for k in o["organization_fields"]}
    assert {f["key"] for f in sandbox.stream_truth("organization_fields")} == organization_keys


def test_tickets_carry_brands_forms_and_statuses_the_configuration_lists(sandbox):
    tickets = [t for t in sandbox.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]
    assert {t["brand_id"] for t in tickets} <= {b["id"] for b in sandbox.stream_truth("brands")}
    assert len({t["brand_id"] for t in tickets}) == 2 and len({t["ticket_form_id"] for t in tickets}) == 2
    assert {t["ticket_form_id"] for t in tickets} <= {f["id"] for f in sandbox.stream_truth("ticket_forms")}
    statuses = {s["id"]: s for s in sandbox.stream_truth("custom_statuses")}
    assert {t["custom_status_id"] for t in tickets} <= set(statuses)
    assert {s["status_category"] for s in statuses.values()} == {"new", "open", "pending", "hold", "solved"}


def test_dynamic_content_items_have_variants_in_several_locales(sandbox):
    items = sandbox.stream_truth("dynamic_content")
    placeholders = {item["placeholder"] for item in items}
    assert {"{{dc.greeting}}", "{{dc.category}}"} <= placeholders  # those the tickets and ticket fields use
    locales = [{v["locale_id"] for v in item["variants"]} for item in items]
    assert max(len(found) for found in locales) >= 3 and all(1 in found for found in locales)
    assert any(ord(ch) > 0xFFFF for item in items for v in item["variants"] for ch in v["content"])


def test_missing_features_answer_403():
    with SandboxProcess(tickets=10, seed=8, rate_limit=0, export_rate_limit=0,
                        without=("sla_policies", "admin_role")) as server:
        for path in ("/api/v2/slas/policies.json", "/api/v2/business_hours/schedules.json",
                     "/api/v2/dynamic_content/items.json?page%5Bsize%5D=2"):
            status, body = get(server.url + path)
            assert status == 403 and "Forbidden" in json.dumps(body), path
        for path in ("/api/v2/macros.json", "/api/v2/views.json", "/api/v2/ticket_forms.json", "/api/v2/triggers.json",
                     "/api/v2/automations.json"):  # documented "Allowed For: Agents"
            assert get(server.url + path)[0] == 200, path


def test_a_no_cursor_fault_takes_a_cursor_list_page(sandbox):
    sandbox.faults([{"endpoint": "macros", "kind": "no_cursor", "count": 1}])
    try:
        status, page = get(f"{sandbox.url}/api/v2/macros.json?page%5Bsize%5D=100")
    finally:
        sandbox.faults([])
    assert status == 200 and page["macros"] and page["meta"]["has_more"] is True
    assert page["meta"]["after_cursor"] is None and page["links"]["next"] is None


def test_the_configuration_is_the_same_for_the_same_seed():
    def stream_bytes(seed: int) -> dict[str, list[bytes]]:
        configuration = Dataset(Options(tickets=50, seed=seed, epoch=1_700_000_000), Clock()).generator.configuration
        return {stream: configuration.objects(stream) for stream in (*CURSOR, *WHOLE)}

    assert stream_bytes(3) == stream_bytes(3) != stream_bytes(4)
