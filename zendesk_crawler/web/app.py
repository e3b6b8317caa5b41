"""The page's routes: runs and Extract now, files, the ticket search, the conversation and its PDF."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from scrapy.settings import BaseSettings
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from zendesk_crawler.errors import ConfigError, StateError
from zendesk_crawler.extensions.status import RunStatus, read_status, status_uri
from zendesk_crawler.location.documents import documents_for
from zendesk_crawler.location.reader import ExportLocation, FileNotInLocation, location_for, safe_relative_path
from zendesk_crawler.run.values import parse_bool
from zendesk_crawler.spiders.arguments import parse_start_time, parse_streams
from zendesk_crawler.state.readers import lock_uri, read_positions
from zendesk_crawler.streams import STREAMS
from zendesk_crawler.web.browse import SORTS, Choices, Filters, filter_choices, list_link, page_parameter
from zendesk_crawler.web.browse import browse as browse_page
from zendesk_crawler.web.browse import search as search_page
from zendesk_crawler.web.config import WebConfig
from zendesk_crawler.web.fulltext import parse_query
from zendesk_crawler.web.glance import charts_page, run_page
from zendesk_crawler.web.history import HistoryFollower, TicketHistory, page_number, version_diff, version_number
from zendesk_crawler.web.index_follower import IndexFollower
from zendesk_crawler.web.launcher import Job, Launcher, LaunchError, LocalLauncher, ScrapydLauncher
from zendesk_crawler.web.numbers import ID_DIGITS, digits
from zendesk_crawler.web.pdf import IMAGE_BYTES, PdfPart, capped_comment, pdf_part_views, render_version, write_pdf
from zendesk_crawler.web.pdf_renders import RETRY_AFTER_SECONDS, PdfBusy, PdfRenders
from zendesk_crawler.web.render import INLINE_IMAGE_TYPES, Deletion, comment_view, field_value, find_attachment
from zendesk_crawler.web.run_changes import RunChangesCache
from zendesk_crawler.web.runs import LockHolder, Run, RunCatalog, lock_holder
from zendesk_crawler.web.security import CsrfToken, SecurityMiddleware, file_headers, redact
from zendesk_crawler.web.selection_forms import SELECTIONS, refusal, template_globals
from zendesk_crawler.web.ticket_rows import record_comments
from zendesk_crawler.web.tickets import ShownTicket, TicketIndex, Version

if TYPE_CHECKING:
    from zendesk_crawler.web.demo_mode import DemoMode

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
#: Content types of the export's files by extension; anything else is served as bytes to download (a file
#: in the location is data: never a script, stylesheet or document of the page's origin).
FILE_TYPES = {".json": "application/json", ".jsonl": "application/jsonl; charset=utf-8",
              ".xml": "application/xml; charset=utf-8", ".csv": "text/csv; charset=utf-8",
              ".gz": "application/gzip"}
#: The run options the page may pass to a run (``-a`` arguments), validated as the command line validates them.
RUN_OPTIONS = ("start_time", "streams", "attachments")
#: A form field saying the streams' checkboxes were on the form (none ticked is then an error, not "all").
STREAMS_SHOWN = "streams_shown"
NOTICES = {"started": "The extraction started.", "busy": "A run is already in progress: not starting another."}


class IdConvertor(Convertor[int]):
    """An id in a path: 1 to 19 digits (Starlette's ``int`` takes any number of them and ``int()`` refuses more
    than 4300: a 500)."""

    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("id", IdConvertor())


@dataclass(frozen=True)
class JobView:
    """The extraction the page started last, as shown: its state, progress (from its status document) and how it
    ended (from its manifest)."""

    job_id: str
    run_id: str
    started_at: str
    state: str
    tickets: int | None = None
    position: str | None = None
    progress: str | None = None
    failure: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ("starting", "running")


class WebPage:
    """The page's state: configuration, export location, index, launcher and the jobs it started."""

    def __init__(self, config: WebConfig, settings: BaseSettings) -> None:
        self.config = config
        self.settings = settings
        self.location: ExportLocation = location_for(config.export_uri, settings)
        self.index = TicketIndex(config.cache_dir / "tickets.sqlite", self.location)
        self.history = TicketHistory(self.index, self.location)
        self.catalog = RunCatalog(self.location)
        #: Follows the ticket index, then the history's (``web/history.py``), over the catalog's runs.
        self.follower: IndexFollower = HistoryFollower(self.history, self.runs, config.index_wait)
        self.run_changes = RunChangesCache(self.index, self.location, config.cache_dir / "scratch")
        self.pdfs = PdfRenders(config.cache_dir / "pdf", renders=config.pdf_renders)
        #: The filter form's values and the index generation they are of (``_choices``).
        self.choices: tuple[int, Choices] | None = None
        self.choices_lock = threading.Lock()
        self.render_version = render_version([*TEMPLATES_DIR.glob("*.html"), STATIC_DIR / "style.css"])
        self.launcher: Launcher = (
            ScrapydLauncher(config.scrapyd_url, config.scrapyd_project, config.export_uri) if config.scrapyd_url
            else LocalLauncher(config.export_uri, config.cache_dir / "jobs"))
        self.jobs: list[Job] = []
        #: Held from the busy check to the start, so two clicks at once start one run.
        self.starting = threading.Lock()
        self.csrf = CsrfToken()
        self.templates = Environment(loader=PackageLoader("zendesk_crawler.web", "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))
        self.templates.globals.update(quote=quote, field_value=field_value)

    # --- reading the location ---------------------------------------------------------------------------

    def runs(self) -> list[Run]:
        """The location's runs, newest first, from their manifests."""
        return self.catalog.runs()

    def _document(self, uri: str) -> str | None:
        return documents_for(uri, self.settings).read(uri)

    def lock_holder(self, runs: list[Run]) -> LockHolder | None:
        """The run holding the location's lock now, if any."""
        return lock_holder(self._document(lock_uri(self.config.state_uri)), runs)

    def run_status(self, run_id: str) -> RunStatus | None:
        """A run's status document, from the export location (``None``: none yet, or it cannot be read now)."""
        try:
            return read_status(self._document(status_uri(self.config.export_uri, run_id)), run_id)
        except StateError:
            return None

    def job_view(self, runs: list[Run]) -> JobView | None:
        """The last job the page started: how it ended from its manifest once written, else how far it got from its
        status document and whether it has ended from its launcher."""
        if not self.jobs:
            return None
        job = self.jobs[-1]
        ended = self._ended_view(job, runs)
        if ended is not None:
            return ended
        try:
            state = self.launcher.state(job)
        except (LaunchError, KeyError) as exc:
            return JobView(job.job_id, job.run_id, job.started_at, "unknown", failure=redact(str(exc)))
        # A job that ended just now may have written its manifest since ``runs`` was read.
        ended = self._ended_view(job, self.runs()) if state.ended else None
        if ended is not None:
            return ended
        status = self.run_status(job.run_id)
        progress = redact(status.summary()) if status is not None else None
        tickets, position = (status.tickets, status.position) if status is not None else (None, None)
        if state.ended:
            reason = state.failure or (status.failure if status is not None else None) or \
                "the run ended without writing its manifest (see its log)"
            return JobView(job.job_id, job.run_id, job.started_at, "failed", tickets, position, progress,
                           redact(reason))
        return JobView(job.job_id, job.run_id, job.started_at, "running" if status else "starting", tickets,
                       position, progress)

    @staticmethod
    def _ended_view(job: Job, runs: list[Run]) -> JobView | None:
        """The job as its manifest tells it (``None``: no manifest yet)."""
        run = next((run for run in runs if run.run_id == job.run_id), None)
        if run is None:
            return None
        return JobView(job.job_id, job.run_id, job.started_at, run.status, run.tickets,
                       failure=run.failure and redact(run.failure))

    def render(self, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A template rendered with the form token."""
        html = self.templates.get_template(name).render(csrf=self.csrf.value, indexing=self.follower.progress(),
                                                        **context)
        return HTMLResponse(html, status_code=status_code)

    def not_found(self, what: str = "Not found") -> HTMLResponse:
        """The 404 page (the only answer for anything outside the location)."""
        return self.render("message.html", status_code=404, title="Not found", message=what)

    # --- routes --------------------------------------------------------------------------------------------

    def runs_page(self, request: Request) -> HTMLResponse:
        """``GET /``: the state, the extraction the page started, Extract now, the runs."""
        runs = self.runs()
        notice = request.query_params.get("notice", "")
        return self.render("runs.html", runs=runs, positions=read_positions(self._document(self.config.state_uri)),
                           job=self.job_view(runs), lock=self.lock_holder(runs), notice=NOTICES.get(notice),
                           streams=tuple(STREAMS), export_uri=self.config.export_uri,
                           scrapyd=bool(self.config.scrapyd_url), redact=redact)

    def status(self, request: Request) -> JSONResponse:
        """``GET /status.json``: what the progress script polls."""
        runs = self.runs()
        job = self.job_view(runs)
        lock = self.lock_holder(runs)
        return JSONResponse({"job": job and {**asdict(job), "active": job.active},
                             "lock": lock and asdict(lock), "newest_run": runs[0].run_id if runs else None})

    async def extract(self, request: Request) -> Response:
        """``POST /extract``: start a run (form token and run options checked first)."""
        form = await request.form()
        if not self.csrf.valid(form.get("csrf")):
            return self.render("message.html", status_code=403, title="Refused",
                               message="The form was not sent by this page (missing or wrong token).")
        unknown = sorted(set(form.keys()) - {"csrf", STREAMS_SHOWN, *RUN_OPTIONS})
        try:
            if unknown:
                raise ConfigError(f"unknown run option(s): {', '.join(unknown)}")
            streams = form.getlist("streams")
            if form.get(STREAMS_SHOWN) and not streams:
                raise ConfigError("no stream is ticked: tick at least one stream to export")
            arguments = run_arguments(form.get("start_time"), streams, form.get("attachments"))
        except ConfigError as exc:
            return self.render("message.html", status_code=400, title="Invalid options", message=str(exc))
        return await run_in_threadpool(self._start, arguments)

    async def extract_selection(self, request: Request) -> Response:
        """``POST /extract/filtered``, ``/extract/person``: a filtered or a person export (``selection_forms.py``),
        started as Extract now starts a run."""
        arguments_of = SELECTIONS.get(request.path_params["kind"])
        if arguments_of is None:
            return self.not_found()
        form = await request.form()
        if not self.csrf.valid(form.get("csrf")):
            return self.render("message.html", status_code=403, title="Refused",
                               message="The form was not sent by this page (missing or wrong token).")
        try:
            arguments = arguments_of(form)
        except ConfigError as exc:
            return self.render("message.html", status_code=400, title="Invalid options", message=refusal(exc))
        return await run_in_threadpool(self._start, arguments)

    def _start(self, arguments: dict[str, str]) -> Response:
        with self.starting:
            runs = self.runs()
            job = self.job_view(runs)
            if (job is not None and job.active) or self.lock_holder(runs):
                return RedirectResponse("/?notice=busy", status_code=303)
            try:
                self.jobs.append(self.launcher.start(arguments))
            except LaunchError as exc:
                return self.render("message.html", status_code=502, title="The extraction could not be started",
                                   message=redact(str(exc)))
            return RedirectResponse("/?notice=started", status_code=303)

    def file(self, request: Request) -> Response:
        """``GET /files/<path>``: a file of the export location, streamed."""
        path = request.path_params["path"]
        return self._stream(path, FILE_TYPES.get(Path(path).suffix.lower(), "application/octet-stream"), {})

    def _stream(self, path: str, content_type: str, headers: dict[str, str]) -> Response:
        """A file of the location streamed with the served files' headers; a 404 for anything else."""
        if safe_relative_path(path) is None:
            return self.not_found()
        try:
            size = self.location.size(path)
            chunks = self.location.stream(path)
        except FileNotInLocation:
            return self.not_found()
        return StreamingResponse(chunks, media_type=content_type,
                                 headers={**file_headers(), "content-length": str(size), **headers})

    def search(self, request: Request) -> Response:
        """``GET /tickets?q=``: a ticket id (redirect) or a requester's e-mail address (a list)."""
        query = request.query_params.get("q", "").strip()
        ticket_id = digits(query)
        if ticket_id is not None:
            return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
        if "@" not in query:
            return self.render("message.html", status_code=400, title="Find a ticket",
                               message="Give a ticket id or a requester's e-mail address.")
        self.follower.follow()
        return self.render("search.html", query=query, tickets=self.index.by_requester(query))

    def _shown(self, request: Request) -> ShownTicket | None:
        self.follower.follow()
        return self.index.shown(int(request.path_params["ticket_id"]))  # ids it cannot hold: None

    def _ticket(self, request: Request) -> dict[str, Any] | None:
        shown = self._shown(request)
        return None if shown is None else shown.record

    def _conversation(self, record: dict[str, Any], for_pdf: bool, deleted: Deletion | None = None,
                      template: str = "ticket.html", part: PdfPart | None = None, pdf_base: str = "",
                      **extra: Any) -> str:
        """A ticket as a conversation: the page, or the PDF of ``part`` of it (all its comments when ``None``)."""
        comments = record_comments(record)
        shown = comments if part is None else comments[part.first - 1:part.last]
        return self.templates.get_template(template).render(
            ticket=record, comments=[comment_view(record["id"], *capped_comment(comment)) if for_pdf
                                     else comment_view(record["id"], comment) for comment in shown],
            comment_total=len(comments), for_pdf=for_pdf, pdf_base=pdf_base or f"/tickets/{record['id']}",
            csrf=self.csrf.value, deleted=deleted, part=part,
            pdf_parts=pdf_part_views(record, self.config.pdf_comments), pdf_comments=self.config.pdf_comments,
            custom_fields=record.get("custom_fields_by_title") or {}, **extra)

    def _deletion(self, shown: ShownTicket) -> Deletion | None:
        if not shown.deleted:
            return None
        newest = self.index.versions(shown.version.ticket_id)
        return Deletion(at=shown.deleted_at or None, run=newest[0].run_id if newest else None,
                        live=not shown.version.deleted, shown_run=shown.version.run_id)

    def ticket(self, request: Request) -> Response:
        """``GET /tickets/<id>``: a ticket as a conversation: its newest version, or for a ticket deleted in Zendesk
        its last version before the deletion under a banner saying when it was deleted; then its history."""
        shown = self._shown(request)
        if shown is None:
            return self.not_found(f"Ticket {request.path_params['ticket_id']} is in no backup of this location.")
        history = self.history.view(shown.version.ticket_id, page_number(request.query_params.get("versions_page")),
                                    request.query_params.get("events_before"), shown.record)
        return HTMLResponse(self._conversation(shown.record, for_pdf=False, deleted=self._deletion(shown),
                                               template="ticket_history.html", history=history,
                                               history_indexing=self.follower.progress()))

    def _numbered(self, ticket_id: int, number: int) -> tuple[Version, dict[str, Any], int] | None:
        """Version ``number`` (1: the oldest) of a ticket, its record and how many versions it has (``None``: no
        such version, or its record cannot be read now)."""
        found = version_number(self.index, ticket_id, number)
        record = None if found is None else self.index.read_version(found[0])
        return None if found is None or record is None else (found[0], record, found[1])

    def _version(self, request: Request) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The record of version ``<n>`` of ticket ``<id>`` and what its banner says (``None``: no such version)."""
        ticket_id, number = request.path_params["ticket_id"], request.path_params["number"]
        self.follower.follow()
        found = self._numbered(ticket_id, number)
        if found is None:
            return None
        version, record, total = found
        return record, {"template": "ticket_version.html", "pdf_base": f"/tickets/{ticket_id}/versions/{number}",
                        "version": version, "number": number, "total": total}

    def ticket_version(self, request: Request) -> Response:
        """``GET /tickets/<id>/versions/<n>``: version ``n`` of a ticket (1: the oldest) as a conversation."""
        found = self._version(request)
        if found is None:
            return self.not_found(f"Ticket {request.path_params['ticket_id']} has no version "
                                  f"{request.path_params['number']} in this location.")
        return HTMLResponse(self._conversation(found[0], for_pdf=False, **found[1]))

    def _choices(self, db: sqlite3.Connection) -> Choices:
        """The filter form's values, kept until the index changes (each is a pass over every ticket)."""
        generation = self.index.generation()
        with self.choices_lock:
            if self.choices is None or self.choices[0] != generation:
                self.choices = (generation, filter_choices(db))
            return self.choices[1]

    def browse(self, request: Request) -> Response:
        """``GET /browse``: the backup's tickets, filtered, sorted, a keyset page at a time."""
        params = request.query_params
        sort, order = params.get("sort") or "updated", params.get("order") or "desc"
        try:
            filters = Filters.parse(params)
            if order not in ("asc", "desc"):
                raise ConfigError(f"order: asc or desc (got {order!r})")
            self.follower.follow()
            with self.index.reading() as db:
                page = browse_page(db, filters, sort, order == "desc", params.get("after") or None,
                                   params.get("before") or None)
                choices = self._choices(db)
        except ConfigError as exc:
            return self.render("message.html", status_code=400, title="Browse", message=str(exc))
        return self.render("browse.html", page=page, filters=filters, sort=sort, order=order, choices=choices,
                           brand_names=self.history.labels("brands", choices.brands), sorts=SORTS,
                           link=list_link(filters, sort=sort, order=order))

    def fulltext_search(self, request: Request) -> Response:
        """``GET /search?q=``: the tickets whose subject or comments hold the words, best match first."""
        params = request.query_params
        text = params.get("q", "").strip()
        try:
            filters = Filters.parse(params)
            page_number = page_parameter(params.get("page"))
            query = parse_query(text)
            self.follower.follow()
            with self.index.reading() as db:
                page = search_page(db, query, filters, page_number)
                choices = self._choices(db)
        except ConfigError as exc:
            return self.render("message.html", status_code=400, title="Search", message=str(exc))
        return self.render("results.html", page=page, filters=filters, query=text, choices=choices,
                           brand_names=self.history.labels("brands", choices.brands), page_number=page_number,
                           link=list_link(filters, q=text))

    def ticket_pdf(self, request: Request) -> Response:
        """``GET /tickets/<id>.pdf``: the conversation as a PDF (the version the page shows, its banner too)."""
        shown = self._shown(request)
        if shown is None:
            return self.not_found(f"Ticket {request.path_params['ticket_id']} is in no backup of this location.")
        return self._pdf(request, shown.record, f"ticket-{shown.record['id']}", deleted=self._deletion(shown))

    def ticket_compare(self, request: Request) -> Response:
        """``GET /tickets/<id>/compare?from=<n>&to=<m>``: any two versions of a ticket, field by field."""
        ticket_id = request.path_params["ticket_id"]
        first, last = (digits(request.query_params.get(name, "").strip(), 6) for name in ("from", "to"))
        if first is None or last is None:
            return self.render("message.html", status_code=400, title="Compare versions",
                               message="Give two version numbers (1 is the oldest the backup holds).")
        self.follower.follow()
        sides = []
        for number in (first, last):
            found = self._numbered(ticket_id, number)
            if found is None:
                return self.not_found(f"Ticket {ticket_id} has no readable version {number} in this location.")
            version, record, total = found
            sides.append(({"number": number, "version": version}, record, total))
        (before, old, total), (after, new, _) = sides
        diff = version_diff(old, new)
        self.history.name_ids([diff])
        return self.render("ticket_compare.html", ticket_id=ticket_id, before=before, after=after, total=total,
                           diff=diff)

    def ticket_version_pdf(self, request: Request) -> Response:
        """``GET /tickets/<id>/versions/<n>.pdf``: version ``n`` of a ticket as a PDF, under its version banner."""
        found = self._version(request)
        if found is None:
            return self.not_found(f"Ticket {request.path_params['ticket_id']} has no version "
                                  f"{request.path_params['number']} in this location.")
        record, banner = found
        return self._pdf(request, record, f"ticket-{record['id']}-version-{banner['number']}", **banner)

    def _pdf(self, request: Request, record: dict[str, Any], name: str, deleted: Deletion | None = None,
             template: str = "ticket.html", **extra: Any) -> Response:
        """The PDF of the part ``?part=`` (default 1) of a conversation: from the cache, else rendered in one of
        the render slots (503 with ``Retry-After`` when they are all taken)."""
        parts = pdf_part_views(record, self.config.pdf_comments)
        asked = request.query_params.get("part") or "1"
        number = digits(asked, 6)
        part = parts[number - 1] if number is not None and 1 <= number <= len(parts) else None
        if part is None:
            return self.not_found(f"The PDF of ticket {record['id']} has {len(parts)} part(s): no part {asked[:20]!r}.")

        def render() -> bytes:
            stylesheet = (STATIC_DIR / "style.css").read_text("utf-8")
            html = self._conversation(record, for_pdf=True, deleted=deleted, template=template, part=part, **extra)
            return write_pdf(html, stylesheet, lambda ticket, attachment: self._image(record, attachment)
                             if ticket == record["id"] else None)

        # Kept by what it is drawn from: the version's content, its deletion or version banner, the part and the
        # page's templates.
        banner = {key: asdict(value) if key == "version" else value for key, value in extra.items()}
        key = hashlib.sha256(orjson.dumps([record, asdict(deleted) if deleted else None, template, banner,
                                           asdict(part), self.config.pdf_comments, self.render_version],
                                          option=orjson.OPT_SORT_KEYS))
        try:
            pdf, _ = self.pdfs.get(key.hexdigest(), render)
        except PdfBusy:
            response = self.render("message.html", status_code=503, title="The page is busy rendering PDFs",
                                   message=f"Other PDFs are being rendered: try again in {RETRY_AFTER_SECONDS} s.")
            response.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
            return response
        name += "" if part.parts == 1 else f"-part-{part.number}-of-{part.parts}"
        return Response(pdf, media_type="application/pdf", headers={
            **file_headers(), "content-disposition": f'attachment; filename="{name}.pdf"'})

    def _image(self, record: dict[str, Any], attachment_id: int) -> tuple[bytes, str] | None:
        attachment = find_attachment(record, attachment_id)
        if attachment is None or attachment.get("content_type") not in INLINE_IMAGE_TYPES:
            return None
        given = attachment.get("stored_file")
        stored: dict[str, Any] = given if isinstance(given, dict) else {}
        size = stored.get("size", attachment.get("size"))
        if not isinstance(size, int) or size > IMAGE_BYTES:  # not read at all: the PDF names it instead
            return None
        data = self.location.read_bytes(stored.get("path") or "")
        return None if data is None else (data, attachment["content_type"])

    def attachment(self, request: Request) -> Response:
        """``GET /tickets/<id>/attachments/<id>``: a comment's stored attachment file."""
        record = self._ticket(request)
        attachment = find_attachment(record or {}, int(request.path_params["attachment_id"]))
        if attachment is None:
            return self.not_found()
        path = (attachment.get("stored_file") or {}).get("path") or ""
        content_type = str(attachment.get("content_type") or "")
        name = quote(str(attachment.get("file_name") or attachment["id"]))
        inline = content_type in INLINE_IMAGE_TYPES
        return self._stream(path, content_type if inline else "application/octet-stream", {
            "content-disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{name}"})


def run_arguments(start_time: Any, streams: list[Any], attachments: Any) -> dict[str, str]:
    """The ``-a`` arguments of a run from the form, validated like the command line's (:class:`ConfigError`)."""
    arguments: dict[str, str] = {}
    if isinstance(start_time, str) and start_time.strip():
        arguments["start_time"] = str(parse_start_time(start_time, time.time()))
    selected = [name for name in streams if isinstance(name, str)]
    if selected and set(selected) != set(STREAMS):
        arguments["streams"] = ",".join(parse_streams(",".join(selected)))
    if isinstance(attachments, str) and attachments.strip():
        arguments["attachments"] = "true" if parse_bool("attachments", attachments) else "false"
    return arguments


def create_app(config: WebConfig, settings: BaseSettings, bind_host: str = "127.0.0.1",
               demo: DemoMode | None = None) -> SecurityMiddleware:
    """The ASGI application (``bind_host``: the address it listens on, a ``Host`` name it answers to; ``demo``:
    the demo backup and sandbox it serves, named on every page)."""
    page = WebPage(config, settings)
    page.templates.globals.update(demo=demo, **template_globals())
    routes = [
        Route("/", page.runs_page),
        Route("/status.json", page.status),
        Route("/extract", page.extract, methods=["POST"]),
        Route("/extract/{kind}", page.extract_selection, methods=["POST"]),
        Route("/files/{path:path}", page.file),
        Route("/tickets", page.search),
        Route("/browse", page.browse),
        Route("/runs/{run_id}", lambda request: run_page(page, request)),
        Route("/charts", lambda request: charts_page(page, request)),
        Route("/search", page.fulltext_search),
        Route("/tickets/{ticket_id:id}", page.ticket),
        Route("/tickets/{ticket_id:id}.pdf", page.ticket_pdf),
        Route("/tickets/{ticket_id:id}/versions/{number:id}.pdf", page.ticket_version_pdf),
        Route("/tickets/{ticket_id:id}/versions/{number:id}", page.ticket_version),
        Route("/tickets/{ticket_id:id}/compare", page.ticket_compare),
        Route("/tickets/{ticket_id:id}/attachments/{attachment_id:id}", page.attachment),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return page.not_found()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    return SecurityMiddleware(app, config.user, config.password, bind_host)
