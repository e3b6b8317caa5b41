"""The web page's ticket index and its gzip reads, on real files in temporary directories."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

from zendesk_crawler.location import content as location_content
from zendesk_crawler.location.content import INFLATE_STEP, content
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.web.browse import Filters, search
from zendesk_crawler.web.followed import FollowedIndex
from zendesk_crawler.web.fulltext import parse_query
from zendesk_crawler.web.pdf import pdf_parts
from zendesk_crawler.web.render import comment_view
from zendesk_crawler.web.runs import read_runs
from zendesk_crawler.web.ticket_rows import record_comments
from zendesk_crawler.web.tickets import TicketIndex

RUN_1 = "20261101T100000Z-aaaaaa"
RUN_2 = "20261102T100000Z-bbbbbb"


def record(ticket_id: int, updated_at: str, subject: str, email: str = "dana@example.com") -> dict[str, Any]:
    return {"id": ticket_id, "subject": subject, "status": "open", "updated_at": updated_at,
            "requester": {"id": 1, "name": "Requester", "email": email}, "comments": []}


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(entry, ensure_ascii=False).encode() + b"\n" for entry in records)


def write_run(root: Path, run_id: str, files: dict[str, bytes]) -> None:
    """A run's files (name: content) and its manifest listing them."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / f"manifest-{run_id}.json").write_text(json.dumps({
        "run_id": run_id, "status": "complete", "failure": None, "tickets_exported": 1, "comments_exported": 0,
        "files": [str(root / name) for name in files]}), encoding="utf-8")


def index_of(tmp_path: Path) -> tuple[TicketIndex, LocalLocation]:
    location = LocalLocation(str(tmp_path / "export"))
    return TicketIndex(tmp_path / "cache" / "tickets.sqlite", location), location


def test_a_requester_search_lists_a_ticket_under_its_current_requester_only(tmp_path):
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([
        record(7, "2026-11-01T09:00:00Z", "Old subject", "old@example.com"),
        record(8, "2026-11-01T08:00:00Z", "Stays", "old@example.com")])})
    write_run(tmp_path / "export", RUN_2, {f"tickets-{RUN_2}-00001.jsonl": jsonl([
        record(7, "2026-11-02T09:00:00Z", "New subject", "New@Example.com")])})
    index, location = index_of(tmp_path)
    index.refresh(read_runs(location))
    assert [(t.id, t.subject) for t in index.by_requester("OLD@example.com")] == [(8, "Stays")]
    assert [(t.id, t.subject, t.updated_at) for t in index.by_requester(" new@example.COM ")] == [
        (7, "New subject", "2026-11-02T09:00:00Z")]


def test_ids_beyond_sqlite_integers_are_in_no_backup(tmp_path):
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([record(7, "2026-11-01", "x")])})
    index, location = index_of(tmp_path)
    index.refresh(read_runs(location))
    assert index.ticket(7)["subject"] == "x"
    assert index.ticket(2**63) is None and index.ticket(2**80) is None and index.ticket(-2**63 - 1) is None
    assert index.ticket(2**63 - 1) is None


def test_lines_that_are_not_ticket_records_are_skipped_and_the_rest_indexed(tmp_path, caplog):
    bad = (b'{"id": 8, "subject": "trunc\n'  # a truncated line
           b'{"id": 18446744073709551616, "subject": "too big"}\n{"subject": "no id"}\n'
           b'{"id": 10, "requester": 5, "subject": 11}\n')  # odd fields, but a ticket with an id
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl":
                                           jsonl([record(7, "2026-11-01T09:00:00Z", "seven")]) + bad})
    write_run(tmp_path / "export", RUN_2, {f"tickets-{RUN_2}-00001.jsonl":
                                           jsonl([record(9, "2026-11-01T09:00:00Z", "nine")]) + b'{"id": 11, "sub'})
    index, location = index_of(tmp_path)
    with caplog.at_level("WARNING", logger="zendesk_crawler.web.followed"):
        assert index.refresh(read_runs(location)) == 2
    assert "00001.jsonl: 3 line(s) that are not records of tickets skipped" in caplog.text
    assert "00001.jsonl: 1 line(s) that are not records of tickets skipped" in caplog.text
    assert index.refresh(read_runs(location)) == 0  # recorded as indexed: not read again
    assert index.ticket(7)["subject"] == "seven" and index.ticket(9)["subject"] == "nine"
    assert index.ticket(8) is None and index.ticket(11) is None and index.ticket(10)["subject"] == 11


def test_a_file_rewritten_at_the_same_path_is_indexed_again(tmp_path):
    path = tmp_path / "export" / f"tickets-{RUN_1}-00001.jsonl"
    write_run(tmp_path / "export", RUN_1, {path.name: jsonl([record(7, "2026-11-01", "seven"),
                                                               record(8, "2026-11-01", "eight")])})
    index, location = index_of(tmp_path)
    assert index.refresh(read_runs(location)) == 1
    assert index.ticket(8)["subject"] == "eight"
    path.write_bytes(jsonl([record(8, "2026-11-03", "eight, rewritten and longer"), record(9, "2026-11-01", "nine")]))
    assert index.refresh(read_runs(location)) == 1  # its size changed
    assert index.ticket(7) is None and index.ticket(8)["subject"] == "eight, rewritten and longer"
    assert index.ticket(9)["subject"] == "nine" and [t.id for t in index.by_requester("dana@example.com")] == [8, 9]
    assert index.refresh(read_runs(location)) == 0


def test_a_record_read_back_must_be_the_ticket_looked_up(tmp_path):
    """Same size, same modification time, other content: the id read back tells, the file is indexed again."""
    path = tmp_path / "export" / f"tickets-{RUN_1}-00001.jsonl"
    write_run(tmp_path / "export", RUN_1, {path.name: jsonl([record(7, "2026-11-01", "seven"),
                                                               record(8, "2026-11-01", "eight")])})
    index, location = index_of(tmp_path)
    index.refresh(read_runs(location))
    before = path.stat()
    path.write_bytes(jsonl([record(8, "2026-11-01", "eight"), record(7, "2026-11-01", "seven")]))  # swapped
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert index.refresh(read_runs(location)) == 0  # nothing tells the file changed...
    assert index.ticket(7)["subject"] == "seven"  # ...until record 8 is read where 7 was: indexed again
    assert index.ticket(8)["subject"] == "eight"
    path.write_bytes(b"\n\n\n" + jsonl([record(8, "2026-11-01", "eight")]))  # the indexed offsets fall mid-line
    assert index.ticket(7) is None  # no refresh in between: not JSON where the index says, and not a 500
    assert index.ticket(8)["subject"] == "eight"


def test_a_file_gone_from_a_listed_run_is_forgotten(tmp_path):
    path = tmp_path / "export" / f"tickets-{RUN_1}-00001.jsonl"
    write_run(tmp_path / "export", RUN_1, {path.name: jsonl([record(7, "2026-11-01", "seven")])})
    index, location = index_of(tmp_path)
    index.refresh(read_runs(location))
    path.unlink()
    assert index.ticket(7) is None  # read fails: indexed again, found gone
    assert index.refresh(read_runs(location)) == 0 and index.by_requester("dana@example.com") == []


def test_an_index_of_the_previous_layout_is_rebuilt(tmp_path):
    import sqlite3

    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([record(7, "2026-11-01", "x")])})
    (tmp_path / "cache").mkdir()
    with sqlite3.connect(tmp_path / "cache" / "tickets.sqlite") as db:
        db.execute("CREATE TABLE indexed_files (path TEXT PRIMARY KEY, run_id TEXT NOT NULL)")
        db.execute(f"INSERT INTO indexed_files VALUES ('tickets-{RUN_1}-00001.jsonl', '{RUN_1}')")
    db.close()
    index, location = index_of(tmp_path)
    assert index.refresh(read_runs(location)) == 1 and index.ticket(7)["subject"] == "x"


class CountingLocation:
    """A local location that counts the chunks its streams give and whether each stream was closed."""

    def __init__(self, root: Path) -> None:
        self.inner = LocalLocation(str(root))
        self.chunks = 0
        self.open_streams = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def stream(self, path: str):
        chunks = self.inner.stream(path)

        def counted():
            self.open_streams += 1
            try:
                for chunk in chunks:
                    self.chunks += 1
                    yield chunk
            finally:
                self.open_streams -= 1
        return counted()


def test_a_gzip_lookup_stops_reading_once_its_record_is_read(tmp_path):
    noise = [os.urandom(10_000).hex() for _ in range(100)]  # barely compressible: the file spans many chunks
    records = [{**record(n, "2026-11-01", f"ticket {n}"), "description": noise[n]} for n in range(100)]
    name = f"tickets-{RUN_1}-00001.jsonl.gz"
    write_run(tmp_path / "export", RUN_1, {name: gzip.compress(jsonl(records))})
    location = CountingLocation(tmp_path / "export")
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    index.refresh(read_runs(location))
    all_chunks, location.chunks = location.chunks, 0
    assert all_chunks >= 4
    assert index.ticket(0) == records[0]
    assert location.chunks == 1 and location.open_streams == 0  # the first chunk holds it; the file is closed
    location.chunks = 0
    assert index.ticket(99) == records[99] and location.chunks == all_chunks


def test_gzip_is_decompressed_in_bounded_steps(tmp_path):
    """50 MB of zeros are 50 kB of gzip: one chunk read never becomes more than INFLATE_STEP bytes at once."""
    root = tmp_path / "export"
    root.mkdir()
    (root / "zeros.gz").write_bytes(gzip.compress(b"\0" * 50_000_000))
    assert (root / "zeros.gz").stat().st_size < 256 * 1024
    sizes = [len(piece) for piece in content(LocalLocation(str(root)), "zeros.gz")]
    assert sum(sizes) == 50_000_000 and max(sizes) <= INFLATE_STEP


def test_gzip_members_lines_too_long_and_corrupt_data(tmp_path, monkeypatch):
    monkeypatch.setattr(location_content, "MAX_RECORD_BYTES", 1000)
    long_line = jsonl([{**record(5, "2026-11-01", "long"), "description": "x" * 2000}])
    members = gzip.compress(jsonl([record(7, "2026-11-01", "seven")]) + long_line) + gzip.compress(
        jsonl([record(8, "2026-11-01", "eight")]))
    good = gzip.compress(jsonl([record(9, "2026-11-01", "nine")]), mtime=0)
    corrupt = good + gzip.compress(jsonl([record(10, "2026-11-01", "ten")] * 50), mtime=0)[:40] + b"\xff" * 64
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl.gz": members,
                                           f"tickets-{RUN_1}-00002.jsonl.gz": corrupt})
    index, location = index_of(tmp_path)
    assert index.refresh(read_runs(location)) == 2
    assert index.ticket(7)["subject"] == "seven" and index.ticket(8)["subject"] == "eight"
    assert index.ticket(5) is None  # longer than a record may be: skipped
    assert index.ticket(9)["subject"] == "nine"  # before the corrupt data: kept
    assert index.refresh(read_runs(location)) == 0


def test_on_s3_a_rewritten_object_is_indexed_again_from_one_listing(tmp_path, monkeypatch):
    """moto in process: identities come from list_objects_v2 (ETag, size, LastModified), not a HEAD per file."""
    import boto3
    from moto import mock_aws

    from zendesk_crawler.location.reader import S3Location

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="backups")
        names = [f"tickets-{RUN_1}-00001.jsonl", f"tickets-{RUN_1}-00002.jsonl.gz"]
        client.put_object(Bucket="backups", Key=f"acme/{names[0]}", Body=jsonl([record(7, "2026-11-01", "seven")]))
        client.put_object(Bucket="backups", Key=f"acme/{names[1]}",
                          Body=gzip.compress(jsonl([record(8, "2026-11-01", "eight")])))
        client.put_object(Bucket="backups", Key=f"acme/manifest-{RUN_1}.json", Body=json.dumps({
            "run_id": RUN_1, "status": "complete", "files": [f"s3://backups/acme/{name}" for name in names]}))
        location = S3Location("s3://backups/acme", client)
        calls: list[str] = []
        client.meta.events.register("before-call.s3.*", lambda model, **_: calls.append(model.name))
        identities = location.identities([*names, "tickets-missing.jsonl", "sub/tickets-x.jsonl"])
        assert sorted(identities) == names and calls == ["ListObjectsV2", "ListObjectsV2"]  # root, then sub/
        index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
        assert index.refresh(read_runs(location)) == 2
        assert index.ticket(7)["subject"] == "seven" and index.ticket(8)["subject"] == "eight"
        client.put_object(Bucket="backups", Key=f"acme/{names[0]}", Body=jsonl([record(7, "2026-11-01", "SEVEN")]))
        assert location.identities(names)[names[0]] != identities[names[0]]  # same size, other ETag
        assert index.refresh(read_runs(location)) == 1 and index.ticket(7)["subject"] == "SEVEN"


def test_records_of_odd_shapes_are_indexed_and_shown_and_the_rest_of_the_file_too(tmp_path):
    """Data from the backup is not trusted: comments that are not a list or not objects, an author or
    attachments of the wrong type, a subject that is a number."""
    odd = [{**record(1, "2026-11-01T09:00:00Z", "one"), "comments": 5},
           {**record(2, "2026-11-01T09:00:00Z", "two"), "comments": [1, "x", None, {"id": 3, "body": "kept",
                                                                                    "author": "Dana",
                                                                                    "attachments": {"id": 9}}]},
           {**record(3, "2026-11-01T09:00:00Z", "three"), "subject": 12, "tags": "vip"},
           record(4, "2026-11-01T09:00:00Z", "four")]
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl(odd)})
    index, location = index_of(tmp_path)
    assert index.refresh(read_runs(location)) == 1
    assert [index.ticket(ticket_id)["id"] for ticket_id in (1, 2, 3, 4)] == [1, 2, 3, 4]
    views = [comment_view(2, comment) for comment in record_comments(index.ticket(2))]
    assert [(view.body_text, view.author, view.attachments) for view in views] == [("kept", "unknown", [])]
    assert pdf_parts(record_comments(index.ticket(1))) == [range(0, 0)]
    with index.reading() as db:
        assert search(db, parse_query("kept"), Filters({})).lines[0].id == 2


class Strict(FollowedIndex):
    """An index on the followed base whose ``add`` writes, then fails on a record it does not expect."""

    name = "strict"
    streams = ("tickets",)
    schema = "CREATE TABLE IF NOT EXISTS strict_rows (id INTEGER, path TEXT);"
    drop = "DROP TABLE IF EXISTS strict_rows;"

    def add(self, db, stream, run_id, path, offset, length, record):
        db.execute("INSERT INTO strict_rows VALUES (?, ?)", (record["id"], path))
        if record.get("subject") == "odd":
            raise TypeError("not a subject this index takes")
        return True

    def forget(self, db, path):
        db.execute("DELETE FROM strict_rows WHERE path = ?", (path,))


def test_a_record_an_index_cannot_take_is_skipped_whole_and_the_rest_of_its_file_indexed(tmp_path, caplog):
    write_run(tmp_path / "export", RUN_1, {f"tickets-{RUN_1}-00001.jsonl": jsonl([
        record(1, "2026-11-01T09:00:00Z", "one"), record(2, "2026-11-01T09:00:00Z", "odd"),
        record(3, "2026-11-01T09:00:00Z", "three")])})
    location = LocalLocation(str(tmp_path / "export"))
    index = Strict(tmp_path / "cache" / "tickets.sqlite", location)
    with caplog.at_level("WARNING", logger="zendesk_crawler.web.followed"):
        assert index.refresh(read_runs(location)) == 1
    with index.reading() as db:
        assert db.execute("SELECT id FROM strict_rows ORDER BY id").fetchall() == [(1,), (3,)]  # 2's write undone
    assert "the record at byte" in caplog.text and "1 line(s) that are not records of tickets skipped" in caplog.text
