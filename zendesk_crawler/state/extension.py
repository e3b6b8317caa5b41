"""The former run-state extension's path, kept so that an ``EXTENSIONS`` setting naming it still loads.

Its jobs are components of their own now (``zendesk_crawler.addon.EXTENSIONS`` lists them; README, "The
run-state extensions").
Scrapy imports every class an ``EXTENSIONS`` setting names, disabled ones too, so a project that disabled
``zendesk_crawler.state.extension.RunStateExtension`` would otherwise fail to start.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class RunStateExtension:
    """Does nothing: enabling it adds nothing, disabling it disables nothing (the new components do the work)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStateExtension:
        raise NotConfigured("RunStateExtension was split into the zendesk_crawler.state components "
                            "that zendesk_crawler.addon.EXTENSIONS lists; it does nothing now")
