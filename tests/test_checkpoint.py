"""PageTracker: the saved cursor never moves past a ticket that is not in a stored file."""

from zendesk_crawler.state.checkpoint import PageTracker, ticket_version


def started(pages: PageTracker, page: int, cursor: str | None, pending: int) -> None:
    pages.page_started(page, cursor)
    pages.tickets_pending(page, pending)


def test_cursor_moves_only_past_pages_whose_records_are_all_stored():
    pages = PageTracker()
    started(pages, 1, "c1", 2)
    started(pages, 2, "c2", 2)
    pages.ticket_exported(1, (11, "t"))  # item 1
    pages.ticket_exported(2, (21, "t"))  # item 2
    assert not pages.advance(items_stored=2) and pages.safe_cursor is None  # page 1 still has a ticket out
    pages.ticket_exported(1, (12, "t"))  # item 3
    assert not pages.advance(items_stored=2)  # page 1's last record (item 3) is not stored yet
    assert pages.advance(items_stored=3) and pages.safe_cursor == "c1"
    pages.ticket_dropped(2)              # superseded by a later version
    assert pages.advance(items_stored=3) and pages.safe_cursor == "c2"


def test_a_failed_ticket_blocks_every_later_page():
    pages = PageTracker()
    started(pages, 1, "c1", 1)           # its comments never arrive
    started(pages, 2, "c2", 1)
    pages.ticket_exported(2, (21, "t"))
    assert not pages.advance(items_stored=10**6) and pages.safe_cursor is None


def test_empty_pages_and_pages_without_cursor():
    pages = PageTracker()
    started(pages, 1, "c1", 0)
    started(pages, 2, None, 0)
    assert pages.advance(items_stored=0) and pages.safe_cursor == "c1"


def test_stored_tickets_of_unfinished_pages_are_listed_for_the_checkpoint():
    pages = PageTracker()
    started(pages, 1, "c1", 2)
    started(pages, 2, "c2", 3)
    pages.ticket_exported(1, (11, "a"))  # item 1
    pages.ticket_exported(2, (21, "a"))  # item 2
    pages.ticket_already_stored(2, (22, "a"))  # stored by the interrupted run this one resumes
    pages.ticket_exported(1, (12, "a"))  # item 3
    pages.ticket_exported(2, (23, "a"))  # item 4, not stored yet
    assert pages.advance(items_stored=3) and pages.safe_cursor == "c1"
    assert pages.stored_beyond_cursor(items_stored=3) == [(21, "a"), (22, "a")]


def test_only_versions_a_checkpoint_can_name_are_listed():
    assert ticket_version({"id": 5, "updated_at": "2024-01-01T00:00:00Z"}) == (5, "2024-01-01T00:00:00Z")
    assert ticket_version({"id": "5", "updated_at": "x"}) == (None, None)
    assert ticket_version({"id": 5, "updated_at": {"odd": 1}}) == (None, None)
