"""The id map's vocabulary: one JSON Lines record per object a restore wrote or reused.

Files ``restore-map-<run id>-NNNNN.jsonl`` under the restore's ``ZENDESK_EXPORT_URI``,
stored as the run goes (like the feeds' checkpoints). A line:
``{"type": "ticket", "source_id": 12, "target_id": 345, "action": "created"}``;
``action`` is ``created`` or ``reused`` (an object the target already had: a user by
e-mail, a group by name, a field by type and title). ``compare --map`` reads them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from zendesk_crawler.location.documents import Documents
from zendesk_crawler.location.paths import join_uri
from zendesk_crawler.location.reader import ExportLocation

#: The file names' stem: ``restore-map-<run id>-NNNNN.jsonl``.
MAP_STREAM = "restore-map"
#: The object types, in restore order.
TYPES = ("ticket_field", "user_field", "organization_field", "group", "organization", "user", "brand",
         "custom_status", "ticket_form", "macro", "trigger", "automation", "view", "ticket")
CREATED, REUSED = "created", "reused"
MAP_FILE = re.compile(r"restore-map-\d{8}T\d{6}Z-[0-9a-f]{6}-\d{5}\.jsonl")


class IdMap:
    """Source id → target id per object type, as the map files and this run's writes say."""

    def __init__(self) -> None:
        self._ids: dict[str, dict[Any, Any]] = {kind: {} for kind in TYPES}

    def add(self, kind: str, source_id: Any, target_id: Any) -> None:
        self._ids[kind][source_id] = target_id

    def get(self, kind: str, source_id: Any) -> Any:
        """The target id of a source object, ``None`` when it has none (yet)."""
        return self._ids[kind].get(source_id)

    def has(self, kind: str, source_id: Any) -> bool:
        return source_id in self._ids[kind]

    def count(self, kind: str) -> int:
        return len(self._ids[kind])


class MapStore:
    """The id map files of a restore location: read at the start, one new file per ``flush``.

    Each file is written whole and atomically (``documents_for``: a local rename or one
    S3 PUT), so a kill loses at most the lines not flushed yet; the markers let the next
    run find those objects again. Not a Scrapy feed: the journal may drop an import batch
    only once its lines are stored, so the restore decides when a file is written, where
    a feed's batches close on their own count or timer.
    """

    def __init__(self, location: ExportLocation, documents: Documents, export_uri: str, run_id: str) -> None:
        self.location = location
        self.documents = documents
        self.export_uri = export_uri
        self.run_id = run_id
        self.pending: list[dict[str, Any]] = []
        self.files = 0
        self.lines = 0

    def load(self, ids: IdMap) -> int:
        """Put every line of the location's map files into ``ids``; how many lines there were."""
        count = 0
        for name in sorted(self.location.names(f"{MAP_STREAM}-")):
            if not MAP_FILE.fullmatch(name):
                continue
            for line in (self.location.read_bytes(name) or b"").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a file of another shape is not ours to trust
                if isinstance(entry, dict) and entry.get("type") in TYPES and "source_id" in entry:
                    ids.add(entry["type"], entry["source_id"], entry.get("target_id"))
                    count += 1
        return count

    def record(self, kind: str, source_id: Any, target_id: Any, action: str) -> None:
        """One object written (``created``) or found (``reused``); stored with the next ``flush``."""
        self.pending.append({"type": kind, "source_id": source_id, "target_id": target_id, "action": action})

    def flush(self) -> None:
        """Store the lines recorded since the last flush as a new map file."""
        if not self.pending:
            return
        self.files += 1
        name = f"{MAP_STREAM}-{self.run_id}-{self.files:05d}.jsonl"
        text = "".join(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n" for entry in self.pending)
        self.documents.write(join_uri(self.export_uri, name), text)
        self.lines += len(self.pending)
        self.pending = []
