"""Starting a run of ``scrapy crawl zendesk`` and following it: as a local process, or on scrapyd.

The page names each run it starts (the ``ZENDESK_RUN_ID`` setting), so the run's
manifest tells how it ended. While it goes on, its progress comes from the
crawler's own log: the progress lines of ``progress.py``; a run that ends
without a manifest (it could not start) is explained by its ``FAILED`` line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

from zendesk_crawler.feeds import new_run_id

#: Seconds between the crawler's progress lines in runs the page starts (unless ZENDESK_PROGRESS_INTERVAL is set).
PROGRESS_INTERVAL = "2"
#: The end of a log the page reads for progress and the failure line.
LOG_TAIL_BYTES = 64 * 1024
_PROGRESS = re.compile(r"Progress: (.*)$", re.MULTILINE)
_TICKETS = re.compile(r"tickets: (\d+) records")
_POSITION = re.compile(r"tickets: [^;]*?\(position ([^)]+)\)")
_FAILED = re.compile(r"zendesk_crawler: FAILED: (.*)$", re.MULTILINE)


class LaunchError(RuntimeError):
    """The run could not be started; one line meant for a person."""


@dataclass(frozen=True)
class Job:
    """A run the page started: its job id (the process's or scrapyd's) and its run id."""

    job_id: str
    run_id: str
    started_at: str


@dataclass(frozen=True)
class JobProgress:
    """What a job's log says so far."""

    ended: bool
    tickets: int | None = None
    position: str | None = None
    progress: str | None = None
    failure: str | None = None


def progress_from_log(ended: bool, log: str) -> JobProgress:
    """The last progress line of a crawler's log (tickets so far, position reached) and its failure line."""
    lines = _PROGRESS.findall(log)
    last = lines[-1] if lines else None
    tickets = _TICKETS.search(last) if last else None
    position = _POSITION.search(last) if last else None
    failed = _FAILED.findall(log)
    return JobProgress(ended, int(tickets.group(1)) if tickets else None, position.group(1) if position else None,
                       last, failed[-1] if failed else None)


class Launcher(Protocol):
    """Starts runs and tells how the ones it started are doing."""

    def start(self, arguments: dict[str, str]) -> Job: ...

    def progress(self, job: Job) -> JobProgress: ...


def _new_job(job_id: str | None = None) -> Job:
    now = datetime.now(timezone.utc)
    run_id = new_run_id(now)
    return Job(job_id or run_id, run_id, f"{now:%Y-%m-%dT%H:%M:%SZ}")


class LocalLauncher:
    """Runs ``python -m scrapy crawl zendesk`` in the page's directory with the page's environment.

    Its output goes to ``<cache>/jobs/<run id>.log``; the process is reaped when its progress is asked for.
    """

    def __init__(self, export_uri: str, log_dir: Path) -> None:
        self.export_uri = export_uri
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, arguments: dict[str, str]) -> Job:
        job = _new_job()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "scrapy", "crawl", "zendesk", "-s", f"ZENDESK_RUN_ID={job.run_id}"]
        for name, value in arguments.items():
            argv += ["-a", f"{name}={value}"]
        env = {**os.environ, "ZENDESK_EXPORT_URI": self.export_uri}
        env.setdefault("ZENDESK_PROGRESS_INTERVAL", PROGRESS_INTERVAL)
        with (self.log_dir / f"{job.job_id}.log").open("wb") as log:
            try:
                self.processes[job.job_id] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                              stdin=subprocess.DEVNULL, env=env)
            except OSError as exc:
                raise LaunchError(f"could not start scrapy: {exc.strerror}") from None
        return job

    def progress(self, job: Job) -> JobProgress:
        returncode = self.processes[job.job_id].poll()
        progress = progress_from_log(returncode is not None, _tail(self.log_dir / f"{job.job_id}.log"))
        if returncode not in (None, 0) and progress.failure is None:
            return JobProgress(**{**progress.__dict__, "failure": f"the crawl exited with status {returncode}"})
        return progress


def _tail(path: Path) -> str:
    with path.open("rb") as file:
        file.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
        return file.read().decode("utf-8", "replace")


class ScrapydLauncher:
    """Schedules the ``zendesk`` spider on scrapyd (``schedule.json``) and follows it (``listjobs.json``, its log).

    The job gets the page's export location and the run id as settings; the
    account and its credentials come from scrapyd's own environment, so no
    secret travels in a job's settings.
    """

    def __init__(self, url: str, project: str, export_uri: str) -> None:
        self.url = url
        self.project = project
        self.export_uri = export_uri

    def _call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with urllib.request.urlopen(f"{self.url}/{endpoint}", data=body, timeout=30) as response:
                answer = json.loads(response.read())
        except (OSError, ValueError) as exc:
            raise LaunchError(f"scrapyd did not answer {endpoint.split('?')[0]} ({type(exc).__name__})") from None
        if answer.get("status") != "ok":
            raise LaunchError(f"scrapyd refused {endpoint.split('?')[0]}: {str(answer.get('message', ''))[:300]}")
        return answer

    def start(self, arguments: dict[str, str]) -> Job:
        job = _new_job()
        interval = os.environ.get("ZENDESK_PROGRESS_INTERVAL") or PROGRESS_INTERVAL
        data = [("project", self.project), ("spider", "zendesk"),
                ("setting", f"ZENDESK_EXPORT_URI={self.export_uri}"), ("setting", f"ZENDESK_RUN_ID={job.run_id}"),
                ("setting", f"ZENDESK_PROGRESS_INTERVAL={interval}"), *arguments.items()]
        return Job(self._call("schedule.json", data)["jobid"], job.run_id, job.started_at)

    def progress(self, job: Job) -> JobProgress:
        jobs = self._call(f"listjobs.json?project={urllib.parse.quote(self.project)}")
        ended = any(entry.get("id") == job.job_id for entry in jobs.get("finished", []))
        started = ended or any(entry.get("id") == job.job_id for entry in jobs.get("running", []))
        return progress_from_log(ended, self._log(job.job_id) if started else "")

    def _log(self, job_id: str) -> str:
        """The end of the job's log (its size first: twisted's file server mishandles a suffix range on a short file)."""
        url = f"{self.url}/logs/{urllib.parse.quote(self.project)}/zendesk/{job_id}.log"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=30) as response:
                size = int(response.headers.get("Content-Length") or 0)
            request = urllib.request.Request(url, headers={"Range": f"bytes={max(0, size - LOG_TAIL_BYTES)}-"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read(LOG_TAIL_BYTES).decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
