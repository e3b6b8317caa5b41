"""The final save: once the outputs are closed, each stream's final checks (``state/checks.py``), then the final
positions of the streams that passed them."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.outcome import record_failure, unavailable_streams
from zendesk_crawler.run.stats_keys import STATE_SAVED
from zendesk_crawler.state.checks import stream_ended_key, why_not_save
from zendesk_crawler.state.run_state import RunStateReceiver

logger = logging.getLogger(__name__)


class FinalSave(RunStateReceiver):
    """Saves a stream's final position only when the checks in ``checks.py`` pass for it.

    The run finished, every feed was stored, the stream reached its end and
    nothing of it failed. A stream that fails keeps its last checkpoint (its
    problem is a failure of the run); the streams that completed save theirs.
    Duplicates are possible on the next run, losses are not. Acts on
    ``outputs_closed`` (``state/shutdown.py``); each stream's outcome is left in
    the run state for the manifest.

    A stream the account does not have (``run/outcome.py``'s ``mark_unavailable``)
    and that did not fail is neither saved nor a failure: its outcome says it is
    unavailable, and its saved position stays as the previous run left it.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FinalSave:
        final_save = cls(crawler)
        crawler.signals.connect(final_save.stream_ended, signal=zendesk_signals.stream_ended)
        crawler.signals.connect(final_save.outputs_closed, signal=zendesk_signals.outputs_closed)
        return final_save

    def stream_ended(self, stream: str) -> None:
        """The stream was read to its end (or to the end of this run's slice, ``-a max_tickets``)."""
        assert self.crawler.stats is not None
        self.crawler.stats.set_value(stream_ended_key(stream), True)

    def outputs_closed(self, reason: str) -> None:
        state = self.state
        if state is None:
            return
        assert self.crawler.stats is not None
        unavailable = unavailable_streams(self.crawler)
        for stream in state.context.streams:
            if stream in unavailable:
                state.outcomes[stream] = f"unavailable: {unavailable[stream]}"
                continue
            problem = why_not_save(self.crawler.stats, reason, stream)
            state.outcomes[stream] = problem
            if problem:
                record_failure(self.crawler, problem, stream=stream)
                if stream in state.trackers:
                    logger.error("The final %s position was not saved: the next run starts from %s", stream,
                                 "the last checkpoint" if state.trackers[stream].safe_position is not None
                                 else "the previous position" if (state.entries.get(stream) or {})
                                 else "start_time")
            elif stream in state.trackers:
                position, beyond = state.trackers[stream].final_position()
                state.entries[stream] = state.entry(stream, position, [list(v) for v in beyond],
                                                    final=True, stats=self.crawler.stats)
        if any(problem is None for stream, problem in state.outcomes.items() if stream in state.trackers) \
                and state.save(self.crawler, finished=True):
            self.crawler.stats.set_value(STATE_SAVED, state.context.state_uri)
            saved = [s for s in state.incremental if state.outcomes[s] is None]
            logger.info("Saved the final position of %s to %s", ", ".join(saved), state.context.state_uri)
