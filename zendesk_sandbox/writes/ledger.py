"""The record of every object the write endpoints created: ``GET /_sandbox/truth/written``.

A test asserts with it that nothing was created twice (a restore that retried after a lost answer) and that a
dry run wrote nothing; the request log names each write endpoint for counting the requests themselves.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any


class Ledger:
    """Per type (``ticket``, ``user``, ``organization``, ``group``, ``ticket_field``, the configuration streams'
    singular names, ``upload``, ``job``): the ids created, in order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._created: defaultdict[str, list[Any]] = defaultdict(list)
        self._updated: defaultdict[str, list[Any]] = defaultdict(list)

    def created(self, kind: str, record_id: Any) -> None:
        with self._lock:
            self._created[kind].append(record_id)

    def updated(self, kind: str, record_id: Any) -> None:
        with self._lock:
            self._updated[kind].append(record_id)

    def truth(self) -> dict[str, Any]:
        """``{"counts": {type: n}, "created": {type: [ids]}, "updated": {type: [ids]}}``."""
        with self._lock:
            return {"counts": {kind: len(ids) for kind, ids in self._created.items()},
                    "created": {kind: list(ids) for kind, ids in self._created.items()},
                    "updated": {kind: list(ids) for kind, ids in self._updated.items()}}
