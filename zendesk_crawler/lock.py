"""One run at a time per export location: an advisory lock held beside the state file."""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

from zendesk_crawler.state import StateError


class RunLockedError(StateError):
    """Another run holds the lock of this export location."""


class RunLock:
    """An exclusive ``flock`` on ``<state file>.lock``, released when the run ends or its process dies.

    The kernel drops the lock of a killed process, so a crash never leaves a
    stale lock behind; the file itself stays and says who held it last.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, run_id: str) -> None:
        """Take the lock or raise :class:`RunLockedError` naming the run that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise RunLockedError(
                f"another run is using this export location (lock {self.path} held by {holder}); "
                "wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": run_id,
                  "since": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        os.write(fd, json.dumps(holder).encode())
        self.fd = fd

    def release(self) -> None:
        """Let the next run in."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
