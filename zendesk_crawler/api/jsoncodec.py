"""JSON for API answers and feed records: orjson where it is exact, the standard library where it is not.

orjson parses and writes JSON several times faster than the standard library, and
JSON is most of the crawler's work (BENCHMARKS.md, "What changed in this session, and
why", has the profiles). It differs from ``json`` in three ways that would lose
data, so those cases go to the standard library:

- it reads an integer beyond 64 bits as a float (``json`` keeps it exact): a
  body with a run of 20 digits anywhere is parsed by ``json``;
- it rejects what ``json`` accepts (``NaN``, lone surrogate escapes such as
  ``"\\ud800"``): such a body is parsed by ``json``;
- it cannot write those values back (integers beyond 64 bits, lone
  surrogates): such a record is written by ``json``, with ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# bytes.translate maps every digit to "0" and everything else to " ": finding a
# run of 20 digits is then a substring search, about ten times faster than a regex.
_DIGITS_ONLY = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_DIGIT_RUN = b"0" * 20


def loads(data: bytes) -> Any:
    """Parse JSON exactly as ``json.loads`` does (numbers, strings and all), faster."""
    if _LONG_DIGIT_RUN not in data.translate(_DIGITS_ONLY):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value`` that parses back to an equal value.

    NaN and infinities, which JSON cannot hold (``loads`` only makes them from
    non-standard input), are written as ``null``.
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        # Lone surrogates cannot be UTF-8: ASCII output writes them as \\uXXXX escapes.
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")
