"""CSV feed exporters for analysts: tickets, their comments, and the other streams, flat.

Scrapy's ``CsvItemExporter`` takes its columns from the first item and drops
any key a later item adds, and writes one row per item; a ticket record
becomes one ticket row and many comment rows, with names resolved. So these
exporters (one per shape) write:

- ``tickets-….csv`` (:class:`TicketCsvItemExporter`): one row per ticket, the
  columns of :data:`TICKET_COLUMNS` (a messaging ticket's ``conversation_log`` as JSON, empty for
  the others), then one column per custom field, named
  ``custom: <title>`` as in ``custom_fields_by_title``, for every custom field of
  the account in ticket-field order;
- ``comments-….csv`` (:class:`CommentCsvItemExporter`): one row per comment, the
  columns of :data:`COMMENT_COLUMNS`;
- ``<stream>-….csv`` (:class:`FlatCsvItemExporter`): one row per record, the API
  object's keys in API order as the file's first record has them, plus ``_extra``
  holding, as JSON, any key a later record adds.

Every file is UTF-8 with a byte-order mark (spreadsheets need it to read UTF-8;
``pandas.read_csv(path, encoding="utf-8-sig")`` and Python's ``csv`` module with
``encoding="utf-8-sig"`` skip it), RFC 4180 (``,``, ``"`` quoting where needed,
``""`` for a quote, ``\\r\\n`` between rows; a cell may hold newlines). Strings are
the exact strings of the JSON; numbers and booleans as JSON writes them
(``true``/``false``); null is an empty cell; lists and objects are JSON, except
``tags``, joined with a space as Zendesk writes them in search. A lone surrogate
(not Unicode, so not UTF-8) is written as ``\\udXXX`` text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any

from scrapy.exporters import BaseItemExporter

from zendesk_crawler.api import jsoncodec

#: The ticket CSV's columns before the custom fields.
TICKET_COLUMNS = (
    "id", "status", "subject", "created_at", "updated_at", "type", "priority", "channel",
    "requester_id", "requester_name", "requester_email", "assignee_id", "assignee_name", "assignee_email",
    "organization_id", "organization_name", "group_id", "group_name", "tags", "comment_count", "conversation_log",
)
#: The comment CSV's columns.
COMMENT_COLUMNS = ("ticket_id", "id", "created_at", "author_id", "author_name", "author_email", "author_role",
                   "public", "channel", "type", "body")


def cell(value: Any) -> str:
    """A JSON value as a CSV cell (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return jsoncodec.dumps(value).decode("utf-8")


def _get(mapping: Any, *keys: str) -> Any:
    for key in keys:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping


class _CsvRowsExporter(BaseItemExporter):
    """Writes rows of cells to a feed file: UTF-8 with a BOM, RFC 4180."""

    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        super().__init__(dont_fail=True, **kwargs)
        self.stream = io.TextIOWrapper(file, encoding="utf-8", errors="backslashreplace", newline="",
                                       write_through=True)
        self.writer = csv.writer(self.stream, lineterminator="\r\n")
        self.header: list[str] | None = None

    def start_exporting(self) -> None:
        self.stream.write("\ufeff")

    def write_header(self, header: list[str]) -> None:
        self.header = header
        self.writer.writerow(header)

    def finish_exporting(self) -> None:
        self.stream.flush()
        self.stream.detach()  # the feed storage closes the file


class TicketCsvItemExporter(_CsvRowsExporter):
    """One row per ticket record, custom fields one column each by title."""

    def export_item(self, item: Any) -> None:
        if self.header is None:
            self.custom_keys = list(getattr(item, "custom_field_keys", None) or item.get("custom_fields_by_title")
                                    or {})
            self.write_header([*TICKET_COLUMNS, *(f"custom: {key}" for key in self.custom_keys)])
        custom = item.get("custom_fields_by_title") or {}
        row = {
            "channel": _get(item, "via", "channel"),
            "requester_name": _get(item, "requester", "name"), "requester_email": _get(item, "requester", "email"),
            "assignee_name": _get(item, "assignee", "name"), "assignee_email": _get(item, "assignee", "email"),
            "organization_name": _get(item, "organization", "name"), "group_name": _get(item, "group", "name"),
            "tags": " ".join(str(tag) for tag in item["tags"]) if isinstance(item.get("tags"), list)
            else item.get("tags"),
            "comment_count": _get(item, "_export", "comment_count"),
        }
        self.writer.writerow([cell(row[column] if column in row else item.get(column)) for column in TICKET_COLUMNS]
                             + [cell(custom.get(key)) for key in self.custom_keys])

    def finish_exporting(self) -> None:
        if self.header is None:
            self.write_header(list(TICKET_COLUMNS))
        super().finish_exporting()


class CommentCsvItemExporter(_CsvRowsExporter):
    """One row per comment of each ticket record."""

    def start_exporting(self) -> None:
        super().start_exporting()
        self.write_header(list(COMMENT_COLUMNS))

    def export_item(self, item: Any) -> None:
        for row in self.rows(item):
            self.writer.writerow(row)

    @staticmethod
    def rows(item: Any) -> Iterator[list[str]]:
        for comment in item.get("comments") or []:
            if not isinstance(comment, dict):
                continue
            yield [cell(value) for value in (
                item.get("id"), comment.get("id"), comment.get("created_at"), comment.get("author_id"),
                _get(comment, "author", "name"), _get(comment, "author", "email"), _get(comment, "author", "role"),
                comment.get("public"), _get(comment, "via", "channel"), comment.get("type"), comment.get("body"))]


class FlatCsvItemExporter(_CsvRowsExporter):
    """One row per record of a stream: its keys as columns, nested values as JSON."""

    def export_item(self, item: Any) -> None:
        if self.header is None:
            self.write_header([*item.keys(), "_extra"])
        assert self.header is not None
        columns = self.header[:-1]
        extra = {key: value for key, value in item.items() if key not in columns}
        self.writer.writerow([cell(item.get(column)) for column in columns] + [cell(extra) if extra else ""])
