"""The log of API and download requests the sandbox answered (on both hosts), for tests and benchmarks to inspect."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any
from urllib.parse import parse_qsl

MAX_ENTRIES = 100_000


class RequestLog:
    """Counts every API request and keeps the last ``MAX_ENTRIES`` of them; thread-safe."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: deque[tuple[float, str, str, str, int | str, str | None, str | None, int, str, bool]] = \
            deque(maxlen=max_entries)
        self._count = 0
        self._by_endpoint: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()

    def record(self, method: str, path: str, query: str, status: int | str, auth: str | None, endpoint: str,
               fault: str | None = None, arrived: float | None = None, window: int = 0, host: str = "",
               authorization: bool = False) -> None:
        """Remember one answered request (the query string is parsed only when the log is read).

        ``arrived`` is when the request came in (``t`` in the log; default: now). Answers can take
        a while under load, and rate-limit checks need the arrival order.

        ``status`` is the HTTP status sent, or ``"drop"`` / ``"truncate"`` when a fault cut the answer;
        ``fault`` is the kind of the fault rule that fired, if any; ``window`` the rate-limit window
        (0, 1, …) the request was counted in; ``host`` the listener it came to (``127.0.0.1:PORT`` for the
        account, ``127.0.0.2:PORT`` for the content host); ``authorization`` whether it carried an
        ``Authorization`` header at all (``auth`` names the scheme only when it is basic or bearer).
        """
        with self._lock:
            self._entries.append((arrived or time.time(), method, path, query, status, auth, fault, window, host,
                                  authorization))
            self._count += 1
            self._by_endpoint[endpoint] += 1
            self._statuses[str(status)] += 1

    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """Totals plus the retained entries whose index (0 = first request ever) is ``since`` or later."""
        with self._lock:
            first_kept = self._count - len(self._entries)
            skip = max(0, since - first_kept)
            entries = list(self._entries)[skip:]
            result: dict[str, Any] = {"count": self._count, "by_endpoint": dict(self._by_endpoint),
                                      "statuses": dict(self._statuses), "since": first_kept + skip}
        result["log"] = [{"t": t, "method": method, "path": path,
                          "query": dict(parse_qsl(query, keep_blank_values=True)),
                          "status": status, "auth": auth, "fault": fault, "window": window, "host": host,
                          "authorization": authorization}
                         for t, method, path, query, status, auth, fault, window, host, authorization in entries]
        return result
