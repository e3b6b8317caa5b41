"""The ticket imports a restore sent and has not yet mapped: what a rerun must look for before importing again.

A Ticket Import answers with a job status; the tickets exist once the job has run,
whether or not this process lives to read it. Before each ``create_many`` the batch's
source ids are written here (``restore-journal.json`` in the restore's location, one
atomic document), its job id as soon as Zendesk answers, and the batch is removed once
its ids are in a stored map file. A rerun reads the pending batches first: a job status
still kept (Zendesk keeps them about a day; the GUIDE's restore facts say an hour)
gives the ids; else the tickets are found by their marker tags through the Search
Export once Zendesk's search has indexed them (``ZENDESK_RESTORE_SEARCH_DELAY``
seconds after the import). Only what neither finds is imported again.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from zendesk_crawler.location.documents import Documents, to_json
from zendesk_crawler.location.paths import join_uri

JOURNAL_NAME = "restore-journal.json"


@dataclass
class PendingBatch:
    """One ``create_many`` whose tickets are not in a stored map file yet."""

    source_ids: list[int]
    posted_at: float
    job_id: str | None = None


@dataclass
class Journal:
    """The pending batches of a restore location, saved whole on every change."""

    documents: Documents
    uri: str
    pending: dict[str, PendingBatch] = field(default_factory=dict)

    @classmethod
    def open(cls, documents: Documents, export_uri: str) -> Journal:
        """The location's journal as the last run left it (empty when there is none)."""
        uri = join_uri(export_uri, JOURNAL_NAME)
        journal = cls(documents, uri)
        try:
            data = json.loads(documents.read(uri) or "{}")
        except ValueError:
            data = {}
        for name, entry in (data.get("pending") or {}).items() if isinstance(data, dict) else []:
            if isinstance(entry, dict) and isinstance(entry.get("source_ids"), list):
                journal.pending[name] = PendingBatch([int(i) for i in entry["source_ids"]],
                                                     float(entry.get("posted_at") or 0), entry.get("job_id"))
        return journal

    def posting(self, name: str, source_ids: list[int]) -> None:
        """Before a batch's POST: its tickets may exist from now on. In the POST's order: a job status's results
        are by index into it."""
        self.pending[name] = PendingBatch(list(source_ids), time.time())
        self._save()

    def answered(self, name: str, job_id: str) -> None:
        """Zendesk answered the POST with a job: its status gives the ids."""
        if name in self.pending:
            self.pending[name].job_id = job_id
            self._save()

    def done(self, names: list[str]) -> None:
        """These batches' ids are in a stored map file."""
        if any(self.pending.pop(name, None) is not None for name in list(names)):
            self._save()

    def _save(self) -> None:
        self.documents.write(self.uri, to_json({"pending": {name: asdict(batch) for name, batch in
                                                            self.pending.items()}}))

    def as_dict(self) -> dict[str, Any]:
        return {name: asdict(batch) for name, batch in self.pending.items()}
