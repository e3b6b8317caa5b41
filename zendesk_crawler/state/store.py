"""The state file (each stream's saved position, facts about the last run) and the run manifests.

Small, human-readable JSON documents that live with the exports by default
(``<ZENDESK_EXPORT_URI>/state.json``), locally or on S3. Local files are
written atomically (a temporary file in the same directory, fsynced, then
renamed over the old one); an S3 PUT replaces an object atomically. A crash
leaves either the old document or the new one, never half of either
(``location/documents.py``).
"""

from __future__ import annotations

import json
from typing import Any

from zendesk_crawler.errors import StateError
from zendesk_crawler.location.documents import Documents, to_json

__all__ = ["STATE_VERSION", "StateError", "StateStore", "parse_state", "upgrade_version_1"]

#: Version 2 keeps one position per stream (``streams``); version 1 (one ticket cursor) is still read.
STATE_VERSION = 2


class StateStore:
    """Loads and saves the state document at one URI."""

    def __init__(self, uri: str, documents: Documents) -> None:
        self.uri = uri
        self.documents = documents

    def load(self) -> dict[str, Any] | None:
        """The saved state, or ``None`` when there is none yet."""
        text = self.documents.read(self.uri)
        return None if text is None else parse_state(text, self.uri)

    def save(self, state: dict[str, Any]) -> None:
        """Replace the state document atomically."""
        self.documents.write(self.uri, to_json(state))


def parse_state(text: str, uri: str) -> dict[str, Any]:
    """Parse and check a state document; anything unexpected is a :class:`StateError`."""
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise StateError(f"the state file {uri} is not valid JSON ({exc})") from None
    if not isinstance(state, dict):
        raise StateError(f"the state file {uri} does not hold a JSON object")
    if state.get("version") == 1:
        state = upgrade_version_1(state)
    if state.get("version") != STATE_VERSION:
        raise StateError(f"the state file {uri} has version {state.get('version')!r}; "
                         f"this crawler reads versions 1 and {STATE_VERSION}")
    streams = state.get("streams")
    if not isinstance(streams, dict) or not all(isinstance(v, dict) for v in streams.values()):
        raise StateError(f"the state file {uri} holds no valid streams object")
    for name, position in streams.items():
        cursor = position.get("cursor")
        if cursor is not None and (not isinstance(cursor, str) or not cursor):
            raise StateError(f"the state file {uri} holds an invalid {name} cursor {cursor!r}")
    return state


def upgrade_version_1(state: dict[str, Any]) -> dict[str, Any]:
    """A version-1 state (one ticket cursor, written before 2026-11-29) in the version-2 shape.

    Version 1: ``cursor`` and ``position_updated_at`` at the top, and a
    checkpoint's ``stored_after_cursor`` and ``start_time`` inside ``checkpoint``.
    """
    checkpoint = dict(state.get("checkpoint") or {})
    tickets = {"cursor": state.get("cursor"), "position_updated_at": state.get("position_updated_at")}
    for key in ("stored_after_cursor", "start_time"):
        if key in checkpoint:
            tickets[key] = checkpoint.pop(key)
    upgraded = {"version": STATE_VERSION, "base_url": state.get("base_url"), "streams": {"tickets": tickets},
                "last_run": state.get("last_run")}
    if state.get("checkpoint") is not None:
        upgraded["checkpoint"] = checkpoint
    return upgraded
