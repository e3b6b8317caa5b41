"""The run manifest: what one run stored, per stream, and whether it is complete (``manifest-<run id>.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy.statscollectors import StatsCollector

from zendesk_crawler.run.positions import StreamPosition
from zendesk_crawler.run.stats_keys import (
    ATTACHMENTS_PREFIX,
    COMMENTS_EXPORTED,
    MAX_TICKETS_REACHED,
    PERSON_USER_ID,
    TICKETS_DELETED,
    TICKETS_EXPORTED,
    ids_found,
    ids_not_found,
    no_longer_matching,
    records_exported,
    stream_requests,
)


def build_manifest(stats: StatsCollector, *, run_id: str, finish_reason: str, failure: str | None, started_at: str,
                   finished_at: str, base_url: str, streams: list[str], outcomes: Mapping[str, str | None],
                   resumed_from: Mapping[str, StreamPosition], saved_positions: Mapping[str, Any], files: list[str],
                   max_tickets: int, attachments: bool, ticket_filter: dict[str, Any] | None = None,
                   person: str | None = None, unavailable: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The manifest document of a run, from its stats and the final save's decisions.

    ``outcomes``: each exported stream's problem (``None``: complete);
    ``resumed_from``: where each incremental stream started; ``saved_positions``:
    the final position saved for each incremental stream that completed;
    ``ticket_filter``: a filtered run's filter; ``person``: a person export's ``-a user=``;
    ``unavailable``: the streams the account does not have, with what they need and
    Zendesk's answer (listed as ``unavailable`` and in their stream's entry: not complete,
    not a failure of the run; their ``problem`` says ``unavailable: …`` for readers that
    know no ``unavailable`` key).
    """
    unavailable = dict(unavailable or {})
    get = stats.get_value
    tickets = resumed_from.get("tickets")
    manifest: dict[str, Any] = {
        "run_id": run_id,
        "status": "failed" if failure else "complete",
        "failure": failure,
        "finish_reason": finish_reason,
        "started_at": started_at,
        "finished_at": finished_at,
        "base_url": base_url,
        "cursor_before": tickets.cursor if tickets is not None else None,
        "cursor_after": saved_positions.get("tickets"),
        "tickets_exported": get(TICKETS_EXPORTED, 0),
        "comments_exported": get(COMMENTS_EXPORTED, 0),
        "deleted_tickets_exported": get(TICKETS_DELETED, 0),
        "streams": {stream: {
            "records": get(records_exported(stream), 0),
            "requests": get(stream_requests(stream), 0),
            "complete": outcomes.get(stream) is None,
            "problem": outcomes.get(stream),
            "position_before": _position(resumed_from.get(stream)),
            "position_after": saved_positions.get(stream),
            "unavailable": unavailable.get(stream),
        } for stream in streams},
        "unavailable": unavailable,
        "files": sorted(files),
    }
    found = {"ids_found": get(ids_found("tickets"), 0), "ids_not_found": get(ids_not_found("tickets"), []),
             "no_longer_matching": get(no_longer_matching("tickets"), 0)}
    if ticket_filter is not None:
        manifest["filter"] = {**ticket_filter, **found}
    if person is not None:
        manifest["person"] = {"user": person, "user_id": get(PERSON_USER_ID), **found}
    if max_tickets:
        manifest["max_tickets"] = max_tickets
        manifest["max_tickets_reached"] = get(MAX_TICKETS_REACHED) is not None
    if attachments:
        manifest["attachments"] = {key.removeprefix(ATTACHMENTS_PREFIX): value
                                   for key, value in sorted(stats.get_stats().items())
                                   if key.startswith(ATTACHMENTS_PREFIX)}
    return manifest


def _position(position: StreamPosition | None) -> Any:
    if position is None:
        return None
    return {"cursor": position.cursor} if position.cursor else {"start_time": position.start_time}
