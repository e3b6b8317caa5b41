"""The state file: the saved export cursor and facts about the last successful run.

A small, human-readable JSON document that lives with the exports by default
(``<ZENDESK_EXPORT_URI>/state.json``). It is written atomically (a temporary
file in the same directory, fsynced, then renamed over the old one), so a crash
leaves either the old state or the new one, never half of either.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from w3lib.url import file_uri_to_path

from zendesk_crawler.storages import fsync_directory

STATE_VERSION = 1


class StateError(RuntimeError):
    """The state file exists but cannot be used; the message is one line meant for a person."""


class LocalStateStore:
    """Reads and atomically replaces a state file on the local file system."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.path = Path(file_uri_to_path(uri) if uri.startswith("file:") else uri)

    def load(self) -> dict[str, Any] | None:
        """The saved state, or ``None`` when there is none yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read the state file {self.uri}: {exc.strerror or exc}") from None
        return parse_state(text, self.uri)

    def save(self, state: dict[str, Any]) -> None:
        """Replace the state file atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(state, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        fsync_directory(self.path.parent)


def parse_state(text: str, uri: str) -> dict[str, Any]:
    """Parse and check a state document; anything unexpected is a :class:`StateError`."""
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise StateError(f"the state file {uri} is not valid JSON ({exc})") from None
    if not isinstance(state, dict):
        raise StateError(f"the state file {uri} does not hold a JSON object")
    if state.get("version") != STATE_VERSION:
        raise StateError(f"the state file {uri} has version {state.get('version')!r}; this crawler reads version {STATE_VERSION}")
    cursor = state.get("cursor")
    if cursor is not None and (not isinstance(cursor, str) or not cursor):
        raise StateError(f"the state file {uri} holds an invalid cursor {cursor!r}")
    return state


def state_store(uri: str) -> LocalStateStore:
    """The store for a state URI (a local path or ``file://`` URI)."""
    scheme = urlsplit(uri).scheme
    if scheme in ("", "file") or len(scheme) == 1:  # one letter: a Windows drive
        return LocalStateStore(uri)
    raise StateError(f"unsupported state location {uri!r}: use a local path")
