"""The sandbox clock: real time plus an offset that tests can only move forward."""

from __future__ import annotations

import threading
import time


class Clock:
    """Sandbox-now in unix seconds; ``advance`` moves it forward without sleeping."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current sandbox time as a float."""
        return time.time() + self._offset

    def now_int(self) -> int:
        """Current sandbox time in whole seconds (what timestamps are stamped with)."""
        return int(self.now())

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (must be >= 0) and return the new now."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
