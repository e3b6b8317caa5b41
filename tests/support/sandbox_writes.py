"""Calls to the sandbox's write endpoints that the tests share (as an admin, or as the agent)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from zendesk_sandbox import DEFAULT_API_TOKEN, DEFAULT_EMAIL, SandboxProcess
from zendesk_sandbox.auth import DEFAULT_AGENT_API_TOKEN, DEFAULT_AGENT_EMAIL

__all__ = ["ADMIN", "AGENT", "NO_REDIRECT", "call", "finished_job", "new_user", "upload"]

ADMIN = "Basic " + base64.b64encode(f"{DEFAULT_EMAIL}/token:{DEFAULT_API_TOKEN}".encode()).decode()
AGENT = "Basic " + base64.b64encode(f"{DEFAULT_AGENT_EMAIL}/token:{DEFAULT_AGENT_API_TOKEN}".encode()).decode()
NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), type(
    "NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None})())


def call(sandbox: SandboxProcess, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
         content_type: str = "application/json", authorization: str = ADMIN) -> tuple[int, Any]:
    data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(sandbox.url + path, data=data, method=method,
                                     headers={"Authorization": authorization, "Content-Type": content_type})
    try:
        with NO_REDIRECT.open(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text.startswith(b"{") else text



def upload(sandbox: SandboxProcess, name: str, data: bytes, content_type: str = "text/plain") -> dict[str, Any]:
    status, body = call(sandbox, "POST", f"/api/v2/uploads?filename={urllib.parse.quote(name)}", raw=data,
                        content_type=content_type)
    assert status == 201, body
    return body["upload"]


def new_user(sandbox: SandboxProcess, email: str) -> int:
    status, body = call(sandbox, "POST", "/api/v2/users", {"user": {"name": email.split("@")[0], "email": email}})
    assert status == 201, body
    return body["user"]["id"]


def finished_job(sandbox: SandboxProcess, job: dict[str, Any]) -> dict[str, Any]:
    """Poll a job until it has completed (it takes a couple of polls), counting the polls."""
    for _ in range(5):
        status, body = call(sandbox, "GET", f"/api/v2/job_statuses/{job['id']}")
        assert status == 200, body
        if body["job_status"]["status"] == "completed":
            return body["job_status"]
    raise AssertionError("the job did not complete in 5 polls")
