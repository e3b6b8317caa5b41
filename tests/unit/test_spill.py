"""The spill store (events mode's kept comments on disk) and the comment index over it."""

from __future__ import annotations

import json
import os
import stat
from array import array

from zendesk_crawler.streams.tickets.events import COMMENT_OVERHEAD, TICKET_OVERHEAD, CommentEvents
from zendesk_crawler.streams.tickets.spill import OFFSET_BITS, SpillStore


def chunks(count: int, size: int) -> list[bytes]:
    """Distinct byte strings, multibyte UTF-8 and every byte value among them."""
    text = "Grüße, 你好, привет 🙂 "
    return [(f"{n:05d}" + text * size)[:size].encode() + bytes(range(256)) for n in range(count)]


def test_what_is_written_is_read_back_byte_identical(tmp_path):
    store = SpillStore(directory=str(tmp_path))
    data = chunks(50, 700)
    positions = [store.write(chunk) for chunk in data]
    assert [store.read(position, len(chunk)) for position, chunk in zip(positions, data, strict=True)] == data
    assert store.live_bytes == store.disk_bytes == sum(map(len, data))


def test_the_files_have_no_name_and_only_their_owner_may_read_them(tmp_path):
    store = SpillStore(segment_bytes=1000, directory=str(tmp_path))
    for chunk in chunks(10, 400):
        store.write(chunk)
    assert len(store.segments) > 1
    assert os.listdir(tmp_path) == []  # unlinked: no one can open them, and a crash leaves nothing
    for segment in store.segments.values():
        facts = os.fstat(segment.file.fileno())
        assert facts.st_nlink == 0
        assert stat.S_IMODE(facts.st_mode) & 0o077 == 0


def test_a_segment_is_closed_once_none_of_its_bytes_is_kept(tmp_path):
    store = SpillStore(segment_bytes=1000, directory=str(tmp_path))
    data = chunks(9, 400)  # 656 bytes each: a segment holds two
    spans = [(store.write(chunk), len(chunk)) for chunk in data]
    assert sorted(store.segments) == [0, 1, 2, 3, 4]
    first = [span for span in spans if span[0] >> OFFSET_BITS == 0]
    assert len(first) == 2
    store.release(*first[0])
    assert 0 in store.segments  # one of its spans is still kept
    store.release(*first[1])
    assert 0 not in store.segments and store.disk_bytes == sum(map(len, data[2:]))
    for span in spans[2:]:
        store.release(*span)
    assert store.segments == {} and store.disk_bytes == store.live_bytes == 0
    # Written to again, it starts a new segment.
    position = store.write(b"again")
    assert store.read(position, 5) == b"again" and position >> OFFSET_BITS == 5


def test_compaction_moves_the_spans_of_half_empty_segments_and_frees_them(tmp_path):
    store = SpillStore(segment_bytes=1000, directory=str(tmp_path))
    data = chunks(20, 400)
    kept = array("Q")
    for index, chunk in enumerate(data):
        position = store.write(chunk)
        if index % 4 == 0:
            kept.extend((position, len(chunk)))  # one in four is kept: every segment is half empty or emptier
        else:
            store.release(position, len(chunk))
    before = store.disk_bytes
    store.compact([kept])
    assert store.disk_bytes == store.live_bytes == sum(len(chunk) for chunk in data[::4]) == before / 2
    assert [store.read(kept[i], kept[i + 1]) for i in range(0, len(kept), 2)] == data[::4]


def comment_page(comments: list[tuple[int, int, int]], end_time: int) -> dict:
    """An event page: (ticket id, comment id, body length) each an audit with one comment."""
    return {"ticket_events": [
        {"id": comment_id * 10, "ticket_id": ticket_id, "timestamp": 1_700_000_000, "event_type": "Audit",
         "child_events": [{"id": comment_id, "event_type": "Comment", "body": "ü" * length, "author_id": 1,
                           "created_at": "2023-11-14T22:13:20Z"}]}
        for ticket_id, comment_id, length in comments], "end_time": end_time, "end_of_stream": False}


def test_kept_comments_are_on_disk_and_come_back_as_read(tmp_path):
    events = CommentEvents(1_600_000_000, SpillStore(segment_bytes=4096, directory=str(tmp_path)))
    page = comment_page([(1, 11, 3000), (2, 21, 10), (1, 12, 5000)], 1_700_000_001)
    events.add_page(page)
    events.add_page(page)  # the events of the end_time second read again on the next page: kept once
    expected = [json.dumps(event["child_events"][0], ensure_ascii=False, separators=(",", ":")).encode()
                for event in page["ticket_events"]]
    assert events.kept_bytes == events.store.live_bytes == sum(map(len, expected))
    assert events.index_bytes == 2 * TICKET_OVERHEAD + 3 * COMMENT_OVERHEAD
    assert events.take(1) == [expected[0], expected[2]]
    assert events.kept_bytes == len(expected[1]) and events.index_bytes == TICKET_OVERHEAD + COMMENT_OVERHEAD
    assert events.take(2) == [expected[1]] and events.take(2) == []
    assert events.store.segments == {} and events.kept_bytes == events.index_bytes == 0


def test_beyond_the_disk_budget_the_largest_tickets_go_first(tmp_path):
    events = CommentEvents(1_600_000_000, SpillStore(segment_bytes=8192, directory=str(tmp_path)))
    sizes = {1: 30_000, 2: 200, 3: 20_000, 4: 300, 5: 10_000}  # bytes of body per ticket ("ü": two bytes each)
    events.add_page(comment_page([(ticket, ticket * 100 + n, size // 4) for ticket, size in sizes.items()
                                  for n in range(2)], 1_700_000_001))
    budget = 40_000
    assert events.kept_bytes > budget
    victims = events.evict(keep={1}, limit=100, spill_bytes=budget, index_bytes=2**20)
    assert victims == [1, 3]  # the largest, waiting or not, down to three quarters of the budget
    assert events.kept_bytes <= budget * 3 // 4 and set(events.comments) == {2, 4, 5}
    assert events.store.disk_bytes <= budget  # what the victims held on disk is freed or compacted away
    assert 1 in events.evicted and 3 in events.evicted
    events.add_page(comment_page([(1, 199, 10)], 1_700_000_002))
    assert 1 not in events.comments  # a ticket let go keeps no later comment
    assert [json.loads(data)["id"] for data in events.take(5)] == [500, 501]


def test_beyond_the_memory_budget_of_the_index_the_largest_tickets_go_first(tmp_path):
    events = CommentEvents(1_600_000_000, SpillStore(directory=str(tmp_path)))
    events.add_page(comment_page([(ticket, ticket * 1000 + n, 5) for ticket in (1, 2, 3) for n in range(ticket * 10)],
                                 1_700_000_001))
    index = 3 * TICKET_OVERHEAD + 60 * COMMENT_OVERHEAD
    assert events.index_bytes == index
    victims = events.evict(keep=set(), limit=100, spill_bytes=2**30, index_bytes=index - 1)
    assert victims == [3] and events.index_bytes == 2 * TICKET_OVERHEAD + 30 * COMMENT_OVERHEAD


def test_tickets_kept_long_do_not_hold_the_disk_their_first_comments_are_moved(tmp_path):
    events = CommentEvents(1_600_000_000, SpillStore(segment_bytes=2000, directory=str(tmp_path)))
    # Ticket 1 is kept throughout; the other tickets come and go, each after one page.
    for page in range(30):
        events.add_page(comment_page([(1, 100 + page, 50), (1000 + page, 10_000 + page, 900)], 1_700_000_001 + page))
        events.take(1000 + page - 1)
        events.evict(keep={1}, limit=100, spill_bytes=2**30, index_bytes=2**20)
        assert events.store.disk_bytes <= 2 * (events.store.live_bytes + events.store.segment_bytes) + 2000
    assert [json.loads(data)["id"] for data in events.take(1)] == list(range(100, 130))
    assert [json.loads(data)["id"] for data in events.take(1029)] == [10_029]
    assert events.store.segments == {}
