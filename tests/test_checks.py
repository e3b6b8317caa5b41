"""The end-of-run checks decide from the stats alone whether the final position may be saved."""

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from zendesk_crawler.state.checks import TICKET_STREAM_ENDED, TICKETS_UNFINISHED, why_not_save
from zendesk_crawler.outcome import FAILURE_KEY


def stats():
    collector = MemoryStatsCollector(get_crawler())
    collector.set_value(TICKET_STREAM_ENDED, True)
    return collector


def test_a_complete_run_may_save():
    assert why_not_save(stats(), "finished") is None


@pytest.mark.parametrize("values, reason, problem", [
    ({FAILURE_KEY: "the comments of ticket 5 could not be fetched"}, "finished", "the comments of ticket 5"),
    ({}, "shutdown", "stopped before it finished (shutdown)"),
    ({"feedexport/failed_count/S3FeedStorage": 2}, "finished", "2 feed file(s) could not be stored"),
    ({TICKET_STREAM_ENDED: False}, "finished", "did not reach the end of the ticket stream"),
    ({TICKETS_UNFINISHED: 3}, "finished", "3 tickets were still waiting"),
])
def test_the_first_problem_found_is_reported(values, reason, problem):
    collector = stats()
    for key, value in values.items():
        collector.set_value(key, value)
    assert problem in why_not_save(collector, reason)
