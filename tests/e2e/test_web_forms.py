"""The runs page's "Filtered export" and "One person's export" forms over HTTP: labelled fields, the form token and
body limit, and a bad value refused with the very line ``scrapy crawl zendesk`` fails with.

A real ``python -m zendesk_crawler.web`` process over a small backup written here; the exports running against
the sandbox, in a browser, are in ``test_web_demo_e2e.py``.
"""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest

from tests.support.crawl import run_crawl
from tests.support.servers import web_server
from tests.support.web import get, page_env, write_backup


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    write_backup(tmp / "export")
    with web_server(page_env(tmp / "export", tmp)) as server:
        yield server, tmp


def token(url: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', get(url + "/")[2].decode()).group(1)


def post(url: str, fields: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
    return get(url, data=urllib.parse.urlencode(fields).encode())


def test_both_forms_are_on_the_runs_page_every_field_labelled(page):
    server, _ = page
    body = get(server.url + "/")[2].decode()
    assert 'action="/extract/filtered"' in body and 'action="/extract/person"' in body
    assert "Demo mode" not in body  # an account is configured: the page is the operator's
    for name in ("created_from", "created_to", "query", "ticket_ids", "user"):
        field_id = re.search(rf'<input id="([^"]+)" name="{name}"', body).group(1)
        assert f'<label for="{field_id}">' in body, name
    statuses = re.findall(r'<label><input type="checkbox" name="status" value="(\w+)"> \1</label>', body)
    assert statuses == ["new", "open", "pending", "hold", "solved", "closed"]


@pytest.mark.parametrize("kind, fields, arguments", [
    ("filtered", [("status", "bogus")], ["-a", "status=bogus"]),
    ("filtered", [("created_from", "someday")], ["-a", "created_from=someday"]),
    ("filtered", [("query", "type:user tags:vip")], ["-a", "query=type:user tags:vip"]),
    ("filtered", [("ticket_ids", "12,x")], ["-a", "ticket_ids=12,x"]),
    ("person", [("user", "nobody")], ["-a", "user=nobody"]),
])
def test_a_bad_value_is_a_400_with_the_command_lines_message(page, kind, fields, arguments):
    server, tmp = page
    status, _, body = post(f"{server.url}/extract/{kind}", [("csrf", token(server.url)), *fields])
    crawl = run_crawl("http://127.0.0.1:9", tmp / "cli", *arguments)
    assert crawl.returncode == 2, crawl.stderr[-2000:]
    (line,) = crawl.failure_lines()
    message = line.removeprefix("zendesk_crawler: FAILED: ")
    assert status == 400 and f'<p class="message">{message}</p>' in html.unescape(body.decode())


def test_the_forms_need_the_token_their_own_fields_and_a_small_body(page):
    server, _ = page
    csrf = token(server.url)
    assert post(server.url + "/extract/filtered", [("csrf", "wrong"), ("status", "open")])[0] == 403
    assert post(server.url + "/extract/person", [("user", "a@b.c")])[0] == 403
    status, _, body = post(server.url + "/extract/person", [("csrf", csrf), ("user", "a@b.c"), ("start_time", "0")])
    assert status == 400 and b"unknown field(s): start_time" in body
    status, _, body = post(server.url + "/extract/filtered", [("csrf", csrf)])
    assert status == 400 and b"no filter is given" in body
    assert post(server.url + "/extract/backup", [("csrf", csrf)])[0] == 404
    assert post(server.url + "/extract/filtered", [("csrf", csrf), ("query", "x" * 20_000)])[0] == 413
