"""Brands and custom ticket statuses."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import BRANDS_ENDPOINT, CUSTOM_STATUSES_ENDPOINT
from zendesk_crawler.items import BrandRecord, CustomStatusRecord
from zendesk_crawler.streams.base import ListStream, WholeListStream


class BrandStream(ListStream):
    """Every brand (an admin sees all; an agent those they may assign to): ``/api/v2/brands.json``, cursor pages."""

    name = "brands"
    path = "/api/v2/brands.json"
    list_key = "brands"
    label = "brand list"
    endpoint = BRANDS_ENDPOINT
    record_class = BrandRecord


class CustomStatusStream(WholeListStream):
    """Every custom ticket status, of every status category: ``/api/v2/custom_statuses.json``
    ("No pagination is provided": one answer)."""

    name = "custom_statuses"
    path = "/api/v2/custom_statuses.json"
    list_key = "custom_statuses"
    label = "custom status list"
    endpoint = CUSTOM_STATUSES_ENDPOINT
    record_class = CustomStatusRecord
