"""Job statuses: the answer of every bulk write (``create_many``, ``create_or_update_many``, ticket imports).

Sources: *Job Statuses* (https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/):
members ``id``, ``job_type``, ``url``, ``total``, ``progress``, ``status`` (``queued``, ``working``, ``failed``,
``completed``), ``message``, ``results`` (per task: ``index`` and ``id``, or ``error`` and ``details``; users'
``status`` ``Created``/``Updated``/``Failed``); ``GET /api/v2/job_statuses/{id}``, ``show_many?ids=``, and the list
of the last 100. A job "may no longer exist to query. Zendesk only logs the last 100 jobs. Jobs also expire within
an hour" (quoted in a Zendesk community post, 2021). At most 30 jobs may be queued or running at once per account
(*Rate limits* → *Job limit*, https://developer.zendesk.com/api-reference/introduction/rate-limits/); more answer 429
``TooManyJobs`` (the body's wording is the sandbox's).

Here the work is done when the job is submitted (its objects exist at once, as a background job's do while it
runs), but the status reveals it over polls: ``queued`` in the submit answer, ``working`` (half the progress) at the
first poll, ``completed`` with ``results`` at the second, or once ``RUN_SECONDS`` of sandbox time have passed. A job
is kept ``EXPIRY`` sandbox seconds (then 404).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock
from ..encoding import iso

#: Sandbox seconds after which a job is gone (404), and after which it has completed even if nobody polled.
EXPIRY = 3600
RUN_SECONDS = 60
#: Polls a job answers before ``completed`` (``queued`` is the submit answer's, ``working`` the first poll's).
POLLS_TO_COMPLETE = 2
MAX_RUNNING = 30
LISTED = 100


@dataclass
class Job:
    id: str
    job_type: str
    created: int
    results: list[dict[str, Any]]
    polls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class JobStatuses:
    """The account's jobs; thread-safe."""

    def __init__(self, clock: Clock, base_url: str) -> None:
        self.clock = clock
        self.base_url = base_url
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._count = 0

    def _done(self, job: Job, now: int) -> bool:
        return job.polls >= POLLS_TO_COMPLETE or now - job.created >= RUN_SECONDS

    def running(self) -> int:
        """How many live jobs have not completed yet."""
        now = self.clock.now_int()
        with self._lock:
            return sum(1 for job in self._jobs.values() if now - job.created < EXPIRY and not self._done(job, now))

    def full(self) -> bool:
        """Whether another job would exceed the limit of jobs running at once."""
        return self.running() >= MAX_RUNNING

    def submit(self, job_type: str, results: list[dict[str, Any]]) -> dict[str, Any]:
        """Record a job whose work is done with these results; its ``job_status`` as the submit answer shows it."""
        with self._lock:
            self._count += 1
            job_id = hashlib.sha256(b"job %d" % self._count).hexdigest()[:32]
            job = Job(job_id, job_type, self.clock.now_int(), results)
            self._jobs[job_id] = job
        return self._render(job, "queued")

    def poll(self, job_id: str) -> dict[str, Any] | None:
        """The job's status now (each poll moves it on), None when unknown or expired."""
        now = self.clock.now_int()
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or now - job.created >= EXPIRY:
                return None
            job.polls += 1
            state = "completed" if self._done(job, now) else "working"
        return self._render(job, state)

    def listed(self) -> list[dict[str, Any]]:
        """The last 100 live jobs, newest first (listing does not move them on)."""
        now = self.clock.now_int()
        with self._lock:
            jobs = [job for job in self._jobs.values() if now - job.created < EXPIRY][-LISTED:]
            states = ["completed" if self._done(job, now) else "working" if job.polls else "queued" for job in jobs]
        return [self._render(job, state) for job, state in zip(reversed(jobs), reversed(states), strict=True)]

    def _render(self, job: Job, state: str) -> dict[str, Any]:
        total = len(job.results)
        progress = {"queued": None, "working": total // 2, "completed": total}[state]
        return {"id": job.id, "job_type": job.job_type, "url": f"{self.base_url}/api/v2/job_statuses/{job.id}.json",
                "total": total, "progress": progress, "status": state,
                "message": f"Completed at {iso(job.created)}" if state == "completed" else None,
                "results": job.results if state == "completed" else None}
