"""Where a stream resumes: the saved position the run state hands to each stream before the first request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A record version as checkpoints list it: ``(id, updated_at)`` (a JSON ``[id, updated_at]`` in the state).
#: Most objects have integer ids; side conversations (and their events) have string ids (UUIDs).
RecordVersion = tuple[Any, Any]


def version_of(record_id: Any, stamp: Any) -> RecordVersion:
    """``(record_id, stamp)`` when a checkpoint can list it (an int or non-empty string id, a string time), else
    ``(None, None)``."""
    if isinstance(record_id, bool) or not isinstance(record_id, (int, str)) or record_id == "":
        return None, None
    return (record_id, stamp) if isinstance(stamp, str) else (None, None)


def record_version(record: Any) -> RecordVersion:
    """``(id, updated_at)`` of an API object or record; ``(None, None)`` for one a checkpoint cannot list.

    An object that never changes has no ``updated_at`` (a ticket event): its ``created_at`` stands in for it.
    """
    return version_of(record.get("id"), version_time(record))


def saved_version(value: Any) -> RecordVersion | None:
    """A version as a state file lists it (a JSON ``[id, updated_at]``), or ``None`` for anything else."""
    if isinstance(value, list) and len(value) == 2:
        version = version_of(*value)
        return version if version[0] is not None else None
    return None


def version_time(record: Any) -> Any:
    """The time a record's version is of: ``updated_at``, or ``created_at`` for an object without it."""
    return record.get("updated_at") if "updated_at" in record else record.get("created_at")


@dataclass
class StreamPosition:
    """Where one incremental stream starts: a saved cursor, else ``start_time`` (unix seconds).

    ``already_stored`` holds the record versions an earlier run stored after
    that position (a checkpoint inside a page, or the repeated last second of a
    time-based export): the stream skips them instead of exporting them twice.
    """

    cursor: str | None = None
    start_time: int = 0
    already_stored: set[RecordVersion] = field(default_factory=set)
