"""The web page's parts without its server: paths, sanitising, run options, progress, lock holders, runs and the
ticket index over a small backup written here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.support.web import RUN_1, RUN_2, write_backup
from zendesk_crawler.config import ConfigError
from zendesk_crawler.location.reader import LocalLocation, safe_relative_path
from zendesk_crawler.web.app import run_arguments
from zendesk_crawler.web.launcher import failure_line
from zendesk_crawler.web.numbers import digits
from zendesk_crawler.web.render import comment_view, sanitise_html
from zendesk_crawler.web.runs import LockHolder, Run, RunCatalog, lock_holder, read_runs
from zendesk_crawler.web.security import is_loopback
from zendesk_crawler.web.tickets import TicketIndex


def test_safe_relative_paths():
    assert safe_relative_path("attachments/ab/abcdef") == "attachments/ab/abcdef"
    for path in ("", "../x", "a/../b", "/etc/passwd", "a//b", ".hidden", "a\\b", "a/./b", "state.json.lock",
                 "a\x00b"):
        assert safe_relative_path(path) is None, path


def test_sanitised_bodies_keep_text_and_drop_active_or_remote_content():
    html = sanitise_html('<p onclick="x()" style="color:red">hi <b>there</b><script>alert(1)</script>'
                         '<iframe src="https://x"></iframe><a href="javascript:alert(1)">j</a>'
                         '<img src="https://remote/x.png"><img src="cid:1"></p>', {})
    assert html == ('<p>hi <b>there</b><a rel="noopener noreferrer nofollow">j</a><img alt="An image in the comment">'
                    '<img alt="An image in the comment"></p>')
    assert sanitise_html('<img alt="the logo" src="cid:1">', {}) == '<img alt="the logo">'  # its own text kept
    view = comment_view(5, {"html_body": "<svg onload=alert(1)><p>ok</p></svg>", "public": False,
                            "author": {"name": "X"}, "attachments": [{"id": 1, "file_name": "a.txt"}]})
    assert view.body_html == "<p>ok</p>" and not view.public and view.attachments[0].href is None


def test_run_options_are_validated_like_the_command_line():
    assert run_arguments("", ["tickets", "users"], "true") == {"streams": "users,tickets", "attachments": "true"}
    assert run_arguments("1700000000", [], "") == {"start_time": "1700000000"}
    for bad in (("tomorrow", [], ""), ("", ["tickets", "spam"], ""), ("", [], "maybe")):
        with pytest.raises(ConfigError):
            run_arguments(*bad)


def test_a_failed_run_is_explained_by_the_last_failure_line_of_its_log():
    log = ("2026 [zendesk_crawler.extensions.progress] INFO: Progress: 12 requests; tickets: 300 records from 1 pages\n"
           "zendesk_crawler: FAILED: the Zendesk API answered 401\r\n")
    assert failure_line(log) == "the Zendesk API answered 401"
    assert failure_line("INFO: a line that mentions zendesk_crawler: FAILED: in passing\n") is None


def test_loopback_hosts():
    assert all(map(is_loopback, ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost")))
    assert not any(map(is_loopback, ("0.0.0.0", "192.168.1.2", "::", "example.com")))


def test_the_lock_holder_is_a_live_process_or_an_unexpired_lease_without_a_manifest():
    here = socket.gethostname()
    local = {"run_id": "20990101T000000Z-aaaaaa", "pid": os.getpid(), "host": here, "since": "2099-01-01T00:00:00Z"}
    assert lock_holder(json.dumps(local), []) == LockHolder(local["run_id"], local["since"])
    finished = Run(local["run_id"], "complete", None, None, None, 0, 0, [])
    assert lock_holder(json.dumps(local), [finished]) is None  # its manifest says it ended
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    assert lock_holder(json.dumps({**local, "pid": int(dead.stdout)}), []) is None
    lease = {"run_id": "r", "pid": 1, "host": "elsewhere", "since": "s"}
    assert lock_holder(json.dumps({**lease, "expires_at": time.time() + 60}), []) is not None
    assert lock_holder(json.dumps({**lease, "expires_at": time.time() - 1}), []) is None
    assert lock_holder(None, []) is None and lock_holder("not json", []) is None


def test_the_ticket_index_follows_runs_added_and_removed(tmp_path):
    write_backup(tmp_path / "export")
    location = LocalLocation(str(tmp_path / "export"))
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    assert index.refresh(read_runs(location)) == 2  # one file per batch: the JSON Lines one when there is one
    assert index.refresh(read_runs(location)) == 0
    assert index.ticket(7)["subject"] == "שלום subject 😀"
    (tmp_path / "export" / f"manifest-{RUN_2}.json").unlink()
    assert index.refresh(read_runs(location)) == 0
    assert index.ticket(7)["subject"] == "Old subject" and index.ticket(8) is None


def test_runs_are_read_once_and_again_only_when_their_manifest_changes(tmp_path):
    write_backup(tmp_path / "export")
    catalog = RunCatalog(LocalLocation(str(tmp_path / "export")))
    first = catalog.runs()
    again = catalog.runs()
    assert [run.run_id for run in first] == [RUN_2, RUN_1]
    assert all(a is b for a, b in zip(first, again, strict=True))  # not read again: the same objects
    manifest_path = tmp_path / "export" / f"manifest-{RUN_2}.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "status": "failed", "failure": "rewritten"}), "utf-8")
    os.utime(manifest_path, ns=(time.time_ns() + 10**9,) * 2)  # a later mtime, whatever the clock's grain
    rewritten = catalog.runs()
    assert (rewritten[0].status, rewritten[0].failure) == ("failed", "rewritten") and rewritten[1] is first[1]
    manifest_path.unlink()
    assert [run.run_id for run in catalog.runs()] == [RUN_1]


def test_filtered_and_person_runs_say_what_they_exported(tmp_path):
    for run_id, extra in (("20261103T100000Z-cccccc", {"filter": {"query": "tags:vip", "status": ["solved", "closed"],
                                                                   "search_queries": ["…"], "ids_found": 3}}),
                          ("20261104T100000Z-dddddd", {"person": {"user": "jane@example.com", "user_id": 5}})):
        (tmp_path / f"manifest-{run_id}.json").write_text(json.dumps(
            {"run_id": run_id, "status": "complete", "failure": None, **extra}), "utf-8")
    person, selected = read_runs(LocalLocation(str(tmp_path)))
    assert person.scope == "person: jane@example.com"
    assert selected.scope == "filter: query=tags:vip status=solved,closed"


def test_a_manifest_of_unexpected_shape_is_shown_as_far_as_it_can_be_or_left_out(tmp_path):
    for run_id, document in (("20300101T000000Z-aaaaaa", {"run_id": "20300101T000000Z-aaaaaa", "streams": "x",
                                                           "files": {"a": 1}, "tickets_exported": "many",
                                                           "status": 3, "failure": ["x"]}),
                             ("20300102T000000Z-bbbbbb", {"run_id": 5}),
                             ("20300103T000000Z-cccccc", {"run_id": "20300103T000000Z-cccccc",
                                                           "streams": {"tickets": "x", "users": {"records": "2"}},
                                                           "files": [1, None]})):
        (tmp_path / f"manifest-{run_id}.json").write_text(json.dumps(document), "utf-8")
    third, first = read_runs(LocalLocation(str(tmp_path)))
    assert (first.run_id, first.status, first.failure, first.tickets, first.files) == \
        ("20300101T000000Z-aaaaaa", "failed", None, 0, [])
    assert [(s.stream, s.records) for s in third.streams] == [("users", 0)] and third.files == []



def test_numbers_of_a_request_are_few_ascii_digits():
    assert digits("42") == 42 and digits("9" * 19) == int("9" * 19) and digits("007", 3) == 7
    for text in (None, "", "-1", "1.5", "²", "١٢", " 1", "9" * 20, "9" * 5000):
        assert digits(text) is None, text
    assert digits("1234", 3) is None
