"""One run at a time per export location: a lock held beside the state file.

Locally an ``flock`` (the kernel releases it when the process dies); on S3 a
lease object created with a conditional PUT and renewed while the run goes on
(a killed run's lease expires after ``ZENDESK_LOCK_TTL`` seconds).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from scrapy.settings import BaseSettings

from zendesk_crawler.location.paths import is_local, local_path
from zendesk_crawler.location.s3 import describe_s3_error, error_code, s3_client, split_s3_uri
from zendesk_crawler.state.store import StateError

logger = logging.getLogger(__name__)

#: S3 answers to a conditional PUT that lost (412, or 409 when two race).
_LOST_RACE = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


class RunLockedError(StateError):
    """Another run holds the lock of this export location."""


class RunLock(Protocol):
    """What the run lock holder (``run_lock.py``) needs from a lock."""

    def acquire(self, run_id: str) -> None: ...

    def renew(self) -> None: ...

    def release(self) -> None: ...


def _holder(run_id: str, **extra: Any) -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "run_id": run_id,
            "since": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), **extra}


def _locked(where: str, holder: str) -> RunLockedError:
    return RunLockedError(f"another run is using this export location (lock {where} held by {holder}); "
                          "wait for it to finish")


class LocalRunLock:
    """An exclusive ``flock`` on a local lock file; the file stays and says who held it last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, run_id: str) -> None:
        """Take the lock or raise :class:`RunLockedError` naming the run that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise _locked(str(self.path), holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_holder(run_id)).encode())
        self.fd = fd

    def renew(self) -> None:
        """Nothing to do: an flock lasts as long as the process."""

    def release(self) -> None:
        """Let the next run in."""
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class S3RunLock:
    """A lease: an S3 object created only if absent (``If-None-Match: *``) and renewed with ``If-Match``.

    A lease older than its expiry is taken over (again with ``If-Match``, so
    two runs cannot both take it). Renewing fails if another run took the
    lease over, and the run then stops.
    """

    def __init__(self, client: Any, uri: str, ttl: float) -> None:
        self.client = client
        self.uri = uri
        self.bucket, self.key = split_s3_uri(uri)
        self.ttl = ttl
        self.run_id = ""
        self.etag: str | None = None

    def _put(self, **condition: str) -> str:
        body = json.dumps(_holder(self.run_id, expires_at=int(time.time() + self.ttl))).encode()
        return self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body,
                                      ContentType="application/json", **condition)["ETag"]

    def acquire(self, run_id: str) -> None:
        """Take the lease or raise :class:`RunLockedError` naming the run that holds it."""
        self.run_id = run_id
        try:
            self.etag = self._put(IfNoneMatch="*")
            return
        except Exception as exc:
            if error_code(exc) not in _LOST_RACE:
                raise StateError(describe_s3_error(exc, self.uri)) from None
        try:
            current = self.client.get_object(Bucket=self.bucket, Key=self.key)
            holder = json.loads(current["Body"].read())
        except Exception as exc:
            raise StateError(describe_s3_error(exc, self.uri)) from None
        if holder.get("expires_at", 0) > time.time():
            raise _locked(self.uri, json.dumps(holder))
        try:
            self.etag = self._put(IfMatch=current["ETag"])
        except Exception as exc:
            if error_code(exc) in _LOST_RACE:
                raise _locked(self.uri, "a run that took it over just now") from None
            raise StateError(describe_s3_error(exc, self.uri)) from None
        logger.warning("Took over the expired lock %s of run %s", self.uri, holder.get("run_id"))

    def renew(self) -> None:
        """Extend the lease; raise :class:`RunLockedError` if another run took it over."""
        try:
            self.etag = self._put(IfMatch=self.etag or "")
        except Exception as exc:
            if error_code(exc) in _LOST_RACE:
                raise RunLockedError(f"lost the lock {self.uri}: another run took it over") from None
            raise StateError(describe_s3_error(exc, self.uri)) from None

    def release(self) -> None:
        """Delete the lease (best effort: an undeleted lease expires by itself)."""
        if self.etag is None:
            return
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:
            logger.warning("Could not delete the lock %s (%s); it expires by itself",
                           self.uri, describe_s3_error(exc, self.uri))
        self.etag = None


def lock_uri(state_uri: str) -> str:
    """The lock beside a state document: ``<state URI>.lock`` (its holder is JSON: run_id, pid, host, since)."""
    return f"{state_uri}.lock"


def run_lock_for(state_uri: str, settings: BaseSettings, ttl: float) -> RunLock:
    """The lock beside a state document (:func:`lock_uri`)."""
    if is_local(state_uri):
        return LocalRunLock(local_path(lock_uri(state_uri)))
    return S3RunLock(s3_client(settings), lock_uri(state_uri), ttl)
