"""Real servers the tests start on free loopback ports and stop by PID: moto's S3 server, scrapyd, the web page."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.servers import ServerProcess, free_port, web_server

__all__ = ["VENV_BIN", "ServerProcess", "moto_s3_server", "scrapyd_server", "web_server"]

VENV_BIN = Path(sys.executable).parent


def moto_s3_server() -> ServerProcess:
    """moto's standalone server (a real S3 API over HTTP) on a free port."""
    return ServerProcess([str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", "0"],
                         ready=r"Running on (http://127\.0\.0\.1:\d+)")


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
