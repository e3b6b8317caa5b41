"""The sandbox Zendesk over real HTTP: shapes, pagination, auth, rate limits, changes, determinism."""

from __future__ import annotations

import base64
import calendar
import gzip
import hashlib
import http.client
import json
import os
import socket
import struct
import time
import urllib.error
import urllib.request
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.support.paths import SAMPLES
from zendesk_sandbox import (
    DEFAULT_API_TOKEN,
    DEFAULT_EMAIL,
    DEFAULT_OAUTH_TOKEN,
    SandboxError,
    SandboxProcess,
    features,
)
from zendesk_sandbox.clock import Clock
from zendesk_sandbox.content import XML_ILLEGAL
from zendesk_sandbox.data import Dataset
from zendesk_sandbox.generator import Options
from zendesk_sandbox.ratelimit import CONVERSATION_LOG, CURSOR_EXPORTS, EXPORTS, RateLimiter

EXPORT = "/api/v2/incremental/tickets/cursor.json"
BASIC = "Basic " + base64.b64encode(f"{DEFAULT_EMAIL}/token:{DEFAULT_API_TOKEN}".encode()).decode()
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Answer:
    """Status, headers and JSON body of one API answer."""

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.raw = status, headers, body
        is_json = "json" in headers.get("Content-Type", "") and headers.get("Content-Encoding") != "gzip"
        self.json = json.loads(body) if body and is_json else None


def get(url: str, authorization: str | None = BASIC, **headers: str) -> Answer:
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, headers=headers)
    try:
        with OPENER.open(request, timeout=30) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers, exc.read())


def walk_export(sandbox: SandboxProcess, query: str) -> tuple[list[dict[str, Any]], list[Answer]]:
    """Follow after_url from ``start_time=0`` until end_of_stream; return tickets and pages."""
    url = f"{sandbox.url}{EXPORT}?start_time=0&{query}"
    tickets, pages = [], []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        pages.append(page)
        tickets += page.json["tickets"]
        if page.json["end_of_stream"]:
            return tickets, pages
        url = page.json["after_url"]


def sample_keys(name: str, *path: str | int) -> list[str]:
    with open(SAMPLES / name, encoding="utf-8") as f:
        value = json.load(f)
    for step in path:
        value = value[step]
    return list(value)


def strings(value: Any) -> Any:
    """Every string (keys included) inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.fixture(scope="module")
def sandbox():
    """A read-only sandbox without rate limits, shared by the tests that do not change it."""
    with SandboxProcess(tickets=300, seed=1, rate_limit=0, export_rate_limit=0) as server:
        yield server


@pytest.fixture(scope="module")
def truth(sandbox):
    return sandbox.truth()


def test_ready_line_and_stop_by_pid():
    server = SandboxProcess(tickets=5).start()
    try:
        assert server.url.startswith("http://127.0.0.1:") and server.pid > 0
        os.kill(server.pid, 0)  # alive
        assert server.stats()["tickets"] == 5
    finally:
        assert server.stop() == 0
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)


def test_auth(sandbox):
    url = f"{sandbox.url}{EXPORT}?start_time=0&per_page=1"
    assert get(url).status == 200
    assert get(url, f"Bearer {DEFAULT_OAUTH_TOKEN}").status == 200
    refused = [None, "Basic " + base64.b64encode(f"{DEFAULT_EMAIL}/token:wrong".encode()).decode(),
               "Basic " + base64.b64encode(f"{DEFAULT_EMAIL}:{DEFAULT_API_TOKEN}".encode()).decode(),
               "Basic !!!", "Token abc"]
    for header in refused:
        answer = get(url, header)
        assert answer.status == 401 and answer.raw == b'{"error":"Couldn\'t authenticate you"}'
        assert answer.headers["WWW-Authenticate"] == 'Basic realm="Web Password"'
    bearer = get(url, "Bearer wrong")
    assert bearer.status == 401 and bearer.json["error"] == "invalid_token"
    assert bearer.json["error_description"].startswith("The access token provided is expired")
    unknown = get(f"{sandbox.url}/api/v2/nothing.json")
    assert (unknown.status, unknown.json) == (404, {"error": "InvalidEndpoint", "description": "Not found"})
    assert unknown.headers["Content-Type"] == "application/json; charset=utf-8"


def test_full_cursor_walk_equals_truth(sandbox, truth):
    tickets, pages = walk_export(sandbox, "per_page=7&include=users&support_type_scope=all")
    expected = [{k: v for k, v in t.items() if k not in ("comments", "_support_type_scope")}
                for t in truth["tickets"]]
    assert tickets == expected
    assert len({t["id"] for t in tickets}) == len(tickets) == 300
    first = pages[0].json
    assert list(first) == sample_keys("incremental_tickets_cursor_recorded.json") + ["users"]
    assert list(first["tickets"][0]) == sample_keys("incremental_tickets_cursor.json", "tickets", 0)
    assert list(first["users"][0]) == sample_keys("incremental_tickets_cursor.json", "users", 0)
    after = urlsplit(first["after_url"])
    assert f"{after.scheme}://{after.netloc}" == sandbox.url and after.path == EXPORT
    assert after.query.startswith("cursor=")
    assert parse_qs(after.query) == {"cursor": [first["after_cursor"]], "include": ["users"], "per_page": ["7"],
                                     "support_type_scope": ["all"]}
    last = base64.b64decode(first["after_cursor"]).decode()
    assert last == f"{first['tickets'][-1]['generated_timestamp']}.0||{first['tickets'][-1]['id']}|"
    # many tickets share a second and generated_timestamp can be later than updated_at
    stamps = [t["generated_timestamp"] for t in tickets]
    assert len(set(stamps)) < len(stamps) - 20
    assert any(t["generated_timestamp"] > calendar.timegm(time.strptime(t["updated_at"], "%Y-%m-%dT%H:%M:%SZ"))
               for t in tickets)
    # the cursor stays usable after end_of_stream
    end = pages[-1].json
    again = get(end["after_url"]).json
    assert again["tickets"] == [] and again["end_of_stream"] is True and again["after_cursor"] == end["after_cursor"]


def test_sideloads_exclude_deleted_users(sandbox, truth):
    users = {u["id"]: u for u in truth["users"]}
    deleted = {uid for uid, u in users.items() if u["_deleted"]}
    tickets, pages = walk_export(sandbox, "include=users&support_type_scope=all")
    referenced = {t["requester_id"] for t in tickets}
    assert referenced & deleted, "no ticket of a deleted user"
    for page in pages:
        sideloaded = {u["id"] for u in page.json["users"]}
        wanted = {uid for t in page.json["tickets"] for uid in
                  [t["requester_id"], t["submitter_id"], t["assignee_id"], *t["collaborator_ids"], *t["follower_ids"]]
                  if uid}
        assert sideloaded == wanted - deleted
        for user in page.json["users"]:
            assert user == {k: v for k, v in users[user["id"]].items() if k != "_deleted"}
    ticket = next(t for t in truth["tickets"] if {c["author_id"] for c in t["comments"]} & deleted)
    answer = get(f"{sandbox.url}/api/v2/tickets/{ticket['id']}/comments.json?include=users&page[size]=100")
    authors = {c["author_id"] for c in answer.json["comments"]}
    assert {u["id"] for u in answer.json["users"]} == authors - deleted


def test_support_type_scope_defaults_to_agent(sandbox, truth):
    scopes = {t["id"]: t["_support_type_scope"] for t in truth["tickets"]}
    ai = {i for i, scope in scopes.items() if scope == "ai_agent"}
    assert ai and set(scopes.values()) == {"agent", "ai_agent"}
    default, _ = walk_export(sandbox, "")
    assert {t["id"] for t in default} == set(scopes) - ai
    only_ai, _ = walk_export(sandbox, "support_type_scope=ai_agent")
    assert {t["id"] for t in only_ai} == ai
    live, _ = walk_export(sandbox, "support_type_scope=all&exclude_deleted=true")
    assert {t["id"] for t in live} == {t["id"] for t in truth["tickets"] if t["status"] != "deleted"}


def assert_too_recent_start_time_refused(sandbox, path: str, now: int) -> None:
    """Zendesk's 422 for a start_time less than a minute old."""
    too_recent = get(f"{sandbox.url}{path}?start_time={now - 30}")
    assert too_recent.status == 422
    assert too_recent.json == {"error": "InvalidValue",
                               "description": "Too recent start_time. Use a start_time older than 1 minute"}


def test_export_parameter_errors(sandbox):
    now = sandbox.advance_clock(0)
    assert_too_recent_start_time_refused(sandbox, EXPORT, now)
    assert get(f"{sandbox.url}{EXPORT}?start_time={now - 60}").status == 200
    for query in ("start_time=yesterday", "cursor=bm90IGEgY3Vyc29y", "cursor=%%%", "", "start_time=0&per_page=x"):
        answer = get(f"{sandbox.url}{EXPORT}?{query}")
        assert answer.status == 400 and set(answer.json) == {"error", "description"}, query
    capped = get(f"{sandbox.url}{EXPORT}?start_time=0&per_page=5000&support_type_scope=all")
    assert len(capped.json["tickets"]) == 300


def test_deleted_ticket_comments_404(sandbox, truth):
    deleted = next(t for t in truth["tickets"] if t["status"] == "deleted")
    assert list(deleted)[:-2] == sample_keys("deleted_ticket.json")
    assert (deleted["subject"], deleted["raw_subject"], deleted["description"]) == ("SCRUBBED", "SCRUBBED", "X")
    assert deleted["comments"] == []
    for ticket_id in (deleted["id"], 999999):
        answer = get(f"{sandbox.url}/api/v2/tickets/{ticket_id}/comments.json")
        assert (answer.status, answer.json) == (404, {"error": "RecordNotFound", "description": "Not found"})


def test_comments_cursor_pagination_equals_truth(sandbox, truth):
    heavy = max(truth["tickets"], key=lambda t: len(t["comments"]))
    assert 150 <= len(heavy["comments"]) <= 450
    for size, capped in (("100", 100), ("37", 37), ("500", 100)):
        url = f"{sandbox.url}/api/v2/tickets/{heavy['id']}/comments.json?page[size]={size}&include=users"
        comments = []
        while True:
            page = get(url).json
            assert list(page) == ["comments", "users", "meta", "links"]
            assert len(page["comments"]) <= capped
            comments += page["comments"]
            if not page["meta"]["has_more"]:
                break
            url = page["links"]["next"]
            assert "page%5Bafter%5D=" in url and f"page%5Bsize%5D={capped}" in url and "include=users" in url
        assert comments == heavy["comments"]
    first = get(f"{sandbox.url}/api/v2/tickets/{heavy['id']}/comments.json?page[size]=3").json
    assert list(first["comments"][0]) == sample_keys("ticket_comments.json", "comments", 0)
    assert list(first["meta"]) == ["has_more", "after_cursor", "before_cursor"]
    newest = get(f"{sandbox.url}/api/v2/tickets/{heavy['id']}/comments.json?page[size]=3&sort=-created_at").json
    assert newest["comments"] == heavy["comments"][::-1][:3]
    bad = get(f"{sandbox.url}/api/v2/tickets/{heavy['id']}/comments.json?page[size]=3&page[after]=garbage")
    assert bad.status == 400


def test_offset_pagination(sandbox, truth):
    heavy = max(truth["tickets"], key=lambda t: len(t["comments"]))
    base = f"{sandbox.url}/api/v2/tickets/{heavy['id']}/comments.json"
    first = get(base).json
    assert list(first) == sample_keys("ticket_comments_offset.json")
    assert first["count"] == len(heavy["comments"]) and first["previous_page"] is None
    assert first["comments"] == heavy["comments"][:100]
    second = get(first["next_page"]).json
    assert second["comments"] == heavy["comments"][100:200] and second["previous_page"].endswith("page=1")
    assert get(base + "?page=101").status == 400


def test_gzip_when_accepted(sandbox, truth):
    url = f"{sandbox.url}/api/v2/tickets/{truth['tickets'][0]['id']}/comments.json"
    plain = get(url)
    compressed = get(url, **{"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.raw) == plain.raw


def test_hostile_content(truth):
    tickets = [t for t in truth["tickets"] if t["status"] != "deleted"]
    comments = [c for t in tickets for c in t["comments"]]
    text = "\n".join(strings(truth))
    for char in XML_ILLEGAL:
        assert char in text, hex(ord(char))
    for fragment in ("]]>", "<script>", "\r\n", "👨\u200d👩\u200d👧\u200d👦", "العربية", "עברית", "\U0001d573"):
        assert fragment in text
    assert "\x00" not in text
    assert all(t["description"] == t["comments"][0]["body"] for t in tickets)
    assert any(60_000 < len(c["body"].encode()) <= 65_535 for c in comments)
    assert 0.15 < sum(not c["public"] for c in comments) / len(comments) < 0.35
    keys = {k for c in comments for k in c["metadata"]["custom"]}
    assert {"1st", "with space", "x:y", "<b>", "", "xmlFoo", "ключ", "😀"} <= keys
    attachment = next(a for c in comments for a in c["attachments"])
    assert list(attachment) == sample_keys("ticket_comments_attachments.json", "comments", 0, "attachments", 0)
    assert list(comments[0]["metadata"]["system"]) == sample_keys("ticket_comments.json", "comments", 0, "metadata",
                                                                  "system")
    hosts = {urlsplit(a[k]).netloc for c in comments for a in c["attachments"] for k in ("content_url", "url")}
    assert hosts == {urlsplit(truth["tickets"][0]["url"]).netloc}  # the account host; bytes come from another
    values = {type(f["value"]) for t in tickets for f in t["custom_fields"]}
    assert values == {str, int, float, bool, list, type(None)}
    for ticket in tickets:
        stamps = [(c["created_at"], c["id"]) for c in ticket["comments"]]
        assert stamps == sorted(stamps)
    assert any(a["created_at"] == b["created_at"] for t in tickets for a, b in pairwise(t["comments"]))


def test_changes_clock_and_reappearing_ticket():
    with SandboxProcess(tickets=40, seed=2, rate_limit=0, export_rate_limit=0) as server:
        truth = server.truth()
        live = [t["id"] for t in truth["tickets"] if t["status"] != "deleted"]
        # read the first half of the stream, then change a ticket already seen
        first = get(f"{server.url}{EXPORT}?start_time=0&per_page=20&support_type_scope=all").json
        seen = first["tickets"][0]
        server.change(add_comments=[seen["id"]], update=[live[-1]], delete=[live[-2]], create=2)
        rest = get(f"{server.url}{EXPORT}?cursor={quote(first['after_cursor'])}&support_type_scope=all").json
        assert rest["end_of_stream"] and seen["id"] not in {t["id"] for t in rest["tickets"]}  # changed < 1 min ago
        server.advance_clock(61)
        later = get(f"{server.url}{EXPORT}?cursor={quote(rest['after_cursor'])}&support_type_scope=all").json
        ids = [t["id"] for t in later["tickets"]]
        assert seen["id"] in ids and live[-1] in ids and live[-2] in ids and len(ids) == 5
        again = next(t for t in later["tickets"] if t["id"] == seen["id"])
        assert again["updated_at"] > seen["updated_at"]
        assert next(t for t in later["tickets"] if t["id"] == live[-2])["status"] == "deleted"
        new_truth = {t["id"]: t for t in server.truth()["tickets"]}
        old_comments = next(t for t in truth["tickets"] if t["id"] == seen["id"])["comments"]
        assert new_truth[seen["id"]]["comments"][:len(old_comments)] == old_comments
        assert 1 <= len(new_truth[seen["id"]]["comments"]) - len(old_comments) <= 3
        assert new_truth[seen["id"]]["comments"][-1]["created_at"] == again["updated_at"]
        assert get(f"{server.url}/api/v2/tickets/{live[-2]}/comments.json").status == 404
        # a ticket deleted by the crawl's own comments request
        victim = live[0]
        server.change(delete_on_comment_read=[victim])
        assert get(f"{server.url}/api/v2/tickets/{victim}/comments.json").status == 404
        assert {t["id"]: t for t in server.truth()["tickets"]}[victim]["status"] == "deleted"
        bad = urllib.request.Request(f"{server.url}/_sandbox/changes", data=b'{"update": [1]}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            OPENER.open(bad)
        assert refused.value.code == 400


def test_rate_limit_429_and_headers():
    with SandboxProcess(tickets=5, rate_limit=3, export_rate_limit=2, time_scale=20,
                        export_budget_header=True) as server:
        url = f"{server.url}{EXPORT}?start_time=0"
        answers = [get(url) for _ in range(8)]
        statuses = [a.status for a in answers]
        assert 429 in statuses
        for answer in answers:
            assert answer.headers["X-Rate-Limit"] == "3" and answer.headers["ratelimit-limit"] == "3"
            assert int(answer.headers["ratelimit-reset"]) >= 1
            assert answer.headers["X-Rate-Limit-Remaining"] == answer.headers["ratelimit-remaining"]
            assert answer.headers["Zendesk-RateLimit-incremental-exports"].startswith("total=2; remaining=")
        limited = answers[statuses.index(429)]
        assert 1 <= int(limited.headers["Retry-After"]) <= 3  # a "minute" is 3 real seconds
        log = server.requests_log()
        assert log["statuses"]["429"] == statuses.count(429) and log["by_endpoint"]["incremental_tickets"] == 8
        assert log["log"][0]["query"] == {"start_time": "0"} and log["log"][0]["auth"] == "basic"
        assert server.requests_log(since=7)["log"] == log["log"][7:]
    with SandboxProcess(tickets=5, gzip=False) as server:
        plain = get(f"{server.url}{EXPORT}?start_time=0", **{"Accept-Encoding": "gzip"})
        assert "Zendesk-RateLimit-incremental-exports" not in plain.headers
        assert "Content-Encoding" not in plain.headers and len(plain.raw) > 1024
        assert plain.headers["X-Rate-Limit"] == "700" and plain.headers["X-Rate-Limit-Remaining"] == "699"


def test_rate_limiter_windows():
    now = [1000.0]
    limiter = RateLimiter(limit=3, export_limit=1, time_scale=2, monotonic=lambda: now[0])  # 30 s windows
    assert limiter.check(EXPORTS).allowed
    refused = limiter.check(EXPORTS)
    assert not refused.allowed and dict(refused.headers)["Retry-After"] == "30"
    assert limiter.check(None).allowed and limiter.check(None).allowed
    now[0] += 29.5
    account = limiter.check(None)
    assert not account.allowed and dict(account.headers)["Retry-After"] == "1"
    now[0] += 0.5
    fresh = limiter.check(EXPORTS)
    assert fresh.allowed and dict(fresh.headers)["ratelimit-remaining"] == "2"


def test_the_user_export_has_its_own_budget_of_twice_the_export_limit():
    limiter = RateLimiter(limit=100, export_limit=1, time_scale=1, monotonic=lambda: 1000.0)
    assert limiter.check(EXPORTS).allowed and not limiter.check(EXPORTS).allowed
    first = limiter.check(CURSOR_EXPORTS)
    assert first.allowed and limiter.check(CURSOR_EXPORTS).allowed and not limiter.check(CURSOR_EXPORTS).allowed
    assert dict(first.headers)["Zendesk-RateLimit-incremental-exports-cursor"].startswith("total=2; remaining=1")
    assert "Zendesk-RateLimit-incremental-exports" not in dict(limiter.check(EXPORTS).headers)  # not asked for


def test_the_conversation_log_has_its_own_budget_announced_on_every_answer():
    limiter = RateLimiter(limit=100, export_limit=1, time_scale=1, monotonic=lambda: 1000.0, conversation_log_limit=2)
    first = limiter.check(CONVERSATION_LOG)
    assert first.allowed and dict(first.headers)["Zendesk-RateLimit-omnilog-index"] == "total=2; remaining=1; resets=60"
    assert limiter.check(CONVERSATION_LOG).allowed
    refused = limiter.check(CONVERSATION_LOG)
    assert not refused.allowed and dict(refused.headers)["Retry-After"] == "60"
    assert dict(refused.headers)["Zendesk-RateLimit-omnilog-index"] == "total=2; remaining=0; resets=60"
    assert limiter.check(None).allowed and limiter.check(EXPORTS).allowed  # the other budgets go on
    assert dict(limiter.check(None).headers)["ratelimit-remaining"] == "95"  # 2 logs + 3 others: the account counts all
    unlimited = RateLimiter(limit=100, export_limit=1, time_scale=1, monotonic=lambda: 1000.0, conversation_log_limit=0)
    assert all(unlimited.check(CONVERSATION_LOG).allowed for _ in range(50))


def test_rate_limiter_other_integrations_spend_evenly_over_the_window():
    now = [1000.0]
    limiter = RateLimiter(limit=100, export_limit=0, time_scale=1, monotonic=lambda: now[0], other_usage=60)
    assert dict(limiter.check(None).headers)["ratelimit-remaining"] == "99"
    now[0] += 30  # half the window: the others spent 30
    assert dict(limiter.check(None).headers)["ratelimit-remaining"] == "68"
    now[0] += 29.9
    allowed = sum(limiter.check(None).allowed for _ in range(100))
    assert allowed == 100 - 2 - 59  # what the others and we left
    now[0] += 0.1
    assert dict(limiter.check(None).headers)["ratelimit-remaining"] == "99"


def test_determinism():
    clock = Clock()
    options = Options(tickets=60, seed=5, epoch=1_700_000_000)
    one, two = Dataset(options, clock).truth(), Dataset(options, clock).truth()
    assert one["tickets"] == two["tickets"] and one["users"] == two["users"]
    other = Dataset(Options(tickets=60, seed=6, epoch=1_700_000_000), clock).truth()
    assert other["tickets"] != one["tickets"]
    epoch = int(time.time()) - 3600
    bodies = []
    for _ in range(2):
        with SandboxProcess(tickets=20, seed=9, epoch=epoch) as server:
            raw = OPENER.open(f"{server.url}/_sandbox/truth").read().decode()
            bodies.append(json.loads(raw.replace(server.url, "http://sandbox")))
    assert bodies[0]["tickets"] == bodies[1]["tickets"] and bodies[0]["users"] == bodies[1]["users"]


# ------------------------------------------------------------------ fault switches

@pytest.fixture(scope="module")
def faulty():
    """A sandbox whose fault rules each test arms; cleared after every test."""
    with SandboxProcess(tickets=30, seed=3, rate_limit=0, export_rate_limit=0) as server:
        yield server


@pytest.fixture
def faults(faulty):
    faulty.faults([])
    yield faulty
    faulty.faults([])


def raw_get(server: SandboxProcess, target: str, timeout: float = 10) -> tuple[dict[str, str], bytes, bytes]:
    """One request on a fresh socket, read until the server closes: (head fields, status line, body bytes)."""
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {BASIC}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if not data:
        return {}, b"", b""
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return fields, status_line.encode(), body


def comments_target(ticket_id: int) -> str:
    return f"/api/v2/tickets/{ticket_id}/comments.json?page[size]=100&include=users"


def live_ids(server: SandboxProcess) -> list[int]:
    return [t["id"] for t in server.truth(comments=False, users=False)["tickets"] if t["status"] != "deleted"]


def last_entry(server: SandboxProcess) -> dict[str, Any]:
    return server.requests_log()["log"][-1]


def test_fault_status_answers_like_real_fronts(faults):
    ticket = live_ids(faults)[0]
    for status in (500, 502, 503, 504):
        faults.faults([{"endpoint": "ticket_comments", "kind": "status", "status": status, "count": 1}])
        answer = get(f"{faults.url}{comments_target(ticket)}")
        assert answer.status == status
        assert answer.headers["X-Rate-Limit"] == "700" and "ratelimit-remaining" in answer.headers
        if status == 500:
            assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
            assert answer.json["error"] == "InternalServerError"
        else:
            assert answer.headers["Content-Type"].startswith("text/html")
            assert f"<title>{status} ".encode() in answer.raw
        assert last_entry(faults) | {"t": 0, "window": 0} == {
            "t": 0, "method": "GET", "path": f"/api/v2/tickets/{ticket}/comments.json",
            "query": {"page[size]": "100", "include": "users"}, "status": status, "auth": "basic", "fault": "status",
            "window": 0, "host": urlsplit(faults.url).netloc, "authorization": True}
        assert get(f"{faults.url}{comments_target(ticket)}").status == 200  # count 1: spent
        assert last_entry(faults)["fault"] is None
    export = f"{faults.url}{EXPORT}?start_time=0"
    faults.faults([{"endpoint": "incremental_tickets", "kind": "status", "status": 503, "count": 1}])
    assert get(f"{faults.url}{comments_target(ticket)}").status == 200  # another endpoint: not matched
    assert get(export).status == 503 and get(export).status == 200


def test_fault_429_announces_retry_after_and_a_spent_budget(faults):
    ticket = live_ids(faults)[0]
    faults.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 429, "retry_after": 7, "count": 1}])
    answer = get(f"{faults.url}{comments_target(ticket)}")
    assert answer.status == 429 and answer.json["error"] == "APIRateLimitExceeded"
    assert answer.headers["Retry-After"] == "7" and answer.headers["ratelimit-reset"] == "7"
    assert answer.headers["X-Rate-Limit-Remaining"] == "0" and answer.headers["ratelimit-remaining"] == "0"
    assert get(f"{faults.url}{comments_target(ticket)}").status == 200
    with pytest.raises(SandboxError, match="retry_after only applies to status 429"):
        faults.faults([{"endpoint": "any", "kind": "status", "status": 503, "retry_after": 3, "count": 1}])


def test_fault_drop_closes_without_answering(faults):
    ticket = live_ids(faults)[0]
    faults.faults([{"endpoint": "any", "kind": "drop", "count": 2}])
    host, port = urlsplit(faults.url).hostname, urlsplit(faults.url).port
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", comments_target(ticket), headers={"Authorization": BASIC})
    with pytest.raises(http.client.RemoteDisconnected):
        connection.getresponse()
    connection.close()
    assert raw_get(faults, f"{EXPORT}?start_time=0") == ({}, b"", b"")  # not one byte
    entries = faults.requests_log()["log"][-2:]
    assert [(e["status"], e["fault"]) for e in entries] == [("drop", "drop")] * 2
    assert faults.requests_log()["statuses"]["drop"] == 2
    assert get(f"{faults.url}{comments_target(ticket)}").status == 200


def test_fault_truncate_sends_half_the_announced_body(faults):
    ticket = live_ids(faults)[0]
    whole = get(f"{faults.url}{comments_target(ticket)}").raw
    faults.faults([{"endpoint": "ticket_comments", "kind": "truncate", "count": 2}])
    fields, status_line, body = raw_get(faults, comments_target(ticket))
    assert status_line.startswith(b"HTTP/1.1 200 ")
    assert int(fields["content-length"]) == len(whole) and fields["x-rate-limit"] == "700"
    assert body == whole[: len(whole) // 2]
    with pytest.raises(http.client.IncompleteRead):  # what an HTTP client makes of it
        get(f"{faults.url}{comments_target(ticket)}")
    assert [(e["status"], e["fault"]) for e in faults.requests_log()["log"][-2:]] == [("truncate", "truncate")] * 2
    assert get(f"{faults.url}{comments_target(ticket)}").raw == whole


def test_fault_html_maintenance_page(faults):
    faults.faults([{"endpoint": "incremental_tickets", "kind": "html", "count": 1}])
    answer = get(f"{faults.url}{EXPORT}?start_time=0")
    assert answer.status == 200 and answer.headers["Content-Type"] == "text/html; charset=utf-8"
    assert answer.raw.startswith(b"<!DOCTYPE html>") and b"maintenance" in answer.raw
    assert (last_entry(faults)["status"], last_entry(faults)["fault"]) == (200, "html")


def test_fault_garbage_is_cut_json_with_a_correct_length(faults):
    ticket = live_ids(faults)[0]
    whole = get(f"{faults.url}{comments_target(ticket)}").raw
    faults.faults([{"endpoint": "ticket_comments", "kind": "garbage", "count": 1}])
    fields, status_line, body = raw_get(faults, comments_target(ticket))
    assert status_line.startswith(b"HTTP/1.1 200 ")
    assert fields["content-type"] == "application/json; charset=utf-8"
    assert int(fields["content-length"]) == len(body) == len(whole) // 2 and whole.startswith(body)
    with pytest.raises(ValueError):
        json.loads(body)
    assert (last_entry(faults)["status"], last_entry(faults)["fault"]) == (200, "garbage")


def test_fault_slow_delays_the_real_answer(faults):
    ticket = live_ids(faults)[0]
    whole = get(f"{faults.url}{comments_target(ticket)}").raw
    faults.faults([{"endpoint": "ticket_comments", "kind": "slow", "delay_ms": 400, "count": 1},
                   {"endpoint": "incremental_tickets", "kind": "slow", "delay_ms": 5000, "count": 1}])
    started = time.monotonic()
    answer = get(f"{faults.url}{comments_target(ticket)}")
    assert time.monotonic() - started >= 0.4 and answer.raw == whole
    assert (last_entry(faults)["status"], last_entry(faults)["fault"]) == (200, "slow")
    with pytest.raises(TimeoutError):  # a client timeout shorter than the delay
        raw_get(faults, f"{EXPORT}?start_time=0", timeout=0.5)
    assert get(f"{faults.url}{EXPORT}?start_time=0").status == 200  # other connections are not held up


def test_fault_count_every_ticket_ids_and_clear(faults):
    one, two = live_ids(faults)[:2]
    armed = faults.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 502, "count": 2, "every": 3,
                            "ticket_ids": [one]}])
    assert armed["rules"][0] | {"matched": 0, "fired": 0} == armed["rules"][0]
    statuses = []
    for _ in range(9):
        statuses.append(get(f"{faults.url}{comments_target(one)}").status)
        assert get(f"{faults.url}{comments_target(two)}").status == 200  # another ticket: never matched
    assert statuses == [200, 200, 502, 200, 200, 502, 200, 200, 200]
    (rule,) = faults.fault_rules()
    assert (rule["matched"], rule["fired"], rule["ticket_ids"]) == (6, 2, [one])
    # rules are offered in order: the first whose turn it is fires, later ones do not see the request
    faults.faults([{"endpoint": "any", "kind": "status", "status": 500, "count": -1, "every": 2},
                   {"endpoint": "ticket_comments", "kind": "status", "status": 503, "count": -1}])
    assert [get(f"{faults.url}{comments_target(one)}").status for _ in range(6)] == [503, 500] * 3
    assert [r["fired"] for r in faults.fault_rules()] == [3, 3]
    # not for the control API, nor for requests refused before the API (401)
    faults.faults([{"endpoint": "any", "kind": "drop", "count": -1}])
    assert faults.stats()["tickets"] == 30
    assert get(f"{faults.url}{comments_target(one)}", authorization=None).status == 401
    assert faults.fault_rules()[0]["matched"] == 0
    assert faults.faults([]) == {"rules": []}
    assert [get(f"{faults.url}{comments_target(one)}").status for _ in range(3)] == [200] * 3


@pytest.mark.parametrize("rule", [
    {"endpoint": "tickets", "kind": "drop", "count": 1},
    {"endpoint": "any", "kind": "explode", "count": 1},
    {"endpoint": "any", "kind": "drop"},
    {"endpoint": "any", "kind": "drop", "count": 0},
    {"endpoint": "any", "kind": "drop", "count": 1, "every": 0},
    {"endpoint": "any", "kind": "status", "count": 1},
    {"endpoint": "any", "kind": "status", "status": 200, "count": 1},
    {"endpoint": "any", "kind": "slow", "count": 1},
    {"endpoint": "any", "kind": "drop", "count": 1, "delay_ms": 5},
    {"endpoint": "incremental_tickets", "kind": "drop", "count": 1, "ticket_ids": [1]},
    {"endpoint": "ticket_comments", "kind": "drop", "count": 1, "ticket_ids": ["1"]},
    {"endpoint": "any", "kind": "drop", "count": 1, "typo": True},
])
def test_fault_rules_are_validated(faults, rule):
    faults.faults([{"endpoint": "any", "kind": "html", "count": 1}])
    with pytest.raises(SandboxError, match="400"):
        faults.faults([rule])
    assert len(faults.fault_rules()) == 1  # a refused request changes nothing


# ------------------------------------------------------------ incremental ticket event export

EVENTS = "/api/v2/incremental/ticket_events.json"
#: The documented ``comment_events`` fields (not ``plain_body`` nor ``metadata``).
COMMENT_EVENT_KEYS = ["id", "via", "via_reference_id", "type", "author_id", "body", "html_body", "public",
                      "attachments", "audit_id", "created_at", "event_type"]
#: A voice comment's event also carries the call (its members after ``metadata`` on the comments endpoint).
VOICE_KEYS = ["data", "formatted_from", "formatted_to", "transcription_visible"]
COMMENT_EVENT_TYPES = ("Comment", "VoiceComment")


def event_keys(comment: dict[str, Any]) -> list[str]:
    """The members of a comment's child event (with ``comment_events``), in order."""
    extra = VOICE_KEYS if comment["type"] == "VoiceComment" else []
    return COMMENT_EVENT_KEYS[:-1] + extra + COMMENT_EVENT_KEYS[-1:]


def walk_events(server: SandboxProcess, query: str, start_time: int = 0) -> list[dict[str, Any]]:
    """Follow next_page from ``start_time`` until end_of_stream; return the pages (JSON)."""
    url = f"{server.url}{EVENTS}?start_time={start_time}&{query}"
    pages = []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        pages.append(page.json)
        assert len(pages) < 10_000, "the event export does not end"
        if page.json["end_of_stream"]:
            return pages
        url = page.json["next_page"]


def unique_events(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every event once (repeats must be identical), in (timestamp, id) order."""
    events: dict[int, dict[str, Any]] = {}
    for page in pages:
        for event in page["ticket_events"]:
            assert events.setdefault(event["id"], event) == event
    return sorted(events.values(), key=lambda e: (e["timestamp"], e["id"]))


def comment_children(events: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    by_ticket: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        for child in event["child_events"]:
            if child.get("event_type") in COMMENT_EVENT_TYPES:
                by_ticket.setdefault(event["ticket_id"], []).append(child)
    return by_ticket


@pytest.fixture(scope="module")
def event_pages(sandbox):
    return walk_events(sandbox, "include=comment_events&support_type_scope=all&per_page=50")


def test_ticket_events_with_comment_events_equal_the_truth(event_pages, truth):
    events = unique_events(event_pages)
    by_ticket = comment_children(events)
    live = [t for t in truth["tickets"] if t["status"] != "deleted"]
    for ticket in live:
        expected = [{k: c[k] for k in event_keys(c) if k in c} | {"event_type": c["type"], "via_reference_id": None}
                    for c in ticket["comments"]]
        got = by_ticket.pop(ticket["id"])
        assert got == expected, ticket["id"]  # ids, order, bodies, authors, public, attachments, created_at
        for child, comment in zip(got, ticket["comments"], strict=True):
            assert list(child) == event_keys(comment)
    # deleted tickets keep their past events (their comments are no longer served per ticket)
    deleted = {t["id"] for t in truth["tickets"] if t["status"] == "deleted"}
    assert deleted and set(by_ticket) == deleted
    # each comment's audit is the event that carries it
    for event in events:
        comment = next(c for c in event["child_events"] if c["event_type"] in COMMENT_EVENT_TYPES)
        assert comment["audit_id"] == event["id"] and comment["created_at"] == event["created_at"]
        assert event["timestamp"] == calendar.timegm(time.strptime(event["created_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert event["updater_id"] == comment["author_id"] and isinstance(event["via"], str)
    # shapes of the assembled sample
    first = event_pages[0]
    assert list(first) == sample_keys("ticket_events_comment_events.json")
    assert list(first["ticket_events"][0]) == sample_keys("ticket_events_comment_events.json", "ticket_events", 0)
    assert list(first["ticket_events"][0]["system"]) == sample_keys("ticket_events_comment_events.json",
                                                                    "ticket_events", 0, "system")
    creation = next(e for e in events if any(c["event_type"] == "Create" for c in e["child_events"]))
    assert {c["event_type"] for c in creation["child_events"][1:]} <= {"Create", "Cc", "Notification"}
    assert {"status", "priority", "requester_id"} <= {k for c in creation["child_events"][1:] for k in c}


def test_ticket_events_pagination_repeats_the_boundary_second(sandbox, event_pages):
    assert len(event_pages) > 20
    for page, following in pairwise(event_pages):
        events = page["ticket_events"]
        assert page["count"] == len(events) >= 50 and page["end_of_stream"] is False
        stamps = [(e["timestamp"], e["id"]) for e in events]
        assert stamps == sorted(stamps)
        start_time = int(parse_qs(urlsplit(page["next_page"]).query)["start_time"][0])
        if {e["timestamp"] for e in events} == {page["end_time"] - 1} and len(events) >= 50:
            # the whole page is one second (all of it): one second later, or the walk would loop
            assert not [e for e in following["ticket_events"] if e["timestamp"] < page["end_time"]]
            continue
        assert page["end_time"] == events[-1]["timestamp"] == start_time
        url = urlsplit(page["next_page"])
        assert f"{url.scheme}://{url.netloc}" == sandbox.url and url.path == EVENTS
        assert parse_qs(url.query) == {"include": ["comment_events"], "per_page": ["50"],
                                       "start_time": [str(page["end_time"])], "support_type_scope": ["all"]}
        # the end_time second comes again, whole, at the start of the next page
        boundary = [e for e in events if e["timestamp"] == page["end_time"]]
        assert following["ticket_events"][:len(boundary)] == boundary
    last = event_pages[-1]
    assert last["end_of_stream"] is True and last["count"] < 50
    # many events share seconds across tickets: some boundary seconds hold several tickets' events,
    # and a second with more events than per_page makes a longer page instead of a loop
    shared = [p for p in event_pages[:-1]
              if len({e["ticket_id"] for e in p["ticket_events"] if e["timestamp"] == p["end_time"]}) > 1]
    assert len(shared) >= 3
    assert any(p["count"] > 50 for p in event_pages)
    busiest = max(event_pages, key=lambda p: p["count"])
    assert len({e["timestamp"] for e in busiest["ticket_events"]}) < busiest["count"]


def test_ticket_events_without_the_sideload_carry_no_comment(sandbox, truth, event_pages):
    pages = walk_events(sandbox, "per_page=1000")
    events = unique_events(pages)
    public = {c["id"]: c["public"] for t in truth["tickets"] for c in t["comments"]}
    scope = {t["id"]: t["_support_type_scope"] for t in truth["tickets"]}
    assert {e["ticket_id"] for e in events} == {i for i, s in scope.items() if s == "agent"}  # default scope
    for event in events:
        comment = event["child_events"][0]
        assert list(comment) == ["id", "via", "via_reference_id", "comment_present", "comment_public", "event_type"]
        assert comment["comment_present"] is True and comment["event_type"] in COMMENT_EVENT_TYPES
        if comment["id"] in public:
            assert comment["comment_public"] == public[comment["id"]]
    # no comment text (a trigger's Notification has its own subject and body)
    assert not [c for e in events for c in e["child_events"] if c["event_type"] in COMMENT_EVENT_TYPES and "body" in c]
    with_bodies = {e["id"] for e in unique_events(event_pages) if scope[e["ticket_id"]] == "agent"}
    assert {e["id"] for e in events} == with_bodies


def test_ticket_events_parameters(sandbox):
    now = sandbox.advance_clock(0)
    assert_too_recent_start_time_refused(sandbox, EVENTS, now)
    late = get(f"{sandbox.url}{EVENTS}?start_time={now - 60}")  # nothing in the last minute
    assert late.status == 200 and late.json["count"] == 0 and late.json["end_of_stream"] is True
    assert late.json["end_time"] == now - 60
    for query in ("", "start_time=yesterday", "start_time=0&per_page=0", "start_time=0&support_type_scope=x"):
        answer = get(f"{sandbox.url}{EVENTS}?{query}")
        assert answer.status == 400 and set(answer.json) == {"error", "description"}, query
    assert get(f"{sandbox.url}/api/v2/incremental/ticket_events?start_time=0&per_page=5").json["count"] >= 5
    capped = get(f"{sandbox.url}{EVENTS}?start_time=0&per_page=5000&support_type_scope=all").json
    assert capped["count"] >= 1000 and "per_page=5000" in capped["next_page"]
    assert {e["timestamp"] for e in capped["ticket_events"][999:]} == {capped["end_time"]}  # 1000, then that second
    assert get(f"{sandbox.url}{EVENTS}?start_time=0", authorization=None).status == 401
    log = sandbox.requests_log()
    assert log["by_endpoint"]["incremental_ticket_events"] >= 9


def test_ticket_events_of_changes():
    with SandboxProcess(tickets=40, seed=2, rate_limit=0, export_rate_limit=0) as server:
        truth = {t["id"]: t for t in server.truth()["tickets"]}
        live = [i for i, t in truth.items() if t["status"] != "deleted" and t["_support_type_scope"] == "agent"]
        now = server.advance_clock(0)
        before = unique_events(walk_events(server, "include=comment_events", now - 60))
        result = server.change(add_comments=[live[0]], update=[live[1]], delete=[live[2]], create=1)
        new_ticket = result["created"][0]
        query = "include=comment_events&support_type_scope=all"
        assert unique_events(walk_events(server, query, now - 60)) == before  # changes of the last minute: not yet
        server.advance_clock(61)
        after = unique_events(walk_events(server, query, now - 60))
        added = [e for e in after if e not in before]
        new_truth = {t["id"]: t for t in server.truth()["tickets"]}
        fresh = new_truth[live[0]]["comments"][len(truth[live[0]]["comments"]):]
        assert 1 <= len(fresh) <= 3
        assert comment_children([e for e in added if e["ticket_id"] == live[0]])[live[0]] == [
            {k: c[k] for k in COMMENT_EVENT_KEYS if k in c} | {"event_type": "Comment", "via_reference_id": None}
            for c in fresh]
        stamp = calendar.timegm(time.strptime(new_truth[live[0]]["updated_at"], "%Y-%m-%dT%H:%M:%SZ"))
        assert stamp >= now and all(e["timestamp"] == stamp for e in added)  # one request, one sandbox-now
        (update,) = [e for e in added if e["ticket_id"] == live[1]]
        changes = {k: v for c in update["child_events"] for k, v in c.items()
                   if k not in ("id", "via", "via_reference_id")}
        ticket = new_truth[live[1]]
        assert changes["status"] == ticket["status"] and changes["priority"] == ticket["priority"]
        assert changes["tags"] == ticket["tags"] and changes["event_type"] == "Change"
        # each Change event says what the field held before
        previous = {name: c["previous_value"] for c in update["child_events"] for name in ("status", "priority", "tags")
                    if name in c}
        assert previous == {name: truth[live[1]][name] for name in ("status", "priority", "tags")}
        assert update["updater_id"] in {u["id"] for u in server.truth()["users"] if u["role"] != "end-user"}
        assert not [e for e in added if e["ticket_id"] == live[2]]  # a deletion adds no event
        everything = unique_events(walk_events(server, query))
        assert len([e for e in everything if e["ticket_id"] == live[2]]) == len(truth[live[2]]["comments"])  # kept
        created = comment_children([e for e in added if e["ticket_id"] == new_ticket])[new_ticket]
        assert [c["id"] for c in created] == [c["id"] for c in new_truth[new_ticket]["comments"]]
        creation = next(e for e in added if e["ticket_id"] == new_ticket)
        assert {"status": "new", "event_type": "Create"}.items() <= creation["child_events"][1].items()


def test_ticket_events_have_every_kind_of_child_event_with_via_and_updater(sandbox, event_pages, truth):
    """Create, Change (with ``previous_value``), Comment, VoiceComment, Cc and Notification, as the Ticket Audit
    events reference describes them; the truth endpoint lists every event the export serves, once."""
    events = unique_events(event_pages)
    kinds = {c["event_type"] for e in events for c in e["child_events"]}
    assert {"Create", "Comment", "VoiceComment", "Cc", "Notification"} <= kinds
    tickets = {t["id"]: t for t in truth["tickets"]}
    for event in events:
        assert {"id", "ticket_id", "timestamp", "created_at", "updater_id", "via", "child_events"} <= set(event)
        for child in event["child_events"]:
            assert {"id", "via", "via_reference_id", "event_type"} <= set(child)
            if child["event_type"] == "Notification":
                assert child["recipients"] == [tickets[event["ticket_id"]]["requester_id"]]
                assert child["via"]["source"]["rel"] == "trigger" and child["subject"] and child["body"]
                assert event["updater_id"] != tickets[event["ticket_id"]]["requester_id"]
            if child["event_type"] == "Cc":
                assert child["recipients"] and all(isinstance(user_id, int) for user_id in child["recipients"])
    assert unique_events([{"ticket_events": sandbox.stream_truth("ticket_events")}]) == events
    # the members and their order as in the assembled sample (tests/fixtures/zendesk-samples/SOURCES.md)
    sample = "ticket_events_child_events.json"
    expected = {("Change", "status"): sample_keys(sample, "ticket_events", 0, "child_events", 1),
                ("Cc", "recipients"): sample_keys(sample, "ticket_events", 0, "child_events", 3),
                ("Notification", "subject"): sample_keys(sample, "ticket_events", 0, "child_events", 4),
                ("Create", "status"): sample_keys(sample, "ticket_events", 1, "child_events", 1)}
    seen = set()
    for child in (c for e in events for c in e["child_events"]):
        for (kind, member), keys in expected.items():
            if child["event_type"] == kind and member in child:
                assert list(child) == keys, child
                seen.add(kind)
    assert seen == {"Change", "Cc", "Notification", "Create"}


def test_ticket_events_crowded_second_never_loops():
    with SandboxProcess(tickets=20, seed=4, rate_limit=0, export_rate_limit=0) as server:
        ticket = next(t for t in server.truth(comments=False)["tickets"]
                      if t["status"] != "deleted" and t["_support_type_scope"] == "agent")
        server.change(grow={str(ticket["id"]): 25})
        server.advance_clock(61)
        grown = next(t for t in server.truth(comments=False)["tickets"] if t["id"] == ticket["id"])
        now = calendar.timegm(time.strptime(grown["updated_at"], "%Y-%m-%dT%H:%M:%SZ"))  # the change's stamp
        pages = walk_events(server, "per_page=10", now)
        assert [p["count"] for p in pages] == [25, 0] or [p["count"] for p in pages] == [25]
        first = pages[0]
        assert {e["timestamp"] for e in first["ticket_events"]} == {now}
        assert first["end_time"] == now + 1 and first["end_of_stream"] is False  # all of that second, then on
        # walked from earlier, the crowded second is one page of its own (longer than per_page)
        pages = walk_events(server, "per_page=10", now - 3600)
        crowded = [p for p in pages if any(e["timestamp"] == now for e in p["ticket_events"])]
        assert crowded[0]["count"] >= 25 and crowded[0]["end_time"] == now
        assert sum(e["timestamp"] == now for e in unique_events(pages)) == 25


def test_ticket_events_count_against_the_export_budget():
    with SandboxProcess(tickets=5, rate_limit=100, export_rate_limit=2) as server:
        url = f"{server.url}{EVENTS}?start_time=0"
        assert [get(url).status for _ in range(3)] == [200, 200, 429]  # the incremental export budget
        assert get(f"{server.url}{EXPORT}?start_time=0").status == 429  # shared with the ticket export
        log = server.requests_log()
        assert log["by_endpoint"] == {"incremental_ticket_events": 3, "incremental_tickets": 1}


def test_fault_rules_target_ticket_events(faults):
    faults.faults([{"endpoint": "incremental_ticket_events", "kind": "status", "status": 503, "count": 1}])
    assert get(f"{faults.url}{EXPORT}?start_time=0").status == 200  # another endpoint: not matched
    answer = get(f"{faults.url}{EVENTS}?start_time=0")
    assert answer.status == 503 and faults.fault_rules()[0]["fired"] == 1
    assert last_entry(faults)["fault"] == "status"
    assert get(f"{faults.url}{EVENTS}?start_time=0").status == 200


# ------------------------------------------------------------ hostile data on demand

def comments_walk(server: SandboxProcess, ticket_id: int) -> list[dict[str, Any]]:
    url = f"{server.url}/api/v2/tickets/{ticket_id}/comments.json?page[size]=100&include=users"
    comments = []
    while True:
        page = get(url).json
        comments += page["comments"]
        if not page["meta"]["has_more"]:
            return comments
        url = page["links"]["next"]


def refused(server: SandboxProcess, **ops: Any) -> str:
    with pytest.raises(SandboxError, match="400") as error:
        server.change(**ops)
    return str(error.value)


@pytest.fixture(scope="module")
def hostile():
    with SandboxProcess(tickets=30, seed=6, rate_limit=0, export_rate_limit=0) as server:
        yield server


def live_agent_tickets(server: SandboxProcess) -> list[dict[str, Any]]:
    return [t for t in server.truth(users=False)["tickets"]
            if t["status"] != "deleted" and t["_support_type_scope"] == "agent"]


def test_grow_to_the_5000_comment_cap(hostile):
    big, other = live_agent_tickets(hostile)[:2]
    stats = hostile.stats()
    now = hostile.advance_clock(0)
    assert hostile.change(grow={str(big["id"]): 5000 - len(big["comments"])})["changed"] == [big["id"]]
    assert hostile.stats()["max_comments_per_ticket"] == 5000
    for ops in ({"grow": {str(big["id"]): 1}}, {"add_comments": [big["id"]]}, {"huge_comment": [big["id"]]},
                {"odd": [big["id"]]}):
        assert "at most 5000" in refused(hostile, **ops)
    # all or nothing: a refused request changes no ticket
    assert "at most 5000" in refused(hostile, grow={str(other["id"]): 2}, add_comments=[big["id"]])
    for grow in ({"x": 1}, {str(other["id"]): 0}, {str(other["id"]): True}, [other["id"]], {"999999": 1}):
        refused(hostile, grow=grow)
    assert hostile.stats()["comments"] == stats["comments"] + 5000 - len(big["comments"])
    truth = next(t for t in hostile.truth(users=False)["tickets"] if t["id"] == big["id"])
    served = comments_walk(hostile, big["id"])
    assert served == truth["comments"] and len(served) == 5000 and served[:len(big["comments"])] == big["comments"]
    assert len({c["id"] for c in served}) == 5000
    assert {c["created_at"] for c in served[len(big["comments"]):]} == {truth["updated_at"]}
    assert calendar.timegm(time.strptime(truth["updated_at"], "%Y-%m-%dT%H:%M:%SZ")) >= now
    assert truth["generated_timestamp"] >= now


def test_huge_comment(hostile):
    ticket = live_agent_tickets(hostile)[2]
    hostile.change(huge_comment=[ticket["id"]])
    truth = next(t for t in hostile.truth(users=False)["tickets"] if t["id"] == ticket["id"])
    huge = truth["comments"][-1]
    assert truth["comments"][:-1] == ticket["comments"] and truth["updated_at"] >= ticket["updated_at"]
    for name in ("body", "html_body", "plain_body"):
        assert 900_000 < len(huge[name].encode()) < 1_300_000, name
    assert any(char in huge["body"] for char in XML_ILLEGAL) and "]]>" in huge["body"]
    assert comments_walk(hostile, ticket["id"]) == truth["comments"]
    hostile.advance_clock(61)
    events = unique_events(walk_events(hostile, "include=comment_events", hostile.advance_clock(0) - 200))
    (child,) = [c for e in events for c in e["child_events"] if c["id"] == huge["id"]]
    assert (child["body"], child["html_body"]) == (huge["body"], huge["html_body"])


def test_odd_shapes(hostile):
    ticket = live_agent_tickets(hostile)[3]
    hostile.change(odd=[ticket["id"]])
    hostile.advance_clock(61)
    truth = hostile.truth()
    odd = next(t for t in truth["tickets"] if t["id"] == ticket["id"])
    users = {u["id"] for u in truth["users"]}
    # the ticket: fields missing, unexpected types, people that do not exist
    assert not {"subject", "description", "via"} & set(odd) and "raw_subject" in odd
    assert isinstance(odd["tags"], str) and odd["collaborator_ids"] is None
    assert odd["requester_id"] not in users and isinstance(odd["requester_id"], int)
    assert isinstance(odd["assignee_id"], str) and int(odd["assignee_id"]) in users
    values = [f.get("value") for f in odd["custom_fields"]]
    assert any(isinstance(v, dict) for v in values) and any(isinstance(v, list) for v in values)
    assert any("id" not in f or isinstance(f["id"], str) for f in odd["custom_fields"])
    # exactly what the export serves, and the sideload skips what is nobody
    exported, pages = walk_export(hostile, "include=users&support_type_scope=all")
    assert next(t for t in exported if t["id"] == ticket["id"]) == {
        k: v for k, v in odd.items() if k not in ("comments", "_support_type_scope")}
    page = next(p for p in pages if any(t["id"] == ticket["id"] for t in p.json["tickets"]))
    assert all(isinstance(u["id"], int) and u["id"] in users for u in page.json["users"])
    # its comments: a null author, an author that is nobody, attachments null with deep metadata
    comments = odd["comments"]
    assert comments[:-3] == ticket["comments"]
    null, ghost, deep = comments[-3:]
    assert null["author_id"] is None and ghost["author_id"] not in users and isinstance(ghost["author_id"], int)
    assert deep["attachments"] is None and deep["created_at"] == ghost["created_at"] == null["created_at"]
    depth, value = 0, deep["metadata"]
    while isinstance(value, (dict, list)) and value:
        value = value[next(iter(value))] if isinstance(value, dict) and "custom" not in value else \
            value["custom"] if isinstance(value, dict) else value[0]
        depth += 1
    assert depth > 40
    assert {"", "x:y", "<b>", "1st"} <= {k for k in strings(deep["metadata"])}
    served = get(f"{hostile.url}/api/v2/tickets/{ticket['id']}/comments.json?page[size]=100&include=users").json
    assert served["comments"] == comments
    assert {u["id"] for u in served["users"]} <= users
    # and their ticket events
    events = unique_events(walk_events(hostile, "include=comment_events", hostile.advance_clock(0) - 200))
    audits = {e["id"]: e for e in events if e["ticket_id"] == ticket["id"]}
    assert audits[null["audit_id"]]["updater_id"] is None
    assert audits[ghost["audit_id"]]["updater_id"] == ghost["author_id"]
    assert audits[deep["audit_id"]]["child_events"][0]["attachments"] is None


def test_users_show_many_leaves_out_deleted_users_and_caps_at_100():
    with SandboxProcess(tickets=40, seed=9) as sandbox:
        users = sandbox.truth(comments=False)["users"]
        live = [u["id"] for u in users if not u["_deleted"]][:3]
        gone = [u["id"] for u in users if u["_deleted"]][:1]
        ids = ",".join(str(i) for i in live + gone + [1])
        request = urllib.request.Request(f"{sandbox.url}/api/v2/users/show_many.json?ids={ids}",
                                         headers={"Authorization": sandbox.basic_auth()})
        with urllib.request.urlopen(request) as response:
            page = json.loads(response.read())
        assert [u["id"] for u in page["users"]] == sorted(live) and page["count"] == len(live)
        truth_users = {u["id"]: u for u in users}
        for user in page["users"]:
            assert {k: v for k, v in truth_users[user["id"]].items() if k != "_deleted"} == user
        too_many = ",".join(str(i) for i in range(1, 102))
        request = urllib.request.Request(f"{sandbox.url}/api/v2/users/show_many.json?ids={too_many}",
                                         headers={"Authorization": sandbox.basic_auth()})
        try:
            urllib.request.urlopen(request)
            raise AssertionError("101 ids were accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 400


# ------------------------------------------------- users, organizations, groups, ticket fields

USERS_EXPORT = "/api/v2/incremental/users/cursor.json"
ORGANIZATIONS_EXPORT = "/api/v2/incremental/organizations.json"


def unix(timestamp: str) -> int:
    return calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))


def walk_users(server: SandboxProcess, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow after_url until end_of_stream; return users and pages."""
    users, pages = [], []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        pages.append(page.json)
        users += page.json["users"]
        if page.json["end_of_stream"]:
            return users, pages
        url = page.json["after_url"]


def walk_organizations(server: SandboxProcess, query: str, start_time: int = 0) -> list[dict[str, Any]]:
    """Follow next_page from ``start_time`` until end_of_stream; return the pages."""
    url, pages = f"{server.url}{ORGANIZATIONS_EXPORT}?start_time={start_time}&{query}", []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        pages.append(page.json)
        if page.json["end_of_stream"]:
            return pages
        assert len(pages) < 1000, "next_page loops"
        url = page.json["next_page"]


def unique_by_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without the repeats, each in its last version, in the order of their first appearance."""
    latest = {r["id"]: r for r in records}
    return [latest[i] for i in dict.fromkeys(r["id"] for r in records)]


def walk_list(url: str, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Follow links.next of a cursor-paginated list while meta.has_more; return records and pages."""
    records, pages = [], []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        pages.append(page.json)
        records += page.json[name]
        if not page.json["meta"]["has_more"]:
            return records, pages
        url = page.json["links"]["next"]


def test_users_export_walk_equals_truth(sandbox):
    truth = sandbox.stream_truth("users")
    users, pages = walk_users(sandbox, f"{sandbox.url}{USERS_EXPORT}?start_time=0&per_page=7")
    assert users == truth and len({u["id"] for u in users}) == len(users) == sandbox.stats()["users"]
    assert [(unix(u["updated_at"]), u["id"]) for u in users] == sorted((unix(u["updated_at"]), u["id"]) for u in users)
    first = pages[0]
    assert list(first) == sample_keys("incremental_users_cursor.json")
    live = next(u for u in users if u["active"])
    gone = next(u for u in users if not u["active"])
    assert list(live) == sample_keys("incremental_users_cursor.json", "users", 0)
    assert list(gone) == sample_keys("incremental_users_cursor.json", "users", 1)  # permanently_deleted last
    assert gone["email"] is None and gone["permanently_deleted"] is False
    assert {u["id"] for u in users if not u["active"]} == {u["id"] for u in sandbox.truth(comments=False)["users"]
                                                           if u["_deleted"]}
    assert first["before_url"] is None and first["before_cursor"] is None and len(first["users"]) == 7
    last = first["users"][-1]
    assert base64.b64decode(first["after_cursor"]).decode() == f"{unix(last['updated_at'])}.0||{last['id']}|"
    after = urlsplit(first["after_url"])
    assert after.path == USERS_EXPORT
    assert parse_qs(after.query) == {"cursor": [first["after_cursor"]], "per_page": ["7"]}
    # the cursor stays usable after end_of_stream: an empty page that keeps it
    end = pages[-1]
    again = get(end["after_url"]).json
    assert again["users"] == [] and again["end_of_stream"] is True and again["after_cursor"] == end["after_cursor"]
    # per_page defaults to 1000 and is capped at 1000
    assert len(get(f"{sandbox.url}{USERS_EXPORT}?start_time=0&per_page=5000").json["users"]) == len(truth)


def test_users_export_sees_users_of_every_ticket_sideload(sandbox):
    users = {u["id"]: u for u in sandbox.stream_truth("users")}
    _, pages = walk_export(sandbox, "include=users&support_type_scope=all&per_page=100")
    for page in pages:
        for user in page.json["users"]:
            assert users[user["id"]] == user  # one presenter everywhere


def test_organizations_export_repeats_the_end_time_second(sandbox):
    truth = sandbox.stream_truth("organizations")
    pages = walk_organizations(sandbox, "per_page=4")
    served = [o for p in pages for o in p["organizations"]]
    assert unique_by_id(served) == truth and len(truth) == sandbox.stats()["organizations"] >= 25
    # the repeat really happens: the records of each page's end_time second come again on the next page
    repeated = [o["id"] for o in served]
    assert len(repeated) > len(truth)
    for page, following in pairwise(pages):
        assert page["count"] == len(page["organizations"])
        stamps = [unix(o["updated_at"]) for o in page["organizations"]]
        assert stamps == sorted(stamps) and page["end_time"] in (stamps[-1], stamps[-1] + 1)
        next_url = urlsplit(page["next_page"])
        assert next_url.path == ORGANIZATIONS_EXPORT
        assert parse_qs(next_url.query) == {"per_page": ["4"], "start_time": [str(page["end_time"])]}
        if page["end_time"] == stamps[-1]:  # that second is served again
            again = [o["id"] for o in page["organizations"] if unix(o["updated_at"]) == page["end_time"]]
            assert [o["id"] for o in following["organizations"]][:len(again)] == again
        else:  # the page was the start_time second alone, complete, so the walk moves on
            assert set(stamps) == {stamps[0]} and len(stamps) >= 4
    # bulk-updated seconds make pages longer than per_page (the whole second comes at once)
    assert any(p["count"] > 4 for p in pages)
    bulk = max({unix(o["updated_at"]) for o in truth}, key=lambda s: sum(unix(o["updated_at"]) == s for o in truth))
    crowd = [o for o in truth if unix(o["updated_at"]) == bulk]
    assert len(crowd) >= 6
    alone = get(f"{sandbox.url}{ORGANIZATIONS_EXPORT}?start_time={bulk}&per_page=2").json
    assert alone["organizations"] == crowd and alone["end_time"] == bulk + 1 and alone["end_of_stream"] is False
    # shapes
    assert list(pages[0]) == sample_keys("incremental_organizations.json")
    assert list(truth[0]) == sample_keys("incremental_organizations.json", "organizations", 0)
    assert pages[-1]["end_of_stream"] is True and pages[-1]["count"] < 4
    whole = get(f"{sandbox.url}{ORGANIZATIONS_EXPORT}?start_time=0").json
    assert whole["organizations"] == truth and whole["end_of_stream"] is True and whole["count"] == len(truth)
    assert whole["end_time"] == unix(truth[-1]["updated_at"]) and "per_page" not in whole["next_page"]
    empty = get(f"{sandbox.url}{ORGANIZATIONS_EXPORT}?start_time={whole['end_time'] + 1}").json
    assert (empty["organizations"], empty["count"], empty["end_of_stream"], empty["end_time"]) == \
        ([], 0, True, whole["end_time"] + 1)


def test_organizations_are_hostile(sandbox):
    organizations = sandbox.stream_truth("organizations")
    deleted = [o for o in organizations if o["deleted_at"] is not None]
    assert deleted and all(o["name"].startswith(f"{o['id']}_deleted_") and o["deleted_at"] == o["updated_at"]
                           for o in deleted)
    live_names = [o["name"] for o in organizations if o["deleted_at"] is None]
    assert len(live_names) > len(set(live_names))  # two live organizations share a name
    keys = {k for o in organizations for k in o["organization_fields"]}
    assert {"1st_key", "ключ", "with space", "a:b", "xml<tag>"} <= keys
    values = {type(v) for o in organizations for v in o["organization_fields"].values()}
    assert values == {str, int, float, bool, type(None), list, dict}
    text = "\n".join(strings(organizations))
    for fragment in ("\x01", "\x0b", "\u2028", "\u202e", "\r\n"):
        assert fragment in text, repr(fragment)
    assert any(o["group_id"] == 70000000008 for o in organizations)  # points at the deleted group


def test_groups_list(sandbox):
    truth = sandbox.stream_truth("groups")
    assert [(g["name"], g["id"]) for g in truth] == sorted((g["name"], g["id"]) for g in truth)
    deleted = [g for g in truth if g["deleted"]]
    live = [g for g in truth if not g["deleted"]]
    assert len(deleted) == 1 and len(truth) == 8
    assert len({g["name"] for g in live}) < len(live)  # two groups share a name
    # cursor pagination: deleted groups only with exclude_deleted=false
    groups, pages = walk_list(f"{sandbox.url}/api/v2/groups.json?page[size]=2", "groups")
    assert groups == live and len(pages) == 4
    everything, _ = walk_list(f"{sandbox.url}/api/v2/groups.json?page[size]=3&exclude_deleted=false", "groups")
    assert everything == truth
    first = pages[0]
    assert list(first) == sample_keys("groups.json")
    assert list(first["groups"][0]) == sample_keys("groups.json", "groups", 0)
    assert list(first["meta"]) == sample_keys("groups.json", "meta") and list(first["links"]) == ["prev", "next"]
    assert "page%5Bafter%5D=" in first["links"]["next"] and "page%5Bsize%5D=2" in first["links"]["next"]
    assert json.loads(base64.b64decode(first["meta"]["after_cursor"]))["o"] == "name,id"
    # the last page has no more, and its prev link leads back
    back = get(pages[-1]["links"]["prev"]).json
    assert back["groups"] == pages[-2]["groups"]
    assert get(f"{sandbox.url}/api/v2/groups.json?page[size]=2&page[after]=garbage").status == 400
    assert len(get(f"{sandbox.url}/api/v2/groups.json?page[size]=500").json["groups"]) == len(live)
    # without page[size]: offset pagination
    offset = get(f"{sandbox.url}/api/v2/groups.json?per_page=3").json
    assert list(offset) == ["groups", "next_page", "previous_page", "count"]
    assert offset["groups"] == live[:3] and offset["count"] == len(live) and offset["previous_page"] is None
    second = get(offset["next_page"]).json
    assert second["groups"] == live[3:6]
    assert parse_qs(urlsplit(second["previous_page"]).query) == {"page": ["1"], "per_page": ["3"]}
    assert get(f"{sandbox.url}/api/v2/groups.json").json["groups"] == live


def test_ticket_fields_list(sandbox, truth):
    fields = sandbox.stream_truth("ticket_fields")
    assert [f["id"] for f in fields] == sorted(f["id"] for f in fields)
    walked, pages = walk_list(f"{sandbox.url}/api/v2/ticket_fields.json?page[size]=4", "ticket_fields")
    assert walked == fields and len(pages) == 4
    assert list(pages[0]) == sample_keys("ticket_fields.json")
    plain = sample_keys("ticket_fields.json", "ticket_fields", 0)
    assert all(list(f)[:len(plain)] == plain for f in fields)
    by_type = {f["type"]: f for f in fields}
    assert list(by_type["status"]) == sample_keys("ticket_fields.json", "ticket_fields", 1)
    assert list(by_type["tickettype"]) == sample_keys("ticket_fields.json", "ticket_fields", 2)
    assert list(by_type["tagger"]) == sample_keys("ticket_fields.json", "ticket_fields", 3)
    assert list(by_type["tagger"]["custom_field_options"][0]) == \
        sample_keys("ticket_fields.json", "ticket_fields", 3, "custom_field_options", 0)
    # no page[size]: every field, in position order
    unpaginated = get(f"{sandbox.url}/api/v2/ticket_fields.json").json
    assert list(unpaginated) == ["ticket_fields", "next_page", "previous_page", "count"]
    assert unpaginated["ticket_fields"] == sorted(fields, key=lambda f: (f["position"], f["id"]))
    assert unpaginated["ticket_fields"] != fields and unpaginated["count"] == len(fields)
    assert unpaginated["next_page"] is None and unpaginated["previous_page"] is None
    # custom fields: exactly the ids tickets carry, plus an inactive one no ticket uses
    used = {f["id"] for t in truth["tickets"] for f in t["custom_fields"]}
    custom = {f["id"]: f for f in fields if f["removable"] and f["id"] >= 360001234567}
    inactive = [i for i, f in custom.items() if not f["active"]]
    assert len(inactive) == 1 and set(custom) == used | set(inactive) and not used & set(inactive)
    titles = [f["title"] for f in custom.values()]
    assert len(titles) > len(set(titles))  # two custom fields share a title
    assert {"1. Priority", "Ticket <type> & more", "a:b"} <= set(titles)
    assert any(f["raw_title"].startswith("{{dc.") and f["title"] != f["raw_title"] for f in fields)
    assert any(ord(c) > 0x2000 for title in titles for c in title)


def test_ticket_export_sideloads_groups_and_organizations(sandbox, truth):
    groups = {g["id"]: g for g in sandbox.stream_truth("groups")}
    organizations = {o["id"]: o for o in sandbox.stream_truth("organizations")}
    tickets, pages = walk_export(sandbox, "include=users,groups,organizations&support_type_scope=all&per_page=25")
    assert tickets == [{k: v for k, v in t.items() if k not in ("comments", "_support_type_scope")}
                       for t in truth["tickets"]]
    assert list(pages[0].json)[-3:] == ["users", "groups", "organizations"]
    deleted_groups = {i for i, g in groups.items() if g["deleted"]}
    deleted_organizations = {i for i, o in organizations.items() if o["deleted_at"]}
    assert deleted_groups & {t["group_id"] for t in tickets}, "no ticket of the deleted group"
    assert deleted_organizations & {t["organization_id"] for t in tickets}, "no ticket of a deleted organization"
    for page in pages:
        page_tickets = page.json["tickets"]
        assert [g["id"] for g in page.json["groups"]] == sorted(
            {t["group_id"] for t in page_tickets if t["group_id"]} - deleted_groups)
        assert [o["id"] for o in page.json["organizations"]] == sorted(
            {t["organization_id"] for t in page_tickets if t["organization_id"]} - deleted_organizations)
        assert all(groups[g["id"]] == g for g in page.json["groups"])
        assert all(organizations[o["id"]] == o for o in page.json["organizations"])
    only_groups = get(f"{sandbox.url}{EXPORT}?start_time=0&per_page=5&include=groups").json
    assert "groups" in only_groups and "users" not in only_groups and "organizations" not in only_groups


def test_too_recent_start_time_and_bad_parameters_on_the_new_exports(sandbox):
    now = sandbox.advance_clock(0)
    for path in (USERS_EXPORT, ORGANIZATIONS_EXPORT):
        assert_too_recent_start_time_refused(sandbox, path, now)
        assert get(f"{sandbox.url}{path}?start_time={now - 60}").status == 200
        for query in ("", "start_time=yesterday", "start_time=0&per_page=x", "start_time=0&per_page=0"):
            answer = get(f"{sandbox.url}{path}?{query}")
            assert answer.status == 400 and set(answer.json) == {"error", "description"}, (path, query)
    for query in ("cursor=bm90IGEgY3Vyc29y", "cursor=%%%"):
        assert get(f"{sandbox.url}{USERS_EXPORT}?{query}").status == 400
    assert get(f"{sandbox.url}/api/v2/incremental/users/cursor?start_time=0&per_page=1").json["users"]
    assert get(f"{sandbox.url}/api/v2/incremental/organizations?start_time=0&per_page=1").json["count"] >= 1
    for path in (USERS_EXPORT, ORGANIZATIONS_EXPORT, "/api/v2/groups.json", "/api/v2/ticket_fields.json"):
        assert get(f"{sandbox.url}{path}?start_time=0", authorization=None).status == 401


def test_account_changes_and_resumed_exports():
    with SandboxProcess(tickets=60, seed=7, rate_limit=0, export_rate_limit=0) as server:
        before = {stream: server.stream_truth(stream)
                  for stream in ("users", "organizations", "groups", "ticket_fields")}
        stats = server.stats()
        users_end = walk_users(server, f"{server.url}{USERS_EXPORT}?start_time=0")[1][-1]
        organizations_end = walk_organizations(server, "")[-1]
        export = get(f"{server.url}{EXPORT}?start_time=0&include=users&support_type_scope=all").json
        ticket = next(t for t in export["tickets"]
                      if t["requester_id"] == t["submitter_id"] and t["status"] != "deleted")
        requester = ticket["requester_id"]  # a live end user whom tickets and comments sideload
        assert requester in {u["id"] for u in export["users"]}
        requesters = {t["requester_id"] for t in export["tickets"]}
        victim = next(u["id"] for u in before["users"]
                      if u["active"] and u["id"] != requester and u["role"] == "end-user" and u["id"] in requesters)
        live_organizations = [o["id"] for o in before["organizations"] if o["deleted_at"] is None]
        group = before["groups"][0]["id"]
        field = before["ticket_fields"][-2]["id"]
        # all or nothing
        inactive = [u["id"] for u in before["users"] if not u["active"]][:1]
        for ops in ({"users": {"update": [1]}}, {"users": {"delete": inactive}},
                    {"organizations": {"update": [live_organizations[0]], "merge": [1]}},
                    {"groups": {"delete": [group]}}, {"groups": {"update": [70000000008]}},
                    {"ticket_fields": {"update": [42]}}, {"users": {"create": -1}},
                    {"users": [1]}, {"projects": {"update": [1]}},
                    {"organizations": {"delete": [live_organizations[0]]}, "users": {"update": [2]}}):
            refused(server, **ops)
        assert server.stream_truth("organizations") == before["organizations"] and server.stats() == {
            **stats, "now": server.stats()["now"]}
        changed_at = server.stats()["now"]  # sandbox-now goes on in real time: the changes are stamped after this
        answer = server.change(users={"update": [requester], "create": 2, "delete": [victim]},
                               organizations={"update": live_organizations[:1], "create": 1,
                                              "delete": live_organizations[1:2]},
                               groups={"update": [group]}, ticket_fields={"update": [field]})
        new_users, new_organization = answer["users"]["created"], answer["organizations"]["created"]
        assert answer["changed"] == [] and answer["created"] == []
        assert answer["users"]["changed"] == [requester, victim] and len(new_users) == 2
        assert min(new_users) > max(u["id"] for u in before["users"])
        assert answer["organizations"]["changed"] == live_organizations[:2] and len(new_organization) == 1
        assert answer["groups"] == {"changed": [group], "created": []}
        assert answer["ticket_fields"] == {"changed": [field], "created": []}
        # not exported within the minute ...
        assert get(users_end["after_url"]).json["users"] == []
        assert get(organizations_end["next_page"]).json["organizations"] == \
            [o for o in before["organizations"] if unix(o["updated_at"]) == organizations_end["end_time"]]
        server.advance_clock(61)
        # ... then the resumed exports see exactly the changes
        users = {u["id"]: u for u in server.stream_truth("users")}
        resumed, _ = walk_users(server, users_end["after_url"])
        assert [u["id"] for u in resumed] == sorted([requester, victim, *new_users])  # one second: by id
        assert all(u == users[u["id"]] and unix(u["updated_at"]) >= changed_at for u in resumed)
        renamed = users[requester]
        assert renamed["name"] != next(u for u in before["users"] if u["id"] == requester)["name"] and renamed["active"]
        assert users[victim]["active"] is False and users[victim]["email"] is None
        assert users[victim]["permanently_deleted"] is False
        pages = walk_organizations(server, "", organizations_end["end_time"])
        fresh = [o for p in pages for o in p["organizations"] if unix(o["updated_at"]) > organizations_end["end_time"]]
        organizations = {o["id"]: o for o in server.stream_truth("organizations")}
        assert [o["id"] for o in fresh] == sorted([*live_organizations[:2], *new_organization])
        assert all(organizations[o["id"]] == o for o in fresh)
        gone = organizations[live_organizations[1]]
        assert gone["deleted_at"] == gone["updated_at"] and gone["name"].startswith(f"{gone['id']}_deleted_")
        assert server.stream_truth("groups") != before["groups"]
        assert next(g for g in server.stream_truth("groups") if g["id"] == group)["name"].startswith(
            before["groups"][0]["name"] + " ")
        changed_field = next(f for f in server.stream_truth("ticket_fields") if f["id"] == field)
        assert changed_field["title"] == changed_field["raw_title"] != before["ticket_fields"][-2]["title"]
        assert unix(changed_field["updated_at"]) >= changed_at
        # sideloads: the renamed user shows the new name, the deleted user and organization are gone
        export = get(f"{server.url}{EXPORT}?start_time=0&include=users,organizations&support_type_scope=all").json
        sideloaded = {u["id"]: u for u in export["users"]}
        assert sideloaded[requester] == renamed and victim not in sideloaded
        assert live_organizations[1] not in {o["id"] for o in export["organizations"]}
        assert {u["id"]: u for u in server.truth(comments=False)["users"]}[victim]["_deleted"] is True
        comments = get(f"{server.url}/api/v2/tickets/{ticket['id']}/comments.json?include=users").json
        assert {u["id"]: u for u in comments["users"]}[requester] == renamed  # the description's author
        show = get(f"{server.url}/api/v2/users/show_many.json?ids={requester},{victim},{new_users[0]}").json
        assert [u["id"] for u in show["users"]] == [requester, new_users[0]]
        after = server.stats()
        assert (after["users"], after["deleted_users"]) == (stats["users"] + 2, stats["deleted_users"] + 1)
        assert (after["organizations"], after["deleted_organizations"]) == (
            stats["organizations"] + 1, stats["deleted_organizations"] + 1)


def test_stats_count_every_stream(sandbox):
    stats = sandbox.stats()
    truths = {stream: sandbox.stream_truth(stream) for stream in ("users", "organizations", "groups", "ticket_fields")}
    assert stats["users"] == len(truths["users"]) and stats["deleted_users"] == sum(
        not u["active"] for u in truths["users"])
    assert stats["organizations"] == len(truths["organizations"]) == max(25, 300 // 20)
    assert stats["deleted_organizations"] == sum(o["deleted_at"] is not None for o in truths["organizations"]) >= 1
    assert (stats["groups"], stats["deleted_groups"]) == (8, 1)
    assert (stats["ticket_fields"], stats["inactive_ticket_fields"]) == (len(truths["ticket_fields"]), 1)
    missing = urllib.request.Request(f"{sandbox.url}/_sandbox/truth/projects")
    with pytest.raises(urllib.error.HTTPError) as error:
        OPENER.open(missing)
    assert error.value.code == 404


def test_account_streams_are_deterministic():
    clock, options = Clock(), Options(tickets=60, seed=5, epoch=1_700_000_000)
    one, two = Dataset(options, clock), Dataset(options, clock)
    other = Dataset(Options(tickets=60, seed=6, epoch=1_700_000_000), clock)
    for stream in ("users", "organizations", "groups", "ticket_fields"):
        a, b = json.loads(one.account.truth_json(stream)), json.loads(two.account.truth_json(stream))
        a.pop("now"), b.pop("now")  # when each was read, a second apart under load
        assert a == b
    assert json.loads(other.account.truth_json("organizations")) != json.loads(one.account.truth_json("organizations"))


def test_export_budget_headers_and_budgets_on_the_new_exports():
    """The user export has its own budget (twice the export limit); the organization export shares the tickets'."""
    with SandboxProcess(tickets=5, rate_limit=100, export_rate_limit=2, export_budget_header=True) as server:
        users = get(f"{server.url}{USERS_EXPORT}?start_time=0")
        organizations = get(f"{server.url}{ORGANIZATIONS_EXPORT}?start_time=0")
        assert users.headers["Zendesk-RateLimit-incremental-exports-cursor"].startswith("total=4; remaining=3;")
        assert organizations.headers["Zendesk-RateLimit-incremental-exports"].startswith("total=2; remaining=1;")
        for path in ("/api/v2/groups.json", "/api/v2/ticket_fields.json"):
            answer = get(f"{server.url}{path}")
            assert answer.status == 200 and not any(k.lower().startswith("zendesk-ratelimit") for k in answer.headers)
        assert get(f"{server.url}{EXPORT}?start_time=0").status == 200  # the second of the shared export budget
        assert [get(f"{server.url}{p}?start_time=0").status for p in (ORGANIZATIONS_EXPORT, EXPORT)] == [429, 429]
        assert [get(f"{server.url}{USERS_EXPORT}?start_time=0").status for _ in range(4)] == [200, 200, 200, 429]
        assert get(f"{server.url}/api/v2/groups.json").status == 200  # not an export
        log = server.requests_log()
        assert log["by_endpoint"] == {"incremental_users": 5, "incremental_organizations": 2, "groups": 2,
                                      "ticket_fields": 1, "incremental_tickets": 2}


@pytest.mark.parametrize("endpoint,target", [
    ("incremental_users", USERS_EXPORT + "?start_time=0"),
    ("incremental_organizations", ORGANIZATIONS_EXPORT + "?start_time=0"),
    ("groups", "/api/v2/groups.json?page[size]=2"),
    ("ticket_fields", "/api/v2/ticket_fields.json"),
])
def test_fault_rules_target_the_new_endpoints(faults, endpoint, target):
    faults.faults([{"endpoint": endpoint, "kind": "status", "status": 503, "count": 1}])
    assert get(f"{faults.url}{EXPORT}?start_time=0").status == 200  # another endpoint: not matched
    assert get(f"{faults.url}{target}").status == 503
    assert faults.fault_rules()[0]["fired"] == 1 and last_entry(faults)["fault"] == "status"
    assert get(f"{faults.url}{target}").status == 200
    faults.faults([{"endpoint": endpoint, "kind": "garbage", "count": 1}])
    with pytest.raises(ValueError):  # 200 application/json, cut in half
        get(f"{faults.url}{target}")
    assert faults.fault_rules()[0]["fired"] == 1


# ------------------------------------------------------------ attachments, voice recordings and the content host

MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "application/pdf": b"%PDF-",
         "application/zip": b"PK\x03\x04", "audio/mpeg": b"ID3"}


def fetch(url: str, authorization: str | None = BASIC, method: str = "GET", **headers: str) -> Answer:
    """One request, redirects not followed (``get`` follows them, keeping the Authorization header)."""
    parts = urlsplit(url)
    if authorization:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def download(url: str) -> tuple[Answer, Answer]:
    """The account host's redirect (with credentials) and the content host's answer (without any)."""
    redirect = fetch(url)
    assert redirect.status == 302, (url, redirect.status, redirect.raw[:200])
    return redirect, fetch(redirect.headers["Location"], authorization=None)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def files():
    """A small sandbox for downloads (faults, changes and clock moves happen here)."""
    with SandboxProcess(tickets=60, seed=11, rate_limit=0, export_rate_limit=0) as server:
        yield server


@pytest.mark.parametrize("seed", [1, 11, 31])
def test_attachment_edge_cases_exist_in_a_60_ticket_sandbox(seed):
    dataset = Dataset(Options(tickets=60, seed=seed, epoch=1_700_000_000), Clock())
    entries = json.loads(dataset.attachments_truth_json())["attachments"]
    files_ = [e for e in entries if e["kind"] == "attachment"]
    assert len({e["attachment_id"] for e in entries}) == len(entries)
    assert any(e["deleted"] and e["why_not"] == "deleted" for e in files_)
    assert any(e["why_not"] == "malware_found" and not e["malware_access_override"] for e in files_)
    assert any(e["malware_scan_result"] == "malware_found" and e["malware_access_override"] and e["servable"]
               for e in files_)
    assert {"malware_not_found", "malware_found", "not_scanned", "failed_to_scan"} <= {
        e["malware_scan_result"] for e in files_}
    assert any(e["file_name"] == "redacted.txt" and e["size"] == 0 for e in files_)
    assert sum(1_000_000 <= e["size"] <= 3_000_000 for e in files_) >= 3
    assert any(e["inline"] for e in files_) and any(not e["inline"] for e in files_)
    names = {e["file_name"] for e in files_}
    assert {"../../etc/passwd", "2024/05/report.csv", "😀.png", "a?b=c&d#e%2F..%2Fx.txt"} <= names
    assert any(len(name.encode()) > 255 for name in names) and any(" " in name for name in names)
    assert {"image/png", "image/jpeg", "application/pdf", "text/csv", "text/plain", "application/zip",
            "audio/mpeg"} <= {e["content_type"] for e in entries}
    # shared bytes: the signature logo on many comments, the same PDF on several tickets; ids stay distinct
    by_sha: dict[str, list[dict[str, Any]]] = {}
    for entry in files_:
        by_sha.setdefault(entry["sha256"], []).append(entry)
    logo = max(by_sha.values(), key=len)
    assert len(logo) >= 10 and all(e["inline"] and e["file_name"] == "image001.png" for e in logo)
    assert any(len({e["ticket_id"] for e in group}) >= 2 and group[0]["content_type"] == "application/pdf"
               for group in by_sha.values())
    # a comment with two distinct files of the same name
    same = [e for e in files_ if e["file_name"] == "same name.pdf"]
    assert len({e["comment_id"] for e in same}) < len(same) and len({e["sha256"] for e in same}) == 2
    # voice comments: with recordings (some voicemails), and without (recording_url null or absent)
    voice = [json.loads(c.json) for state in dataset._states.values() if not state.deleted
             for c in dataset.generator.comments.of_ticket(state) if c.type == "VoiceComment"]
    assert any(v["data"].get("recording_url") for v in voice)
    assert any("recording_url" in v["data"] and v["data"]["recording_url"] is None for v in voice)
    assert any("recording_url" not in v["data"] for v in voice)
    assert any("transcription_text" in v["data"] and "answered_by_id" not in v["data"] for v in voice)
    assert sum(e["kind"] == "recording" for e in entries) == sum(bool(v["data"].get("recording_url")) for v in voice)
    # the bytes: exactly `size` of them, the right magic bytes, the same sha256
    catalog = dataset.generator.catalog
    for key in range(len(catalog)):
        spec, data = catalog.spec(key), catalog.content(key)
        assert len(data) == spec.size and catalog.digest(key) == sha256(data)
        assert data.startswith(MAGIC.get(spec.content_type, b"")), spec
        if spec.content_type == "image/png":
            assert struct.unpack(">II", data[16:24]) == (spec.width, spec.height)


def test_attachment_objects_and_urls(files):
    entries = files.attachments_truth()
    account, content = urlsplit(files.url), urlsplit(files.content_url)
    assert content.hostname == "127.0.0.2" and account.hostname == "127.0.0.1" and content.port != account.port
    ticket = next(t for t in files.truth(users=False)["tickets"] if t["status"] != "deleted" and any(
        a for c in t["comments"] for a in c["attachments"]))
    attachment = next(a for c in ticket["comments"] for a in c["attachments"])
    assert list(attachment) == sample_keys("ticket_comments_attachments.json", "comments", 0, "attachments", 0)
    entry = next(e for e in entries if e["attachment_id"] == attachment["id"])
    assert attachment["content_url"] == attachment["mapped_content_url"] == entry["url"]
    assert attachment["url"] == f"{files.url}/api/v2/attachments/{attachment['id']}.json"
    assert (attachment["file_name"], attachment["size"], attachment["content_type"]) == (
        entry["file_name"], entry["size"], entry["content_type"])
    for entry in entries:
        url = urlsplit(entry["url"])
        assert url.netloc == account.netloc
        if entry["kind"] == "attachment":
            token = url.path.split("/")[3]
            assert url.path == f"/attachments/token/{token}/" and len(token) == 25 and token.isalnum()
            assert url.query == "name=" + quote(entry["file_name"], safe="")
    # the same seed gives the same URLs, another seed other ones
    def urls(seed: int) -> list[str]:
        dataset = Dataset(Options(tickets=60, seed=seed, epoch=1_700_000_000, base_url=files.url), Clock())
        return [e["url"] for e in json.loads(dataset.attachments_truth_json())["attachments"]]

    assert urls(11) == urls(11) and not set(urls(11)) & set(urls(12))


def test_downloads_redirect_to_the_content_host_and_match_the_truth(files):
    entries = [e for e in files.attachments_truth() if e["servable"]]
    chosen: dict[tuple[str, bool], dict[str, Any]] = {}
    for entry in entries:
        chosen.setdefault((entry["content_type"], entry["size"] > 1_000_000), entry)
    chosen.update({("empty", False): next(e for e in entries if e["size"] == 0),
                   ("override", False): next(e for e in entries if e["malware_scan_result"] == "malware_found")})
    assert len(chosen) >= 10
    for entry in chosen.values():
        redirect, answer = download(entry["url"])
        location = urlsplit(redirect.headers["Location"])
        assert f"{location.scheme}://{location.netloc}" == files.content_url
        assert location.path.startswith("/attachment/") and "token" in parse_qs(location.query)
        assert answer.status == 200, (entry, answer.raw[:200])
        assert answer.headers["Content-Type"] == entry["content_type"]
        assert int(answer.headers["Content-Length"]) == entry["size"] == len(answer.raw)
        assert sha256(answer.raw) == entry["sha256"], entry
        assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
        assert quote(entry["file_name"], safe="") in answer.headers["Content-Disposition"]
    # files are never gzipped; HEAD answers the headers alone
    big = next(e for e in chosen.values() if e["content_type"] == "text/plain" and e["size"] > 1_000_000)
    redirect = fetch(big["url"])
    zipped = fetch(redirect.headers["Location"], authorization=None, **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in zipped.headers and sha256(zipped.raw) == big["sha256"]
    head = fetch(redirect.headers["Location"], authorization=None, method="HEAD")
    assert head.status == 200 and int(head.headers["Content-Length"]) == big["size"] and head.raw == b""


def test_shared_files_are_byte_identical_across_attachments(files):
    entries = [e for e in files.attachments_truth() if e["servable"] and e["kind"] == "attachment"]
    logo = [e for e in entries if e["file_name"] == "image001.png"]
    pdf = next(group for group in ([e for e in entries if e["sha256"] == sha] for sha in {e["sha256"] for e in entries})
               if len({e["ticket_id"] for e in group}) >= 2 and group[0]["content_type"] == "application/pdf")
    for group in (logo[:3], pdf[:3]):
        assert len(group) >= 2
        assert len({e["attachment_id"] for e in group}) == len({e["url"] for e in group}) == len(group)
        bodies = {download(e["url"])[1].raw for e in group}
        assert len(bodies) == 1 and sha256(bodies.pop()) == group[0]["sha256"]


def test_the_content_host_takes_no_credentials_the_account_host_requires_them(files):
    entry = next(e for e in files.attachments_truth() if e["servable"] and e["size"] > 0)
    start = files.requests_log()["count"]
    refused = fetch(entry["url"], authorization=None)
    assert refused.status == 401 and refused.json == {"error": "Couldn't authenticate you"}
    assert refused.headers["WWW-Authenticate"] == 'Basic realm="Web Password"'
    wrong = "Basic " + base64.b64encode(f"{DEFAULT_EMAIL}/token:wrong".encode()).decode()
    assert fetch(entry["url"], authorization=wrong).status == 401
    assert fetch(entry["url"], authorization=f"Bearer {DEFAULT_OAUTH_TOKEN}").status == 302
    redirect, answer = download(entry["url"])
    location = redirect.headers["Location"]
    assert answer.status == 200 and sha256(answer.raw) == entry["sha256"]
    # a client that sends its credentials to the content host is refused (a signed URL takes none)
    leaked = fetch(location, authorization=BASIC)
    assert leaked.status == 403 and leaked.raw != answer.raw
    # no rate limit on downloads: no rate-limit headers, nothing charged
    assert "X-Rate-Limit" not in redirect.headers and "X-Rate-Limit" not in answer.headers
    # the log: every request, the host it came to and whether it carried an Authorization header
    log = files.requests_log(since=start)["log"]
    account, content = urlsplit(files.url).netloc, urlsplit(files.content_url).netloc
    assert [(e["host"], e["authorization"], e["status"]) for e in log] == [
        (account, False, 401), (account, True, 401), (account, True, 302), (account, True, 302),
        (content, False, 200), (content, True, 403)]
    assert [e["auth"] for e in log] == [None, "basic", "bearer", "basic", None, "basic"]
    assert files.requests_log(since=start)["by_endpoint"]["attachment_content"] >= 2
    assert not any(e["authorization"] for e in log if e["host"] == content and e["status"] == 200)
    # forged, foreign and expired tokens
    parts = urlsplit(location)
    other = next(e for e in files.attachments_truth() if e["servable"] and e["url"] != entry["url"])
    other_location = urlsplit(fetch(other["url"]).headers["Location"])
    for path, query in ((parts.path, "token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0..x.y.z"),
                        (parts.path, ""), (parts.path, other_location.query), (other_location.path, parts.query)):
        assert fetch(f"{files.content_url}{path}?{query}", authorization=None).status == 403, (path, query)
    assert fetch(f"{files.content_url}/attachment/1/{parts.path.split('/')[-1]}?{parts.query}",
                 authorization=None).status == 404
    assert fetch(f"{files.content_url}/_sandbox/truth", authorization=None).status == 404
    assert fetch(f"{files.url}/attachments/token/0123456789abcABCDEFGHIJKL/?name=x.png").status == 404
    assert fetch(f"{files.content_url}{parts.path}?{parts.query}", authorization=None).status == 200
    files.advance_clock(601)  # signed URLs expire ten minutes after the redirect
    assert fetch(f"{files.content_url}{parts.path}?{parts.query}", authorization=None).status == 403
    assert download(entry["url"])[1].status == 200  # a fresh redirect works again


def test_deleted_and_malware_attachments_are_not_served(files):
    entries = files.attachments_truth()
    deleted = next(e for e in entries if e["why_not"] == "deleted")
    gone = fetch(deleted["url"])
    assert gone.status == 404 and gone.headers["Content-Type"].startswith("text/html")
    blocked = next(e for e in entries if e["why_not"] == "malware_found")
    redirect = fetch(blocked["url"])
    location = redirect.headers["Location"]
    assert redirect.status == 302 and location.startswith(files.url + "/attachments/token/")
    page = fetch(location)  # a page that says so, on the account host: never the file
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"malicious" in page.raw and sha256(page.raw) != blocked["sha256"]
    allowed = next(e for e in entries if e["malware_scan_result"] == "malware_found" and e["servable"])
    assert sha256(download(allowed["url"])[1].raw) == allowed["sha256"]
    # the blocked page exists for blocked attachments only
    servable = next(e for e in entries if e["servable"] and e["kind"] == "attachment")
    assert fetch(urlsplit(servable["url"])._replace(query="").geturl() + "malware_detected").status == 404


def test_inline_images_only_with_include_inline_images(files):
    entries = files.attachments_truth()
    inline = {e["attachment_id"]: e for e in entries if e["inline"]}
    ticket = next(e["ticket_id"] for e in entries if e["inline"])
    plain = get(f"{files.url}{comments_target(ticket)}").json["comments"]
    both = get(f"{files.url}{comments_target(ticket)}&include_inline_images=true").json["comments"]
    truth = next(t for t in files.truth(users=False)["tickets"] if t["id"] == ticket)["comments"]
    assert plain == truth  # the truth's comments are the default answer
    assert [c["id"] for c in plain] == [c["id"] for c in both]
    seen_inline = 0
    for default, with_inline in zip(plain, both, strict=True):
        assert {k: v for k, v in default.items() if k != "attachments"} == \
               {k: v for k, v in with_inline.items() if k != "attachments"}
        assert not any(a["inline"] for a in default["attachments"])
        assert [a for a in with_inline["attachments"] if not a["inline"]] == default["attachments"]
        for attachment in with_inline["attachments"]:
            if attachment["inline"]:
                seen_inline += 1
                assert attachment["id"] in inline
                assert f'<img src="{attachment["content_url"]}">' in default["html_body"]  # referenced either way
    assert seen_inline
    assert get(f"{files.url}/api/v2/tickets/{ticket}/comments.json?include_inline_images=false").json["comments"] == \
           get(f"{files.url}/api/v2/tickets/{ticket}/comments.json").json["comments"]
    # offset pagination keeps the parameter in its links
    paged = get(f"{files.url}/api/v2/tickets/{ticket}/comments.json?per_page=1&include_inline_images=true").json
    assert paged["next_page"] is None or "include_inline_images=true" in paged["next_page"]


def test_voice_recordings_redirect_like_attachments_and_count_as_api_requests(files):
    entries = files.attachments_truth()
    recording = next(e for e in entries if e["kind"] == "recording")
    assert recording["content_type"] == "audio/mpeg" and recording["url"].startswith(
        f"{files.url}/api/v2/channels/voice/calls/CA") and recording["url"].endswith("/twilio/call/recording")
    comment = next(c for t in files.truth(users=False)["tickets"] for c in t["comments"]
                   if c["id"] == recording["comment_id"])
    assert comment["type"] == "VoiceComment" and comment["data"]["recording_url"] == recording["url"]
    assert list(comment)[:-4] == sample_keys("ticket_comments_attachments.json", "comments", 1)[:-4]
    assert list(comment)[-4:] == ["data", "formatted_from", "formatted_to", "transcription_visible"]
    assert list(comment["data"])[:3] == ["from", "to", "recording_url"] and comment["via"]["channel"] == "voice"
    redirect, answer = download(recording["url"])
    assert redirect.headers["X-Rate-Limit"] == "700"  # an API request: charged to the account budget
    assert answer.status == 200 and answer.headers["Content-Type"] == "audio/mpeg"
    assert answer.raw.startswith(b"ID3") and sha256(answer.raw) == recording["sha256"]
    assert fetch(recording["url"], authorization=None).status == 401
    unknown = fetch(f"{files.url}/api/v2/channels/voice/calls/CA{'0' * 32}/twilio/call/recording")
    assert unknown.status == 404 and unknown.json == {"error": "RecordNotFound", "description": "Not found"}
    assert last_entry(files)["path"].endswith("/twilio/call/recording")
    assert files.requests_log()["by_endpoint"]["voice_recording"] >= 3


def test_fault_rules_target_downloads(files):
    entries = [e for e in files.attachments_truth() if e["servable"] and e["size"] > 1000]
    one, two = entries[0], entries[1]
    recording = next(e for e in files.attachments_truth() if e["kind"] == "recording")
    try:
        files.faults([{"endpoint": "attachment", "kind": "status", "status": 500, "count": -1,
                       "attachment_ids": [one["attachment_id"]]}])
        for _ in range(3):
            assert fetch(one["url"]).status == 500
        assert fetch(two["url"]).status == 302
        assert files.fault_rules()[0]["attachment_ids"] == [one["attachment_id"]]
        assert last_entry(files)["fault"] is None and files.fault_rules()[0]["fired"] == 3
        location = fetch(two["url"]).headers["Location"]
        files.faults([{"endpoint": "attachment_content", "kind": "truncate", "count": 1}])
        with pytest.raises(http.client.IncompleteRead):
            fetch(location, authorization=None)
        assert last_entry(files)["status"] == last_entry(files)["fault"] == "truncate"
        files.faults([{"endpoint": "attachment_content", "kind": "garbage", "count": 1,
                       "attachment_ids": [two["attachment_id"]]}])
        cut = fetch(location, authorization=None)
        assert cut.status == 200 and len(cut.raw) == two["size"] // 2 < two["size"]
        assert cut.headers["Content-Type"] == two["content_type"]
        assert sha256(fetch(location, authorization=None).raw) == two["sha256"]
        files.faults([{"endpoint": "voice_recording", "kind": "status", "status": 503, "count": 1,
                       "attachment_ids": [recording["attachment_id"]]}])
        assert fetch(recording["url"]).status == 503 and fetch(recording["url"]).status == 302
        # "any" means every API request, not the downloads
        files.faults([{"endpoint": "any", "kind": "status", "status": 500, "count": -1}])
        assert fetch(two["url"]).status == 302 and fetch(location, authorization=None).status == 200
        assert fetch(recording["url"]).status == 500
        for rule in ({"endpoint": "ticket_comments", "kind": "drop", "count": 1, "attachment_ids": [1]},
                     {"endpoint": "attachment", "kind": "drop", "count": 1, "attachment_ids": ["1"]},
                     {"endpoint": "attachment", "kind": "drop", "count": 1, "ticket_ids": [10001]}):
            with pytest.raises(SandboxError, match="400"):
                files.faults([rule])
    finally:
        files.faults([])


def test_add_comments_with_attachments(files):
    ticket = live_ids(files)[2]
    before = {e["attachment_id"] for e in files.attachments_truth()}
    known = {e["sha256"] for e in files.attachments_truth()}
    answer = files.change(add_comments=[{"id": ticket, "attachments": 4}, ticket])
    assert answer["changed"] == [ticket]
    added = [e for e in files.attachments_truth() if e["attachment_id"] not in before]
    mine = [e for e in added if e["comment_id"] == min(e["comment_id"] for e in added)]  # the first comment added
    assert len(mine) == 4 and all(e["ticket_id"] == ticket for e in mine)
    assert mine[0]["sha256"] not in known and all(e["sha256"] in known for e in mine[1:])  # new bytes, then shared
    assert [e["inline"] for e in mine] == [False, False, True, False]
    for entry in mine:
        assert sha256(download(entry["url"])[1].raw) == entry["sha256"]
    comments = get(f"{files.url}{comments_target(ticket)}&include_inline_images=true").json["comments"]
    listed = next(c for c in comments if c["id"] == mine[0]["comment_id"])
    assert [a["id"] for a in listed["attachments"]] == [e["attachment_id"] for e in mine]
    for bad in ({"id": ticket, "attachments": 0}, {"id": ticket, "attachments": 10}, {"id": ticket, "files": 1},
                {"id": 1, "attachments": 2}):
        with pytest.raises(SandboxError, match="400"):
            files.change(add_comments=[bad])


def test_a_content_host_that_cannot_be_bound_stops_the_start():
    server = SandboxProcess(tickets=5, content_host="192.0.2.1")  # TEST-NET-1: not an address of this machine
    with pytest.raises(SandboxError, match="cannot listen on the content host 192.0.2.1"):
        server.start()
    assert server._process is not None and server._process.returncode == 2


# ----------------------------------------------- search export, show_many, one person

SEARCH = "/api/v2/search/export.json"


def search_url(sandbox: SandboxProcess, query: str, size: int | None = None, **extra: str) -> str:
    params = {"query": query, "filter[type]": "ticket", **extra}
    if size is not None:
        params["page[size]"] = str(size)
    return f"{sandbox.url}{SEARCH}?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())


def walk_search(sandbox: SandboxProcess, query: str, size: int) -> list[dict[str, Any]]:
    url, results = search_url(sandbox, query, size), []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        assert len(page.json["results"]) <= size
        results += page.json["results"]
        if not page.json["meta"]["has_more"]:
            return results
        url = page.json["links"]["next"]


@pytest.mark.parametrize("query", ["status:open", "status<solved", "tags:vip", "created>2000-01-01",
                                   "requester:agent2@sandbox.example.com status>new", "cc:90000000003",
                                   "commenter:90000000003 status:closed", "printer", "nothing:here"])
def test_search_export_pages_equal_the_truth(sandbox, query):
    results = walk_search(sandbox, query, 7)
    assert [r["id"] for r in results] == sandbox.search_truth(query)
    assert all(r["result_type"] == "ticket" for r in results)
    keys = [(-calendar.timegm(time.strptime(r["created_at"], "%Y-%m-%dT%H:%M:%SZ")), r["id"]) for r in results]
    assert keys == sorted(keys)  # created_at descending, then id


def test_search_export_shape_matches_the_sample_and_the_export(sandbox, truth):
    page = get(search_url(sandbox, "status:open", 3))
    assert page.status == 200
    assert list(page.json) == sample_keys("search_export_tickets.json")
    assert list(page.json["meta"]) == sample_keys("search_export_tickets.json", "meta")
    assert list(page.json["links"]) == sample_keys("search_export_tickets.json", "links")
    assert page.json["facets"] is None and page.json["links"]["prev"] is None
    exported = {t["id"]: t for t in truth["tickets"]}
    for result in page.json["results"]:
        ticket = {k: v for k, v in exported[result["id"]].items() if k not in ("comments", "_support_type_scope")}
        assert result == {**ticket, "result_type": "ticket"}
    assert page.json["meta"]["has_more"] and page.json["links"]["next"]
    deleted = [t["id"] for t in truth["tickets"] if t["status"] == "deleted"]
    assert deleted and not set(deleted) & set(sandbox.search_truth("created>2000-01-01"))


def test_search_export_refuses_type_in_the_query_and_a_missing_filter(sandbox):
    refused = get(search_url(sandbox, "type:ticket status:open"))
    assert refused.status == 400 and refused.json["error"] == "InvalidSearchQuery"
    missing = get(f"{sandbox.url}{SEARCH}?query=status%3Aopen")
    assert missing.status == 400 and "filter[type]" in missing.json["description"]
    assert get(search_url(sandbox, "status:open", 1001)).status == 200  # capped at 1000


def test_search_export_cursor_expires_after_an_hour_and_has_its_own_budget():
    with SandboxProcess(tickets=30, seed=2, rate_limit=0, export_rate_limit=0, search_export_rate_limit=4) as server:
        first = get(search_url(server, "created>2000-01-01", 5))
        assert first.status == 200 and first.json["meta"]["has_more"]
        assert first.headers["Zendesk-RateLimit-search-export"].startswith("total=4; remaining=3;")
        server.advance_clock(3000)
        assert get(first.json["links"]["next"]).status == 200
        server.advance_clock(601)
        expired = get(first.json["links"]["next"])
        assert expired.status == 400 and expired.json["error"] == "InvalidPaginationParameter"
        assert "expired" in expired.json["description"]
        assert get(search_url(server, "status:open", 5)).status == 200  # the 4th of 4
        limited = get(search_url(server, "status:open", 5))
        assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["Zendesk-RateLimit-search-export"].startswith("total=4; remaining=0;")
        assert get(f"{server.url}/api/v2/tickets/show_many.json?ids=10001").status == 200  # other endpoints go on
        assert server.requests_log()["by_endpoint"]["search_export"] == 5


def test_tickets_show_many(sandbox, truth):
    exported = {t["id"]: t for t in truth["tickets"]}
    deleted = next(t["id"] for t in truth["tickets"] if t["status"] == "deleted")
    live = [t["id"] for t in truth["tickets"] if t["status"] != "deleted"][:5]
    answer = get(f"{sandbox.url}/api/v2/tickets/show_many.json?ids={','.join(map(str, live + [deleted, 1]))}")
    assert answer.status == 200
    assert [t["id"] for t in answer.json["tickets"]] == sorted(live)
    for ticket in answer.json["tickets"]:
        assert ticket == {k: v for k, v in exported[ticket["id"]].items()
                          if k not in ("comments", "_support_type_scope")}
    too_many = ",".join(str(10001 + i) for i in range(101))
    assert get(f"{sandbox.url}/api/v2/tickets/show_many.json?ids={too_many}").status == 400


def test_show_many_leaves_archived_tickets_out_and_the_ticket_endpoint_serves_them(sandbox, truth):
    archived = sandbox.archived_truth()
    tickets = {t["id"]: t for t in truth["tickets"]}
    assert archived and all(tickets[i]["status"] == "closed" for i in archived)
    ids = ",".join(map(str, archived[:5]))
    assert get(f"{sandbox.url}/api/v2/tickets/show_many.json?ids={ids}").json["tickets"] == []
    shown = get(f"{sandbox.url}/api/v2/tickets/{archived[0]}.json?include=users,groups,organizations")
    assert shown.status == 200 and list(shown.json)[0] == "ticket"
    assert shown.json["ticket"] == {k: v for k, v in tickets[archived[0]].items()
                                    if k not in ("comments", "_support_type_scope")}
    assert tickets[archived[0]]["requester_id"] in {u["id"] for u in shown.json["users"]}
    deleted = next(t["id"] for t in truth["tickets"] if t["status"] == "deleted")
    assert get(f"{sandbox.url}/api/v2/tickets/{deleted}.json").status == 404
    assert get(f"{sandbox.url}/api/v2/tickets/99999999.json").status == 404


def test_one_person_user_search_and_identities(sandbox, truth):
    person = sandbox.person_truth()
    uid, email = person["user_id"], person["email"]
    shown = get(f"{sandbox.url}/api/v2/users/{uid}.json")
    assert shown.status == 200 and list(shown.json) == ["user"] and shown.json["user"]["email"] == email
    assert shown.json["user"] == {k: v for k, v in next(u for u in truth["users"] if u["id"] == uid).items()
                                  if k != "_deleted"}
    missing = get(f"{sandbox.url}/api/v2/users/12345.json")
    assert missing.status == 404 and missing.json["error"] == "RecordNotFound"
    for query in (f"email:{email}", email, email.upper(), f"email:{email[:-1]}"):  # partial values match too
        found = get(f"{sandbox.url}/api/v2/users/search.json?query={quote(query)}")
        assert found.status == 200 and [u["id"] for u in found.json["users"]] == [uid], query
        assert list(found.json) == ["users", "next_page", "previous_page", "count"]
    identities = get(f"{sandbox.url}/api/v2/users/{uid}/identities.json")
    assert identities.status == 200 and identities.json["identities"] == person["identities"]
    assert list(identities.json) == sample_keys("user_identities.json")
    assert list(identities.json["identities"][0]) == sample_keys("user_identities.json", "identities", 0)
    primary = [i for i in identities.json["identities"] if i["primary"]]
    assert [(i["type"], i["value"]) for i in primary] == [("email", email)]
    cursor = get(f"{sandbox.url}/api/v2/users/{uid}/identities.json?page%5Bsize%5D=1")
    assert cursor.json["meta"]["has_more"] == (len(person["identities"]) > 1)


def walk_user_tickets(sandbox: SandboxProcess, user_id: int, relation: str, size: int) -> list[int]:
    url, ids = f"{sandbox.url}/api/v2/users/{user_id}/tickets/{relation}.json?page%5Bsize%5D={size}", []
    while True:
        page = get(url)
        assert page.status == 200, page.raw
        ids += [t["id"] for t in page.json["tickets"]]
        if not page.json["meta"]["has_more"]:
            return ids
        url = page.json["links"]["next"]


def test_person_ticket_lists_equal_the_truth(sandbox):
    person = sandbox.person_truth()
    uid = person["user_id"]
    for relation in ("requested", "ccd", "followed"):
        assert person[relation], relation
        assert walk_user_tickets(sandbox, uid, relation, 5) == person[relation]
    assert len(person["followed"]) > 100 and person["commented"] and person["archived"]
    assert set(person["archived"]) <= set(person["requested"]) | set(person["ccd"]) | set(person["followed"]) \
        | set(person["commented"])
    first = get(f"{sandbox.url}/api/v2/users/{uid}/tickets/followed.json")
    assert first.json["count"] == len(person["followed"]) and len(first.json["tickets"]) == 100
    assert first.json["next_page"]
    second = get(first.json["next_page"])
    assert [t["id"] for t in first.json["tickets"] + second.json["tickets"]] == person["followed"][:200]
    archived = set(person["archived"])
    kept = get(f"{sandbox.url}/api/v2/users/{uid}/tickets/followed.json?exclude_archived=true&per_page=100&page=1")
    assert not archived & {t["id"] for t in kept.json["tickets"]}
    assert get(f"{sandbox.url}/api/v2/users/12345/tickets/requested.json").status == 404
    commented = set(sandbox.search_truth(f"commenter:{uid}"))
    assert commented == set(person["commented"])


def test_new_endpoints_take_fault_rules(faults):
    faults.faults([{"endpoint": "search_export", "kind": "status", "status": 503, "count": 1},
                   {"endpoint": "user_tickets_followed", "kind": "status", "status": 500, "count": 1}])
    assert get(search_url(faults, "status:open")).status == 503
    assert get(search_url(faults, "status:open")).status == 200
    uid = faults.person_truth()["user_id"]
    assert get(f"{faults.url}/api/v2/users/{uid}/tickets/followed.json").status == 500
    assert get(f"{faults.url}/api/v2/users/{uid}/tickets/followed.json").status == 200


def no_cursor_targets(server: SandboxProcess) -> dict[str, str]:
    """A paginated request per endpoint a ``no_cursor`` rule takes, each asking for pages (cursor ones by size)."""
    uid = server.person_truth()["user_id"]
    users = f"/api/v2/users/{uid}"
    return {
        "ticket_comments": comments_target(live_ids(server)[0]),
        "groups": "/api/v2/groups.json?page[size]=2",
        "ticket_fields": "/api/v2/ticket_fields.json?page[size]=3",
        "search_export": search_url(server, "status:open", size=2)[len(server.url):],
        "user_identities": f"{users}/identities.json?page[size]=1",
        "user_tickets_requested": f"{users}/tickets/requested.json?page[size]=1",
        "user_tickets_ccd": f"{users}/tickets/ccd.json?page[size]=1",
        "user_tickets_followed": f"{users}/tickets/followed.json?page[size]=1",
        "incremental_tickets": f"{EXPORT}?start_time=0&per_page=5",
        "incremental_users": f"{USERS_EXPORT}?start_time=0&per_page=5",
        "incremental_ticket_events": f"{EVENTS}?start_time=0&per_page=5",
        "incremental_organizations": f"{ORGANIZATIONS_EXPORT}?start_time=0&per_page=5",
    }


def test_fault_no_cursor_says_there_is_more_but_gives_no_way_to_it(faults):
    for endpoint, target in no_cursor_targets(faults).items():
        real = get(f"{faults.url}{target}")
        assert real.status == 200, endpoint
        faults.faults([{"endpoint": endpoint, "kind": "no_cursor", "count": 1}])
        hostile = get(f"{faults.url}{target}")
        assert hostile.status == 200 and hostile.headers["Content-Type"] == "application/json; charset=utf-8"
        assert (last_entry(faults)["status"], last_entry(faults)["fault"]) == (200, "no_cursor")
        expected = json.loads(real.raw)
        if "meta" in expected:  # cursor pagination
            expected["meta"].update(has_more=True, after_cursor=None)
            expected["links"]["next"] = None
        elif "after_url" in expected:  # the cursor exports
            expected.update(end_of_stream=False, after_url=None, after_cursor=None)
        else:  # the time-based exports
            expected.update(end_of_stream=False, next_page=None, end_time=None)
        assert hostile.json == expected, endpoint  # the same records, nothing else changed
        assert list(hostile.json) == list(expected), endpoint  # members in the same order
        assert get(f"{faults.url}{target}").json == real.json, endpoint  # spent: the real page again


def test_fault_no_cursor_targets_one_ticket_and_passes_other_answers_unchanged(faults):
    one, two = live_ids(faults)[:2]
    offset = f"{faults.url}/api/v2/tickets/{one}/comments.json"  # an offset page: no cursor to take away
    groups = f"{faults.url}/api/v2/groups.json"
    real_offset, real_groups = get(offset).raw, get(groups).raw
    faults.faults([{"endpoint": "ticket_comments", "kind": "no_cursor", "count": -1, "ticket_ids": [one]}])
    assert get(f"{faults.url}{comments_target(one)}").json["links"]["next"] is None
    assert get(f"{faults.url}{comments_target(two)}").json["meta"]["after_cursor"] is not None  # not matched
    assert get(offset).raw == real_offset
    faults.faults([{"endpoint": "any", "kind": "no_cursor", "count": -1}])
    assert get(f"{groups}?page[size]=2").json["meta"]["has_more"] is True
    assert get(groups).raw == real_groups
    assert get(f"{faults.url}/api/v2/tickets/1/comments.json?page[size]=5").status == 404  # an error, unchanged
    assert faults.fault_rules()[0]["fired"] == 3
    for endpoint in ("users_search", "users_show_many", "tickets_show_many", "ticket", "attachment"):
        with pytest.raises(SandboxError, match="400"):
            faults.faults([{"endpoint": endpoint, "kind": "no_cursor", "count": 1}])


def test_a_feature_switched_off_answers_as_zendesk_does(monkeypatch):
    monkeypatch.setitem(features.ENDPOINT_FEATURES, "help_center_articles", features.HELP_CENTER)
    monkeypatch.setitem(features.ENDPOINT_FEATURES, "sla_policies", features.SLA_POLICIES)
    assert features.missing_feature("help_center_articles", frozenset()) is None
    assert features.missing_feature("groups", frozenset(features.FEATURES)) is None
    status, body = features.missing_feature("help_center_articles", features.parse_without("help_center"))
    assert (status, json.loads(body)) == (404, {"error": "RecordNotFound", "description": "Not found"})
    status, body = features.missing_feature("sla_policies", features.parse_without("sla_policies, help_center"))
    assert status == 403 and json.loads(body)["error"]["title"] == "Forbidden"
    assert json.loads(body)["error"]["message"].startswith("You do not have access to this page.")
    with pytest.raises(ValueError, match="unknown feature"):
        features.parse_without("help_centre")
