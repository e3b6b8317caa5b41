"""Rate limits against the real crawler: pacing from the sandbox's headers, 429 pauses, a share of the budget.

Each test runs ``scrapy crawl zendesk`` as a process against a rate-limited sandbox and
checks the export against the sandbox's ground truth.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

import pytest

from tests.support.crawl import run_crawl
from tests.support.truth import assert_matches_truth
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow


def test_rate_limited_sandbox_sees_almost_no_429s(tmp_path):
    # A "minute" of 3 s and 120 requests per minute: the crawler must pace itself from the headers.
    # (Windows of a few seconds, not one: on a loaded machine a request can leave a good part of
    # a second after the crawler let it go, which a real 60-second window does not notice.)
    with SandboxProcess(tickets=200, seed=11, rate_limit=120, export_rate_limit=0, time_scale=20) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="3")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["count"] > 150
        assert log["statuses"].get("429", 0) <= 0.01 * log["count"], log["statuses"]
        assert_matches_truth(result.json_records(), sandbox.truth())


def test_pacing_follows_the_announced_windows_it_was_not_told_about(tmp_path):
    # 4-second windows of 40 requests; the crawler keeps its default 60-second assumption. Before
    # the headers were authoritative it sent 40 requests, then waited out its own minute.
    with SandboxProcess(tickets=150, seed=16, rate_limit=40, export_rate_limit=0, time_scale=15) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["statuses"].get("429", 0) == 0, log["statuses"]
        assert log["count"] > 3 * 40  # the run needs several windows
        # The sandbox's windows (its own accounting) that saw requests: waiting for each announced reset leaves
        # none empty; waiting out a 60-second minute would leave 14 in a row empty. One empty window is a stalled
        # machine, not the crawler.
        windows = sorted({e["window"] for e in log["log"]})
        assert max(later - earlier for earlier, later in pairwise(windows)) <= 2, windows
        # Time held back, not a sum over the waiting requests: never more than the windows the run spanned (4 s).
        paced = stat(result.stderr, "zendesk/rate_limit_paced_seconds")
        assert paced <= (windows[-1] - windows[0] + 1) * 4.0
        assert_matches_truth(result.json_records(), sandbox.truth())


def test_429_pauses_every_request_for_retry_after(tmp_path):
    # The sandbox answers 429 with Retry-After: 2 to the 30th comments request, whatever the timing.
    with SandboxProcess(tickets=80, seed=12, rate_limit=0, export_rate_limit=0, latency_ms=5) as sandbox:
        sandbox.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 429, "retry_after": 2,
                         "count": 1, "every": 30}])
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0")
        assert result.returncode == 0, result.stderr[-3000:]
        entries = sandbox.requests_log()["log"]
        (rejected,) = [i for i, e in enumerate(entries) if e["status"] == 429]
        retried = [e for e in entries[rejected + 1:] if (e["path"], e["query"]) == (entries[rejected]["path"],
                                                                                    entries[rejected]["query"])]
        assert [e["status"] for e in retried] == [200]  # the rejected request was sent again, once
        # One pause, of every request (not of one export budget), for the Retry-After the answer gave; that the
        # requests wait while it lasts is tests/unit/test_ratelimit_middleware.py's.
        assert result.stderr.count("Pausing all requests for 2.0 s: 429 Too Many Requests") == 1
        assert "Pausing the requests of" not in result.stderr
        assert stat(result.stderr, "zendesk/rate_limited_429") == 1
        assert_matches_truth(result.json_records(), sandbox.truth())


@pytest.mark.parametrize("env, allowed, others", [
    ({"ZENDESK_RATE_LIMIT_SHARE": "0.5"}, 60, 0),         # half of the 120 the headers announce
    ({"ZENDESK_RATE_LIMIT_SHARE": "0.5"}, 60, 60),        # ... while another integration spends the other half
    ({"ZENDESK_MAX_REQUESTS_PER_MINUTE": "40"}, 40, 0),   # a hard cap below the budget
])
def test_crawler_uses_only_its_share_of_the_budget(tmp_path, env, allowed, others):
    with SandboxProcess(tickets=150, seed=15, rate_limit=120, export_rate_limit=0, time_scale=20,
                        other_usage=others) as sandbox:
        result = run_crawl(sandbox.url, tmp_path, "-a", "start_time=0", ZENDESK_RATE_LIMIT_WINDOW="3", **env)
        assert result.returncode == 0, result.stderr[-3000:]
        log = sandbox.requests_log()
        assert log["statuses"].get("429", 0) == 0
        # Per window of the sandbox's own accounting; up to 16 (CONCURRENT_REQUESTS) sent near a
        # window's end can arrive in the next one.
        per_window = Counter(e["window"] for e in log["log"])
        assert max(per_window.values()) <= allowed + 16, per_window
        # The run needed more than a window's share, so the share (not latency) is what spread it over windows.
        assert log["count"] > allowed + 16 and len(per_window) > 1, per_window
        assert_matches_truth(result.json_records(), sandbox.truth())


def stat(log: str, name: str) -> float:
    """A value from the stats Scrapy dumps at the end of a crawl (0 when absent)."""
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log)
    return float(match.group(1)) if match else 0.0
