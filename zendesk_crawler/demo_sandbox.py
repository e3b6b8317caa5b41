"""The demo's sandbox account, written beside its backup as ``sandbox.json``, so that a later process (the web page)
can serve the same account again: ``{"version": 1, "tickets": 500, "seed": 1, "without": [], "epoch": …,
"url": "http://127.0.0.1:PORT", "now": …}``.

A sandbox's data is a pure function of its ticket count, seed, features, epoch (the end of the generated history)
and base URL; the crawl's state names the account by its URL, so the same port is needed too. ``now`` is the
sandbox clock the backup last saw (the demo moves it forward): a sandbox started again is moved at least that far,
so that no saved position lies in its future. What the demo changed in its sandbox between its runs is not
replayed: those versions are in the backup, and a run from the saved positions finds nothing newer.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from zendesk_sandbox import SandboxProcess

FILE_NAME = "sandbox.json"
VERSION = 1


class SandboxRecordError(ValueError):
    """``sandbox.json`` is missing, unreadable or not one this version writes; one line meant for a person."""


@dataclass(frozen=True)
class SandboxRecord:
    """What starts the demo's sandbox account again."""

    tickets: int
    seed: int
    without: tuple[str, ...]
    epoch: int
    url: str
    now: int

    @property
    def port(self) -> int:
        """The account's port (its URL is the account's identity in the crawl's state)."""
        return urlsplit(self.url).port or 80

    def seen(self, now: int) -> SandboxRecord:
        """The record with the sandbox clock at ``now`` (never moved back)."""
        return replace(self, now=max(self.now, now))

    def write(self, folder: Path) -> None:
        """Write ``sandbox.json`` in ``folder`` (0600), replacing it atomically."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = {"version": VERSION, **asdict(self), "without": list(self.without)}
        partial = folder / f".{FILE_NAME}.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=1)
            file.write("\n")
        os.replace(partial, folder / FILE_NAME)

    @classmethod
    def read(cls, folder: Path) -> SandboxRecord:
        """The record of a demo backup folder (:class:`SandboxRecordError` when there is none or it is not valid)."""
        path = folder / FILE_NAME
        try:
            data: Any = json.loads(path.read_text("utf-8"))
        except OSError as exc:
            raise SandboxRecordError(f"{path}: {exc.strerror}") from None
        except ValueError:
            raise SandboxRecordError(f"{path} is not JSON") from None
        version = data.get("version") if isinstance(data, dict) else None
        if version != VERSION:
            raise SandboxRecordError(f"{path} has version {version!r}, not {VERSION}")
        try:
            record = cls(tickets=int(data["tickets"]), seed=int(data["seed"]),
                         without=tuple(str(name) for name in data["without"]), epoch=int(data["epoch"]),
                         url=str(data["url"]), now=int(data["now"]))
        except (KeyError, TypeError, ValueError):
            raise SandboxRecordError(f"{path} is not a sandbox record of this version") from None
        if urlsplit(record.url).hostname != "127.0.0.1":
            raise SandboxRecordError(f"{path}: the sandbox URL {record.url!r} is not on 127.0.0.1")
        return record

    def sandbox(self) -> SandboxProcess:
        """The sandbox process of this account (not started), on the recorded port."""
        return SandboxProcess(tickets=self.tickets, seed=self.seed, without=self.without, epoch=self.epoch,
                              port=self.port)

    def start(self) -> SandboxProcess:
        """Start the account's sandbox and move its clock to the recorded ``now`` if it is behind
        (:class:`zendesk_sandbox.SandboxError` if it cannot start, e.g. the port is taken)."""
        sandbox = self.sandbox().start()
        try:
            behind = self.now - sandbox.advance_clock(0)
            if behind > 0:
                sandbox.advance_clock(behind)
        except BaseException:
            sandbox.stop()
            raise
        return sandbox
