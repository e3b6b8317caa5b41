"""Records back from the CSV feeds (``feeds/csvexport.py``), as far as CSV holds them.

A ticket is its row of ``tickets-….csv`` with its comments from the rows of the
``comments-….csv`` of the same batch (written ticket by ticket, in the same order), in the
shape of a JSON record: ``requester``/``assignee`` ``{name, email}``, ``organization`` and
``group`` ``{name}``, ``tags`` split on spaces, ``custom_fields_by_title`` from the
``custom: <title>`` columns, ``via`` ``{channel}``, ``_export`` ``{comment_count}``, and
``comments`` with ``author`` ``{name, email, role}``. Any other stream's row is its record,
``_extra`` merged back. CSV keeps less than JSON: no ``html_body``, no attachments, and a cell
is text: an empty cell reads as null, and a cell that is a JSON number, boolean, array or
object reads as that (a text field holding ``42`` reads as the number).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import orjson

from zendesk_crawler.compare.feeds import FeedFile
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.location.content import MAX_RECORD_BYTES, lines
from zendesk_crawler.location.reader import ExportLocation

CUSTOM_PREFIX = "custom: "


def cell_value(text: str) -> Any:
    """The JSON value a CSV cell stands for (see the module docstring)."""
    if text == "":
        return None
    if text[0] in "-0123456789tfn[{":
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return text


def _rows(location: ExportLocation, path: str) -> Iterator[dict[str, str]]:
    """The rows of a CSV feed file by column name (UTF-8, the byte-order mark skipped)."""
    def text_lines() -> Iterator[str]:
        for offset, _, line in lines(location, path):
            if line is None:
                raise ConfigError(f"{path}: the line at byte {offset} is longer than a record may be")
            yield line.decode("utf-8", errors="surrogateescape").lstrip("\ufeff") if offset == 0 \
                else line.decode("utf-8", errors="surrogateescape")
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    try:
        yield from csv.DictReader(text_lines())
    except csv.Error as exc:
        raise ConfigError(f"{path} is not a CSV feed the crawler wrote ({exc})") from None


def _person(row: dict[str, str], prefix: str) -> dict[str, Any] | None:
    name, email = row.get(f"{prefix}_name") or None, row.get(f"{prefix}_email") or None
    identifier = cell_value(row.get(f"{prefix}_id") or "")
    if name is None and email is None and identifier is None:
        return None
    return {"id": identifier, "name": name, "email": email}


def ticket_record(row: dict[str, str]) -> dict[str, Any]:
    """A ticket CSV row in the shape of a JSON ticket record (comments left to the caller)."""
    record: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column, text in row.items():
        if column is None:
            continue
        if column.startswith(CUSTOM_PREFIX):
            custom[column[len(CUSTOM_PREFIX):]] = cell_value(text)
        elif column in ("subject", "status", "type", "priority", "created_at", "updated_at"):
            record[column] = text or None
        elif not column.endswith(("_name", "_email")):
            record[column] = cell_value(text)
    record["tags"] = (row.get("tags") or "").split()
    record["requester"], record["assignee"] = _person(row, "requester"), _person(row, "assignee")
    for kind in ("organization", "group"):
        name = row.get(f"{kind}_name") or None
        record[kind] = {"id": record.get(f"{kind}_id"), "name": name} if name or record.get(f"{kind}_id") else None
    record["custom_fields_by_title"] = custom
    record["_export"] = {"comment_count": record.pop("comment_count", None)}
    record["via"] = {"channel": record.pop("channel", None)}
    record["comments"] = []
    return record


def comment_record(row: dict[str, str]) -> dict[str, Any]:
    """A comment CSV row as a comment of a JSON ticket record."""
    return {"id": cell_value(row.get("id") or ""), "created_at": row.get("created_at") or None,
            "author_id": cell_value(row.get("author_id") or ""),
            "author": {"id": cell_value(row.get("author_id") or ""), "name": row.get("author_name") or None,
                       "email": row.get("author_email") or None, "role": row.get("author_role") or None},
            "public": cell_value(row.get("public") or ""), "type": row.get("type") or None,
            "via": {"channel": row.get("channel") or None}, "body": row.get("body", "")}


def csv_records(location: ExportLocation, feed: FeedFile) -> Iterator[dict[str, Any]]:
    """The records of a CSV feed file (a ticket CSV joined with its comments' CSV)."""
    if feed.stream != "tickets":
        for row in _rows(location, feed.path):
            extra = cell_value(row.pop("_extra", "") or "")
            record = {column: cell_value(text) for column, text in row.items() if column is not None}
            yield {**record, **(extra if isinstance(extra, dict) else {})}
        return
    comments = _rows(location, feed.comments_path) if feed.comments_path else iter(())
    pending = next(comments, None)
    for row in _rows(location, feed.path):
        record = ticket_record(row)
        while pending is not None and cell_value(pending.get("ticket_id") or "") == record.get("id"):
            record["comments"].append(comment_record(pending))
            pending = next(comments, None)
        yield record
