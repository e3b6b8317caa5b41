"""The control API under ``/_sandbox/`` (no auth): ground truth, changes, clock, request log, faults, stats."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from .api import JSON_TYPE, Response
from .data import Dataset
from .faults import Faults
from .generator import dumps
from .requestlog import RequestLog


def _ok(value: Any) -> Response:
    return Response(200, [JSON_TYPE], dumps(value))


def _flag(params: dict[str, str], name: str) -> bool:
    return params.get(name, "true").lower() not in ("false", "0")


def _bad(message: str, status: int = 400) -> Response:
    return Response(status, [JSON_TYPE], dumps({"error": message}))


def handle(method: str, path: str, query: str, body: bytes, dataset: Dataset, log: RequestLog,
           faults: Faults) -> Response:
    """Answer one control request.

    - ``GET /_sandbox/truth[?comments=false&users=false&offset=N&limit=M]``: every ticket (or a slice, in
      stream order) as the export returns it now, with ``comments`` and ``_support_type_scope``; every user
      with ``_deleted``.
    - ``POST /_sandbox/changes``: ``{"add_comments": [ids], "update": [ids], "delete": [ids], "create": n,
      "delete_on_comment_read": [ids], "grow": {"<id>": n}, "huge_comment": [ids], "odd": [ids]}`` →
      ``{"changed": [...], "created": [...]}``; 400 (and no change at all) past 5000 comments a ticket.
    - ``POST /_sandbox/clock`` ``{"advance": seconds}`` → ``{"now": unix}`` (``GET`` reads it).
    - ``GET /_sandbox/requests[?since=K]``: counts and the log of API requests.
    - ``POST /_sandbox/faults`` ``{"rules": [...]}``: replace the armed fault rules (``[]`` clears them);
      ``GET`` reads them with their ``matched`` and ``fired`` counters (see ``faults.py``).
    - ``GET /_sandbox/stats``: ticket, comment and user counts.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    try:
        payload = json.loads(body) if body else {}
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        if (method, path) == ("GET", "/_sandbox/truth"):
            limit = params.get("limit")
            return Response(200, [JSON_TYPE], dataset.truth_json(
                comments=_flag(params, "comments"), users=_flag(params, "users"),
                offset=int(params.get("offset", 0)), limit=None if limit is None else int(limit)))
        if (method, path) == ("POST", "/_sandbox/changes"):
            return _ok(dataset.apply_changes(payload))
        if path == "/_sandbox/clock" and method in ("GET", "POST"):
            if method == "POST":
                dataset.clock.advance(float(payload.get("advance", 0)))
            return _ok({"now": dataset.clock.now_int()})
        if (method, path) == ("GET", "/_sandbox/requests"):
            return _ok(log.snapshot(int(params.get("since", 0))))
        if path == "/_sandbox/faults" and method in ("GET", "POST"):
            return _ok(faults.arm(payload) if method == "POST" else faults.describe())
        if (method, path) == ("GET", "/_sandbox/stats"):
            return _ok(dataset.stats())
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return _bad(f"no control endpoint {method} {path}", 404)
