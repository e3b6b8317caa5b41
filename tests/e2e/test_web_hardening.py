"""The page against a hostile visitor, over HTTP to a real ``python -m zendesk_crawler.web`` process: cross-site
requests refused on every route, bodies refused before they are read, ``Origin: null``, wrong passwords, secrets
masked in their base64 forms, private file modes, and a crawl started from the page without the page's password."""

from __future__ import annotations

import base64
import os
import re
import socket
import stat
import urllib.parse
from pathlib import Path

import pytest

from tests.support.crawl import run_crawl
from tests.support.servers import web_server
from tests.support.web import RUN_2, get, page_env, write_backup
from zendesk_crawler.web.security import FAILED_LOGINS_ALLOWED, MAX_BODY_BYTES, redact
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    write_backup(tmp / "export")
    with web_server(page_env(tmp / "export", tmp)) as server:
        yield server


def form_token(server) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', get(server.url + "/")[2].decode()).group(1)


@pytest.mark.parametrize("path", ["/", "/tickets/7", "/tickets/7.pdf", f"/files/tickets-{RUN_2}-00001.json",
                                  "/status.json"])
def test_a_cross_site_request_is_refused_on_every_route(page, path):
    for site in ("cross-site", "same-site"):
        status, _, body = get(page.url + path, headers={"Sec-Fetch-Site": site})
        assert status == 403 and b"Dana" not in body, (path, site)
    assert get(page.url + path, headers={"Sec-Fetch-Site": "same-origin"})[0] != 403
    assert get(page.url + path, headers={"Sec-Fetch-Site": "none"})[0] != 403  # typed or bookmarked


def test_origin_null_passes_only_from_the_page_itself(page):
    form = urllib.parse.urlencode({"csrf": form_token(page), "streams_shown": "1"}).encode()
    assert get(page.url + "/extract", data=form, headers={"Origin": "null"})[0] == 403
    assert get(page.url + "/extract", data=form, headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})[0] == 403
    # The page's own form under its no-referrer policy: Origin null, Sec-Fetch-Site same-origin. It reaches the
    # form's checks (no stream ticked), not the origin refusal.
    status, _, body = get(page.url + "/extract", data=form, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert status == 400 and b"no stream is ticked" in body
    assert get(page.url + "/", headers={"Origin": "http://evil.example"})[0] == 403


def test_a_large_body_is_refused_before_it_is_read(page):
    """The headers announce 1 GB and no byte of it is sent: the answer comes at once."""
    host, port = urllib.parse.urlsplit(page.url).hostname, urllib.parse.urlsplit(page.url).port
    with socket.create_connection((host, port), timeout=30) as connection:
        connection.sendall(f"POST /extract HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
                           f"application/x-www-form-urlencoded\r\nContent-Length: {2**30}\r\n\r\n".encode())
        answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    small = urllib.parse.urlencode({"csrf": "x" * (MAX_BODY_BYTES + 1)}).encode()
    assert get(page.url + "/extract", data=small)[0] == 413


def test_repeated_wrong_passwords_lock_the_client_out(tmp_path):
    write_backup(tmp_path / "export")
    env = page_env(tmp_path / "export", tmp_path, ZENDESK_WEB_PASSWORD="pa55word", ZENDESK_WEB_USER="auditor")
    with web_server(env) as server:
        for _ in range(FAILED_LOGINS_ALLOWED):
            assert get(server.url + "/", auth=("auditor", "guess"))[0] == 401
        status, headers, _ = get(server.url + "/", auth=("auditor", "guess"))
        assert status == 429 and int(headers["retry-after"]) > 0
        assert get(server.url + "/", auth=("auditor", "pa55word"))[0] == 429  # even the right one, for a while


def test_secrets_are_masked_as_they_are_and_in_their_base64_forms(monkeypatch):
    monkeypatch.setenv("ZENDESK_EMAIL", "admin@acme.example")
    monkeypatch.setenv("ZENDESK_API_TOKEN", "tok-123456")
    header = base64.b64encode(b"admin@acme.example/token:tok-123456").decode()
    line = f"token tok-123456; Authorization: Basic {header}; bare {base64.b64encode(b'tok-123456').decode()}"
    masked = redact(line)
    assert "tok-123456" not in masked and header not in masked and header.rstrip("=") not in masked
    assert base64.b64encode(b"tok-123456").decode() not in masked and masked.count("***") == 3


def test_a_backup_is_readable_by_its_owner_only(tmp_path):
    os.umask(0o022)  # the usual umask: the crawler must not depend on it
    with SandboxProcess(tickets=10, seed=71, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        result = run_crawl(sandbox.url, tmp_path / "export", "-a", "start_time=0", "-a", "attachments=true",
                           ZENDESK_FORMATS="json,jsonl,xml,csv")
    assert result.returncode == 0, result.stderr[-2000:]
    paths = [tmp_path / "export", *(tmp_path / "export").rglob("*")]
    assert any(p.is_dir() for p in paths[1:]) and any(p.name.startswith("tickets-") for p in paths)
    wrong = [(str(p), oct(stat.S_IMODE(p.stat().st_mode))) for p in paths
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)]
    assert wrong == []


def test_the_pages_own_files_are_readable_by_their_owner_only(tmp_path):
    """Its index (with the WAL), the PDFs it keeps and the logs of the runs it starts, under the usual umask."""
    os.umask(0o022)
    write_backup(tmp_path / "export")
    with web_server(page_env(tmp_path / "export", tmp_path)) as server:
        assert get(server.url + "/tickets/7")[0] == 200 and get(server.url + "/tickets/7.pdf")[0] == 200
        assert get(server.url + "/search?q=first")[0] == 200
        token = form_token(server)
        assert get(server.url + "/extract", data=urllib.parse.urlencode(
            {"csrf": token, "streams_shown": "1", "streams": "groups"}).encode())[0] in (200, 303)
        cache = tmp_path / "cache"
        paths = [cache, *cache.rglob("*")]
        names = {path.name for path in paths}
        assert {"tickets.sqlite", "pdf", "jobs"} <= names, names  # a WAL file, when there is one, is checked too
        assert any(path.suffix == ".log" for path in paths) and any(path.suffix == ".pdf" for path in paths)
        wrong = [(str(path), oct(stat.S_IMODE(path.stat().st_mode))) for path in paths
                 if stat.S_IMODE(path.stat().st_mode) != (0o700 if path.is_dir() else 0o600)]
        assert wrong == []


def test_a_crawl_started_from_the_page_does_not_get_the_pages_password(tmp_path):
    # Answers held back, so that the crawl is still running when its environment is read.
    with SandboxProcess(tickets=5, seed=72, rate_limit=1_000_000, export_rate_limit=0, latency_ms=5000) as sandbox:
        env = page_env(tmp_path / "export", tmp_path, ZENDESK_WEB_PASSWORD="pa55word", ZENDESK_WEB_USER="auditor",
                       **sandbox.crawler_env())
        with web_server(env) as server:
            auth = ("auditor", "pa55word")
            html = get(server.url + "/", auth=auth)[2].decode()
            token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
            status, headers, _ = get(server.url + "/extract", auth=auth, data=urllib.parse.urlencode(
                {"csrf": token, "streams_shown": "1", "streams": "groups"}).encode())
            assert status in (200, 303), status
            children = [pid for pid in os.listdir("/proc") if pid.isdigit()
                        and _parent(pid) == server.proc.pid]
            assert children, "the page started no crawl"
            for pid in children:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                assert not [v for v in environ if v.startswith(b"ZENDESK_WEB_")]
                assert b"ZENDESK_API_TOKEN=" + sandbox.api_token.encode() in environ


def _parent(pid: str) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1])
