"""The runs of an export location, newest first, from their manifests (read by ``state/readers.py``); the run holding
the lock."""

from __future__ import annotations

from dataclasses import dataclass, field

from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.location.reader import ExportLocation
from zendesk_crawler.state.readers import LockHolder, ManifestSummary, StreamCounts, read_lock_holder, read_manifest

MANIFEST_PREFIX = "manifest-"


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
        data = self.location.read_bytes(name)
        manifest = read_manifest(data.decode("utf-8", "replace") if data is not None else None)
        return run_from_manifest(manifest, self.location) if manifest is not None else None


def run_from_manifest(manifest: ManifestSummary, location: ExportLocation) -> Run:
    """A :class:`Run` from a manifest's summary; file URIs become paths inside the location (others left out)."""
    files = [path for uri in manifest.files if (path := location.relative(uri)) is not None]
    return Run(manifest.run_id, manifest.status, manifest.failure, manifest.started_at, manifest.finished_at,
               manifest.tickets, manifest.comments, manifest.streams, files, _scope(manifest))


def _scope(manifest: ManifestSummary) -> str | None:
    """A filtered run's filter or a person export's person (``None``: a backup)."""
    if manifest.person is not None:
        return f"person: {manifest.person}"
    if manifest.ticket_filter is not None:
        given = [f"{name}={','.join(map(str, value)) if isinstance(value, list) else value}"
                 for name, value in manifest.ticket_filter.items()
                 if name in ("query", "status", "created_from", "created_to", "ticket_ids")]
        return "filter: " + " ".join(given)
    return None


def lock_holder(lock_text: str | None, runs: list[Run]) -> LockHolder | None:
    """The run holding the location's lock now, if any: a holder whose manifest is written has ended."""
    holder = read_lock_holder(lock_text)
    if holder is None or any(run.run_id == holder.run_id for run in runs):
        return None
    return holder
