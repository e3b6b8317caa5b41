"""The user stream: every user, agents and end users, from the cursor-based Incremental User Export."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import USERS_EXPORT_ENDPOINT
from zendesk_crawler.items import UserRecord
from zendesk_crawler.streams.base import CursorExportStream


class UserStream(CursorExportStream):
    """Users changed since the saved cursor (or ``start_time``); deleted users come with ``active: false``."""

    name = "users"
    path = "/api/v2/incremental/users/cursor.json"
    list_key = "users"
    label = "user export"
    endpoint = USERS_EXPORT_ENDPOINT
    record_class = UserRecord
