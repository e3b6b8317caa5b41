"""The page's index follower: a long indexing answers from what is indexed so far and says how far it is."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.unit.test_web_browse import RUN_1, RUN_2, ticket, write_run
from zendesk_crawler.location.reader import LocalLocation
from zendesk_crawler.web.index_follower import IndexFollower
from zendesk_crawler.web.runs import read_runs
from zendesk_crawler.web.tickets import TicketIndex


class HeldLocation(LocalLocation):
    """A local location whose second ticket file cannot be read until the test lets it (a slow S3, say)."""

    def __init__(self, root: str, held: str) -> None:
        super().__init__(root)
        self.held, self.release, self.reached = held, threading.Event(), threading.Event()

    def stream(self, path: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if path == self.held:
            self.reached.set()
            self.release.wait()
        return super().stream(path, *args, **kwargs)


def test_a_request_is_answered_from_what_is_indexed_while_the_rest_is_read(tmp_path: Path) -> None:
    export = tmp_path / "export"
    write_run(export, RUN_1, [ticket(1, "2026-11-01T00:00:00Z")])
    write_run(export, RUN_2, [ticket(2, "2026-11-02T00:00:00Z")])
    location = HeldLocation(str(export), f"tickets-{RUN_2}-00001.jsonl")
    index = TicketIndex(tmp_path / "cache" / "tickets.sqlite", location)
    follower = IndexFollower(index, lambda: read_runs(location), wait_seconds=0)
    follower.follow()
    assert location.reached.wait(60)  # the first file is indexed, the second is being read
    progress = follower.progress()
    assert progress is not None and (progress.files_read, progress.files_to_read) == (1, 2)
    assert index.ticket(1) is not None and index.ticket(2) is None  # what is indexed so far, whole
    assert follower.follow() == progress
    # No second refresh while one runs: one refresh thread only.
    assert [thread.name for thread in threading.enumerate()].count("index-refresh") == 1
    location.release.set()
    follower.wait_seconds = 60
    assert follower.follow() is None
    assert index.ticket(2) is not None and follower.progress() is None
