"""Help Center categories and sections: cursor-paginated lists read in full every run, translations embedded."""

from __future__ import annotations

from typing import Any

from zendesk_crawler.api.endpoints import HELP_CENTER_CATEGORIES_ENDPOINT, HELP_CENTER_SECTIONS_ENDPOINT
from zendesk_crawler.items import CategoryRecord, SectionRecord
from zendesk_crawler.streams.base import ListStream


class HelpCenterList(ListStream):
    """A Help Center list: cursor pagination (documented as recommended), ``include=translations`` (the
    translations "are embedded within the category/section because they're not shared between resources")."""

    needs_feature = "the Help Center"

    def list_params(self) -> dict[str, Any]:
        return {**super().list_params(), "include": "translations"}


class CategoryStream(HelpCenterList):
    """Every category the credentials can view, with its translations."""

    name = "categories"
    path = "/api/v2/help_center/categories.json"
    list_key = "categories"
    label = "Help Center category list"
    endpoint = HELP_CENTER_CATEGORIES_ENDPOINT
    record_class = CategoryRecord


class SectionStream(HelpCenterList):
    """Every section (nested ones too: ``parent_section_id``), with its translations."""

    name = "sections"
    path = "/api/v2/help_center/sections.json"
    list_key = "sections"
    label = "Help Center section list"
    endpoint = HELP_CENTER_SECTIONS_ENDPOINT
    record_class = SectionRecord
