"""Which attachments earlier runs already stored: an index kept in the export location.

Files are stored content-addressed (``attachments/<sha256[:2]>/<sha256>``), so the
path of an attachment cannot be known before its bytes are. The index maps an
attachment (its Zendesk id; a voice recording by its URL) to the file that holds
its bytes, so a later run does not download it again. It is kept as segments,
``attachments/index/<run id>-NNNNN.jsonl``, one JSON object a line
(``{"key", "path", "sha256", "size"}``), each written atomically like the state
file; a run writes a segment with its new entries each time a feed file is
stored and at the end, and reads every segment when it starts. A run killed
before its last segment leaves files the index does not name: the next run
downloads those attachments again and finds their bytes already stored.

So that the index does not grow by a segment a run forever, a run that read more
than :data:`COMPACT_AFTER` segments writes, at its end, one segment with every
entry (``<run id>-compact.jsonl``) and then deletes the segments it read and
wrote; a crash in between leaves both, which only repeats entries.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy.settings import BaseSettings

from zendesk_crawler.errors import StateError
from zendesk_crawler.location.documents import documents_for
from zendesk_crawler.location.paths import is_local, join_uri, local_path
from zendesk_crawler.location.s3 import s3_client, split_s3_uri

INDEX_DIR = "attachments/index"
#: Segments read at start beyond which the run compacts the index at its end.
COMPACT_AFTER = 50


def stored_file(path: str, sha256: str, size: int) -> dict[str, Any]:
    """The ``stored_file`` of an attachment object: where its bytes are, relative to the export location."""
    return {"path": path, "sha256": sha256, "size": size}


class AttachmentIndex:
    """The attachments stored in one export location, by key, and the digests of the files there."""

    def __init__(self, export_uri: str, run_id: str, settings: BaseSettings) -> None:
        self.export_uri = export_uri
        self.run_id = run_id
        self.settings = settings
        self.entries: dict[str, dict[str, Any]] = {}
        #: The sha256 of every file stored in the location (by an earlier run or this one).
        self.digests: set[str] = set()
        self.new: list[tuple[str, dict[str, Any]]] = []
        self.segments = 0
        #: The segments read at start and written since (deleted by ``compact``).
        self.segment_uris: list[str] = []

    def load(self) -> None:
        """Read every segment of the index (missing: an empty index); one that cannot be read stops the run."""
        try:
            texts = self._segments()
        except Exception as exc:  # any storage error: the run must not start without the index
            raise StateError(f"the attachment index in {join_uri(self.export_uri, INDEX_DIR)} cannot be read: "
                             f"{exc}") from None
        for uri, text in texts:
            self.segment_uris.append(uri)
            for line in text.splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.entries[entry["key"]] = stored_file(entry["path"], entry["sha256"], entry["size"])
                    self.digests.add(entry["sha256"])

    def _segments(self) -> list[tuple[str, str]]:
        """(URI, text) of every segment."""
        directory = join_uri(self.export_uri, INDEX_DIR)
        if is_local(directory):
            return [(str(path), path.read_text("utf-8")) for path in sorted(local_path(directory).glob("*.jsonl"))]
        bucket, prefix = split_s3_uri(directory)
        client = s3_client(self.settings)
        texts = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".jsonl"):
                    body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode("utf-8")
                    texts.append((f"s3://{bucket}/{obj['Key']}", body))
        return texts

    def compact(self) -> None:
        """Replace the segments by one holding every entry, when more than ``COMPACT_AFTER`` were read."""
        self.flush()
        if len(self.segment_uris) <= COMPACT_AFTER:
            return
        uri = join_uri(self.export_uri, f"{INDEX_DIR}/{self.run_id}-compact.jsonl")
        self._write(uri, list(self.entries.items()))
        for old in self.segment_uris:
            if is_local(old):
                local_path(old).unlink(missing_ok=True)
            else:
                bucket, key = split_s3_uri(old)
                s3_client(self.settings).delete_object(Bucket=bucket, Key=key)
        self.segment_uris = [uri]

    def _write(self, uri: str, entries: list[tuple[str, dict[str, Any]]]) -> None:
        lines = [json.dumps({"key": key, **entry}, ensure_ascii=False) for key, entry in entries]
        documents_for(uri, self.settings).write(uri, "\n".join(lines) + "\n")

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def has_digest(self, sha256: str) -> bool:
        """Whether a file with these bytes is already stored (by an earlier run or this one)."""
        return sha256 in self.digests

    def add(self, key: str, entry: dict[str, Any]) -> None:
        """An attachment's file is stored: remember it (written with the next segment)."""
        self.entries[key] = entry
        self.digests.add(entry["sha256"])
        self.new.append((key, entry))

    def flush(self) -> None:
        """Write the entries added since the last segment as a new segment (atomically)."""
        if not self.new:
            return
        self.segments += 1
        uri = join_uri(self.export_uri, f"{INDEX_DIR}/{self.run_id}-{self.segments:05d}.jsonl")
        self._write(uri, self.new)
        self.segment_uris.append(uri)
        self.new = []


def digest_path(sha256: str) -> str:
    """Where the bytes with this digest are stored, relative to the export location."""
    return f"attachments/{sha256[:2]}/{sha256}"
