"""Writes ``manifest-<run id>.json`` beside the feeds once the final save is over (``state/manifest.py`` builds it)."""

from __future__ import annotations

from scrapy.crawler import Crawler

from zendesk_crawler.errors import StateError
from zendesk_crawler.location.documents import documents_for, to_json
from zendesk_crawler.location.paths import join_uri
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import failure_reason, record_failure, unavailable_streams
from zendesk_crawler.state.manifest import build_manifest
from zendesk_crawler.state.run_state import POSITION_KEYS, RunStateReceiver, utc_now


class ManifestWriter(RunStateReceiver):
    """Leaves the run's manifest: what it stored, and whether it is complete (on ``final_save_done``)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ManifestWriter:
        writer = cls(crawler)
        crawler.signals.connect(writer.final_save_done, signal=zendesk_signals.final_save_done)
        return writer

    def final_save_done(self, reason: str) -> None:
        state = self.state
        if state is None:
            return
        assert self.crawler.stats is not None
        context = state.context
        saved = {stream: (state.entries.get(stream) or {}).get(POSITION_KEYS[stream])
                 for stream in state.trackers if state.outcomes.get(stream) is None}
        manifest = build_manifest(
            self.crawler.stats, run_id=context.run_id, finish_reason=reason, failure=failure_reason(self.crawler),
            started_at=state.started_at, finished_at=utc_now(), base_url=context.base_url,
            streams=list(context.streams), outcomes=state.outcomes, resumed_from=state.resume,
            saved_positions=saved, files=state.stored_files, max_tickets=context.max_tickets,
            attachments=context.attachments,
            ticket_filter=context.ticket_filter.describe() if context.ticket_filter else None,
            person=context.person or None, unavailable=unavailable_streams(self.crawler))
        uri = join_uri(context.export_uri, f"manifest-{context.run_id}.json")
        try:
            documents_for(uri, self.crawler.settings).write(uri, to_json(manifest))
        except (OSError, StateError) as exc:
            record_failure(self.crawler, f"the run manifest could not be written to {uri}: {exc}")
