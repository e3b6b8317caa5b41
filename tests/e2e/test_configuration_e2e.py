"""The configuration streams end to end: the real ``scrapy crawl zendesk`` against the sandbox's truth, every
object and every field in JSON, XML and CSV, paginated as each endpoint is, and a cursor that goes missing."""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.support.crawl import run_crawl
from zendesk_crawler.feeds.csvexport import cell
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

#: The fourteen configuration streams and how their endpoints paginate.
CURSOR_STREAMS = ("user_fields", "organization_fields", "brands", "macros", "triggers", "automations", "views",
                  "dynamic_content", "group_memberships", "organization_memberships")
WHOLE_STREAMS = ("ticket_forms", "custom_statuses", "sla_policies", "schedules")
CONFIGURATION = (*WHOLE_STREAMS, *CURSOR_STREAMS)
#: The streams' endpoints by path (the request log names paths).
PATHS = {"/api/v2/ticket_forms.json": "ticket_forms", "/api/v2/user_fields.json": "user_fields",
         "/api/v2/organization_fields.json": "organization_fields", "/api/v2/brands.json": "brands",
         "/api/v2/custom_statuses.json": "custom_statuses", "/api/v2/macros.json": "macros",
         "/api/v2/triggers.json": "triggers", "/api/v2/automations.json": "automations", "/api/v2/views.json": "views",
         "/api/v2/slas/policies.json": "sla_policies", "/api/v2/business_hours/schedules.json": "schedules",
         "/api/v2/dynamic_content/items.json": "dynamic_content", "/api/v2/group_memberships.json": "group_memberships",
         "/api/v2/organization_memberships.json": "organization_memberships"}
#: A small list page, so that every cursor list takes several pages.
PAGE_SIZE = 7


def read_csv(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=40, seed=51, rate_limit=1_000_000, export_rate_limit=0) as server:
        yield server


@pytest.fixture(scope="module")
def backup(sandbox, tmp_path_factory):
    export_dir = tmp_path_factory.mktemp("configuration")
    log_start = sandbox.requests_log()["count"]
    result = run_crawl(sandbox.url, export_dir, "-a", f"streams={','.join(CONFIGURATION)}",
                       ZENDESK_LIST_PAGE_SIZE=str(PAGE_SIZE), ZENDESK_FORMATS="json,jsonl,xml,csv")
    assert result.returncode == 0, result.stderr[-3000:]
    result.log = sandbox.requests_log(since=log_start)["log"]  # type: ignore[attr-defined]  # the run's requests
    return result


@pytest.mark.parametrize("stream", CONFIGURATION)
def test_every_object_of_every_configuration_stream_with_every_field(sandbox, backup, stream):
    truth = sandbox.stream_truth(stream)
    records = backup.records(stream)
    assert truth, f"the sandbox has no {stream}"
    assert Counter(r["id"] for r in records) == Counter(r["id"] for r in truth)  # nothing lost, nothing doubled
    assert records == truth  # every field, in the list's order, as the API returned it
    assert all(list(r) == list(t) for r, t in zip(records, truth, strict=True))  # the API's key order


@pytest.mark.parametrize("stream", CONFIGURATION)
def test_the_xml_json_lines_and_csv_files_hold_the_same_records(backup, stream):
    records = backup.records(stream)
    assert backup.records(stream, ".xml") == records
    assert [json.loads(line) for path in backup.feeds(".jsonl", stream) for line in path.read_bytes().splitlines()] \
        == records
    rows = [row for path in backup.feeds(".csv", stream) for row in read_csv(path)]
    assert len(rows) == len(records)
    for record, row in zip(records, rows, strict=True):
        extra = json.loads(row["_extra"]) if row["_extra"] else {}
        for key, value in record.items():  # nested values (conditions, actions, variants) as JSON text
            assert (row[key] if key in row else cell(extra[key])) == cell(value), (stream, key)


def test_each_stream_costs_its_pages_and_no_more(sandbox, backup):
    """One request per list page: ceil(objects / page size) for a cursor list, one for a list returned whole."""
    requests = Counter(PATHS.get(entry["path"], entry["path"]) for entry in backup.log)
    expected = {stream: math.ceil(len(sandbox.stream_truth(stream)) / PAGE_SIZE) for stream in CURSOR_STREAMS}
    expected.update({stream: 1 for stream in WHOLE_STREAMS})
    assert dict(requests) == expected
    assert requests["macros"] > 10  # the sandbox has enough macros for many pages
    cursor_queries = [e["query"] for e in backup.log if PATHS[e["path"]] in CURSOR_STREAMS]
    assert all(q["page[size]"] == str(PAGE_SIZE) for q in cursor_queries)
    assert all(not e["query"] for e in backup.log if PATHS[e["path"]] in WHOLE_STREAMS)


def test_the_configuration_points_at_the_account_by_id(sandbox, backup):
    """The sandbox's hostility is real: rules name groups, agents, custom fields, brands, forms and statuses."""
    values = json.dumps([backup.records(s) for s in ("triggers", "automations", "macros", "views")])
    for field in ("group_id", "assignee_id", "brand_id", "ticket_form_id", "custom_status_id", "custom_fields_"):
        assert f'"field": "{field}' in values, field
    groups = {g["id"] for g in sandbox.stream_truth("groups")}
    assert {m["group_id"] for m in backup.records("group_memberships")} <= groups
    fields = {f["id"] for f in sandbox.stream_truth("ticket_fields")}
    assert all(set(form["ticket_field_ids"]) <= fields for form in backup.records("ticket_forms"))
    assert {s["status_category"] for s in backup.records("custom_statuses")} == {"new", "open", "pending", "hold",
                                                                                  "solved"}
    items = backup.records("dynamic_content")
    assert all(item["variants"] for item in items) and max(len(item["variants"]) for item in items) > 2


def test_the_manifest_lists_each_configuration_stream_complete(backup):
    manifest = backup.manifest()
    assert manifest["status"] == "complete"
    for stream in CONFIGURATION:
        facts = manifest["streams"][stream]
        assert facts["complete"] and facts["records"] == len(backup.records(stream))
    assert not set(CONFIGURATION) & set((backup.state() or {}).get("streams", {}))  # read in full: no position


def test_a_cursor_list_that_loses_its_cursor_fails_its_stream_only(sandbox, tmp_path):
    sandbox.faults([{"endpoint": "macros", "kind": "no_cursor", "count": 1}])
    try:
        result = run_crawl(sandbox.url, tmp_path, "-a", "streams=macros,brands,sla_policies",
                           ZENDESK_LIST_PAGE_SIZE=str(PAGE_SIZE))
    finally:
        sandbox.faults([])
    assert result.returncode == 1
    (line,) = result.failure_lines()
    assert "macro list stopped" in line and "has_more" in line
    streams = result.manifest()["streams"]
    assert not streams["macros"]["complete"]
    assert streams["brands"]["complete"] and streams["sla_policies"]["complete"]
    assert len(result.records("brands")) == len(sandbox.stream_truth("brands"))


def test_a_whole_list_failing_after_retries_fails_its_stream_only(sandbox, tmp_path):
    sandbox.faults([{"endpoint": "sla_policies", "kind": "status", "status": 503, "count": -1}])
    try:
        result = run_crawl(sandbox.url, tmp_path, "-a", "streams=sla_policies,schedules", RETRY_TIMES="1",
                           ZENDESK_RETRY_BACKOFF_BASE="0")
    finally:
        sandbox.faults([])
    assert result.returncode == 1
    (line,) = result.failure_lines()
    assert "SLA policy list stopped" in line and "503" in line
    assert result.manifest()["streams"]["schedules"]["complete"]
