"""Numbers written in a request or a record (an id, a page, a version): only ASCII digits, and few of them, so that
neither ``²`` nor a 5000-digit number reaches ``int()`` (which refuses more than 4300 digits)."""

from __future__ import annotations

#: Digits of an id: Zendesk's ids are 64-bit integers (a longer one is in no backup).
ID_DIGITS = 19


def digits(text: str | None, most: int = ID_DIGITS) -> int | None:
    """The number ``text`` writes in 1 to ``most`` ASCII digits; ``None`` for anything else."""
    if text and len(text) <= most and text.isascii() and text.isdigit():
        return int(text)
    return None
