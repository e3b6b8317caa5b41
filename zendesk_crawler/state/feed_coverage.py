"""Which feed takes which stream's records, and the check that every exported stream has a feed."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.state.run_state import run_context
from zendesk_crawler.streams import STREAMS


def streams_by_feed(settings: BaseSettings, context: RunContext) -> dict[str, set[str]]:
    """The exported streams whose records each feed (its URI template) takes.

    A feed's ``item_classes`` name the record classes it takes; a feed without
    them takes every exported stream. A person export has no feeds of its own:
    the person document writer takes its records.
    """
    if context.person:
        return {}
    classes = {stream.record_class: name for name, stream in STREAMS.items()}
    out = {}
    for uri, options in (settings.getdict("FEEDS") or {}).items():
        names = {classes.get(load_object(c)) for c in (options or {}).get("item_classes") or ()}
        out[str(uri)] = {n for n in names if n} or set(context.streams)
    return out


class FeedCoverageCheck:
    """Refuses, before the first request (and before the run lock is taken), a stream no feed takes.

    Its position would move past records stored nowhere.
    """

    def __init__(self, crawler: Crawler) -> None:
        context = run_context(crawler)
        if context.person:
            return
        taken = streams_by_feed(crawler.settings, context).values()
        untaken = [stream for stream in context.streams if not any(stream in streams for streams in taken)]
        if untaken:
            raise ConfigError(f"no feed takes the records of {', '.join(untaken)}: add a feed for them to FEEDS "
                              f"or leave them out with -a streams=")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FeedCoverageCheck:
        return cls(crawler)
