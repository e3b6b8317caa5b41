"""The page's PDFs rendered a few at a time and kept by ticket version, so that no visitor can make the page render
without end.

A PDF is asked for by a key that names everything it is drawn from (the ticket's
version in the backup, its deletion, the part, the page's templates): a PDF of
that key already rendered is read from the cache folder (``pdf/`` in the page's
cache, 0600 files in a 0700 folder, the oldest dropped beyond ``keep_bytes``).
Otherwise at most ``renders`` render at once; up to ``waiting`` more requests
wait for a slot (up to ``wait`` seconds), and beyond that a request is answered
at once with :class:`PdfBusy` (the page says 503, try again). A request that
waited for the same key finds the PDF the other one rendered.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

#: How long the page tells a visitor to wait before asking again when every slot is taken.
RETRY_AFTER_SECONDS = 5


class PdfBusy(Exception):
    """Every render slot is taken and the waiting line is full (or the wait ran out)."""


class PdfRenders:
    """At most ``renders`` PDF renders at once, each PDF kept on disk by its key."""

    def __init__(self, folder: Path, renders: int = 2, waiting: int = 2, wait: float = 30.0,
                 keep_bytes: int = 256 * 1024 * 1024) -> None:
        self.folder = folder
        self.wait = wait
        self.keep_bytes = keep_bytes
        self._slots = threading.BoundedSemaphore(renders)
        self._admitted = threading.Lock()
        self._asking = 0
        self._limit = renders + waiting

    def path(self, key: str) -> Path:
        """Where the PDF of ``key`` is kept."""
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()}.pdf"

    def get(self, key: str, render: Callable[[], bytes]) -> tuple[bytes, bool]:
        """The PDF of ``key`` and whether it came from the cache; ``render`` is called only when it is not there.

        Raises :class:`PdfBusy` when no slot is free within the wait or the line is full.
        """
        kept = self._read(key)
        if kept is not None:
            return kept, True
        with self._admitted:
            if self._asking >= self._limit:
                raise PdfBusy
            self._asking += 1
        try:
            if not self._slots.acquire(timeout=self.wait):
                raise PdfBusy
            try:
                kept = self._read(key)  # rendered by a request that had the slot before this one
                if kept is not None:
                    return kept, True
                pdf = render()
                self._keep(key, pdf)
                return pdf, False
            finally:
                self._slots.release()
        finally:
            with self._admitted:
                self._asking -= 1

    def _read(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            data = path.read_bytes()
            os.utime(path)  # the oldest read goes first when the cache is trimmed
        except FileNotFoundError:  # not rendered yet, or trimmed by another request meanwhile
            return None
        return data

    def _keep(self, key: str, pdf: bytes) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.path(key)
        partial = path.with_suffix(f".{threading.get_ident()}.partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pdf)
        os.replace(partial, path)
        self._trim()

    def _trim(self) -> None:
        """Drop the least recently read PDFs until the folder holds at most ``keep_bytes``."""
        kept = []
        for path in self.folder.glob("*.pdf"):
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            kept.append((status.st_mtime, status.st_size, path))
        total = sum(size for _, size, _ in kept)
        for _, size, path in sorted(kept, key=lambda item: item[0]):
            if total <= self.keep_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
