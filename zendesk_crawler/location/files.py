"""Local files written whole or not at all, and the leftovers of a killed run."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

#: The folder beside a feed file's final name where it is written until complete.
PARTIAL_DIR = ".partial"
#: What a backup's files and folders are created without: every permission of the group and of others. A backup
#: holds every conversation of the account, so its files are its owner's only (0600, folders 0700).
PRIVATE_UMASK = 0o077


def keep_private() -> None:
    """Create every file and folder of this process readable by its owner only (the crawl, the restore, the page
    and the demo call it first)."""
    os.umask(PRIVATE_UMASK)


def write_atomically(path: Path, data: bytes | memoryview) -> None:
    """Write a file whole or not at all: a temporary file beside it, fsynced, renamed into place, the rename fsynced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_partials(export_dir: Path) -> None:
    """Delete files left under ``.partial/`` by a run that was killed (call only while holding the run lock)."""
    partial_dir = export_dir / PARTIAL_DIR
    if not partial_dir.is_dir():
        return
    for leftover in partial_dir.iterdir():
        if leftover.is_file():
            logger.warning("Removing %s, left incomplete by an interrupted run (its tickets are exported again)",
                           leftover)
            leftover.unlink()
