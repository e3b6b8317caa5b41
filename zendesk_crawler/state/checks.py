"""The checks that decide, at the end of a run, whether the final position may be saved.

In the spirit of spidermon's monitors: each check is a small class that reads
the run's stats and says what is wrong (or ``None``); the state extension acts
on the first problem found (no final save, a failed manifest, exit status 1).
Deciding stays apart from acting, and a new stream adds its checks here.
"""

from __future__ import annotations

from scrapy.statscollectors import StatsCollector

from zendesk_crawler.outcome import FAILURE_KEY

#: Set by the state extension when the ticket export answered ``end_of_stream``.
TICKET_STREAM_ENDED = "zendesk/ticket_stream_ended"
#: Set by the spider when it closes: tickets accepted but neither exported nor dropped.
TICKETS_UNFINISHED = "zendesk/tickets_unfinished"


class NothingFailed:
    """No component recorded a failure (rejected credentials, a ticket's comments, a lost lock…)."""

    def problem(self, stats: StatsCollector, finish_reason: str) -> str | None:
        return stats.get_value(FAILURE_KEY)


class RunFinished:
    """The engine closed because the work was done, not because of a signal or an error."""

    def problem(self, stats: StatsCollector, finish_reason: str) -> str | None:
        return None if finish_reason == "finished" else f"the run was stopped before it finished ({finish_reason})"


def feed_failures(stats: StatsCollector) -> int:
    """Feed files that could not be stored so far (Scrapy's feed-export stats)."""
    return sum(value for key, value in stats.get_stats().items() if key.startswith("feedexport/failed_count/"))


class FeedsStored:
    """Every feed file was stored."""

    def problem(self, stats: StatsCollector, finish_reason: str) -> str | None:
        failed = feed_failures(stats)
        return f"{failed} feed file(s) could not be stored (see the errors above)" if failed else None


class TicketStreamEnded:
    """The ticket export reached the end of its stream."""

    def problem(self, stats: StatsCollector, finish_reason: str) -> str | None:
        return None if stats.get_value(TICKET_STREAM_ENDED) else "the export did not reach the end of the ticket stream"


class NoTicketUnfinished:
    """No ticket was left waiting for its comments."""

    def problem(self, stats: StatsCollector, finish_reason: str) -> str | None:
        unfinished = stats.get_value(TICKETS_UNFINISHED, 0)
        return f"{unfinished} tickets were still waiting for their comments when the run ended" if unfinished else None


#: In order: the first problem found is the one reported.
FINAL_SAVE_CHECKS = (NothingFailed(), RunFinished(), FeedsStored(), TicketStreamEnded(), NoTicketUnfinished())


def why_not_save(stats: StatsCollector, finish_reason: str) -> str | None:
    """The first problem that forbids the final save, or ``None`` when the run is complete."""
    return next((problem for check in FINAL_SAVE_CHECKS if (problem := check.problem(stats, finish_reason))), None)
