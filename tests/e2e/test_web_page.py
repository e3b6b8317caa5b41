"""The web page over HTTP against a small backup written here: runs, files, conversations, security.

A real ``python -m zendesk_crawler.web`` process on a free loopback port; the
browser and real crawls are in ``test_web_e2e.py``, the page's parts without a server in ``tests/unit/test_web.py``.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import time
import urllib.parse

import pytest
from scrapy.utils.test import get_crawler

from tests.support.paths import PROJECT_ROOT
from tests.support.servers import web_server
from tests.support.web import PNG, RUN_1, RUN_2, SECRET, comment, get, page_env, pdf_text, ticket, write_backup
from zendesk_crawler.run.stats_keys import records_exported
from zendesk_crawler.state.manifest import build_manifest


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
    conversation, _, history = html.partition('<section class="history"')
    assert status == 200 and "שלום subject" in conversation and "Old subject" not in conversation
    assert "Old subject</bdi> → <bdi class=\"after\">שלום subject" in history  # the history tells the change
    assert html.count('<li class="comment') == 2 and "Internal note" in html and "Public reply" in html
    assert "<bdi>Agent Smith</bdi> &lt;agent@example.com&gt;" in html and "Tier 2" in html and "Acme" in html
    assert "<dt><bdi>Plan</bdi></dt><dd><bdi>gold, silver</bdi></dd>" in html
    assert "<script>document" not in html and "tracker.example" not in html
    assert '<img alt="An image in the comment" src="/tickets/7/attachments/900">' in html
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
    (tmp_path / "t.pdf").write_bytes(body)  # for pdfimages below
    text = pdf_text(body)
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


def test_the_runs_list_shows_an_unavailable_stream_as_such(tmp_path):
    """A run whose account lacks a feature: complete, and the stream listed as unavailable with Zendesk's answer."""
    export = tmp_path / "export"
    write_backup(export)
    run_id = "20261103T100000Z-cccccc"
    why = ("needs SLA policies on the plan; Zendesk answered HTTP 403 (Forbidden: You do not have access to this "
           "page. Please contact the account owner of this help desk for further help.)")
    stats = get_crawler().stats
    stats.set_value(records_exported("groups"), 3)
    manifest = build_manifest(  # the crawler's own manifest writer, as the final save leaves the outcomes
        stats, run_id=run_id, finish_reason="finished", failure=None, started_at="2026-11-03T10:00:00Z",
        finished_at="2026-11-03T10:00:09Z", base_url="https://acme.zendesk.com", streams=["groups", "sla_policies"],
        outcomes={"groups": None, "sla_policies": f"unavailable: {why}"}, resumed_from={}, saved_positions={},
        files=[], max_tickets=0, attachments=False, unavailable={"sla_policies": why})
    (export / f"manifest-{run_id}.json").write_text(json.dumps(manifest), encoding="utf-8")
    with web_server(page_env(export, tmp_path)) as server:
        html = get(server.url + "/")[2].decode()
    row = html[html.index(f'id="run-{run_id}"'):html.index(f'id="run-{RUN_2}"')]
    assert f'<tr class="run complete" id="run-{run_id}">' in html
    assert "<li>groups: 3 records, 0 requests</li>" in row
    assert f'<li class="unavailable">sla_policies: unavailable: {why}</li>' in row


def test_a_long_conversation_is_rendered_in_capped_parts_each_kept_once(tmp_path):
    """ZENDESK_WEB_PDF_COMMENTS=3: a ticket of 7 comments is three PDFs; each holds its own comments and says so;
    asked again, each is served from the page's cache (one private file per part, rendered once)."""
    write_backup(tmp_path / "export")
    long = ticket(30, "2026-11-02T09:00:00Z", "A long dispute",
                  [comment(3000 + n, "Dana", f"<p>comment number {n} of the dispute</p>") for n in range(1, 8)])
    (tmp_path / "export" / f"tickets-{RUN_2}-00002.jsonl").write_text(json.dumps(long) + "\n", encoding="utf-8")
    manifest = tmp_path / "export" / f"manifest-{RUN_2}.json"
    document = json.loads(manifest.read_text("utf-8"))
    document["files"].append(str(tmp_path / "export" / f"tickets-{RUN_2}-00002.jsonl"))
    manifest.write_text(json.dumps(document), encoding="utf-8")
    with web_server(page_env(tmp_path / "export", tmp_path, ZENDESK_WEB_PDF_COMMENTS="3")) as server:
        html = get(f"{server.url}/tickets/30")[2].decode()
        assert html.count('href="/tickets/30.pdf?part=') == 3 and "comments 7–7" in html
        texts, bodies = [], []
        for part in (1, 2, 3):
            status, headers, body = get(f"{server.url}/tickets/30.pdf?part={part}")
            assert status == 200 and body.startswith(b"%PDF")
            assert headers["content-disposition"] == f'attachment; filename="ticket-30-part-{part}-of-3.pdf"'
            texts.append(pdf_text(body))
            bodies.append(body)
        for part, text in enumerate(texts, start=1):
            held = {n for n in range(1, 8) if f"comment number {n} of" in text}
            assert held == set(range(3 * part - 2, min(3 * part, 7) + 1)), (part, held)
            assert f"Part {part} of 3" in text and "7 comments" in text
        kept = sorted(tmp_path.glob("cache/*/pdf/*.pdf"))
        assert len(kept) == 3 and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in kept)
        inodes = [path.stat().st_ino for path in kept]  # a render replaces its file: a new inode
        assert [get(f"{server.url}/tickets/30.pdf?part={part}")[2] for part in (1, 2, 3)] == bodies
        assert sorted(tmp_path.glob("cache/*/pdf/*.pdf")) == kept
        assert [path.stat().st_ino for path in kept] == inodes  # read from the cache, nothing rendered again
        for asked in ("4", "0", "x", "1e3"):
            assert get(f"{server.url}/tickets/30.pdf?part={asked}")[0] == 404
        assert get(f"{server.url}/tickets/7.pdf?part=2")[0] == 404  # a short ticket is one part


def test_a_versions_pdf_is_that_version_under_its_banner(page):
    server, _, _ = page
    html = get(f"{server.url}/tickets/7/versions/1")[2].decode()
    assert 'href="/tickets/7/versions/1.pdf"' in html
    status, headers, body = get(f"{server.url}/tickets/7/versions/1.pdf")
    assert status == 200 and body.startswith(b"%PDF")
    assert headers["content-disposition"] == 'attachment; filename="ticket-7-version-1.pdf"'
    text = pdf_text(body)
    assert "Version 1 of 2" in text and "Old subject" in text and "שלום" not in text  # the old one, not the newest
    assert get(f"{server.url}/tickets/7/versions/3.pdf")[0] == 404


@pytest.mark.parametrize("path", [
    "/browse?created_to=9999-12-31", "/browse?updated_to=9999-12-31&updated_from=0001-01-01",
    "/browse?group=99999999999999999999", "/browse?brand=9223372036854775808", "/browse?group=%C2%B2",
    "/browse?after=" + "WzE4NDQ2NzQ0MDczNzA5NTUxNjE1LDFd",  # the cursor [18446744073709551615, 1]
    "/browse?before=%%%", "/tickets/7.pdf?part=%C2%B2", "/tickets/7.pdf?part=" + "9" * 5000,
    "/tickets/7/versions/1.pdf?part=" + "9" * 5000, "/tickets/7?events_before=x|" + "9" * 5000,
    "/tickets/7?versions_page=" + "9" * 5000, "/tickets/" + "9" * 5000, "/tickets/" + "9" * 19,
    "/tickets/7/versions/" + "9" * 5000, "/tickets/7/attachments/" + "9" * 5000, "/tickets?q=" + "9" * 5000,
    "/search?q=" + "9" * 5000, "/search?q=%22%22%22", "/search?q=a%20OR%20NEAR(b", "/search?q=first&page=" + "9" * 50,
    "/runs/" + "x" * 5000, "/runs/20261102T100000Z-bbbbbb?page=" + "9" * 5000])
def test_odd_requests_are_answered_never_with_a_server_error(page, path):
    server, _, _ = page
    status, _, body = get(server.url + path)
    assert status in (200, 303, 400, 404), (path[:80], status, body[:300])


def test_any_two_versions_are_compared_field_by_field(page):
    server, _, _ = page
    html = get(f"{server.url}/tickets/7")[2].decode()
    assert 'action="/tickets/7/compare"' in html
    forward = get(f"{server.url}/tickets/7/compare?from=1&to=2")[2].decode()
    assert re.search(r'data-field="subject">.*?<bdi class="before">Old subject</bdi> → '
                     r'<bdi class="after">שלום subject 😀</bdi>', forward)
    assert '<span class="comments-added">1 added</span>' in forward and "/tickets/7/versions/2#comment-2" in forward
    backward = get(f"{server.url}/tickets/7/compare?from=2&to=1")[2].decode()
    assert '<bdi class="before">שלום subject 😀</bdi> → <bdi class="after">Old subject</bdi>' in backward
    assert "1 no longer there" in backward
    assert "The two versions are the same." in get(f"{server.url}/tickets/7/compare?from=2&to=2")[2].decode()
    assert get(f"{server.url}/tickets/7/compare?from=1&to=3")[0] == 404
    assert get(f"{server.url}/tickets/7/compare?from=x&to=2")[0] == 400
    assert get(f"{server.url}/tickets/7/compare?from=1")[0] == 400
