"""PageTracker: the saved cursor never moves past a ticket that is not in a stored file."""

from zendesk_crawler.checkpoint import PageTracker


def test_cursor_moves_only_past_pages_whose_records_are_all_stored():
    pages = PageTracker()
    pages.page_started(1, "c1", 2)
    pages.page_started(2, "c2", 2)
    pages.ticket_exported(1)            # item 1
    pages.ticket_exported(2)            # item 2
    assert not pages.advance(items_stored=2) and pages.safe_cursor is None  # page 1 still has a ticket out
    pages.ticket_exported(1)            # item 3
    assert not pages.advance(items_stored=2)  # page 1's last record (item 3) is not stored yet
    assert pages.advance(items_stored=3) and pages.safe_cursor == "c1"
    pages.ticket_dropped(2)             # superseded by a later version
    assert pages.advance(items_stored=3) and pages.safe_cursor == "c2"


def test_a_failed_ticket_blocks_every_later_page():
    pages = PageTracker()
    pages.page_started(1, "c1", 1)      # its comments never arrive
    pages.page_started(2, "c2", 1)
    pages.ticket_exported(2)
    assert not pages.advance(items_stored=10**6) and pages.safe_cursor is None


def test_empty_pages_and_pages_without_cursor():
    pages = PageTracker()
    pages.page_started(1, "c1", 0)
    pages.page_started(2, None, 0)
    assert pages.advance(items_stored=0) and pages.safe_cursor == "c1"
