"""The page's configuration: the crawl's export location and state, plus the page's own environment variables."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.settings import BaseSettings

from zendesk_crawler.config import export_uri_setting, state_uri_setting


@dataclass(frozen=True)
class WebConfig:
    """What the page needs; the password is kept out of ``repr``.

    ``ZENDESK_EXPORT_URI`` and ``ZENDESK_STATE_URI`` are read as the crawl reads
    them; ``SCRAPYD_URL`` (runs go to scrapyd), ``ZENDESK_WEB_USER``,
    ``ZENDESK_WEB_PASSWORD`` and ``ZENDESK_WEB_CACHE`` (where the ticket index
    and the local runs' logs are kept) are the page's own.
    """

    export_uri: str
    state_uri: str
    cache_dir: Path
    scrapyd_url: str = ""
    scrapyd_project: str = "zendesk_crawler"
    user: str = "admin"
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> WebConfig:
        """Build it from the project's Scrapy settings (which default to the environment) and the environment."""
        export_uri = export_uri_setting(settings)
        tag = hashlib.sha256(export_uri.encode()).hexdigest()[:16]
        return cls(
            export_uri=export_uri,
            state_uri=state_uri_setting(settings),
            cache_dir=Path(os.environ.get("ZENDESK_WEB_CACHE") or ".scrapy/web") / tag,
            scrapyd_url=(os.environ.get("SCRAPYD_URL") or "").rstrip("/"),
            scrapyd_project=os.environ.get("SCRAPYD_PROJECT") or "zendesk_crawler",
            user=os.environ.get("ZENDESK_WEB_USER") or "admin",
            password=os.environ.get("ZENDESK_WEB_PASSWORD") or "",
        )
