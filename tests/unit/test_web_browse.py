"""The page's index as browse and search read it: the version each ticket is shown in, keyset pages, filters and
full-text search, on real files in temporary directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.web import browse, fulltext
from zendesk_crawler.web.runs import read_runs
from zendesk_crawler.web.tickets import TicketIndex

RUN_1 = "20261101T100000Z-aaaaaa"
RUN_2 = "20261102T100000Z-bbbbbb"
RUN_3 = "20261103T100000Z-cccccc"


def ticket(ticket_id: int, updated_at: str, subject: str = "", bodies: tuple[str, ...] = (), **extra: Any
           ) -> dict[str, Any]:
    return {"id": ticket_id, "subject": subject or f"Ticket {ticket_id}", "status": "open",
            "created_at": "2026-10-01T00:00:00Z", "updated_at": updated_at, "tags": [],
            "requester": {"id": 1, "name": "Dana", "email": "Dana@Example.com"},
            "comments": [{"id": ticket_id * 100 + n, "body": body, "public": True} for n, body in enumerate(bodies)],
            **extra}


def deleted(ticket_id: int, updated_at: str) -> dict[str, Any]:
    """What Zendesk's incremental export returns for a deleted ticket: status deleted, scrubbed, no comments."""
    return {"id": ticket_id, "subject": "SCRUBBED", "status": "deleted", "updated_at": updated_at, "comments": []}


def write_run(root: Path, run_id: str, records: list[dict[str, Any]]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    name = f"tickets-{run_id}-00001.jsonl"
    (root / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    (root / f"manifest-{run_id}.json").write_text(json.dumps({
        "run_id": run_id, "status": "complete", "failure": None, "tickets_exported": len(records),
        "comments_exported": 0, "files": [str(root / name)]}), encoding="utf-8")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return tmp_path / "export"


def index_of(tmp_path: Path, export: Path) -> TicketIndex:
    location = LocalLocation(str(export))
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    index.refresh(read_runs(location))
    return index


def test_a_deleted_ticket_is_shown_in_its_last_version_before_the_deletion(tmp_path, export):
    write_run(export, RUN_1, [ticket(7, "2026-11-01T09:00:00Z", "Refund", ("first",))])
    write_run(export, RUN_2, [ticket(7, "2026-11-02T09:00:00Z", "Refund dispute", ("first", "second"))])
    write_run(export, RUN_3, [deleted(7, "2026-11-03T09:00:00Z")])
    index = index_of(tmp_path, export)
    shown = index.shown(7)
    assert shown is not None and shown.deleted and shown.deleted_at == "2026-11-03T09:00:00Z"
    assert shown.record["subject"] == "Refund dispute" and len(shown.record["comments"]) == 2
    assert shown.version.run_id == RUN_2
    assert [v.run_id for v in index.versions(7)] == [RUN_3, RUN_2, RUN_1]
    with index.reading() as db:
        [line] = browse.browse(db, browse.Filters({"status": "deleted"}), "id", False).lines
        assert (line.id, line.subject, line.deleted_at) == (7, "Refund dispute", "2026-11-03T09:00:00Z")
        found = browse.search(db, fulltext.parse_query("second"), browse.Filters({})).lines
        assert [(hit.id, hit.deleted) for hit in found] == [(7, True)]


def test_the_shown_version_follows_a_run_removed_from_the_location(tmp_path, export):
    write_run(export, RUN_1, [ticket(7, "2026-11-01T09:00:00Z", "Live", ("kept words",))])
    write_run(export, RUN_2, [deleted(7, "2026-11-02T09:00:00Z")])
    index = index_of(tmp_path, export)
    assert index.shown(7).record["subject"] == "Live"
    for name in (f"manifest-{RUN_1}.json", f"tickets-{RUN_1}-00001.jsonl"):
        (export / name).unlink()
    index.refresh(read_runs(LocalLocation(str(export))))
    shown = index.shown(7)
    assert shown.record["status"] == "deleted" and shown.version.deleted and shown.deleted
    with index.reading() as db:
        assert browse.search(db, fulltext.parse_query("kept"), browse.Filters({})).lines == []


def test_a_ticket_undeleted_is_live_again(tmp_path, export):
    write_run(export, RUN_1, [deleted(7, "2026-11-01T09:00:00Z")])
    write_run(export, RUN_2, [ticket(7, "2026-11-02T09:00:00Z", "Back")])
    shown = index_of(tmp_path, export).shown(7)
    assert not shown.deleted and shown.record["subject"] == "Back"


@pytest.mark.parametrize("few", [0, browse.FEW])  # walked in the sort's index, or found and then sorted
def test_keyset_pages_list_every_ticket_once_forward_and_back(tmp_path, export, monkeypatch, few):
    monkeypatch.setattr(browse, "FEW", few)
    records = [ticket(n, f"2026-11-01T{n % 24:02d}:00:00Z") for n in range(1, 58)]
    write_run(export, RUN_1, records[:30])
    write_run(export, RUN_2, records[30:] + [ticket(3, "2026-11-05T00:00:00Z")])
    index = index_of(tmp_path, export)
    with index.reading() as db:
        pages, cursor = [], None
        while True:
            page = browse.browse(db, browse.Filters({}), "updated", True, after=cursor, size=10)
            pages.append(page)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        seen = [line.id for page in pages for line in page.lines]
        assert sorted(seen) == list(range(1, 58)) and len(seen) == 57 and pages[0].total == 57
        assert seen[0] == 3  # its newest version is the most recently updated
        ordered = [(line.updated_at, line.id) for page in pages for line in page.lines]
        assert ordered == sorted(ordered, reverse=True)
        back = browse.browse(db, browse.Filters({}), "updated", True, before=pages[3].previous_cursor, size=10)
        assert [line.id for line in back.lines] == [line.id for line in pages[2].lines]
        assert pages[0].previous_cursor is None


def test_filters_combine(tmp_path, export):
    write_run(export, RUN_1, [
        ticket(1, "2026-11-01T00:00:00Z", tags=["vip", "refund"], group_id=1, group={"id": 1, "name": "Billing"},
               assignee={"id": 5, "name": "Ana", "email": "ana@example.com"}, brand_id=11,
               created_at="2026-03-10T08:00:00Z"),
        ticket(2, "2026-11-01T00:00:00Z", tags=["vip"], group_id=2, group={"id": 2, "name": "Tier 2"}, brand_id=12,
               created_at="2026-03-31T23:59:59Z", status="solved"),
        ticket(3, "2026-11-01T00:00:00Z", created_at="2026-04-01T00:00:00Z")])
    index = index_of(tmp_path, export)

    def ids(**values: str) -> list[int]:
        with index.reading() as db:
            return [line.id for line in browse.browse(db, browse.Filters.parse(values), "id", False).lines]

    assert ids(tag="vip") == [1, 2]
    assert ids(tag="vip", group="1") == [1]
    assert ids(created_from="2026-03-01", created_to="2026-03-31") == [1, 2]
    assert ids(status="solved") == [2]
    assert ids(assignee="ANA@example.com") == [1] == ids(assignee="Ana")
    assert ids(requester="dana@example.com") == [1, 2, 3]
    assert ids(brand="12") == [2]
    with pytest.raises(ConfigError, match="created_to"):
        browse.Filters.parse({"created_to": "31/03/2026"})
    with pytest.raises(ConfigError, match="sort"):
        with index.reading() as db:
            browse.browse(db, browse.Filters({}), "priority; DROP", True)


BODIES = {
    1: ("Здравствуйте, счёт выставлен дважды", "ok"),
    2: ("Здравствуйте", "счёт пришёл"),  # the words, not the phrase
    3: ("こんにちは、返金してください",),
    4: ("Thanks 👍🏽 all good",),
    5: ("مرحبا، لدي مشكلة في تسجيل الدخول",),
    6: ("<script>alert(1)</script> refund requested",),
}


@pytest.fixture
def searchable(tmp_path, export) -> TicketIndex:
    write_run(export, RUN_1, [ticket(n, "2026-11-01T00:00:00Z", bodies=bodies) for n, bodies in BODIES.items()])
    return index_of(tmp_path, export)


@pytest.mark.parametrize(("query", "expected"), [
    ('"счёт выставлен"', [1]),
    ("здравствуйте счёт", [1, 2]),
    ('"счёт Здравствуйте"', []),
    ("СЧЁТ", [1, 2]),
    ('"返金"', [3]),
    ("返金", [3]),
    ("👍", [4]),
    ("مشكلة", [5]),
    ("refun*", [6]),
    ("script", [6]),
])
def test_search_finds_words_phrases_and_characters_of_every_script(searchable, query, expected):
    with searchable.reading() as db:
        found = browse.search(db, fulltext.parse_query(query), browse.Filters({}))
    assert sorted(line.id for line in found.lines) == expected
    assert found.total == len(expected)


def test_snippets_mark_the_match_and_escape_the_comment(searchable):
    with searchable.reading() as db:
        [line] = browse.search(db, fulltext.parse_query("refund"), browse.Filters({})).lines
    assert line.comment_id == 600
    assert "<mark>refund</mark>" in line.snippet and "&lt;script&gt;" in line.snippet and "<script>" not in line.snippet


@pytest.mark.parametrize("query", ["", "   ", '""', "!!! ,,,", " ".join(f"w{n}" for n in range(13))])
def test_a_query_without_words_or_with_too_many_is_refused(query):
    with pytest.raises(ConfigError):
        fulltext.parse_query(query)
