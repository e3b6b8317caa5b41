"""The fields in which two views differ, named as paths: ``subject``, ``custom_fields.Category``,
``comments[2].body``, ``comments.count``."""

from __future__ import annotations

from typing import Any


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """The paths at which ``a`` and ``b`` differ (empty: they are equal).

    Objects are compared key by key, lists of objects item by item (a different length is
    ``<path>.count``, and the items both have are compared), anything else as a whole.
    """
    if a == b:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted({*a, *b}, key=str):
            found += differences(a.get(key), b.get(key), f"{path}.{key}" if path else str(key))
        return found
    if isinstance(a, list) and isinstance(b, list) and any(isinstance(item, dict) for item in [*a, *b]):
        found = [f"{path}.count"] if len(a) != len(b) else []
        for number, (left, right) in enumerate(zip(a, b, strict=False)):
            found += differences(left, right, f"{path}[{number}]")
        return found
    return [path]


def top_fields(paths: list[str]) -> list[str]:
    """The top-level fields of difference paths, in order, once each."""
    seen: dict[str, None] = {}
    for path in paths:
        seen.setdefault(path.split(".", 1)[0].split("[", 1)[0], None)
    return list(seen)
