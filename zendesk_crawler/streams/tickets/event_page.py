"""A long event page read one event at a time, not decoded whole.

The event export's pages end on a whole second, so a second with thousands of
events (a bulk update, say) makes one page of tens of megabytes; decoded whole
it takes two to four times that (``BENCHMARKS.md``, "comments spilled to
disk"). ``split_events`` finds the ``ticket_events`` array of the answer's top
object and the byte span of each of its elements with a tokenizer that skips
strings whole (``re`` at C speed), so each event is decoded on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from zendesk_crawler.api import jsoncodec

#: Answers at least this long are read one event at a time.
LONG_PAGE_BYTES = 4 * 2**20
#: A JSON string (escapes included), or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_KEY = b'"ticket_events"'
_COLON = re.compile(rb"\s*:")


def split_events(body: bytes) -> tuple[dict[str, Any], list[tuple[int, int]]] | None:
    """The page without its events (``ticket_events`` an empty list), and the byte spans of its events.

    ``None`` when the body is not a JSON object with a ``ticket_events`` array
    at its top (the caller decodes it whole, and reports what is wrong).
    Elements of the array that are not objects or arrays are left out (the
    reader ignores them too).
    """
    depth, key_seen, array_start, element_start = 0, False, -1, -1
    spans: list[tuple[int, int]] = []
    for token in _TOKENS.finditer(body):
        text = token.group()
        if text[0] == 0x22:  # a string: a key or a value
            if depth == 1:
                key_seen = text == _KEY and _COLON.match(body, token.end()) is not None
            continue
        if text in (b"{", b"["):
            if depth == 1 and key_seen and text == b"[":
                array_start = token.start()
            elif depth == 2 and array_start >= 0:
                element_start = token.start()
            depth += 1
            continue
        depth -= 1
        if depth == 2 and array_start >= 0:
            spans.append((element_start, token.end()))
        elif depth == 1 and array_start >= 0:
            try:
                rest = jsoncodec.loads(body[:array_start] + b"[]" + body[token.end():])
            except ValueError:
                return None
            return (rest, spans) if isinstance(rest, dict) else None
        elif depth < 0:
            return None
    return None


def events(body: bytes, spans: list[tuple[int, int]]) -> Iterator[Any]:
    """The events, each decoded when it is its turn."""
    for start, end in spans:
        yield jsoncodec.loads(body[start:end])
