"""Reading what a run leaves in its location, for readers other than the crawl: the page, scripts.

Each function takes a document's text (``None``: there is none) as
``documents_for(...).read`` returns it and never raises: a document of an
unexpected shape is a file of the location like any other, so a value of the
wrong type reads as missing, never trusted.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from zendesk_crawler.extensions.progress import StreamProgress, progress_summary
from zendesk_crawler.extensions.status import STATUS_VERSION
from zendesk_crawler.state.lock import lock_uri
from zendesk_crawler.state.store import StateError, parse_state

__all__ = ["LockHolder", "ManifestSummary", "RunStatus", "SavedPosition", "StreamCounts", "lock_uri",
           "read_lock_holder", "read_manifest", "read_positions", "read_status"]


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


# --- the state file ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedPosition:
    """Where a stream's next run starts: the saved position as a date (or ``the start``)."""

    stream: str
    position: str


def read_positions(state_text: str | None) -> list[SavedPosition]:
    """Each stream's saved position in a state document, by stream name (empty: no state, or not a usable one)."""
    try:
        state = parse_state(state_text, "the state file") if state_text else None
    except StateError:
        return []
    positions = []
    for stream, entry in sorted((state or {}).get("streams", {}).items()):
        moment = _text(entry.get("position_updated_at"))
        start_time = entry.get("start_time")
        if moment is None and isinstance(start_time, int) and not isinstance(start_time, bool):
            moment = datetime.fromtimestamp(start_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        positions.append(SavedPosition(stream, moment or "the start"))
    return positions


# --- manifests --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamCounts:
    """One stream's line in a manifest: records exported, API requests, complete or its problem."""

    stream: str
    records: int
    requests: int
    complete: bool
    problem: str | None


@dataclass(frozen=True)
class ManifestSummary:
    """What a manifest says of its run, every value of the type it should have (else missing)."""

    run_id: str
    status: str
    failure: str | None
    started_at: str | None
    finished_at: str | None
    tickets: int
    comments: int
    streams: list[StreamCounts]
    #: The run's files, as the manifest lists them (URIs).
    files: list[str] = field(default_factory=list)
    #: A filtered run's filter (its ``-a`` options as the manifest lists them), else ``None``.
    ticket_filter: dict[str, Any] | None = None
    #: A person export's ``-a user=``, else ``None``.
    person: str | None = None


def read_manifest(text: str | None) -> ManifestSummary | None:
    """A manifest's summary (``None``: not JSON, not an object, or it names no run)."""
    manifest = _json(text)
    if not isinstance(manifest, dict):
        return None
    run_id = manifest.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        return None
    entries = _mapping(manifest.get("streams"))
    streams = [StreamCounts(str(name), _count(entry.get("records")), _count(entry.get("requests")),
                            entry.get("complete") is True, _text(entry.get("problem")))
               for name, entry in entries.items() if isinstance(entry, dict)]
    failure = _text(manifest.get("failure"))
    if not streams:  # manifests written before streams had their own entries
        streams = [StreamCounts("tickets", _count(manifest.get("tickets_exported")), 0, failure is None, failure)]
    listed = manifest.get("files")
    files = [uri for uri in listed if isinstance(uri, str)] if isinstance(listed, list) else []
    person = manifest.get("person")
    selected = manifest.get("filter")
    return ManifestSummary(
        run_id, _text(manifest.get("status")) or "failed", failure, _text(manifest.get("started_at")),
        _text(manifest.get("finished_at")), _count(manifest.get("tickets_exported")),
        _count(manifest.get("comments_exported")), streams, files,
        selected if isinstance(selected, dict) else None,
        str(person.get("user")) if isinstance(person, dict) else None)


# --- the run lock ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LockHolder:
    """The run that holds a location's lock now."""

    run_id: str
    since: str


def read_lock_holder(lock_text: str | None) -> LockHolder | None:
    """The run holding the lock whose text (at :func:`lock_uri`) this is, if it still holds it.

    The lock is only looked at, never taken (taking it, even for a moment, could make
    a starting run fail). A local holder holds it while its process lives (the kernel
    drops an ``flock`` with its process, but the file keeps its last holder); an S3
    lease while it has not expired; a local lock of another machine as far as can be told.
    """
    holder = _json(lock_text)
    if not isinstance(holder, dict):
        return None
    run_id = str(holder.get("run_id", ""))
    expires_at = _number(holder.get("expires_at"))
    if "expires_at" in holder:
        alive = expires_at is not None and expires_at > time.time()
    elif holder.get("host") == socket.gethostname():
        alive = _process_alive(_count(holder.get("pid")))
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


# --- the status document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunStatus:
    """A run's status document (``extensions/status.py``): how far it got, and, once it ended, how."""

    run_id: str
    state: str
    started_at: str | None
    updated_at: str | None
    finish_reason: str | None
    failure: str | None
    requests: int
    comments: int
    comment_pages: int
    streams: list[StreamProgress]

    @property
    def tickets(self) -> int | None:
        """Ticket records exported so far (``None``: the run exports no tickets)."""
        return next((entry.records for entry in self.streams if entry.stream == "tickets"), None)

    @property
    def position(self) -> str | None:
        """The ticket stream's position reached: the ``updated_at`` of the newest ticket read."""
        return next((entry.position for entry in self.streams if entry.stream == "tickets"), None)

    def summary(self) -> str:
        """The text of the crawler's progress line for this status."""
        return progress_summary(self.requests, self.streams, self.comments, self.comment_pages)


def read_status(text: str | None, run_id: str) -> RunStatus | None:
    """The status document of run ``run_id`` (``None``: none yet, another run's, another version, not one)."""
    document = _json(text)
    if not isinstance(document, dict) or document.get("version") != STATUS_VERSION \
            or document.get("run_id") != run_id or _text(document.get("state")) is None:
        return None
    entries = _mapping(document.get("streams"))
    streams = [StreamProgress(str(name), _count(entry.get("records")), _count(entry.get("pages")),
                              _count(entry.get("requests")), entry.get("ended") is True,
                              _text(entry.get("position_updated_at")), _number(entry.get("covered")),
                              _number(entry.get("seconds_left")))
               for name, entry in entries.items() if isinstance(entry, dict)]
    return RunStatus(run_id, document["state"], _text(document.get("started_at")), _text(document.get("updated_at")),
                     _text(document.get("finish_reason")), _text(document.get("failure")),
                     _count(document.get("requests")), _count(document.get("comments_exported")),
                     _count(document.get("comment_pages")), streams)
