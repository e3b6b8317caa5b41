"""Features an account lacks: the real crawler against a sandbox whose plan leaves a feature out (``--without``).

Every stream that declares ``needs_feature`` (from ``STREAMS``) is crawled with its sandbox feature off (the feature
of its endpoint in ``zendesk_sandbox.features.ENDPOINT_FEATURES``): the run exits 0, the manifest lists the stream as
unavailable with Zendesk's answer, the log says so once, nothing fails, the other selected streams are complete,
the stream's saved position is the one the run before left, and the next run asks again (one request). The same
endpoint answering 500 fails the run as before; so does a 404 of a stream that needs no feature.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from harness.servers import free_port
from tests.support.crawl import CrawlResult, run_crawl
from tests.support.truth import check_against_truth
from zendesk_crawler import settings as project_settings
from zendesk_crawler.streams import STREAMS
from zendesk_sandbox import SandboxProcess
from zendesk_sandbox.features import ANSWERS, ENDPOINT_FEATURES

pytestmark = pytest.mark.slow

#: The streams of a feature an account may lack.
FEATURE_STREAMS = [name for name, cls in STREAMS.items() if cls.needs_feature]
#: Streams every account has, selected beside the feature's: they must still be complete.
OTHERS = ("groups", "organizations")
FAST = {"ZENDESK_RETRY_BACKOFF_BASE": "0.05", "ZENDESK_EXPORT_REQUESTS_PER_MINUTE": "10000"}

each_feature_stream = pytest.mark.parametrize("stream", FEATURE_STREAMS or [pytest.param(
    None, marks=pytest.mark.skip(reason="no stream in STREAMS declares needs_feature yet (the Help Center, side "
                                        "conversation and configuration streams will)"))])


def sandbox(port: int, epoch: int, without: tuple[str, ...] = ()) -> SandboxProcess:
    """A small fast sandbox on a fixed port (so its URL, and the state's account, stay the same across restarts)."""
    return SandboxProcess(tickets=20, seed=41, rate_limit=1_000_000, export_rate_limit=0, port=port, epoch=epoch,
                          without=without)


def feature_of(stream: str) -> str:
    endpoint = STREAMS[stream].endpoint
    assert endpoint in ENDPOINT_FEATURES, f"the sandbox does not say which feature {endpoint} needs"
    return ENDPOINT_FEATURES[endpoint]


def selection(stream: str) -> str:
    return ",".join([stream, *(other for other in OTHERS if other != stream)])


def requests_to(sandbox_process: SandboxProcess, endpoint: str) -> int:
    """Requests the sandbox answered for ``endpoint`` so far."""
    return sandbox_process.requests_log()["by_endpoint"].get(endpoint, 0)


def answer_words(feature: str) -> tuple[int, str]:
    """The status and the start of the reason Zendesk's answer (as the sandbox sends it) carries."""
    status, body = ANSWERS[feature]
    error = json.loads(body)["error"]
    return status, error["title"] if isinstance(error, dict) else error


def crawl(url: str, export: Path, stream: str) -> CrawlResult:
    return run_crawl(url, export, "-a", "start_time=0", "-a", f"streams={selection(stream)}", **FAST)


def assert_others_complete(result: CrawlResult, manifest: dict[str, Any], truth_groups: list[dict[str, Any]],
                           stream: str) -> None:
    for other in OTHERS:
        if other != stream:
            assert manifest["streams"][other]["complete"] is True, manifest["streams"][other]
    if stream != "groups":
        assert sorted(g["id"] for g in result.records("groups")) == sorted(g["id"] for g in truth_groups)


@each_feature_stream
def test_a_stream_the_account_lacks_is_unavailable_not_failed_and_asked_again(tmp_path, stream):
    feature, cls = feature_of(stream), STREAMS[stream]
    port, epoch = free_port(), int(time.time()) - 120
    with sandbox(port, epoch) as with_it:  # the account had the feature: the stream has a saved position
        first = crawl(with_it.url, tmp_path, stream)
        assert first.returncode == 0, first.stderr[-3000:]
    before = (first.state() or {}).get("streams", {}).get(stream)

    with sandbox(port, epoch, without=(feature,)) as without_it:
        result = crawl(without_it.url, tmp_path, stream)
        asked = requests_to(without_it, cls.endpoint)
        again = crawl(without_it.url, tmp_path, stream)
        asked_again = requests_to(without_it, cls.endpoint) - asked
        truth_groups = without_it.stream_truth("groups")

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.failure_lines() == [] and "Run failed" not in result.stderr
    manifest = result.manifest()
    assert manifest["status"] == "complete" and manifest["failure"] is None
    status, reason = answer_words(feature)
    why = manifest["unavailable"][stream]
    assert why.startswith(f"needs {cls.needs_feature}; Zendesk answered HTTP {status} ({reason}"), why
    assert manifest["streams"][stream]["unavailable"] == why and manifest["streams"][stream]["complete"] is False
    assert result.stderr.count(f"The {stream} stream is unavailable") == 1
    assert result.stderr.rstrip().splitlines()[-1].startswith("zendesk_crawler: unavailable")
    assert_others_complete(result, manifest, truth_groups, stream)
    assert (result.state() or {}).get("streams", {}).get(stream) == before  # the saved position did not move
    assert asked == 1  # one probe: a 403 or 404 is not retried

    assert again.returncode == 0 and asked_again == 1  # nothing is remembered as unavailable: asked again
    assert again.manifest()["unavailable"] == {stream: why}


@each_feature_stream
def test_a_500_of_the_same_endpoint_still_fails_the_run(tmp_path, stream):
    cls = STREAMS[stream]
    with sandbox(free_port(), int(time.time()) - 120) as failing:
        failing.faults([{"endpoint": cls.endpoint, "kind": "status", "status": 500, "count": 100}])
        result = crawl(failing.url, tmp_path, stream)
        asked = requests_to(failing, cls.endpoint)
    assert result.returncode == 1, result.stderr[-3000:]
    assert asked == 1 + project_settings.RETRY_TIMES  # retried, as before
    manifest = result.manifest()
    assert manifest["status"] == "failed" and manifest["unavailable"] == {}
    assert manifest["streams"][stream]["complete"] is False and manifest["streams"][stream]["unavailable"] is None
    assert "HTTP 500" in manifest["streams"][stream]["problem"] or "HTTP 500" in manifest["failure"]


def test_a_404_of_a_stream_every_account_has_fails_the_run(tmp_path):
    with sandbox(free_port(), int(time.time()) - 120) as failing:
        failing.faults([{"endpoint": "groups", "kind": "status", "status": 404, "count": 100}])
        result = run_crawl(failing.url, tmp_path, "-a", "start_time=0", "-a", "streams=groups,organizations", **FAST)
    assert result.returncode == 1, result.stderr[-3000:]
    manifest = result.manifest()
    assert manifest["status"] == "failed" and manifest["unavailable"] == {}
    assert "HTTP 404" in manifest["failure"] and "check ZENDESK_SUBDOMAIN" in manifest["failure"]
    assert manifest["streams"]["organizations"]["complete"] is True


#: The issue's account: no Help Center, no Collaboration add-on, no SLA policies on the plan (an admin's token).
ISSUE_ACCOUNT = ("help_center", "collaboration", "sla_policies")


@pytest.mark.skipif(not FEATURE_STREAMS, reason="no stream in STREAMS declares needs_feature yet")
@pytest.mark.parametrize("without", [ISSUE_ACCOUNT, tuple(sorted(set(ENDPOINT_FEATURES.values())))],
                         ids=["the issue's account", "every feature off"])
def test_a_default_run_on_an_account_without_features_names_them_and_misses_nothing_else(tmp_path, without):
    """Exactly the streams of the missing features (and those waiting for them) are unavailable; every other stream
    is complete and exact against the sandbox's truth."""
    lacking = {stream for stream in FEATURE_STREAMS if feature_of(stream) in without}
    while extra := {name for name, cls in STREAMS.items() if set(cls.depends_on) & lacking} - lacking:
        lacking |= extra  # a stream that waits for an unavailable one is unavailable too
    with sandbox(free_port(), int(time.time()) - 120, without=without) as s:
        s.advance_clock(120)  # the exports hold back the last minute: every record is due
        result = run_crawl(s.url, tmp_path, "-a", "start_time=0", **FAST)
        assert result.returncode == 0, result.stderr[-3000:]
        for stream in set(STREAMS) - lacking:  # nothing else missing
            check_against_truth(s, result, stream)
    manifest = result.manifest()
    assert manifest["status"] == "complete" and set(manifest["unavailable"]) == lacking
    assert set(manifest["streams"]) == set(STREAMS)  # the default is every stream
    incomplete = {name for name, entry in manifest["streams"].items() if not entry["complete"]}
    assert incomplete == lacking
    for stream in lacking:
        assert result.stderr.count(f"The {stream} stream is unavailable") == 1
        assert result.records(stream) == []
