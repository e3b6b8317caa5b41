"""The run's outcome: why a run failed, recorded once and read at exit.

Components that detect a failure (rejected credentials, a ticket whose comments
could not be fetched, a feed that was not stored) record a one-line reason in
the crawler stats. The state extension refuses to move the cursor when a reason
is recorded, and the ``crawl`` command turns it into a non-zero exit status.

A stream the account does not have (a Help Center that is not enabled, an add-on
or a plan feature it lacks, a role that may not read it) is *unavailable*, not
failed: :func:`mark_unavailable` records it with Zendesk's answer, the run goes
on, the stream's saved position stays as it was and the next run asks again.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.stats_keys import (
    FAILURE_COUNT,
    FAILURE_REASON,
    RUN_FAILURE_COUNT,
    UNAVAILABLE_STREAMS,
    stream_failures,
)

FAILURE_KEY = FAILURE_REASON
FAILURE_COUNT_KEY = FAILURE_COUNT
#: Failures that belong to no stream: every stream keeps its position.
RUN_FAILURE_COUNT_KEY = RUN_FAILURE_COUNT

logger = logging.getLogger(__name__)


def stream_failure_key(stream: str) -> str:
    """The stat that counts the failures of one stream (its position is then not moved)."""
    return stream_failures(stream)


def record_failure(crawler: Crawler, reason: str, stream: str | None = None) -> None:
    """Record why the run failed; the first reason recorded is the one reported.

    A failure of one ``stream`` keeps that stream's position, and the other
    streams go on to their end and save theirs; a failure of no stream (rejected
    credentials, a lost lock) keeps every position.
    """
    assert crawler.stats is not None
    crawler.stats.inc_value(FAILURE_COUNT_KEY)
    if stream is not None:
        crawler.stats.inc_value(stream_failure_key(stream))
    else:
        crawler.stats.inc_value(RUN_FAILURE_COUNT_KEY)
    if crawler.stats.get_value(FAILURE_KEY) is None:
        crawler.stats.set_value(FAILURE_KEY, reason)
    logger.error("Run failed: %s", reason)


def failure_reason(crawler: Crawler) -> str | None:
    """The first failure reason recorded in this run, if any."""
    assert crawler.stats is not None
    return crawler.stats.get_value(FAILURE_KEY)


def stream_failed(crawler: Crawler, stream: str) -> bool:
    """Whether ``stream`` or the whole run failed (no point in more requests for it)."""
    assert crawler.stats is not None
    return bool(crawler.stats.get_value(stream_failure_key(stream)) or crawler.stats.get_value(RUN_FAILURE_COUNT_KEY))


def mark_unavailable(crawler: Crawler, stream: str, why: str) -> None:
    """Record that the account does not have what ``stream`` needs (``why``: what it needs, Zendesk's answer).

    Not a failure: logged once per stream (the first ``why`` is kept), told to the
    spider (``stream_unavailable``: the streams that need this one are unavailable
    too), listed in the manifest; the stream's saved position is not moved.
    """
    assert crawler.stats is not None
    unavailable = dict(crawler.stats.get_value(UNAVAILABLE_STREAMS) or {})
    if stream in unavailable:
        return
    crawler.stats.set_value(UNAVAILABLE_STREAMS, {**unavailable, stream: why})
    logger.warning("The %s stream is unavailable, skipped (not a failure; the next run asks again): %s",
                   stream, why)
    crawler.signals.send_catch_log(zendesk_signals.stream_unavailable, stream=stream, why=why)


def unavailable_streams(crawler: Crawler) -> dict[str, str]:
    """The streams marked unavailable in this run, with why; a stream that also failed is not among them (a
    failure of the stream is the stronger news)."""
    assert crawler.stats is not None
    return unavailable_in(crawler.stats)


def unavailable_in(stats: StatsCollector) -> dict[str, str]:
    """:func:`unavailable_streams` of a run's stats."""
    marked = stats.get_value(UNAVAILABLE_STREAMS) or {}
    return {stream: why for stream, why in marked.items() if not stats.get_value(stream_failure_key(stream))}
