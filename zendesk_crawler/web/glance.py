"""The routes of a run's page (``/runs/<run id>``: its manifest and what it brought) and of ``/charts`` (the backup
at a glance), on what they need of the page's state (:class:`GlanceSources`, which ``web/app.py``'s ``WebPage``
provides)."""

from __future__ import annotations

from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from zendesk_crawler.streams import STREAMS
from zendesk_crawler.web.charts import charts
from zendesk_crawler.web.index_follower import IndexFollower
from zendesk_crawler.web.run_changes import KINDS, NOT_COUNTED, RunChangesCache
from zendesk_crawler.web.runs import Run
from zendesk_crawler.web.security import redact
from zendesk_crawler.web.tickets import TicketIndex


class GlanceSources(Protocol):
    """What the run page and the charts read: the runs, the index and its follower, the run changes, the
    templates."""

    index: TicketIndex
    follower: IndexFollower
    run_changes: RunChangesCache

    def runs(self) -> list[Run]: ...

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse: ...

    def not_found(self, what: str = "Not found") -> HTMLResponse: ...


def run_page(page: GlanceSources, request: Request) -> Response:
    """``GET /runs/<run id>``: the run's manifest facts and what it brought compared with the runs before it."""
    runs = page.runs()
    run_id = request.path_params["run_id"]
    run = next((each for each in runs if each.run_id == run_id), None)
    if run is None:
        return page.not_found(f"No run {run_id} in this export location.")
    try:
        number_of_page = int(request.query_params.get("page") or 1)
    except ValueError:
        number_of_page = 1
    indexing = page.follower.follow()
    if indexing is not None:  # compared on a partial index, the run would be told wrong (and kept so)
        answer = page.render("message.html", status_code=503, title=f"Run {run.run_id}",
                             message="What this run brought is worked out once the page has indexed the backup "
                                     "(see how far it is above): reload this page in a moment.")
        answer.headers["retry-after"] = "5"
        return answer
    changes = page.run_changes.changes(run, runs, number_of_page)
    previous = next((each.run_id for each in runs if each.run_id < run.run_id), None)
    written = {stream.stream for stream in run.streams if stream.records}
    not_counted = sorted(stream for stream in NOT_COUNTED - {"tickets"} if stream in written and stream in STREAMS)
    return page.render("run.html", run=run, changes=changes, kinds=(*KINDS, "unchanged"), previous=previous,
                       not_counted=not_counted, redact=redact)


def charts_page(page: GlanceSources, request: Request) -> Response:
    """``GET /charts``: the backup at a glance, each chart with its numbers in a table."""
    runs = page.runs()
    page.follower.follow()
    with page.index.reading() as db:
        drawn = charts(db, runs)
        tickets = db.execute("SELECT count(*) FROM current").fetchone()[0]
    return page.render("charts.html", charts=drawn, tickets=tickets, runs=len(runs))
