"""The checks that decide, at the end of a run, whether each stream's final position may be saved.

A feed file that could not be stored is recorded (by ``failures.py``) as a
failure of the stream whose records it holds, or of the run when it holds
several streams' records, so the stream and run checks below cover it.

In the spirit of spidermon's monitors: each check is a small class that reads
the run's stats and says what is wrong (or ``None``); the final save (``final_save.py``) acts
on what they find (no final save for that stream, a failed manifest, exit status 1).
Deciding stays apart from acting. Run checks hold back every stream; stream
checks hold back only their own stream, so a failing stream keeps its position
while the streams that completed save theirs.
"""

from __future__ import annotations

from scrapy.statscollectors import StatsCollector

from zendesk_crawler.run.outcome import RUN_FAILURE_COUNT_KEY, stream_failure_key
from zendesk_crawler.run.stats_keys import stream_ended, stream_not_started, stream_unfinished


def stream_ended_key(stream: str) -> str:
    """Set by the final save when the stream's last page (``end_of_stream``) was read."""
    return stream_ended(stream)


def unfinished_key(stream: str) -> str:
    """Set by the spider when it closes: records of the stream accepted but neither exported nor dropped."""
    return stream_unfinished(stream)


def not_started_key(stream: str) -> str:
    """Set by the spider when it closes, for a stream that never started: the streams it waited for."""
    return stream_not_started(stream)


class NoRunFailure:
    """No failure that belongs to no stream (rejected credentials, a lost lock, an unexpected error)."""

    def problem(self, stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
        return "the run failed (see the first error)" if stats.get_value(RUN_FAILURE_COUNT_KEY) else None


class RunFinished:
    """The engine closed because the work was done, not because of a signal or an error."""

    def problem(self, stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
        return None if finish_reason == "finished" else f"the run was stopped before it finished ({finish_reason})"


class StreamNotFailed:
    """Nothing of the stream failed (a page, a ticket's comments, an event page)."""

    def problem(self, stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
        return f"the {stream} stream failed (see the first error)" if stats.get_value(stream_failure_key(stream)) \
            else None


class StreamStarted:
    """The stream started (a stream waits for the streams it needs, such as tickets for the ticket fields)."""

    def problem(self, stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
        waited_for = stats.get_value(not_started_key(stream))
        if waited_for is None:
            return None
        return f"the {stream} stream did not start: it needs the {waited_for} stream, which did not complete"


class StreamEnded:
    """The stream was read to its end."""

    def problem(self, stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
        return None if stats.get_value(stream_ended_key(stream)) else f"the export did not reach the end of the " \
            f"{'ticket' if stream == 'tickets' else stream} stream"


class NothingUnfinished:
    """No record of the stream was left waiting (a ticket for its comments, say)."""

    def problem(self, stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
        unfinished = stats.get_value(unfinished_key(stream), 0)
        if not unfinished:
            return None
        if stream == "tickets":
            return f"{unfinished} tickets were still waiting for their comments when the run ended"
        return f"{unfinished} {stream} records were not finished when the run ended"


#: In order: the first problem found is the one reported.
FINAL_SAVE_CHECKS = (NoRunFailure(), RunFinished(), StreamNotFailed(), StreamStarted(), StreamEnded(),
                     NothingUnfinished())


def why_not_save(stats: StatsCollector, finish_reason: str, stream: str) -> str | None:
    """The first problem that forbids saving ``stream``'s final position, or ``None`` when it is complete."""
    return next((problem for check in FINAL_SAVE_CHECKS
                 if (problem := check.problem(stats, finish_reason, stream))), None)
