"""The sandbox's satisfaction ratings and Help Center over real HTTP: shapes against the samples, pagination,
filters, the article export's repeated second, the missing Help Center, changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.paths import SAMPLES
from tests.unit.test_sandbox import get
from zendesk_sandbox import SandboxProcess, hc_api
from zendesk_sandbox.account import unix


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=80, seed=5, rate_limit=0, export_rate_limit=0) as server:
        yield server


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def assert_shaped_like(record: dict[str, Any], documented: dict[str, Any]) -> None:
    """Every documented member is there, with the documented JSON type (null allowed where the sandbox has it)."""
    for key, value in documented.items():
        assert key in record, key
        if value is not None and record[key] is not None:
            assert type(record[key]) is type(value), key


@pytest.mark.parametrize("path, name, sample_file", [
    ("/api/v2/satisfaction_ratings.json?page[size]=2", "satisfaction_ratings", "satisfaction_ratings.json"),
    ("/api/v2/help_center/categories.json?page[size]=2", "categories", "help_center_categories.json"),
    ("/api/v2/help_center/sections.json?page[size]=2", "sections", "help_center_sections.json"),
    ("/api/v2/help_center/incremental/articles.json?start_time=0&include=translations", "articles",
     "help_center_incremental_articles.json"),
])
def test_answers_have_the_documented_members(sandbox, path, name, sample_file):
    answer = get(sandbox.url + path)
    assert answer.status == 200, answer.raw
    documented = sample(sample_file)
    assert set(documented) <= set(answer.json)
    for record in answer.json[name]:
        assert_shaped_like(record, documented[name][0])
    if name == "articles":
        for article in answer.json["articles"]:
            assert article["translations"] and all(t["source_id"] == article["id"] for t in article["translations"])
            assert_shaped_like(article["translations"][0], documented["articles"][0]["translations"][0])


def walk(sandbox: SandboxProcess, path: str, name: str) -> list[dict[str, Any]]:
    url, out = f"{sandbox.url}{path}", []
    while url:
        answer = get(url)
        assert answer.status == 200, answer.raw
        out += answer.json[name]
        url = answer.json["links"]["next"] if answer.json["meta"]["has_more"] else None
    return out


def test_ratings_cursor_and_offset_pages_list_every_rating_once(sandbox):
    truth = sandbox.stream_truth("satisfaction_ratings")
    assert walk(sandbox, "/api/v2/satisfaction_ratings.json?page[size]=7", "satisfaction_ratings") == truth
    first = get(f"{sandbox.url}/api/v2/satisfaction_ratings.json?per_page=5")
    assert first.json["count"] == len(truth) and first.json["satisfaction_ratings"] == truth[:5]
    assert "page=2" in first.json["next_page"]


def test_ratings_point_at_real_tickets_and_people(sandbox):
    tickets = {t["id"]: t for t in sandbox.truth(comments=False, users=False)["tickets"]}
    for rating in sandbox.stream_truth("satisfaction_ratings"):
        ticket = tickets[rating["ticket_id"]]
        assert rating["requester_id"] == ticket["requester_id"]
        assert rating["assignee_id"] is not None and rating["score"] in ("offered", "unoffered", "good", "bad")


def test_rating_filters_score_and_created_at_window(sandbox):
    truth = sandbox.stream_truth("satisfaction_ratings")
    bad = get(f"{sandbox.url}/api/v2/satisfaction_ratings.json?score=bad&per_page=100").json
    assert [r["id"] for r in bad["satisfaction_ratings"]] == [r["id"] for r in truth if r["score"] == "bad"]
    changed = next(r for r in truth if r["updated_at"] != r["created_at"])
    after_creation = unix(changed["created_at"])  # start_time compares with created_at, exclusively
    later = get(f"{sandbox.url}/api/v2/satisfaction_ratings.json?start_time={after_creation}&per_page=100").json
    assert changed["id"] not in {r["id"] for r in later["satisfaction_ratings"]}
    assert get(f"{sandbox.url}/api/v2/satisfaction_ratings.json?score=great").status == 400


def test_the_article_export_takes_the_start_time_second_again_and_ends_with_a_null_next_page(sandbox):
    truth = sandbox.stream_truth("articles")
    seconds = sorted(unix(a["updated_at"]) for a in truth)
    answer = get(f"{sandbox.url}/api/v2/help_center/incremental/articles.json?start_time={seconds[-1]}")
    assert answer.json["next_page"] is None and answer.json["end_time"] == seconds[-1]
    assert answer.json["count"] == len(answer.json["articles"]) >= 1  # the last second again, inclusive
    assert hc_api.ARTICLE_EXPORT_PAGE == 1000
    assert get(f"{sandbox.url}/api/v2/help_center/incremental/articles.json").status == 400


def test_without_the_help_center_its_endpoints_answer_404_and_ratings_still_answer():
    with SandboxProcess(tickets=20, seed=6, without=("help_center",)) as sandbox:
        for path in ("/api/v2/help_center/categories.json", "/api/v2/help_center/sections.json",
                     "/api/v2/help_center/incremental/articles.json?start_time=0",
                     "/api/v2/help_center/articles/360003000000/attachments.json"):
            assert get(sandbox.url + path).status == 404, path
        assert get(sandbox.url + "/api/v2/satisfaction_ratings.json").status == 200


def test_changes_stamp_updated_at_now_and_keep_created_at(sandbox):
    rating = sandbox.stream_truth("satisfaction_ratings")[0]
    article = sandbox.stream_truth("articles")[0]
    changed = sandbox.change(satisfaction_ratings={"update": [rating["id"]], "create": 1},
                             articles={"update": [article["id"]], "create": 1})
    now = sandbox.advance_clock(0)
    ratings = {r["id"]: r for r in sandbox.stream_truth("satisfaction_ratings")}
    assert ratings[rating["id"]]["created_at"] == rating["created_at"]
    assert unix(ratings[rating["id"]]["updated_at"]) >= now - 5
    assert changed["satisfaction_ratings"]["created"][0] in ratings
    articles = {a["id"]: a for a in sandbox.stream_truth("articles")}
    assert articles[article["id"]]["title"] != article["title"] and changed["articles"]["created"][0] in articles
    with pytest.raises(Exception, match="no record"):
        sandbox.change(articles={"update": [1]})
