"""``/charts``, the backup at a glance: tickets created and solved per week, the tickets by status, the backup's
growth run after run, and each run's duration and requests.

Everything comes from what the page already keeps: the index's ``current`` (one row per ticket as shown) and
``versions`` (every version, with the run that wrote it) tables, the ``ticket_changes`` table built from the
``ticket_events`` stream (when it was exported; ``solved`` needs it), and the runs' manifests. Weeks are ISO
weeks (Monday to Sunday, UTC), named by their Monday.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

from zendesk_crawler.api.timestamps import epoch
from zendesk_crawler.web.runs import Run
from zendesk_crawler.web.svg import Chart, Series
from zendesk_crawler.web.ticket_rows import DELETED

#: Statuses in their life order (others follow by name).
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
#: A ticket is solved when its status becomes one of these from none of them.
SOLVED = ("solved", "closed")
#: Weeks are at most this many on the chart: the newest ones (the table says so).
MAX_WEEKS = 260

_SOLVED_PER_WEEK = """
SELECT week_of(created_at), count(*) FROM ticket_changes
WHERE field_name = 'status' AND json_valid(value) AND json_extract(value, '$') IN ('solved', 'closed')
  AND COALESCE(CASE WHEN json_valid(previous_value) THEN json_extract(previous_value, '$') END, '')
      NOT IN ('solved', 'closed')
GROUP BY 1
"""


def week_of(timestamp: Any) -> str | None:
    """The Monday (``YYYY-MM-DD``, UTC) of the ISO week of an ISO 8601 time or unix seconds (``None``: neither)."""
    try:
        if type(timestamp) is int:
            moment = datetime.fromtimestamp(timestamp, UTC)
        elif isinstance(timestamp, str) and timestamp:
            moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):  # not a time, or one past either end of the calendar
        return None
    day = moment.date()
    return (day - timedelta(days=day.weekday())).isoformat()


def weeks_from(first: str, last: str) -> list[str]:
    """Every week's Monday from ``first`` to ``last`` (both Mondays), in order."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(weeks=n)).isoformat() for n in range((end - start).days // 7 + 1)]


def _per_week(db: sqlite3.Connection, query: str) -> dict[str, int]:
    return {week: count for week, count in db.execute(query) if week is not None}


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def events_exported(runs: list[Run]) -> bool:
    """Whether any run wrote the ``ticket_events`` stream."""
    return any(path.rsplit("/", 1)[-1].startswith("ticket_events-") for run in runs for path in run.files)


def weekly_chart(db: sqlite3.Connection, runs: list[Run]) -> Chart:
    """Tickets created per week (every ticket of the backup, deleted ones too) and, from ``ticket_changes``,
    solved per week (the week its status became solved or closed)."""
    db.create_function("week_of", 1, week_of, deterministic=True)
    created = _per_week(db, "SELECT week_of(created_at), count(*) FROM current GROUP BY 1")
    solved: dict[str, int] | None = None
    note = None
    if not events_exported(runs):
        note = ("Solved per week needs the ticket_events stream (every status change): no run of this location "
                "exported it. Run a backup with every stream, or add ticket_events to -a streams=.")
    elif not _has_table(db, "ticket_changes"):
        note = "Solved per week needs the index of the ticket_events stream, which is not built yet."
    else:
        solved = _per_week(db, _SOLVED_PER_WEEK)
    weeks = sorted({*created, *(solved or {})})
    if weeks:
        weeks = weeks_from(weeks[0], weeks[-1])
    if len(weeks) > MAX_WEEKS:
        note = " ".join(filter(None, [note, f"The newest {MAX_WEEKS} weeks of {len(weeks)} are shown."]))
        weeks = weeks[-MAX_WEEKS:]
    series = [Series("created", [created.get(week, 0) for week in weeks])]
    if solved is not None:
        series.append(Series("solved", [solved.get(week, 0) for week in weeks]))
    return Chart("weekly", "Tickets created and solved per week" if solved is not None else "Tickets created per week",
                 "Bars per ISO week (named by its Monday, UTC): tickets created"
                 + (", and tickets whose status became solved or closed" if solved is not None else "") + ".",
                 "Week (Monday)", "Tickets", weeks, series, note)


def status_chart(db: sqlite3.Connection) -> Chart:
    """The tickets by status as the backup shows them (deleted ones counted in the note)."""
    counts = dict(db.execute("SELECT status, count(*) FROM current GROUP BY status").fetchall())
    deleted = counts.pop(DELETED, 0)
    order = [status for status in STATUSES if status in counts] + sorted(set(counts) - set(STATUSES))
    backlog = sum(counts[status] for status in order if status not in SOLVED)
    return Chart("status", "Tickets by status (the backlog)",
                 f"Tickets per status in their newest version; the backlog (not solved or closed) is {backlog}.",
                 "Status", "Tickets", order, [Series("tickets", [counts[status] for status in order])],
                 f"{backlog} ticket(s) in the backlog; {deleted} deleted in Zendesk, not counted." if order or deleted
                 else None)


def growth_chart(db: sqlite3.Connection, runs: list[Run]) -> Chart:
    """Tickets in the location after each run (each ticket counted from the first run that wrote it)."""
    first = dict(db.execute("SELECT first_run, count(*) FROM (SELECT min(run_id) AS first_run FROM versions "
                            "GROUP BY id) GROUP BY first_run").fetchall())
    ordered = sorted(runs, key=lambda run: run.run_id)
    total, values = 0, []
    for run in ordered:
        total += first.get(run.run_id, 0)
        values.append(total)
    return Chart("growth", "The backup's growth", "Tickets the location holds (deleted ones included) after each run.",
                 "Run", "Tickets", [run.run_id for run in ordered], [Series("tickets", values)],
                 short_labels=[short_run(run) for run in ordered])


def run_charts(runs: list[Run]) -> list[Chart]:
    """Each run's duration (seconds) and API requests, from the manifests, oldest run first."""
    ordered = sorted(runs, key=lambda run: run.run_id)
    labels, short = [run.run_id for run in ordered], [short_run(run) for run in ordered]
    return [
        Chart("duration", "Duration of each run", "Seconds from each run's start to its end, from its manifest.",
              "Run", "Seconds", labels, [Series("seconds", [seconds(run) for run in ordered])], short_labels=short),
        Chart("requests", "Requests of each run", "API requests of each run, all streams, from its manifest.",
              "Run", "Requests", labels, [Series("requests", [run.requests for run in ordered])], short_labels=short),
    ]


def seconds(run: Run) -> int:
    """A run's duration in seconds (0 when its manifest lacks a time)."""
    start, end = epoch(run.started_at), epoch(run.finished_at)
    return max(0, end - start) if start is not None and end is not None else 0


def short_run(run: Run) -> str:
    """A run as the x axis names it: ``11-02 10:00`` (its start), from its id."""
    stamp = run.run_id.split("-", 1)[0]
    return f"{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}" if len(stamp) >= 13 else run.run_id


def charts(db: sqlite3.Connection, runs: list[Run]) -> list[Chart]:
    """Every chart of ``/charts``."""
    return [weekly_chart(db, runs), status_chart(db), growth_chart(db, runs), *run_charts(runs)]
