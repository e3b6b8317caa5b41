"""PageTracker: the saved position never moves past a record that is not in a stored file."""

from zendesk_crawler.run.positions import record_version, saved_version
from zendesk_crawler.state.checkpoint import PageTracker


def started(pages: PageTracker, page: int, cursor: str | None, pending: int, repeats=()) -> None:
    pages.page_started(page, cursor, list(repeats))
    pages.records_pending(page, pending)


def test_cursor_moves_only_past_pages_whose_records_are_all_stored():
    pages = PageTracker()
    started(pages, 1, "c1", 2)
    started(pages, 2, "c2", 2)
    pages.record_exported(1, (11, "t"))  # item 1
    pages.record_exported(2, (21, "t"))  # item 2
    assert not pages.advance(items_stored=2) and pages.safe_position is None  # page 1 still has a ticket out
    pages.record_exported(1, (12, "t"))  # item 3
    assert not pages.advance(items_stored=2)  # page 1's last record (item 3) is not stored yet
    assert pages.advance(items_stored=3) and pages.safe_position == "c1"
    pages.record_dropped(2)              # superseded by a later version
    assert pages.advance(items_stored=3) and pages.safe_position == "c2"


def test_a_failed_ticket_blocks_every_later_page():
    pages = PageTracker()
    started(pages, 1, "c1", 1)           # its comments never arrive
    started(pages, 2, "c2", 1)
    pages.record_exported(2, (21, "t"))
    assert not pages.advance(items_stored=10**6) and pages.safe_position is None


def test_empty_pages_and_pages_without_cursor():
    pages = PageTracker()
    started(pages, 1, "c1", 0)
    started(pages, 2, None, 0)
    assert pages.advance(items_stored=0) and pages.safe_position == "c1"


def test_stored_tickets_of_unfinished_pages_are_listed_for_the_checkpoint():
    pages = PageTracker()
    started(pages, 1, "c1", 2)
    started(pages, 2, "c2", 3)
    pages.record_exported(1, (11, "a"))  # item 1
    pages.record_exported(2, (21, "a"))  # item 2
    pages.record_already_stored(2, (22, "a"))  # stored by the interrupted run this one resumes
    pages.record_exported(1, (12, "a"))  # item 3
    pages.record_exported(2, (23, "a"))  # item 4, not stored yet
    assert pages.advance(items_stored=3) and pages.safe_position == "c1"
    assert pages.stored_beyond_position(items_stored=3) == [(21, "a"), (22, "a")]


def test_only_versions_a_checkpoint_can_name_are_listed():
    assert record_version({"id": 5, "updated_at": "2024-01-01T00:00:00Z"}) == (5, "2024-01-01T00:00:00Z")
    assert record_version({"id": 5, "updated_at": {"odd": 1}}) == (None, None)
    # Side conversations have UUID ids: a checkpoint lists them too.
    assert record_version({"id": "8566255a-ece5", "updated_at": "x"}) == ("8566255a-ece5", "x")
    assert record_version({"id": "", "updated_at": "x"}) == (None, None)
    assert record_version({"id": True, "updated_at": "x"}) == (None, None)
    assert record_version({"id": 1.5, "updated_at": "x"}) == (None, None)


def test_a_saved_version_is_an_id_and_a_time():
    assert saved_version([5, "2024-01-01T00:00:00Z"]) == (5, "2024-01-01T00:00:00Z")
    assert saved_version(["8566255a", "2018-11-20T16:58:36.453+00:00"]) == ("8566255a", "2018-11-20T16:58:36.453+00:00")
    for odd in ([[1], "x"], [5], [5, "x", 1], "5", [None, "x"], [5, None], {"id": 5}):
        assert saved_version(odd) is None


def test_a_time_based_page_lists_its_repeated_second_with_the_position():
    pages = PageTracker()
    started(pages, 1, 1000, 2, repeats=[(2, "t1000")])  # the next page starts with record 2 again
    started(pages, 2, 1010, 2, repeats=[(4, "t1010")])
    pages.record_exported(1, (1, "t990"))
    pages.record_exported(1, (2, "t1000"))
    pages.record_already_stored(2, (2, "t1000"))  # the repeat, skipped
    pages.record_exported(2, (3, "t1005"))  # item 3, stored
    assert pages.advance(items_stored=3) and pages.safe_position == 1000
    assert pages.stored_beyond_position(items_stored=3) == [(2, "t1000"), (3, "t1005")]
    assert pages.last_position == 1010 and pages.last_repeats == [(4, "t1010")]


def test_no_position_passes_a_cut_page_and_the_final_one_is_before_it_with_its_stored_records():
    pages = PageTracker()
    started(pages, 1, "c1", 1)
    started(pages, 2, "c2", 2)           # the slice ends inside page 2: the rest of it is left for the next run
    pages.page_cut(2)
    pages.record_exported(1, (11, "a"))  # item 1
    pages.record_already_stored(2, (20, "a"))  # stored by the run this one resumes
    pages.record_exported(2, (21, "a"))  # item 2
    pages.record_exported(2, (22, "a"))  # item 3
    assert pages.advance(items_stored=3) and pages.safe_position == "c1"  # never "c2"
    assert pages.stored_beyond_position(items_stored=3) == [(20, "a"), (21, "a"), (22, "a")]
    assert pages.final_position() == ("c1", [(20, "a"), (21, "a"), (22, "a")])


def test_a_first_page_cut_goes_on_from_where_the_run_resumed():
    pages = PageTracker()
    started(pages, 1, "c1", 1)
    pages.page_cut(1)
    pages.record_exported(1, (11, "a"))
    assert pages.final_position() == (None, [(11, "a")])  # None: the position this run started from


def test_without_a_cut_the_final_position_is_after_the_last_page_read():
    pages = PageTracker()
    started(pages, 1, "c1", 1)
    started(pages, 2, "c2", 0)
    assert pages.final_position() == ("c2", [])


def test_a_time_position_keeps_the_stored_versions_newer_than_it():
    # Side conversations: page 1 (up to second 1000) listed a ticket whose side conversation changed at second 1500.
    pages = PageTracker()
    pages.page_started(1, 1000, [])
    pages.records_pending(1, 2)
    pages.record_exported(1, ("sc-a", "1970-01-01T00:25:00.500+00:00"))  # second 1500
    pages.record_exported(1, ("sc-b", "1970-01-01T00:16:00+00:00"))  # second 960
    assert pages.advance(items_stored=2) and pages.safe_position == 1000
    assert pages.stored_beyond_position(items_stored=2) == [("sc-a", "1970-01-01T00:25:00.500+00:00")]
    pages.page_started(2, 2000, [])
    assert pages.advance(items_stored=2) and pages.stored_beyond_position(items_stored=2) == []  # passed it
    assert pages.final_position() == (2000, [])
    cursor = PageTracker()
    cursor.page_started(1, "c1", [])
    cursor.records_pending(1, 1)
    cursor.record_exported(1, (5, "2099-01-01T00:00:00Z"))
    assert cursor.advance(items_stored=1) and cursor.stored_beyond_position(items_stored=1) == []
