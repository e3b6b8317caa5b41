"""The page's configuration: the crawl's export location and state, plus the page's own environment variables."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from scrapy.settings import BaseSettings

from zendesk_crawler.config import export_uri_setting, state_uri_setting
from zendesk_crawler.errors import ConfigError
from zendesk_crawler.web.numbers import digits


@dataclass(frozen=True)
class WebConfig:
    """What the page needs; the password is kept out of ``repr``.

    ``ZENDESK_EXPORT_URI`` and ``ZENDESK_STATE_URI`` are read as the crawl reads
    them; ``SCRAPYD_URL`` (runs go to scrapyd), ``ZENDESK_WEB_USER``,
    ``ZENDESK_WEB_PASSWORD``, ``ZENDESK_WEB_CACHE`` (where the ticket index, the
    PDFs rendered and the local runs' logs are kept), ``ZENDESK_WEB_INDEX_WAIT``,
    ``ZENDESK_WEB_PDF_COMMENTS`` and ``ZENDESK_WEB_PDF_RENDERS`` are the page's own.
    """

    export_uri: str
    state_uri: str
    cache_dir: Path
    scrapyd_url: str = ""
    scrapyd_project: str = "zendesk_crawler"
    #: Seconds a request waits for the index to follow new runs before it is answered from what is indexed so far.
    index_wait: float = 5.0
    #: Comments in one PDF of a conversation (longer ones are cut into parts: ``web/pdf.py``).
    pdf_comments: int = 200
    #: PDFs rendered at once (more wait, up to as many again; beyond that the page says it is busy).
    pdf_renders: int = 2
    user: str = "admin"
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> WebConfig:
        """Build it from the project's Scrapy settings (which default to the environment) and the environment."""
        export_uri = export_uri_setting(settings)
        return cls(
            export_uri=export_uri,
            state_uri=state_uri_setting(settings),
            cache_dir=cache_dir_for(export_uri, Path(os.environ.get("ZENDESK_WEB_CACHE") or ".scrapy/web")),
            scrapyd_url=(os.environ.get("SCRAPYD_URL") or "").rstrip("/"),
            scrapyd_project=os.environ.get("SCRAPYD_PROJECT") or "zendesk_crawler",
            index_wait=_seconds("ZENDESK_WEB_INDEX_WAIT", os.environ.get("ZENDESK_WEB_INDEX_WAIT") or "5"),
            pdf_comments=_count("ZENDESK_WEB_PDF_COMMENTS", os.environ.get("ZENDESK_WEB_PDF_COMMENTS") or "200", 1000),
            pdf_renders=_count("ZENDESK_WEB_PDF_RENDERS", os.environ.get("ZENDESK_WEB_PDF_RENDERS") or "2", 4),
            user=os.environ.get("ZENDESK_WEB_USER") or "admin",
            password=os.environ.get("ZENDESK_WEB_PASSWORD") or "",
        )


def _seconds(name: str, text: str) -> float:
    """A number of seconds from 0 of an environment variable (:class:`ConfigError` otherwise)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 86400:
        raise ConfigError(f"{name}: a number of seconds from 0 (got {text!r})")
    return value


def _count(name: str, text: str, most: int) -> int:
    """A whole number from 1 to ``most`` of an environment variable (:class:`ConfigError` otherwise)."""
    number = digits(text.strip(), len(str(most)))
    if number is None or not 1 <= number <= most:
        raise ConfigError(f"{name}: a whole number from 1 to {most} (got {text!r})")
    return number


def cache_dir_for(export_uri: str, cache: Path) -> Path:
    """The page's cache folder of one export location under ``cache`` (``ZENDESK_WEB_CACHE``): one per location."""
    return cache / hashlib.sha256(export_uri.encode()).hexdigest()[:16]
