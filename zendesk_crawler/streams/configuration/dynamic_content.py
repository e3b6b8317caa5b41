"""Dynamic content: the items (``{{dc.name}}`` placeholders), each listed with every variant in every locale."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import DYNAMIC_CONTENT_ENDPOINT
from zendesk_crawler.items import DynamicContentRecord
from zendesk_crawler.streams.base import ListStream


class DynamicContentStream(ListStream):
    """Every dynamic content item with its ``variants``: ``/api/v2/dynamic_content/items.json``, cursor pages
    (the list carries the variants: no request per item). Documented for admins and the agents who may manage
    dynamic content: other credentials get 403."""

    name = "dynamic_content"
    path = "/api/v2/dynamic_content/items.json"
    list_key = "items"
    label = "dynamic content list"
    endpoint = DYNAMIC_CONTENT_ENDPOINT
    record_class = DynamicContentRecord
    needs_feature = "an admin role (or an agent role that may manage dynamic content)"
