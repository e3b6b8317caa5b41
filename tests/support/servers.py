"""Real servers the tests start on free loopback ports and stop by PID: moto's S3 server and scrapyd."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.support.paths import PROJECT_ROOT

VENV_BIN = Path(sys.executable).parent


class ServerProcess:
    """A child process that announces its URL on a log line; stopped by PID (SIGTERM, then SIGKILL)."""

    def __init__(self, argv: list[str], ready: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                 timeout: float = 60) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, cwd=cwd, stdin=subprocess.DEVNULL)
        self.output: list[str] = []
        self.url = self._wait_for(re.compile(ready), timeout)
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_for(self, pattern: re.Pattern[str], timeout: float) -> str:
        timer = threading.Timer(timeout, self.proc.kill)
        timer.start()
        try:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.output.append(line)
                match = pattern.search(line)
                if match:
                    return match.group(1)
        finally:
            timer.cancel()
        raise RuntimeError(f"server exited before it was ready:\n{''.join(self.output)}")

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def moto_s3_server() -> ServerProcess:
    """moto's standalone server (a real S3 API over HTTP) on a free port."""
    return ServerProcess([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", "0"],
                         ready=r"Running on (http://127\.0\.0\.1:\d+)")


def free_port() -> int:
    """A TCP port free on loopback right now (for servers that cannot pick their own)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scrapyd_server(home: Path, env: dict[str, str]) -> ServerProcess:
    """scrapyd on a free loopback port, with its eggs, logs and databases under ``home``."""
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {free_port()}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "max_proc = 2\n"
        "poll_interval = 0.2\n",
        encoding="utf-8",
    )
    return ServerProcess([str(VENV_BIN / "scrapyd")], ready=r"Scrapyd web console available at (http://\S+?)/?$",
                         env=env, cwd=home)


def web_server(env: dict[str, str], host: str = "127.0.0.1") -> ServerProcess:
    """The web page (``python -m zendesk_crawler.web``) on a free port, from the project root."""
    return ServerProcess([sys.executable, "-m", "zendesk_crawler.web", "--host", host, "--port", str(free_port())],
                         ready=r"Uvicorn running on (http://\S+)", env=env, cwd=PROJECT_ROOT)
