"""A small backup of two runs written for the web page's tests, and a plain HTTP client that does not follow
redirects."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.paths import PROJECT_ROOT

RUN_1 = "20261101T100000Z-aaaaaa"
RUN_2 = "20261102T100000Z-bbbbbb"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
                       "rkJggg==")
SECRET = "s3cret-token-value"


def ticket(ticket_id: int, updated_at: str, subject: str, comments: list[dict[str, Any]]) -> dict[str, Any]:
    """A ticket record as the crawler writes it, with people and names resolved."""
    return {"id": ticket_id, "subject": subject, "status": "open", "updated_at": updated_at,
            "created_at": "2026-10-01T00:00:00Z",
            "requester": {"id": 1, "name": "Dana Requester", "email": "Dana@Example.com", "role": "end-user"},
            "assignee": {"id": 2, "name": "Agent Smith", "email": "agent@example.com", "role": "agent"},
            "group": {"id": 3, "name": "Tier 2"}, "organization": {"id": 4, "name": "Acme"},
            "custom_fields_by_title": {"Plan": ["gold", "silver"]}, "comments": comments}


def comment(comment_id: int, author: str, html: str, public: bool = True, **extra: Any) -> dict[str, Any]:
    """A comment of a ticket record, its author resolved."""
    return {"id": comment_id, "html_body": html, "plain_body": "", "public": public,
            "created_at": "2026-10-01T00:00:00Z",
            "author": {"id": comment_id, "name": author, "email": f"{author.lower()}@example.com", "role": "agent"},
            **extra}


def write_backup(root: Path) -> dict[str, Any]:
    """Two runs: ticket 7 in both (the second is newer, with a script tag and an inline image); a state file."""
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(PNG).hexdigest()
    image_path = f"attachments/{digest[:2]}/{digest}"
    (root / image_path).parent.mkdir(parents=True)
    (root / image_path).write_bytes(PNG)
    image = {"id": 900, "file_name": "logo.png", "content_type": "image/png", "size": len(PNG), "inline": True,
             "content_url": "https://acme.zendesk.com/attachments/token/abc/?name=logo.png",
             "stored_file": {"path": image_path, "sha256": digest, "size": len(PNG)}}
    old = ticket(7, "2026-11-01T09:00:00Z", "Old subject", [comment(1, "Dana", "<p>first</p>")])
    new = ticket(7, "2026-11-02T09:00:00Z", "שלום subject 😀", [
        comment(1, "Dana", "<p>first</p>"),
        comment(2, "Agent", '<p>hi<script>document.title="pwned"</script>'
                '<img src="https://acme.zendesk.com/attachments/token/abc/?name=logo.png">'
                '<img src="https://tracker.example/pixel.gif"></p>', public=False, attachments=[image])])
    other = ticket(8, "2026-11-02T08:00:00Z", "Another", [comment(3, "Dana", "<p>x</p>")])
    files = {RUN_1: {f"tickets-{RUN_1}-00001.json": [old]},
             RUN_2: {f"tickets-{RUN_2}-00001.json": [new, other], f"tickets-{RUN_2}-00001.jsonl": [new, other]}}
    for run_id, outputs in files.items():
        for name, records in outputs.items():
            lines = [json.dumps(record, ensure_ascii=False) for record in records]
            text = "\n".join(lines) + "\n" if name.endswith(".jsonl") else "[\n" + ",\n".join(lines) + "\n]"
            (root / name).write_text(text, encoding="utf-8")
        (root / f"manifest-{run_id}.json").write_text(json.dumps({
            "run_id": run_id, "status": "complete" if run_id == RUN_2 else "failed",
            "failure": None if run_id == RUN_2 else f"the Zendesk API answered 500 (echoing {SECRET})",
            "started_at": "2026-11-01T10:00:00Z",
            "finished_at": "2026-11-01T10:01:05Z", "tickets_exported": 2, "comments_exported": 3,
            "streams": {"tickets": {"records": 2, "requests": 5, "complete": True, "problem": None}},
            "files": [str(root / name) for name in outputs]}), encoding="utf-8")
    (root / "state.json").write_text(json.dumps({"version": 2, "streams": {
        "tickets": {"cursor": "abc", "position_updated_at": "2026-11-02T09:00:00Z"}}}), encoding="utf-8")
    return {"image_path": image_path}


def page_env(export_dir: Path, tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment for the web page over ``export_dir`` (an account that answers nothing, a token to hide)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "SCRAPY", "SCRAPYD_"))}
    env.update({"ZENDESK_EXPORT_URI": str(export_dir), "ZENDESK_WEB_CACHE": str(tmp / "cache"),
                "ZENDESK_URL": "http://127.0.0.1:9", "ZENDESK_EMAIL": "a@example.com", "ZENDESK_API_TOKEN": SECRET,
                "PYTHONPATH": str(PROJECT_ROOT), **extra})
    return env


def get(url: str, auth: tuple[str, str] | None = None, data: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-case headers and body of one request (a POST with ``data``); redirects are not followed."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hands a redirect back as the answer instead of following it."""

    def redirect_request(self, *args: Any) -> None:
        return None



def pdf_text(pdf: bytes) -> str:
    """The text of a PDF, as Poppler's ``pdftotext`` reads it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
