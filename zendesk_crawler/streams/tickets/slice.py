"""``-a max_tickets=N``: which tickets of each export page a run's slice takes, N distinct tickets in all.

A slice may end inside an export page (Zendesk's hold 1000 tickets). The tickets it leaves there are
not accepted at all (no comments requested), and the page is *cut*: the run state never saves the cursor
after a cut page, but the cursor before it with the page's stored tickets listed after it, so the next run
reads that page again, skips what this one stored and takes the rest.

Pure bookkeeping: the stream says, for each ticket of a page it would export, its id and whether it is the
newest version seen (an older version in the same page needs no export and costs the slice nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """A ticket of an export page that would be exported: its id (``None``: one without a numeric id, which a
    checkpoint cannot list) and whether it is the newest version of its ticket seen so far."""

    ticket_id: int | None
    current: bool = True


@dataclass
class TicketSlice:
    """The tickets a run with ``max_tickets=limit`` takes: at most ``limit`` distinct ids, page after page."""

    limit: int
    #: Ids taken so far (a newer version of one of them is taken too, without counting again).
    taken: set[int] = field(default_factory=set)

    @property
    def full(self) -> bool:
        """Whether the slice holds ``limit`` tickets: no more pages are read."""
        return len(self.taken) >= self.limit

    def take(self, candidates: list[Candidate]) -> tuple[list[int], bool]:
        """The indices of the page's candidates to take, in page order, and whether the page is cut (some of
        its tickets are left for the next run).

        Taken: a newer version of a ticket already taken; an older version superseded within the page (it is
        dropped later, at no cost); a current ticket while the slice has room. Left: every other current
        ticket, and, in a cut page, the tickets without an id (the run that finishes the page exports them,
        since no checkpoint can list them as stored).
        """
        kept: list[int] = []
        without_id: list[int] = []
        cut = False
        for index, candidate in enumerate(candidates):
            if candidate.ticket_id is None:
                without_id.append(index)
            elif candidate.ticket_id in self.taken or not candidate.current:
                kept.append(index)
            elif not self.full:
                self.taken.add(candidate.ticket_id)
                kept.append(index)
            else:
                cut = True
        if not cut:
            kept = sorted(kept + without_id)
        return kept, cut
