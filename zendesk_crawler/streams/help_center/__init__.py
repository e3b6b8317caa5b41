"""The Help Center streams: ``categories`` and ``sections`` (lists read in full each run) and ``articles`` (the
incremental article export, its own position), every record with its translations (``include=translations``).

An account without the Help Center answers its endpoints 404: the streams say they need "the Help Center"
(``needs_feature``), so that answer marks them unavailable instead of failing the run.
"""

from __future__ import annotations

from zendesk_crawler.streams.help_center.articles import ArticleStream
from zendesk_crawler.streams.help_center.lists import CategoryStream, SectionStream

__all__ = ["ArticleStream", "CategoryStream", "SectionStream"]
