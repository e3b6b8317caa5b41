"""bench/output_compare.py: what counts as the same output of two runs, on small hand-made export locations."""

import importlib.util
import json

from tests.support.paths import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("output_compare", PROJECT_ROOT / "bench" / "output_compare.py")
assert _spec is not None and _spec.loader is not None
output_compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(output_compare)


def json_feed(*records: dict) -> bytes:
    lines = [json.dumps(r, separators=(",", ":")).encode() for r in records]
    return b"[\n" + b",\n".join(lines) + b"\n]"


def xml_feed(*ids: int) -> bytes:
    items = "".join(f'\n<ticket><id type="number">{i}</id><subject>s{i}</subject></ticket>' for i in ids)
    return f'<?xml version="1.0" encoding="utf-8"?>\n<tickets>{items}\n</tickets>'.encode()


def csv_feed(*ids: int) -> bytes:
    return ("\ufeffid,subject\r\n" + "".join(f'{i},"line one\r\nline two {i}"\r\n' for i in ids)).encode()


def test_tickets_in_another_completion_order_are_the_same_output():
    a = {"tickets-<run 1>-00001.json": json_feed({"id": 1}, {"id": 2}),
         "tickets-<run 1>-00002.json": json_feed({"id": 3}, {"id": 4}),
         "tickets-<run 1>-00001.xml": xml_feed(1, 2), "tickets-<run 1>-00002.xml": xml_feed(3, 4),
         "tickets-<run 1>-00001.csv": csv_feed(1, 2), "tickets-<run 1>-00002.csv": csv_feed(3, 4)}
    b = {"tickets-<run 1>-00001.json": json_feed({"id": 4}, {"id": 1}),
         "tickets-<run 1>-00002.json": json_feed({"id": 3}, {"id": 2}),
         "tickets-<run 1>-00001.xml": xml_feed(4, 1), "tickets-<run 1>-00002.xml": xml_feed(3, 2),
         "tickets-<run 1>-00001.csv": csv_feed(4, 1), "tickets-<run 1>-00002.csv": csv_feed(3, 2)}
    assert output_compare.compare_files(a, b) == []


def test_a_changed_ticket_value_is_named_by_its_id_and_key():
    a = {"tickets-<run 1>-00001.json": json_feed({"id": 1, "subject": "x"}, {"id": 2, "subject": "y"})}
    b = {"tickets-<run 1>-00001.json": json_feed({"id": 2, "subject": "y"}, {"id": 1, "subject": "z"})}
    assert output_compare.compare_files(a, b) == ["tickets <run 1> json record 1.subject: 'x' != 'z'"]


def test_batch_sizes_of_ticket_feeds_and_key_order_count():
    a = {"tickets-<run 1>-00001.jsonl": b'{"id":1,"a":1}\n{"id":2,"a":1}\n', "tickets-<run 1>-00002.jsonl": b""}
    b = {"tickets-<run 1>-00001.jsonl": b'{"id":1,"a":1}\n', "tickets-<run 1>-00002.jsonl": b'{"a":1,"id":2}\n'}
    found = output_compare.compare_files(a, b)
    assert found[:2] == ["tickets-<run 1>-00001.jsonl: 2 records != 1", "tickets-<run 1>-00002.jsonl: 0 records != 1"]
    assert "key order ['id', 'a'] != ['a', 'id']" in found[2]


def test_other_streams_are_compared_in_order_and_byte_for_byte():
    a = {"users-<run 1>-00001.jsonl": b'{"id":1}\n{"id":2}\n', "groups-<run 1>-00001.json": b'[\n{"id":1.0}\n]'}
    b = {"users-<run 1>-00001.jsonl": b'{"id":2}\n{"id":1}\n', "groups-<run 1>-00001.json": b'[\n{"id":1}\n]'}
    assert output_compare.compare_files(a, b) == [
        "groups-<run 1>-00001.json[0](id 1.0).id: 1.0 != 1",
        "users-<run 1>-00001.jsonl[0](id 1).id: 1 != 2",
    ]


def test_the_state_is_the_same_whatever_order_streams_checkpointed_in_but_not_whatever_positions():
    state = {"streams": {"users": {"cursor": "u"}, "tickets": {"cursor": "t", "stored_after_cursor": [[2], [1]]}},
             "last_run": {"files": ["users-1.json", "tickets-1.json"]}}
    reordered = {"streams": {"tickets": {"cursor": "t", "stored_after_cursor": [[1], [2]]}, "users": {"cursor": "u"}},
                 "last_run": {"files": ["tickets-1.json", "users-1.json"]}}
    moved = {**reordered, "streams": {"tickets": {"cursor": "t2", "stored_after_cursor": [[1], [2]]},
                                          "users": {"cursor": "u"}}}
    same = output_compare.compare_files({"state.json": json.dumps(state).encode()},
                                        {"state.json": json.dumps(reordered).encode()})
    differs = output_compare.compare_files({"state.json": json.dumps(state).encode()},
                                           {"state.json": json.dumps(moved).encode()})
    assert same == []
    assert differs == ["state.json.streams.tickets.cursor: 't' != 't2'"]


def test_files_on_one_side_only_and_broken_comment_batches_are_differences():
    tickets = {"tickets-<run 1>-00001.csv": csv_feed(1), "comments-<run 1>-00001.csv": b"ticket_id,id\r\n1,10\r\n"}
    misplaced = {"tickets-<run 1>-00001.csv": csv_feed(1), "comments-<run 1>-00001.csv": b"ticket_id,id\r\n2,10\r\n"}
    assert output_compare.compare_files(tickets, {**tickets, "status/x.json": b"{}"}) == [
        "files only in the current tree: status/x.json"]
    found = output_compare.compare_files(tickets, misplaced)
    assert "comment batches: the baseline's [] != ['comments-<run 1>-00001.csv']" in found
