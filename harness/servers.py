"""Servers started next to the sandbox as child processes on loopback: a generic runner and the crawler's web page."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from harness.crawl import PROJECT_ROOT


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
        """SIGTERM, and SIGKILL if it has not exited 10 seconds later."""
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


def free_port() -> int:
    """A TCP port free on loopback right now (for servers that cannot pick their own)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def web_server(env: dict[str, str], host: str = "127.0.0.1") -> ServerProcess:
    """The web page (``python -m zendesk_crawler.web``) on a free port, from the project root."""
    return ServerProcess([sys.executable, "-m", "zendesk_crawler.web", "--host", host, "--port", str(free_port())],
                         ready=r"Uvicorn running on (http://\S+)", env=env, cwd=PROJECT_ROOT)
