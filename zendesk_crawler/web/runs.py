"""The runs of an export location, newest first, from their manifests; the saved state; the run holding the lock."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.web.location import ExportLocation

MANIFEST_PREFIX = "manifest-"


@dataclass(frozen=True)
class StreamCounts:
    """One stream's line in a run: records exported, API requests, complete or its problem."""

    stream: str
    records: int
    requests: int
    complete: bool
    problem: str | None


@dataclass(frozen=True)
class Run:
    """One run, as its manifest tells it (``status``: complete or failed)."""

    run_id: str
    status: str
    failure: str | None
    started_at: str | None
    finished_at: str | None
    tickets: int
    comments: int
    streams: list[StreamCounts]
    #: The run's files, as paths inside the export location.
    files: list[str] = field(default_factory=list)
    #: What a run that was not a backup exported: ``filter: status=solved …`` or ``person: <user>``.
    scope: str | None = None

    @property
    def requests(self) -> int:
        return sum(stream.requests for stream in self.streams)

    @property
    def duration(self) -> str:
        """``1 min 5 s``, or empty when a time is missing."""
        start, end = epoch(self.started_at), epoch(self.finished_at)
        if start is None or end is None:
            return ""
        seconds = max(0, end - start)
        return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


@dataclass(frozen=True)
class LockHolder:
    """The run that holds the location's lock now."""

    run_id: str
    since: str


@dataclass(frozen=True)
class StreamPosition:
    """Where a stream's next run starts: the saved position as a date."""

    stream: str
    position: str


def read_runs(location: ExportLocation) -> list[Run]:
    """Every run with a manifest, newest first (run ids sort by their start time)."""
    return RunCatalog(location).runs()


class RunCatalog:
    """The location's runs, each manifest read once and again only when its identity (size and mtime, or
    ETag) changes: the page lists runs on every request and its progress poll, and on S3 a GET per run each
    time would grow with the location's age."""

    def __init__(self, location: ExportLocation) -> None:
        self.location = location
        #: Manifest name → (its identity when read, its run or None when it was not a manifest).
        self.read: dict[str, tuple[str | None, Run | None]] = {}

    def runs(self) -> list[Run]:
        """Every run with a manifest, newest first (run ids sort by their start time)."""
        names = [name for name in self.location.names(MANIFEST_PREFIX) if name.endswith(".json")]
        identities = self.location.identities(names)
        read = {}
        for name in names:
            identity = identities.get(name)
            known = self.read.get(name)
            read[name] = known if known is not None and identity is not None and known[0] == identity \
                else (identity, self._run(name))
        self.read = read  # manifests no longer listed are forgotten
        return sorted((run for _, run in read.values() if run is not None), key=lambda run: run.run_id,
                      reverse=True)

    def _run(self, name: str) -> Run | None:
        try:
            manifest = json.loads(self.location.read_bytes(name) or b"")
        except ValueError:
            return None
        return run_from_manifest(manifest, self.location) if isinstance(manifest, dict) else None


def run_from_manifest(manifest: dict[str, Any], location: ExportLocation) -> Run | None:
    """A :class:`Run` from a manifest document (``None`` when it names no run); file URIs become paths inside
    the location. A manifest is a file of the location like any other: a value of an unexpected type is
    shown as missing, never trusted."""
    run_id = manifest.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        return None
    entries = manifest.get("streams") if isinstance(manifest.get("streams"), dict) else {}
    streams = [StreamCounts(str(name), _count(entry.get("records")), _count(entry.get("requests")),
                            entry.get("complete") is True, _text(entry.get("problem")))
               for name, entry in entries.items() if isinstance(entry, dict)]
    failure = _text(manifest.get("failure"))
    if not streams:  # manifests written before streams had their own entries
        streams = [StreamCounts("tickets", _count(manifest.get("tickets_exported")), 0, failure is None, failure)]
    uris = manifest.get("files") if isinstance(manifest.get("files"), list) else []
    files = [path for uri in uris if isinstance(uri, str) and (path := location.relative(uri)) is not None]
    return Run(run_id, _text(manifest.get("status")) or "failed", failure, _text(manifest.get("started_at")),
               _text(manifest.get("finished_at")), _count(manifest.get("tickets_exported")),
               _count(manifest.get("comments_exported")), streams, files, _scope(manifest))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _scope(manifest: dict[str, Any]) -> str | None:
    """A filtered run's filter or a person export's person, from the manifest (``None``: a backup)."""
    person, selected = manifest.get("person"), manifest.get("filter")
    if isinstance(person, dict):
        return f"person: {person.get('user')}"
    if isinstance(selected, dict):
        given = [f"{name}={','.join(map(str, value)) if isinstance(value, list) else value}"
                 for name, value in selected.items()
                 if name in ("query", "status", "created_from", "created_to", "ticket_ids")]
        return "filter: " + " ".join(given)
    return None


def read_positions(state_text: str | None) -> list[StreamPosition]:
    """Each stream's saved position in the state document, as a date (empty when there is no state yet)."""
    try:
        state = json.loads(state_text or "{}")
    except ValueError:
        return []
    positions = []
    for stream, entry in sorted((state.get("streams") or {}).items()):
        moment = entry.get("position_updated_at")
        if moment is None and isinstance(entry.get("start_time"), int):
            moment = datetime.fromtimestamp(entry["start_time"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        positions.append(StreamPosition(stream, moment or "the start"))
    return positions


def lock_holder(lock_text: str | None, runs: list[Run]) -> LockHolder | None:
    """The run holding the location's lock (the text of ``state.json.lock``) now, if any.

    The lock is only looked at, never taken (taking it, even for a moment, could
    make a starting run fail). Locally the holder is running while its process
    lives and has not written its manifest; on S3 while its lease lasts.
    """
    try:
        holder = json.loads(lock_text or "null")
    except ValueError:
        return None
    if not isinstance(holder, dict):
        return None
    run_id = str(holder.get("run_id", ""))
    if any(run.run_id == run_id for run in runs):
        return None
    if "expires_at" in holder:
        alive = holder["expires_at"] > time.time()
    elif holder.get("host") == socket.gethostname():
        alive = _process_alive(int(holder.get("pid", 0)))
    else:
        alive = True  # held on another machine: only its manifest tells when it ends
    return LockHolder(run_id, str(holder.get("since", ""))) if alive else None


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
