"""The end-of-run checks decide from the stats alone whether the final position may be saved."""

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from zendesk_crawler.run.outcome import RUN_FAILURE_COUNT_KEY, stream_failure_key
from zendesk_crawler.state.checks import not_started_key, stream_ended_key, unfinished_key, why_not_save


def stats():
    collector = MemoryStatsCollector(get_crawler())
    for stream in ("tickets", "users"):
        collector.set_value(stream_ended_key(stream), True)
    return collector


def test_a_complete_run_may_save():
    assert why_not_save(stats(), "finished", "tickets") is None


@pytest.mark.parametrize("values, reason, problem", [
    ({RUN_FAILURE_COUNT_KEY: 1}, "finished", "the run failed"),
    ({stream_failure_key("tickets"): 1}, "finished", "the tickets stream failed"),
    ({}, "shutdown", "stopped before it finished (shutdown)"),
    ({not_started_key("tickets"): "ticket_fields"}, "finished",
     "the tickets stream did not start: it needs the ticket_fields stream"),
    ({stream_ended_key("tickets"): False}, "finished", "did not reach the end of the ticket stream"),
    ({unfinished_key("tickets"): 3}, "finished", "3 tickets were still waiting"),
])
def test_the_first_problem_found_is_reported(values, reason, problem):
    collector = stats()
    for key, value in values.items():
        collector.set_value(key, value)
    assert problem in why_not_save(collector, reason, "tickets")


def test_a_failing_stream_holds_back_only_itself():
    collector = stats()
    collector.set_value(stream_failure_key("tickets"), 1)
    collector.set_value(stream_ended_key("tickets"), False)
    assert why_not_save(collector, "finished", "tickets") is not None
    assert why_not_save(collector, "finished", "users") is None
