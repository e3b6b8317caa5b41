"""Runtime housekeeping for long crawls: a cheaper garbage collector, and a reactor that drops cancelled timers.

Garbage collector
-----------------

A crawl allocates millions of short-lived containers (every parsed ticket,
comment and event is a dict). With the default thresholds the cyclic collector
runs very often, each time also walking everything Scrapy, Twisted and the
settings keep alive. Reference counting frees this data anyway (parsed JSON
holds no cycles), so collecting less often costs no memory (BENCHMARKS.md,
"Garbage collector", has the measurements).

Cancelled timers
----------------
Scrapy arms a Twisted timer (``DOWNLOAD_TIMEOUT``, 120 s) for every request
and cancels it when the answer comes. Twisted only sweeps cancelled timers out
of its queue when some timer fires, and with the asyncio reactor none fires
while every request answers in time, so the queue would grow by one entry per
request for the whole run, with the account's size (BENCHMARKS.md, "a sweep of
Twisted's cancelled timers"). A do-nothing Twisted timer every few seconds lets
the reactor sweep them.
"""

from __future__ import annotations

import gc
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet.task import LoopingCall

#: Net allocations between young-generation collections (Python's default: 700),
#: and how many collections of one generation trigger one of the next (10, 10).
GC_THRESHOLDS = (50_000, 20, 100)


class _WhileEngineRuns:
    """An extension that sets something up when the engine starts and undoes it when it stops."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        ext = cls()
        crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def engine_started(self) -> None:
        raise NotImplementedError

    def engine_stopped(self) -> None:
        raise NotImplementedError


class GarbageCollectorTuning(_WhileEngineRuns):
    """When the engine starts: freeze what start-up built and raise the collection thresholds."""

    def __init__(self) -> None:
        self.previous = gc.get_threshold()

    def engine_started(self) -> None:
        # Objects alive now (modules, settings, components) live for the whole
        # run: frozen, no collection walks them again.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)

    def engine_stopped(self) -> None:
        gc.set_threshold(*self.previous)
        gc.unfreeze()


#: Seconds between two sweeps of the reactor's cancelled timers.
TIMER_SWEEP_INTERVAL = 5.0


class CancelledTimerSweep(_WhileEngineRuns):
    """While the engine runs, fires a Twisted timer every few seconds so the reactor sweeps cancelled timers."""

    def __init__(self, clock: Any = None) -> None:
        self.call = LoopingCall(lambda: None)
        if clock is not None:
            self.call.clock = clock

    def engine_started(self) -> None:
        # Twisted's LoopingCall on purpose: the sweep happens in Twisted's
        # reactor when one of its own timers fires (an asyncio timer would not do).
        self.call.start(TIMER_SWEEP_INTERVAL, now=False)

    def engine_stopped(self) -> None:
        if self.call.running:
            self.call.stop()
