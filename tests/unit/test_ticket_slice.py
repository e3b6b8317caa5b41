"""TicketSlice: which tickets of each export page a ``-a max_tickets=N`` run takes."""

from zendesk_crawler.streams.tickets.slice import Candidate, TicketSlice


def test_a_slice_takes_n_tickets_and_cuts_the_page_that_holds_more():
    chosen = TicketSlice(3)
    assert chosen.take([Candidate(1), Candidate(2)]) == ([0, 1], False) and not chosen.full
    assert chosen.take([Candidate(3), Candidate(4), Candidate(5)]) == ([0], True) and chosen.full
    assert chosen.taken == {1, 2, 3}


def test_a_page_that_fills_the_slice_exactly_is_not_cut():
    chosen = TicketSlice(2)
    assert chosen.take([Candidate(1), Candidate(2)]) == ([0, 1], False) and chosen.full


def test_older_versions_in_the_page_cost_nothing_and_newer_versions_of_taken_tickets_are_taken():
    chosen = TicketSlice(2)
    assert chosen.take([Candidate(1)]) == ([0], False)
    # Ticket 7's older version (superseded later in the page) is taken at no cost: it is dropped later.
    page = [Candidate(7, current=False), Candidate(1), Candidate(2), Candidate(7), Candidate(8)]
    assert chosen.take(page) == ([0, 1, 2], True)  # 1 again: a newer version of a ticket taken; 7 and 8 left
    assert chosen.taken == {1, 2}


def test_tickets_without_an_id_are_left_to_the_run_that_finishes_their_page():
    chosen = TicketSlice(1)
    assert chosen.take([Candidate(None), Candidate(1), Candidate(2)]) == ([1], True)
    whole = TicketSlice(5)
    assert whole.take([Candidate(None), Candidate(1)]) == ([0, 1], False)
