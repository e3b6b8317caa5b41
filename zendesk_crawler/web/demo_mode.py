"""The page's demo mode: with no Zendesk account configured, serve the newest demo backup with its sandbox Zendesk.

A newcomer runs ``make demo`` then ``make web`` with nothing set: the page then serves the newest
``<demo dir>/demo-*`` folder holding a manifest and the demo's ``sandbox.json`` (making one first with the demo
when there is none, or when the port its sandbox used is taken), and starts that sandbox account beside it
(``demo_sandbox.py``), so that every view has data and "Extract now" goes on from the backup's saved positions
against it. The sandbox stops when the page stops.

Demo mode is on only when neither an account (``ZENDESK_URL``, ``ZENDESK_SUBDOMAIN``) nor an export location
(``ZENDESK_EXPORT_URI``) nor scrapyd (``SCRAPYD_URL``) is configured: anything set means the operator's own setup.
The demo folder's parent is ``--demo-dir``, else ``ZENDESK_DEMO_DIR``, else ``output/`` of the project.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from scrapy.settings import BaseSettings

from zendesk_crawler.demo import PROJECT_ROOT
from zendesk_crawler.demo_sandbox import SandboxRecord, SandboxRecordError
from zendesk_sandbox import DEFAULT_API_TOKEN, DEFAULT_EMAIL, SandboxError

DEMO_DIR_VARIABLE = "ZENDESK_DEMO_DIR"
#: Any of these set: the page is the operator's, not the demo's.
CONFIGURED_VARIABLES = ("ZENDESK_URL", "ZENDESK_SUBDOMAIN", "ZENDESK_EXPORT_URI", "SCRAPYD_URL")
DEMO_PREFIX = "demo-"


class DemoModeError(RuntimeError):
    """No demo backup could be served; one line meant for a person."""


@dataclass(frozen=True)
class DemoMode:
    """The demo backup being served and the sandbox account beside it."""

    folder: Path
    sandbox_url: str
    sandbox_pid: int

    def environment(self) -> dict[str, str]:
        """The crawl's environment against the sandbox: its account and credentials, the demo folder as the export
        location, and attachment files downloaded as the demo does."""
        return {"ZENDESK_URL": self.sandbox_url, "ZENDESK_EMAIL": DEFAULT_EMAIL,
                "ZENDESK_API_TOKEN": DEFAULT_API_TOKEN, "ZENDESK_EXPORT_URI": str(self.folder),
                "ZENDESK_ATTACHMENTS": "true"}

    def apply(self, settings: BaseSettings) -> None:
        """Point the page (its settings) and the crawls it starts (the process environment) at the demo."""
        for name, value in self.environment().items():
            os.environ[name] = value
            settings.set(name, value, priority="cmdline")


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether nothing of the operator's own is configured (see the module docstring)."""
    return not any(environ.get(name) for name in CONFIGURED_VARIABLES)


def demo_root(option: Path | None, environ: Mapping[str, str]) -> Path:
    """Where demo backups are looked for and made."""
    if option is not None:
        return option
    return Path(environ[DEMO_DIR_VARIABLE]) if environ.get(DEMO_DIR_VARIABLE) else PROJECT_ROOT / "output"


def latest_demo(root: Path) -> Path | None:
    """The newest ``demo-*`` folder (names sort by their time) with a manifest and a valid ``sandbox.json``."""
    if not root.is_dir():
        return None
    for folder in sorted(root.glob(f"{DEMO_PREFIX}*"), key=lambda path: path.name, reverse=True):
        if folder.is_dir() and any(folder.glob("manifest-*.json")):
            try:
                SandboxRecord.read(folder)
            except SandboxRecordError:
                continue  # a demo of an earlier version: its sandbox cannot be started again
            return folder
    return None


def make_demo(root: Path, say: Callable[[str], None]) -> Path:
    """Run the demo (``python -m zendesk_crawler.demo``) into a new ``root/demo-<time>``, its output on the
    terminal; the new folder (:class:`DemoModeError` if the demo failed)."""
    folder = root / f"{DEMO_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    argv = [sys.executable, "-m", "zendesk_crawler.demo", "--export-dir", str(folder)]
    say(f"Making a demo backup first: {' '.join(argv[1:])} (about a minute)")
    env = {name: value for name, value in os.environ.items() if not name.startswith("ZENDESK_WEB_")}
    status = subprocess.call(argv, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL)
    if status:
        raise DemoModeError(f"the demo failed (exit status {status}); run `make demo` to see why")
    return folder


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the page as Ctrl-C does, through its ``finally`` blocks (uvicorn raises the signal again once
    it has shut down; Python's default would end the process at once, leaving the sandbox running)."""
    raise SystemExit(128 + signum)


@contextmanager
def serve(root: Path, say: Callable[[str], None]) -> Iterator[DemoMode]:
    """The demo backup to serve (made first when there is none) with its sandbox started; stopped on exit."""
    folder = latest_demo(root)
    if folder is None:
        say(f"No demo backup in {root} yet.")
        folder = make_demo(root, say)
    record = SandboxRecord.read(folder)
    try:
        sandbox = record.start()
    except SandboxError:
        say(f"The sandbox of {folder} cannot start again on port {record.port} (is another page or program "
            "using it?): making a new demo backup.")
        folder = make_demo(root, say)
        record = SandboxRecord.read(folder)
        try:
            sandbox = record.start()
        except SandboxError as exc:
            raise DemoModeError(f"the sandbox Zendesk did not start: {str(exc).splitlines()[0]}") from None
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        mode = DemoMode(folder, sandbox.url, sandbox.pid)
        say(f"Demo mode (no Zendesk account configured): serving the demo backup in {folder} with the sandbox "
            f"Zendesk at {sandbox.url} (pid {sandbox.pid}). To use your own account, set ZENDESK_SUBDOMAIN "
            "(or ZENDESK_URL), ZENDESK_EMAIL and ZENDESK_API_TOKEN.")
        yield mode
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
        say(f"Stopped the sandbox Zendesk (pid {sandbox.pid}).")
