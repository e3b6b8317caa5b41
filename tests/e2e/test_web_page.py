"""The web page over HTTP against a small backup written here: runs, files, conversations, security.

A real ``python -m zendesk_crawler.web`` process on a free loopback port; the
browser and real crawls are in ``test_web_e2e.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.crawl import PROJECT_ROOT
from tests.servers import web_server
from zendesk_crawler.config import ConfigError
from zendesk_crawler.web.app import run_arguments
from zendesk_crawler.web.launcher import progress_from_log
from zendesk_crawler.web.location import LocalLocation, safe_relative_path
from zendesk_crawler.web.render import comment_view, sanitise_html
from zendesk_crawler.web.runs import LockHolder, Run, RunCatalog, lock_holder, read_runs
from zendesk_crawler.web.security import is_loopback
from zendesk_crawler.web.tickets import TicketIndex

RUN_1 = "20261101T100000Z-aaaaaa"
RUN_2 = "20261102T100000Z-bbbbbb"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
SECRET = "s3cret-token-value"


def ticket(ticket_id: int, updated_at: str, subject: str, comments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": ticket_id, "subject": subject, "status": "open", "updated_at": updated_at,
            "created_at": "2026-10-01T00:00:00Z",
            "requester": {"id": 1, "name": "Dana Requester", "email": "Dana@Example.com", "role": "end-user"},
            "assignee": {"id": 2, "name": "Agent Smith", "email": "agent@example.com", "role": "agent"},
            "group": {"id": 3, "name": "Tier 2"}, "organization": {"id": 4, "name": "Acme"},
            "custom_fields_by_title": {"Plan": ["gold", "silver"]}, "comments": comments}


def comment(comment_id: int, author: str, html: str, public: bool = True, **extra: Any) -> dict[str, Any]:
    return {"id": comment_id, "html_body": html, "plain_body": "", "public": public,
            "created_at": "2026-10-01T00:00:00Z",
            "author": {"id": comment_id, "name": author, "email": f"{author.lower()}@example.com", "role": "agent"},
            **extra}


def write_backup(root: Path) -> dict[str, Any]:
    """Two runs: ticket 7 in both (the second is newer, with a script tag and an inline image); a state file."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(PNG).hexdigest()
    image_path = f"attachments/{digest[:2]}/{digest}"
    (root / image_path).parent.mkdir(parents=True)
    (root / image_path).write_bytes(PNG)
    image = {"id": 900, "file_name": "logo.png", "content_type": "image/png", "size": len(PNG), "inline": True,
             "content_url": "https://acme.zendesk.com/attachments/token/abc/?name=logo.png",
             "stored_file": {"path": image_path, "sha256": digest, "size": len(PNG)}}
    old = ticket(7, "2026-11-01T09:00:00Z", "Old subject", [comment(1, "Dana", "<p>first</p>")])
    new = ticket(7, "2026-11-02T09:00:00Z", "שלום subject 😀", [
        comment(1, "Dana", "<p>first</p>"),
        comment(2, "Agent", '<p>hi<script>document.title="pwned"</script>'
                '<img src="https://acme.zendesk.com/attachments/token/abc/?name=logo.png">'
                '<img src="https://tracker.example/pixel.gif"></p>', public=False, attachments=[image])])
    other = ticket(8, "2026-11-02T08:00:00Z", "Another", [comment(3, "Dana", "<p>x</p>")])
    files = {RUN_1: {f"tickets-{RUN_1}-00001.json": [old]},
             RUN_2: {f"tickets-{RUN_2}-00001.json": [new, other], f"tickets-{RUN_2}-00001.jsonl": [new, other]}}
    for run_id, outputs in files.items():
        for name, records in outputs.items():
            lines = [json.dumps(record, ensure_ascii=False) for record in records]
            text = "\n".join(lines) + "\n" if name.endswith(".jsonl") else "[\n" + ",\n".join(lines) + "\n]"
            (root / name).write_text(text, encoding="utf-8")
        (root / f"manifest-{run_id}.json").write_text(json.dumps({
            "run_id": run_id, "status": "complete" if run_id == RUN_2 else "failed",
            "failure": None if run_id == RUN_2 else f"the Zendesk API answered 500 (echoing {SECRET})", "started_at": "2026-11-01T10:00:00Z",
            "finished_at": "2026-11-01T10:01:05Z", "tickets_exported": 2, "comments_exported": 3,
            "streams": {"tickets": {"records": 2, "requests": 5, "complete": True, "problem": None}},
            "files": [str(root / name) for name in outputs]}), encoding="utf-8")
    (root / "state.json").write_text(json.dumps({"version": 2, "streams": {
        "tickets": {"cursor": "abc", "position_updated_at": "2026-11-02T09:00:00Z"}}}), encoding="utf-8")
    return {"image_path": image_path}


def page_env(export_dir: Path, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY", "SCRAPYD_"))}
    env.update({"ZENDESK_EXPORT_URI": str(export_dir), "ZENDESK_WEB_CACHE": str(tmp / "cache"),
                "ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "a@example.com", "ZENDESK_API_TOKEN": SECRET,
                "PYTHONPATH": str(PROJECT_ROOT), **extra})
    return env


def get(url: str, auth: tuple[str, str] | None = None, data: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    backup = write_backup(tmp / "export")
    with web_server(page_env(tmp / "export", tmp)) as server:
        yield server, tmp / "export", backup


def test_runs_newest_first_with_status_counts_state_and_file_links(page):
    server, export, _ = page
    status, headers, body = get(server.url + "/")
    html = body.decode()
    assert status == 200 and "default-src 'none'" in headers["content-security-policy"]
    assert html.index(RUN_2) < html.index(RUN_1)
    assert "the Zendesk API answered 500 (echoing ***)" in html and "1 min 5 s" in html
    assert "2026-11-02T09:00:00Z" in html  # the tickets cursor's position
    assert f'href="/files/tickets-{RUN_2}-00001.jsonl"' in html and ">tickets-00001.jsonl</a>" in html
    assert ">Extract now</button>" in html
    assert SECRET not in html


def test_a_file_is_served_whole_with_its_content_type(page):
    server, export, backup = page
    status, headers, body = get(f"{server.url}/files/tickets-{RUN_2}-00001.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert body == (export / f"tickets-{RUN_2}-00001.json").read_bytes()
    assert "sandbox" in headers["content-security-policy"]
    assert get(f"{server.url}/files/{backup['image_path']}")[2] == PNG


@pytest.mark.parametrize("path", [
    "/files/../state.json", "/files/%2e%2e/%2e%2e/etc/passwd", "/files/..%2f..%2fetc%2fpasswd",
    "/files/%252e%252e%252fstate.json", "/files/attachments/../../etc/passwd", "/files//etc/passwd",
    "/files/attachments%5c..%5c..%5cetc%5cpasswd", "/files/state.json.lock", "/files/.partial/x.json",
    "/files/%c0%ae%c0%ae/etc/passwd", "/files/no-such-file.json", "/static/../app.py", "/static/%2e%2e/app.py",
    "/tickets/7/attachments/1",
])
def test_anything_outside_the_export_location_is_a_404(page, path):
    server, _, _ = page
    status, _, body = get(server.url + path)
    assert status == 404 and b"root:" not in body


def test_a_ticket_reads_as_a_conversation_from_its_newest_version(page):
    server, _, _ = page
    status, headers, body = get(f"{server.url}/tickets/7")
    html = body.decode()
    assert status == 200 and "שלום subject" in html and "Old subject" not in html
    assert html.count('<li class="comment') == 2 and "Internal note" in html and "Public reply" in html
    assert "<bdi>Agent Smith</bdi> &lt;agent@example.com&gt;" in html and "Tier 2" in html and "Acme" in html
    assert "<dt><bdi>Plan</bdi></dt><dd><bdi>gold, silver</bdi></dd>" in html
    assert "<script>document" not in html and "tracker.example" not in html
    assert '<img src="/tickets/7/attachments/900">' in html
    image = get(f"{server.url}/tickets/7/attachments/900")
    assert image[0] == 200 and image[1]["content-type"] == "image/png" and image[2] == PNG


def test_a_requester_email_finds_its_tickets(page):
    server, _, _ = page
    html = get(f"{server.url}/tickets?q=dana%40example.com")[2].decode()
    assert 'href="/tickets/7"' in html and 'href="/tickets/8"' in html
    status, headers, _ = get(f"{server.url}/tickets?q=7")
    assert status == 303 and headers["location"] == "/tickets/7"
    assert get(f"{server.url}/tickets/999")[0] == 404


def test_the_pdf_holds_the_conversation_as_text(page, tmp_path):
    server, _, _ = page
    status, headers, body = get(f"{server.url}/tickets/7.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf" and body.startswith(b"%PDF")
    (tmp_path / "t.pdf").write_bytes(body)
    text = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "subject" in text and "שלום" in text and "😀" in text and "internal note" in text.lower()
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "t.pdf")], capture_output=True, text=True,
                            check=True).stdout
    assert re.search(r"\bimage\s+1\s+1\s", images)  # the inline image, from the stored attachment file


def test_extract_now_needs_the_form_token_and_allowed_options(page):
    server, _, _ = page
    html = get(server.url + "/")[2].decode()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    assert get(server.url + "/extract", data=b"streams=tickets")[0] == 403
    assert get(server.url + "/extract", data=b"csrf=wrong")[0] == 403
    bad = get(server.url + "/extract", data=urllib.parse.urlencode({"csrf": token, "streams": "tickets",
                                                                    "FEEDS": "x"}).encode())
    assert bad[0] == 400 and b"unknown run option" in bad[2]
    bad_time = get(server.url + "/extract", data=urllib.parse.urlencode({"csrf": token, "start_time": "soon"}).encode())
    assert bad_time[0] == 400 and b"start_time must be" in bad_time[2]
    assert get(server.url + "/extract")[0] == 404  # GET does not start anything


def test_only_loopback_host_names_and_same_origin_posts_are_answered(page):
    """A DNS-rebinding page reaches the port under its own name: it gets nothing, and posts nothing."""
    server, export, _ = page
    port = urllib.parse.urlsplit(server.url).port
    name = f"tickets-{RUN_2}-00001.jsonl"
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        status, _, body = get(f"{server.url}/files/{name}", headers={"Host": host})
        assert status == 403 and b"Dana" not in body, host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}"):
        assert get(f"{server.url}/", headers={"Host": host})[0] == 200, host
    html = get(server.url + "/")[2].decode()
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"csrf": token, "streams_shown": "1"}).encode()
    assert get(server.url + "/extract", data=form, headers={"Origin": "http://evil.example"})[0] == 403


def test_files_that_are_not_data_are_served_as_bytes_to_download(page):
    server, export, _ = page
    for name, content in (("page.html", b"<script>alert(1)</script>"), ("code.js", b"alert(1)"),
                          ("image.svg", b"<svg onload='alert(1)'/>"), ("notes.txt", b"plain")):
        (export / name).write_bytes(content)
        status, headers, body = get(f"{server.url}/files/{name}")
        assert status == 200 and body == content
        assert headers["content-type"] == "application/octet-stream", name


def test_odd_searches_are_answers_not_errors(page):
    server, _, _ = page
    assert get(server.url + "/tickets?q=" + urllib.parse.quote("²"))[0] == 400  # a digit, but not an id
    assert get(server.url + "/tickets/99999999999999999999")[0] == 404
    assert get(server.url + "/tickets/0")[0] == 404


def test_extract_now_with_no_stream_ticked_is_refused(page):
    server, _, _ = page
    token = re.search(r'name="csrf" value="([^"]+)"', get(server.url + "/")[2].decode()).group(1)
    status, _, body = get(server.url + "/extract", data=urllib.parse.urlencode(
        {"csrf": token, "streams_shown": "1"}).encode())
    assert status == 400 and b"no stream is ticked" in body


def test_a_bind_beyond_loopback_needs_a_password(tmp_path):
    refused = subprocess.run([sys.executable, "-m", "zendesk_crawler.web", "--host", "0.0.0.0", "--port", "0"],
                             cwd=PROJECT_ROOT, env=page_env(tmp_path, tmp_path), capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "ZENDESK_WEB_PASSWORD" in refused.stderr


def test_with_a_password_every_page_needs_basic_auth(tmp_path):
    write_backup(tmp_path / "export")
    env = page_env(tmp_path / "export", tmp_path, ZENDESK_WEB_PASSWORD="pa55word", ZENDESK_WEB_USER="auditor")
    with web_server(env, host="0.0.0.0") as server:
        url = server.url.replace("0.0.0.0", "127.0.0.1")
        for path in ("/", f"/files/tickets-{RUN_2}-00001.json", "/tickets/7", "/status.json"):
            status, headers, body = get(url + path)
            assert status == 401 and headers["www-authenticate"].startswith("Basic") and b"Dana" not in body
        assert get(url + "/", auth=("auditor", "wrong"))[0] == 401
        assert get(url + "/", auth=("admin", "pa55word"))[0] == 401
        status, _, body = get(url + "/", auth=("auditor", "pa55word"))
        assert status == 200 and b"pa55word" not in body


def test_safe_relative_paths():
    assert safe_relative_path("attachments/ab/abcdef") == "attachments/ab/abcdef"
    for path in ("", "../x", "a/../b", "/etc/passwd", "a//b", ".hidden", "a\\b", "a/./b", "state.json.lock",
                 "a\x00b"):
        assert safe_relative_path(path) is None, path


def test_sanitised_bodies_keep_text_and_drop_active_or_remote_content():
    html = sanitise_html('<p onclick="x()" style="color:red">hi <b>there</b><script>alert(1)</script>'
                         '<iframe src="https://x"></iframe><a href="javascript:alert(1)">j</a>'
                         '<img src="https://remote/x.png"><img src="cid:1"></p>', {})
    assert html == '<p>hi <b>there</b><a rel="noopener noreferrer nofollow">j</a><img><img></p>'
    view = comment_view(5, {"html_body": "<svg onload=alert(1)><p>ok</p></svg>", "public": False,
                            "author": {"name": "X"}, "attachments": [{"id": 1, "file_name": "a.txt"}]})
    assert view.body_html == "<p>ok</p>" and not view.public and view.attachments[0].href is None


def test_run_options_are_validated_like_the_command_line():
    assert run_arguments("", ["tickets", "users"], "true") == {"streams": "users,tickets", "attachments": "true"}
    assert run_arguments("1700000000", [], "") == {"start_time": "1700000000"}
    for bad in (("tomorrow", [], ""), ("", ["tickets", "spam"], ""), ("", [], "maybe")):
        with pytest.raises(ConfigError):
            run_arguments(*bad)


def test_progress_comes_from_the_crawler_log():
    log = ("2026 [zendesk_crawler.run.progress] INFO: Progress: 12 requests; tickets: 300 records from 1 pages, 45% of the "
           "time range (position 2026-11-01T00:00:00Z), about 2 min left; comments: 9 from 3 comment pages\n"
           "zendesk_crawler: FAILED: the Zendesk API answered 401\n")
    progress = progress_from_log(True, log)
    assert (progress.tickets, progress.position, progress.failure) == (300, "2026-11-01T00:00:00Z",
                                                                       "the Zendesk API answered 401")


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
    assert all(a is b for a, b in zip(first, again))  # not read again: the same objects
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


def test_a_run_that_fails_shows_failed_with_the_crawlers_reason(tmp_path):
    write_backup(tmp_path / "export")
    env = page_env(tmp_path / "export", tmp_path)
    del env["ZENDESK_EMAIL"], env["ZENDESK_API_TOKEN"]  # the crawl refuses to start: no credentials
    with web_server(env) as server:
        token = re.search(r'name="csrf" value="([^"]+)"', get(server.url + "/")[2].decode()).group(1)
        status, headers, _ = get(server.url + "/extract", data=f"csrf={token}&streams=tickets".encode())
        assert status == 303 and headers["location"] == "/?notice=started"
        deadline = time.monotonic() + 120
        while (job := json.loads(get(server.url + "/status.json")[2])["job"])["active"]:
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["state"] == "failed" and job["failure"].startswith("configuration error: no credentials")
        html = get(server.url + "/")[2].decode()
        assert '<span id="job-state" class="status">failed</span>' in html and "no credentials" in html
