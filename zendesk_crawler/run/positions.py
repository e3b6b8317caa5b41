"""Where a stream resumes: the saved position the run state hands to each stream before the first request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: A record version as checkpoints list it: ``(id, updated_at)`` (a JSON ``[id, updated_at]`` in the state).
RecordVersion = tuple[Any, Any]


def record_version(record: Any) -> RecordVersion:
    """``(id, updated_at)`` of an API object or record; ``(None, None)`` for one a checkpoint cannot list.

    An object that never changes has no ``updated_at`` (a ticket event): its ``created_at`` stands in for it.
    """
    record_id, updated_at = record.get("id"), version_time(record)
    if isinstance(record_id, int) and not isinstance(record_id, bool) and isinstance(updated_at, str):
        return record_id, updated_at
    return None, None


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
