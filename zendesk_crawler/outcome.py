"""The run's outcome: why a run failed, recorded once and read at exit.

Components that detect a failure (rejected credentials, a ticket whose comments
could not be fetched, a feed that was not stored) record a one-line reason in
the crawler stats. The state extension refuses to move the cursor when a reason
is recorded, and the ``crawl`` command turns it into a non-zero exit status.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

FAILURE_KEY = "zendesk/failure_reason"
FAILURE_COUNT_KEY = "zendesk/failure_count"

logger = logging.getLogger(__name__)


def record_failure(crawler: Crawler, reason: str) -> None:
    """Record why the run failed; the first reason recorded is the one reported."""
    assert crawler.stats is not None
    crawler.stats.inc_value(FAILURE_COUNT_KEY)
    if crawler.stats.get_value(FAILURE_KEY) is None:
        crawler.stats.set_value(FAILURE_KEY, reason)
    logger.error("Run failed: %s", reason)


def failure_reason(crawler: Crawler) -> str | None:
    """The first failure reason recorded in this run, if any."""
    assert crawler.stats is not None
    return crawler.stats.get_value(FAILURE_KEY)
