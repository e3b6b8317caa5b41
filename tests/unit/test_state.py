"""State documents: version 2 (one position per stream), and version-1 files of earlier versions."""

import pytest

from tests.support.paths import STATE_V1
from zendesk_crawler.state.store import STATE_VERSION, StateError, parse_state


def test_a_version_1_file_is_read_as_the_ticket_stream_position():
    state = parse_state(STATE_V1.read_text("utf-8"), "state.json")
    assert state["version"] == STATE_VERSION == 2
    assert state["streams"] == {"tickets": {"cursor": "MTcxODkwMjIxNS4wfHwxMDQzM3w=",
                                            "position_updated_at": "2024-06-20T16:29:10Z"}}
    assert state["base_url"] == "http://127.0.0.1:8080" and state["last_run"]["tickets_exported"] == 500


def test_a_version_1_checkpoint_keeps_its_stored_tickets_and_start_time():
    text = ('{"version": 1, "base_url": "x", "cursor": null, "checkpoint": {"files": ["a"], '
            '"stored_after_cursor": [[5, "2024-01-01T00:00:00Z"]], "start_time": 100}}')
    state = parse_state(text, "state.json")
    assert state["streams"]["tickets"] == {"cursor": None, "position_updated_at": None,
                                           "stored_after_cursor": [[5, "2024-01-01T00:00:00Z"]], "start_time": 100}
    assert state["checkpoint"] == {"files": ["a"]}


@pytest.mark.parametrize("text, message", [
    ('{"version": 3, "streams": {}}', "reads versions 1 and 2"),
    ('{"version": 2}', "no valid streams"),
    ('{"version": 2, "streams": {"tickets": {"cursor": 5}}}', "invalid tickets cursor"),
    ('{"version": 1, "cursor": ""}', "invalid tickets cursor"),
])
def test_unusable_state_documents_are_clear_errors(text, message):
    with pytest.raises(StateError, match=message):
        parse_state(text, "state.json")
