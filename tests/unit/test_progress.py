"""Progress a person can follow: per stream records, share of the time range covered, time left."""

from __future__ import annotations

import pytest
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from zendesk_crawler.extensions.progress import stream_progress
from zendesk_crawler.state.checks import stream_ended_key


def stats(**values):
    collector = MemoryStatsCollector(get_crawler())
    for key, value in values.items():
        collector.set_value(key.replace("__", "/"), value)
    return collector


def test_share_covered_and_time_left_come_from_the_positions_and_the_rate():
    # The stream began at 2024-01-01 (unix 1704067200) and has reached a quarter of the range up to now.
    now = 1704067200 + 4000
    collector = stats(**{"zendesk__users__first_updated_at": "2024-01-01T00:00:00Z",
                         "zendesk__users__position_updated_at": "2024-01-01T00:16:40Z",
                         "zendesk__records_exported__users": 300, "zendesk__users__pages": 3})
    progress = stream_progress(collector, "users", now, started=now - 60)
    assert progress.covered == pytest.approx(0.25)
    assert progress.seconds_left == pytest.approx(180)  # 60 s for a quarter: 180 s for the rest
    assert progress.line() == "users: 300 records from 3 pages, 25% of the time range " \
                              "(position 2024-01-01T00:16:40Z), about 3 min left"


def test_a_stream_at_its_end_is_done_and_one_without_positions_says_only_its_records():
    collector = stats(**{"zendesk__records_exported__groups": 8, "zendesk__groups__pages": 1})
    assert stream_progress(collector, "groups", 1e9, 0).line() == "groups: 8 records from 1 pages"
    collector.set_value(stream_ended_key("groups"), True)
    done = stream_progress(collector, "groups", 1e9, 0)
    assert done.line() == "groups: 8 records from 1 pages, done" and done.covered == 1.0


def test_a_slice_of_max_tickets_is_measured_by_its_tickets_not_by_the_time_range():
    now = 1704067200 + 4000
    collector = stats(**{"zendesk__tickets__first_updated_at": "2024-01-01T00:00:00Z",
                         "zendesk__tickets__position_updated_at": "2024-01-01T00:00:10Z",
                         "zendesk__records_exported__tickets": 25, "zendesk__tickets__pages": 1})
    progress = stream_progress(collector, "tickets", now, started=now - 20, limit=100)
    assert progress.covered == pytest.approx(0.25) and progress.seconds_left == pytest.approx(60)
    assert progress.line() == "tickets: 25 records from 1 pages, 25% of the slice (max_tickets=100), about 60 s left"
    collector.set_value(stream_ended_key("tickets"), True)
    assert stream_progress(collector, "tickets", now, now - 30, limit=100).line() == \
        "tickets: 25 records from 1 pages, done"
