"""Keeping the page's index up with the location without making a request wait for a long indexing.

A request asks the follower to bring the index up to date: a refresh starts in
a thread of its own (one at a time), and the request waits for it at most
``ZENDESK_WEB_INDEX_WAIT`` seconds (default 5: a new run of a few thousand
tickets is indexed within that). A first index of a large backup takes longer
(BENCHMARKS.md): the request is then answered from what is indexed so far (each
file is indexed whole or not at all), with how far the indexing has got, and the
next request finds it further on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from zendesk_crawler.web.runs import Run
from zendesk_crawler.web.tickets import TicketIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexProgress:
    """An indexing still going on: files read of files to read, and of what (``ticket``, ``history``)."""

    files_read: int
    files_to_read: int
    what: str = "ticket"


class IndexFollower:
    """Runs the index's refreshes in a thread, one at a time, and tells how far the running one is."""

    def __init__(self, index: TicketIndex, runs: Callable[[], Iterable[Run]], wait_seconds: float) -> None:
        self.index = index
        self.runs = runs
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._progress = IndexProgress(0, 0)

    def follow(self) -> IndexProgress | None:
        """Bring the index up to date, waiting at most ``wait_seconds``; ``None`` when it is, else how far it is."""
        with self._lock:
            if self._running is None or not self._running.is_alive():
                self._progress = IndexProgress(0, 0)  # not the last refresh's count until this one tells
                self._running = threading.Thread(target=self._refresh, name="index-refresh", daemon=True)
                self._running.start()
            running = self._running
        running.join(self.wait_seconds)
        return self.progress()

    def progress(self) -> IndexProgress | None:
        """How far the running refresh is (``None``: none is running)."""
        with self._lock:
            running = self._running is not None and self._running.is_alive()
            return self._progress if running else None

    def _refresh(self) -> None:
        try:
            self.index.refresh(self.runs(), self._told)
        except Exception:  # a failed refresh must not end the page; the next request tries again
            logger.exception("indexing the export location failed")

    def _told(self, files_read: int, files_to_read: int, what: str = "ticket") -> None:
        with self._lock:
            self._progress = IndexProgress(files_read, files_to_read, what)
