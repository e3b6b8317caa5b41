"""The page's demo mode without a server: when it is on, which demo backup it serves, the demo's sandbox record;
and the filtered and person export forms' arguments, validated as the command line validates them."""

from __future__ import annotations

import json
import stat

import pytest
from scrapy.settings import Settings
from starlette.datastructures import FormData

from zendesk_crawler.config import ConfigError
from zendesk_crawler.demo_sandbox import FILE_NAME, SandboxRecord, SandboxRecordError
from zendesk_crawler.spiders.arguments import parse_run_arguments
from zendesk_crawler.web import demo_mode
from zendesk_crawler.web.selection_forms import filter_arguments, person_arguments

RECORD = SandboxRecord(tickets=40, seed=1, without=("help_center",), epoch=1_700_000_000,
                       url="http://127.0.0.1:41234", now=1_700_000_300)


def test_demo_mode_only_when_nothing_of_the_operators_is_configured():
    assert demo_mode.wanted({}) and demo_mode.wanted({"ZENDESK_EMAIL": "a@b.c", "ZENDESK_WEB_CACHE": "/tmp/x"})
    for name in ("ZENDESK_URL", "ZENDESK_SUBDOMAIN", "ZENDESK_EXPORT_URI", "SCRAPYD_URL"):
        assert not demo_mode.wanted({name: "x"}), name
    assert demo_mode.wanted({"ZENDESK_URL": ""})


def test_the_demo_dir_is_the_option_else_the_variable_else_output(tmp_path):
    assert demo_mode.demo_root(tmp_path, {"ZENDESK_DEMO_DIR": "/elsewhere"}) == tmp_path
    assert str(demo_mode.demo_root(None, {"ZENDESK_DEMO_DIR": "/elsewhere"})) == "/elsewhere"
    assert demo_mode.demo_root(None, {}) == demo_mode.PROJECT_ROOT / "output"


def test_the_record_round_trips_privately_and_never_moves_its_clock_back(tmp_path):
    RECORD.write(tmp_path / "demo-x")
    path = tmp_path / "demo-x" / FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text("utf-8"))["without"] == ["help_center"]
    assert SandboxRecord.read(tmp_path / "demo-x") == RECORD and RECORD.port == 41234
    assert RECORD.seen(RECORD.now - 10) == RECORD and RECORD.seen(RECORD.now + 5).now == RECORD.now + 5


@pytest.mark.parametrize("text, message", [
    (None, "No such file"), ("{", "is not JSON"), ('{"version": 2}', "has version 2"),
    ('{"version": 1, "tickets": 5}', "not a sandbox record"),
    (json.dumps({"version": 1, "tickets": 1, "seed": 1, "without": [], "epoch": 1, "url": "http://example.com:1",
                 "now": 1}), "not on 127.0.0.1"),
])
def test_a_missing_or_foreign_record_is_refused(tmp_path, text, message):
    if text is not None:
        (tmp_path / FILE_NAME).write_text(text, encoding="utf-8")
    with pytest.raises(SandboxRecordError, match=message):
        SandboxRecord.read(tmp_path)


def test_the_newest_demo_with_a_manifest_and_a_record_is_served(tmp_path):
    assert demo_mode.latest_demo(tmp_path / "none") is None
    for name, manifest, record in (("demo-20260101T000000Z", True, True), ("demo-20260102T000000Z", True, True),
                                   ("demo-20260103T000000Z", False, True),  # interrupted before its first run ended
                                   ("demo-20260104T000000Z", True, False),  # an earlier version's: no record
                                   ("other-20270101T000000Z", True, True)):
        folder = tmp_path / name
        folder.mkdir()
        if manifest:
            (folder / "manifest-20260101T000000Z-aaaaaa.json").write_text("{}", encoding="utf-8")
        if record:
            RECORD.write(folder)
    assert demo_mode.latest_demo(tmp_path) == tmp_path / "demo-20260102T000000Z"


def test_the_demo_environment_points_the_crawl_at_the_sandbox_and_the_demo_folder(tmp_path):
    environment = demo_mode.DemoMode(tmp_path, "http://127.0.0.1:41234", 99).environment()
    assert environment["ZENDESK_URL"] == "http://127.0.0.1:41234"
    assert environment["ZENDESK_EXPORT_URI"] == str(tmp_path) and environment["ZENDESK_ATTACHMENTS"] == "true"
    assert environment["ZENDESK_EMAIL"] and environment["ZENDESK_API_TOKEN"]


def form(*fields: tuple[str, str]) -> FormData:
    return FormData([("csrf", "token"), *fields])


def test_the_forms_give_the_command_lines_arguments():
    assert filter_arguments(form(("status", "solved"), ("status", "closed"), ("created_from", "2026-07-01"),
                                 ("created_to", ""), ("query", " tags:vip "), ("ticket_ids", ""))) == {
        "status": "solved,closed", "created_from": "2026-07-01", "query": "tags:vip"}
    assert filter_arguments(form(("ticket_ids", "1042,1043"))) == {"ticket_ids": "1042,1043"}
    assert person_arguments(form(("user", "jane@example.com"))) == {"user": "jane@example.com"}


def command_line_message(arguments: dict[str, str]) -> str:
    """What ``scrapy crawl zendesk -a …`` says of these arguments (its ``FAILED`` reason)."""
    settings = Settings({"ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "a@b.c",
                         "ZENDESK_API_TOKEN": "t", "ZENDESK_EXPORT_URI": "output"})
    with pytest.raises(ConfigError) as refused:
        parse_run_arguments(settings, arguments)
    return str(refused.value)


@pytest.mark.parametrize("fields, arguments", [
    ((("status", "bogus"),), {"status": "bogus"}),
    ((("status", "deleted"),), {"status": "deleted"}),
    ((("created_from", "someday"),), {"created_from": "someday"}),
    ((("created_from", "2026-10-01"), ("created_to", "2026-07-01")),
     {"created_from": "2026-10-01", "created_to": "2026-07-01"}),
    ((("query", "type:user"),), {"query": "type:user"}),
    ((("query", "status:open"), ("status", "solved")), {"query": "status:open", "status": "solved"}),
    ((("ticket_ids", "1,x"),), {"ticket_ids": "1,x"}),
    ((("ticket_ids", "1"), ("status", "open")), {"ticket_ids": "1", "status": "open"}),
])
def test_a_bad_filter_is_refused_with_the_command_lines_message(fields, arguments):
    with pytest.raises(ConfigError) as refused:
        filter_arguments(form(*fields))
    assert str(refused.value) == command_line_message(arguments)


def test_a_bad_person_is_refused_with_the_command_lines_message():
    with pytest.raises(ConfigError) as refused:
        person_arguments(form(("user", "nobody")))
    assert str(refused.value) == command_line_message({"user": "nobody"})


@pytest.mark.parametrize("build, fields, message", [
    (filter_arguments, (), "no filter is given"),
    (filter_arguments, (("status", " "),), "no filter is given"),
    (filter_arguments, (("start_time", "0"),), "unknown field(s): start_time"),
    (person_arguments, (), "no user is given"),
    (person_arguments, (("user", "a@b.c"), ("status", "open")), "unknown field(s): status"),
])
def test_an_empty_form_or_a_field_of_another_form_is_refused(build, fields, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(form(*fields))
