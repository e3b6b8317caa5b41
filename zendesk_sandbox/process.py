"""Run the sandbox as a child process (``python -m zendesk_sandbox``) and talk to its control API."""

from __future__ import annotations

import base64
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from .auth import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_OAUTH_TOKEN

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: The control API is local: never let an ``http_proxy`` variable route it elsewhere.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class SandboxError(RuntimeError):
    """The sandbox did not start, or a control request failed."""


class SandboxProcess:
    """A sandbox Zendesk in a child process; a context manager that stops it by PID on exit.

    >>> with SandboxProcess(tickets=50) as sandbox:
    ...     sandbox.url  # 'http://127.0.0.1:PORT': the account (API, control API, attachment redirects)
    ...     sandbox.content_url  # 'http://127.0.0.2:PORT2': the host that serves attachment bytes
    """

    def __init__(self, tickets: int = 300, seed: int = 1, *, rate_limit: int = 700, export_rate_limit: int = 10,
                 search_export_rate_limit: int = 100, conversation_log_rate_limit: int = 100,
                 time_scale: float = 1.0, latency_ms: float = 0, export_budget_header: bool = False,
                 other_usage: int = 0, gzip: bool = True, heavy_tickets: bool = True, epoch: int | None = None,
                 without: tuple[str, ...] = (), email: str = DEFAULT_EMAIL, api_token: str = DEFAULT_API_TOKEN,
                 oauth_token: str = DEFAULT_OAUTH_TOKEN, host: str = "127.0.0.1", port: int = 0,
                 content_host: str = "127.0.0.2", content_port: int = 0, account: str = "seeded",
                 search_index_delay: int = 120,
                 startup_timeout: float = 120.0, stop_timeout: float = 10.0) -> None:
        self.email, self.api_token, self.oauth_token = email, api_token, oauth_token
        self.args = ["--host", host, "--port", str(port), "--content-host", content_host,
                     "--content-port", str(content_port), "--tickets", str(tickets), "--seed", str(seed),
                     "--rate-limit", str(rate_limit), "--export-rate-limit", str(export_rate_limit),
                     "--search-export-rate-limit", str(search_export_rate_limit),
                     "--conversation-log-rate-limit", str(conversation_log_rate_limit),
                     "--time-scale", str(time_scale), "--other-usage", str(other_usage),
                     "--latency-ms", str(latency_ms),
                     "--email", email, "--api-token", api_token, "--oauth-token", oauth_token]
        if export_budget_header:
            self.args.append("--export-budget-header")
        if not gzip:
            self.args.append("--no-gzip")
        if not heavy_tickets:
            self.args.append("--no-heavy-tickets")
        if epoch is not None:
            self.args += ["--epoch", str(epoch)]
        if without:
            self.args += ["--without", ",".join(without)]
        if account != "seeded":
            self.args += ["--account", account]
        if search_index_delay != 120:
            self.args += ["--search-index-delay", str(search_index_delay)]
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.url = ""
        self.content_url = ""
        self.pid = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> SandboxProcess:
        """Start the child and wait (without sleeping) for its ready line; raise with its stderr on failure."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen([sys.executable, "-m", "zendesk_sandbox", *self.args],
                                         stdout=subprocess.PIPE, stderr=self._stderr, env=env)
        try:
            info = json.loads(self._read_ready_line())
        except BaseException:
            self.stop()
            raise
        self.url, self.content_url, self.pid = info["url"], info["content_url"], info["pid"]
        return self

    def _read_ready_line(self) -> bytes:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + self.startup_timeout
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SandboxError(f"sandbox not ready after {self.startup_timeout} s; stderr:\n{self.stderr()}")
                if not selector.select(left):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self._process.wait()
                    raise SandboxError(f"sandbox exited with code {code} before it was ready; stderr:\n{self.stderr()}")
                buffer += chunk
        return buffer.split(b"\n", 1)[0]

    def stderr(self) -> str:
        """Everything the child wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self) -> int | None:
        """SIGTERM the child by PID, SIGKILL it after ``stop_timeout``; return its exit code."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        return process.returncode

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
        self._stderr.close()

    # ------------------------------------------------------------ credentials

    def basic_auth(self) -> str:
        """The ``Authorization`` header value for API token auth."""
        raw = f"{self.email}/token:{self.api_token}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def crawler_env(self) -> dict[str, str]:
        """Environment variables that point ``scrapy crawl zendesk`` at this sandbox (GUIDE section 1)."""
        return {"ZENDESK_URL": self.url, "ZENDESK_EMAIL": self.email, "ZENDESK_API_TOKEN": self.api_token}

    # ------------------------------------------------------------ control API

    def _control(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(request, timeout=600) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise SandboxError(f"{method} {path}: {exc.code} {exc.read().decode('utf-8', 'replace')}") from None

    def truth(self, comments: bool = True, users: bool = True, offset: int = 0,
              limit: int | None = None) -> dict[str, Any]:
        """``GET /_sandbox/truth``: tickets as exported now (with ``comments``, optionally a slice) and users."""
        query = f"?comments={str(comments).lower()}&users={str(users).lower()}&offset={offset}"
        return self._control("GET", "/_sandbox/truth" + query + ("" if limit is None else f"&limit={limit}"))

    def stream_truth(self, stream: str) -> list[dict[str, Any]]:
        """``GET /_sandbox/truth/<stream>``: every record of ``users``, ``organizations``, ``groups``,
        ``ticket_fields`` or a configuration stream (``macros``, ``triggers``, ``dynamic_content``, ...) exactly as
        the API serves it now, deleted ones included, in export or list order."""
        return self._control("GET", f"/_sandbox/truth/{stream}")[stream]

    def article_attachments_truth(self) -> list[dict[str, Any]]:
        """``GET /_sandbox/truth/article_attachments``: every Help Center article attachment as listed, with the
        ``sha256`` of its bytes."""
        return self._control("GET", "/_sandbox/truth/article_attachments")["article_attachments"]

    def attachments_truth(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """``GET /_sandbox/truth/attachments``: every attachment of every current comment and every voice recording
        (tickets in stream order, sliced by ``offset``/``limit``), each with its ``sha256``, ``size``, ``servable``
        and ``why_not`` (see the sandbox README)."""
        query = f"?offset={offset}" + ("" if limit is None else f"&limit={limit}")
        return self._control("GET", "/_sandbox/truth/attachments" + query)["attachments"]

    def search_truth(self, query: str) -> list[int]:
        """``GET /_sandbox/truth/search?query=…``: the ids of every ticket the search export's ``query`` matches now
        (live tickets, archived ones included), in the export's order (created_at descending, then id)."""
        return self._control("GET", "/_sandbox/truth/search?" + urllib.parse.urlencode({"query": query}))["ids"]

    def archived_truth(self) -> list[int]:
        """``GET /_sandbox/truth/archived``: the ids of the archived tickets now (``show_many`` leaves them out)."""
        return self._control("GET", "/_sandbox/truth/archived")["ids"]

    def person_truth(self, user_id: int | None = None) -> dict[str, Any]:
        """``GET /_sandbox/truth/person/<user id>`` (default: the seeded person of interest): ticket ids (ascending,
        live tickets) the user ``requested``, is ``ccd`` on, ``followed``, ``commented`` on; which are ``archived``;
        the user's ``email`` and ``identities``."""
        return self._control("GET", "/_sandbox/truth/person" + ("" if user_id is None else f"/{user_id}"))

    def change(self, **ops: Any) -> dict[str, Any]:
        """``POST /_sandbox/changes``, e.g. ``change(add_comments=[10001], create=2)``,
        ``change(add_comments=[{"id": 10001, "attachments": 3}])`` (one comment with 3 attachments),
        ``change(grow={10002: 100}, huge_comment=[10003], odd=[10004])`` or
        ``change(users={"update": [90000000010], "create": 1}, organizations={"delete": [80000000003]})``;
        400 (``SandboxError``) changes nothing."""
        return self._control("POST", "/_sandbox/changes", ops)

    def advance_clock(self, seconds: float) -> int:
        """Move sandbox-now forward; return the new now (unix seconds)."""
        return self._control("POST", "/_sandbox/clock", {"advance": seconds})["now"]

    def requests_log(self, since: int = 0) -> dict[str, Any]:
        """``GET /_sandbox/requests``: counts and the log of API requests from index ``since``."""
        return self._control("GET", f"/_sandbox/requests?since={since}")

    def faults(self, rules: list[dict[str, Any]]) -> dict[str, Any]:
        """``POST /_sandbox/faults``: replace the armed fault rules (``[]`` clears them); returns them armed.

        >>> sandbox.faults([{"endpoint": "ticket_comments", "kind": "status", "status": 503, "count": 2}])
        """
        return self._control("POST", "/_sandbox/faults", {"rules": rules})

    def fault_rules(self) -> list[dict[str, Any]]:
        """``GET /_sandbox/faults``: the armed rules with their ``matched`` and ``fired`` counters."""
        return self._control("GET", "/_sandbox/faults")["rules"]

    def stats(self) -> dict[str, Any]:
        """``GET /_sandbox/stats``: counts of tickets, comments, users, organizations, groups, ticket fields."""
        return self._control("GET", "/_sandbox/stats")

    def written_truth(self) -> dict[str, Any]:
        """``GET /_sandbox/truth/written``: every object the write endpoints created, with counts per type."""
        return self._control("GET", "/_sandbox/truth/written")
