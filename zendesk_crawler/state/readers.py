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

from zendesk_crawler.state.lock import lock_uri
from zendesk_crawler.state.store import StateError, parse_state

__all__ = ["LockHolder", "ManifestSummary", "SavedPosition", "StreamCounts", "as_count", "as_json", "as_mapping",
           "as_number", "as_text", "lock_uri", "read_lock_holder", "read_manifest", "read_positions"]


def as_json(text: str | None) -> Any:
    """The JSON value of a document, or ``None`` when there is none or it is not JSON."""
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def as_count(value: Any) -> int:
    """A count from a document: an integer, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def as_number(value: Any) -> float | None:
    """A number from a document, else ``None``."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def as_text(value: Any) -> str | None:
    """A string from a document, else ``None``."""
    return value if isinstance(value, str) else None


def as_mapping(value: Any) -> dict[Any, Any]:
    """An object from a document, else an empty one."""
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
        moment = as_text(entry.get("position_updated_at"))
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
    #: What the stream needs that the account does not have, and Zendesk's answer (not a failure), else ``None``.
    unavailable: str | None = None


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
    manifest = as_json(text)
    if not isinstance(manifest, dict):
        return None
    run_id = manifest.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        return None
    entries = as_mapping(manifest.get("streams"))
    streams = [StreamCounts(str(name), as_count(entry.get("records")), as_count(entry.get("requests")),
                            entry.get("complete") is True, as_text(entry.get("problem")),
                            as_text(entry.get("unavailable")))
               for name, entry in entries.items() if isinstance(entry, dict)]
    failure = as_text(manifest.get("failure"))
    if not streams:  # manifests written before streams had their own entries
        streams = [StreamCounts("tickets", as_count(manifest.get("tickets_exported")), 0, failure is None, failure)]
    listed = manifest.get("files")
    files = [uri for uri in listed if isinstance(uri, str)] if isinstance(listed, list) else []
    person = manifest.get("person")
    selected = manifest.get("filter")
    return ManifestSummary(
        run_id, as_text(manifest.get("status")) or "failed", failure, as_text(manifest.get("started_at")),
        as_text(manifest.get("finished_at")), as_count(manifest.get("tickets_exported")),
        as_count(manifest.get("comments_exported")), streams, files,
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
    holder = as_json(lock_text)
    if not isinstance(holder, dict):
        return None
    run_id = str(holder.get("run_id", ""))
    expires_at = as_number(holder.get("expires_at"))
    if "expires_at" in holder:
        alive = expires_at is not None and expires_at > time.time()
    elif holder.get("host") == socket.gethostname():
        alive = _process_alive(as_count(holder.get("pid")))
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
