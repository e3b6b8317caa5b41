"""Starting a run of ``scrapy crawl zendesk`` and telling whether it has ended: as a local process, or on scrapyd.

The page names each run it starts (the ``ZENDESK_RUN_ID`` setting), so the run's
manifest tells how it ended and its status document (``extensions/status.py``, read by
the page from the export location) how far it got. A launcher only knows whether
its job has ended; a run that ends without a manifest (it could not start) is
explained by the crawl command's ``FAILED`` line at the end of its log.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from zendesk_crawler.run.context import new_run_id

#: Seconds between the crawler's progress lines in runs the page starts (unless ZENDESK_PROGRESS_INTERVAL is set).
PROGRESS_INTERVAL = "2"
#: The end of a log the page reads for the failure line.
LOG_TAIL_BYTES = 64 * 1024
#: How the ``crawl`` command (``commands/crawl.py``) starts its one line saying why a run failed.
FAILURE_LINE_PREFIX = "zendesk_crawler: FAILED: "


class LaunchError(RuntimeError):
    """The run could not be started; one line meant for a person."""


@dataclass(frozen=True)
class Job:
    """A run the page started: its job id (the process's or scrapyd's) and its run id."""

    job_id: str
    run_id: str
    started_at: str


@dataclass(frozen=True)
class JobState:
    """Whether a job has ended, and why it failed when the launcher can tell (its exit, its failure line)."""

    ended: bool
    failure: str | None = None


def failure_line(log: str) -> str | None:
    """The reason in the last ``FAILED`` line of a crawler's log, if it has one."""
    reasons = [line[len(FAILURE_LINE_PREFIX):].rstrip("\r") for line in log.splitlines()
               if line.startswith(FAILURE_LINE_PREFIX)]
    return reasons[-1] if reasons else None


class Launcher(Protocol):
    """Starts runs and tells how the ones it started are doing."""

    def start(self, arguments: dict[str, str]) -> Job:
        """Start a run with these ``-a`` arguments (:class:`LaunchError` if it cannot be started)."""

    def state(self, job: Job) -> JobState:
        """Whether a job this launcher started has ended (:class:`LaunchError` if that cannot be told now)."""


def _new_job(job_id: str | None = None) -> Job:
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    return Job(job_id or run_id, run_id, f"{now:%Y-%m-%dT%H:%M:%SZ}")


class LocalLauncher:
    """Runs ``python -m scrapy crawl zendesk`` in the page's directory with the page's environment.

    Its output goes to ``<cache>/jobs/<run id>.log``; the process is reaped when its state is asked for.
    """

    def __init__(self, export_uri: str, log_dir: Path) -> None:
        self.export_uri = export_uri
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, arguments: dict[str, str]) -> Job:
        """Start the crawl as a child process, its output to its log file."""
        job = _new_job()
        self.log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "scrapy", "crawl", "zendesk", "-s", f"ZENDESK_RUN_ID={job.run_id}"]
        for name, value in arguments.items():
            argv += ["-a", f"{name}={value}"]
        # The page's own settings stay with the page: a crawl needs the account's credentials, not the page's password.
        env = {name: value for name, value in os.environ.items() if not name.startswith("ZENDESK_WEB_")}
        env["ZENDESK_EXPORT_URI"] = self.export_uri
        env.setdefault("ZENDESK_PROGRESS_INTERVAL", PROGRESS_INTERVAL)
        # The job log holds what the crawl logs of every conversation it reads: its owner's only.
        descriptor = os.open(self.log_dir / f"{job.job_id}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as log:
            try:
                self.processes[job.job_id] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                              stdin=subprocess.DEVNULL, env=env)
            except OSError as exc:
                raise LaunchError(f"could not start scrapy: {exc.strerror}") from None
        return job

    def state(self, job: Job) -> JobState:
        """Ended once the process exited (reaped here); its ``FAILED`` line, else a non-zero status, is the reason."""
        returncode = self.processes[job.job_id].poll()
        if returncode is None:
            return JobState(ended=False)
        failure = failure_line(_tail(self.log_dir / f"{job.job_id}.log"))
        if failure is None and returncode != 0:
            failure = f"the crawl exited with status {returncode}"
        return JobState(ended=True, failure=failure)


def _tail(path: Path) -> str:
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
        return file.read().decode("utf-8", "replace")


def split_credentials(url: str) -> tuple[str, str | None]:
    """A URL without its user info, and the ``Authorization: Basic`` value that carries it (``None``: none).

    ``http://bob:s%40cret@host:6800`` gives ``http://host:6800`` and the header for ``bob`` / ``s@cret``.
    The user info is everything up to the last ``@``, so a password with an unescaped ``/`` or ``@``
    leaves the URL too (a scrapyd base URL has no ``@`` of its own); nothing here parses, so nothing fails.
    """
    scheme, separator, rest = url.partition("://")
    if not separator or "@" not in rest:
        return url, None
    userinfo, _, host = rest.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}".encode()).decode()
    return f"{scheme}://{host}", f"Basic {token}"


def _scrapyd_failure(what: str, exc: Exception) -> LaunchError:
    """A :class:`LaunchError` for a failed call to scrapyd: what failed, never the URL or an exception's text
    that could quote it (``http.client.InvalidURL`` quotes the netloc, user info included)."""
    if isinstance(exc, urllib.error.HTTPError):
        exc.close()
        hint = " (check the user and password in SCRAPYD_URL)" if exc.code in (401, 403) else ""
        return LaunchError(f"scrapyd answered {what} with HTTP {exc.code}{hint}")
    if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
        return LaunchError(f"scrapyd did not answer {what} in time")
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, OSError) and reason.strerror:
        return LaunchError(f"could not reach scrapyd for {what}: {reason.strerror}")
    if isinstance(exc, json.JSONDecodeError):
        return LaunchError(f"scrapyd's answer to {what} is not JSON")
    if isinstance(exc, (ValueError, http.client.InvalidURL)):
        return LaunchError(f"could not call scrapyd for {what}: SCRAPYD_URL is not a valid URL")
    return LaunchError(f"could not reach scrapyd for {what} ({type(reason).__name__})")


class ScrapydLauncher:
    """Schedules the ``zendesk`` spider on scrapyd (``schedule.json``) and follows it (``listjobs.json``, its log).

    The job gets the page's export location and the run id as settings; the
    account and its credentials come from scrapyd's own environment, so no
    secret travels in a job's settings. A user and password in ``SCRAPYD_URL``
    go in an ``Authorization`` header, never in a URL, a log line or an error.
    """

    def __init__(self, url: str, project: str, export_uri: str) -> None:
        self.url, self._authorization = split_credentials(url)
        self.project = project
        self.export_uri = export_uri

    def _open(self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None,
              method: str | None = None) -> http.client.HTTPResponse:
        request = urllib.request.Request(f"{self.url}/{path}", data=data, headers=headers or {}, method=method)
        if self._authorization:
            request.add_unredirected_header("Authorization", self._authorization)
        return urllib.request.urlopen(request, timeout=30)

    def _call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
        what = endpoint.split("?")[0]
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self._open(endpoint, data=body) as response:
                answer = json.loads(response.read())
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise _scrapyd_failure(what, exc) from None
        if not isinstance(answer, dict) or answer.get("status") != "ok":
            message = answer.get("message", "") if isinstance(answer, dict) else ""
            raise LaunchError(f"scrapyd refused {what}: {str(message)[:300]}")
        return answer

    def start(self, arguments: dict[str, str]) -> Job:
        """Schedule the spider with the export location, run id and progress interval as settings."""
        job = _new_job()
        interval = os.environ.get("ZENDESK_PROGRESS_INTERVAL") or PROGRESS_INTERVAL
        data = [("project", self.project), ("spider", "zendesk"),
                ("setting", f"ZENDESK_EXPORT_URI={self.export_uri}"), ("setting", f"ZENDESK_RUN_ID={job.run_id}"),
                ("setting", f"ZENDESK_PROGRESS_INTERVAL={interval}"), *arguments.items()]
        return Job(self._call("schedule.json", data)["jobid"], job.run_id, job.started_at)

    def state(self, job: Job) -> JobState:
        """Where ``listjobs.json`` lists the job: pending or running (not ended), finished (its log's failure line).

        A job in no list was cancelled before it ran, or scrapyd restarted (it
        keeps pending and finished jobs in memory by default): it has ended,
        and says so. scrapyd moves a job from pending to running within one
        step of its event loop, so a job it still has is never missing from
        every list.
        """
        jobs = self._call(f"listjobs.json?project={urllib.parse.quote(self.project)}")

        def listed(state: str) -> bool:
            entries = jobs.get(state)
            return isinstance(entries, list) and any(
                isinstance(entry, dict) and entry.get("id") == job.job_id for entry in entries)

        if listed("running") or listed("pending"):
            return JobState(ended=False)
        failure = failure_line(self._log(job.job_id))
        if listed("finished"):
            return JobState(ended=True, failure=failure)
        return JobState(ended=True, failure=failure or (
            f"scrapyd no longer lists job {job.job_id} (cancelled before it ran, or scrapyd restarted)"))

    def _log(self, job_id: str) -> str:
        """The end of the job's log (its size first: twisted's file server mishandles a suffix range on a short
        file)."""
        path = f"logs/{urllib.parse.quote(self.project)}/zendesk/{urllib.parse.quote(job_id)}.log"
        try:
            with self._open(path, method="HEAD") as response:
                size = int(response.headers.get("Content-Length") or 0)
            with self._open(path, headers={"Range": f"bytes={max(0, size - LOG_TAIL_BYTES)}-"}) as response:
                return response.read(LOG_TAIL_BYTES).decode("utf-8", "replace")
        except (OSError, ValueError, http.client.HTTPException):
            return ""
