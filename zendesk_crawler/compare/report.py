"""The report of a comparison: per stream counts and the objects in each class, as JSON and as a summary.

The JSON (``--json FILE``), documented in the README's "Compare" section::

    {"mode": "changes" | "restore", "a": URI, "b": URI, "map": URI | null,
     "equal": bool, "exit_status": 0 | 1,
     "streams": {"<stream>": {"counts": {"<class>": n, ...},
                              "<class>": [{"id": ..., "target_id": ..., "fields": [...], "paths": [...],
                                           "why": "..."}, ...]}},
     "ignored": {"why": {...}, "fields": {"<stream>": [...]}, "streams": [...]},
     "without_id": {"<side>": {"<stream>": n}}}

Classes: ``new``, ``changed``, ``deleted``, ``unchanged`` without a map; ``equal``, ``differing``,
``missing``, ``not_expected`` with one. Only ``equal`` and ``unchanged`` are listed by count alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The classes of each mode, in report order; the first is "nothing to say".
CLASSES = {"changes": ("unchanged", "new", "changed", "deleted"),
           "restore": ("equal", "differing", "missing", "not_expected")}
#: The classes that make the exit status 1.
FAILING = {"changes": ("new", "changed", "deleted"), "restore": ("differing", "missing")}


@dataclass
class Entry:
    """One object of a class: its id (the source's with a map), and what there is to say of it."""

    id: Any
    target_id: Any = None
    fields: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    why: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.target_id is not None:
            out["target_id"] = self.target_id
        if self.fields:
            out["fields"], out["paths"] = self.fields, self.paths
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class StreamReport:
    """One stream's result."""

    counts: dict[str, int]
    entries: dict[str, list[Entry]]

    @classmethod
    def empty(cls, mode: str) -> StreamReport:
        return cls({name: 0 for name in CLASSES[mode]}, {name: [] for name in CLASSES[mode][1:]})

    def add(self, kind: str, entry: Entry | None = None) -> None:
        self.counts[kind] += 1
        if entry is not None and kind in self.entries:
            self.entries[kind].append(entry)


@dataclass
class Report:
    """The whole comparison."""

    mode: str
    a: str
    b: str
    map: str | None
    streams: dict[str, StreamReport] = field(default_factory=dict)
    ignored: dict[str, Any] = field(default_factory=dict)
    without_id: dict[str, dict[str, int]] = field(default_factory=dict)

    def stream(self, name: str) -> StreamReport:
        return self.streams.setdefault(name, StreamReport.empty(self.mode))

    @property
    def equal(self) -> bool:
        return not any(report.counts[kind] for report in self.streams.values() for kind in FAILING[self.mode])

    @property
    def exit_status(self) -> int:
        return 0 if self.equal else 1

    def as_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "a": self.a, "b": self.b, "map": self.map, "equal": self.equal,
                "exit_status": self.exit_status,
                "streams": {name: {"counts": report.counts,
                                   **{kind: [entry.as_json() for entry in entries]
                                      for kind, entries in report.entries.items()}}
                            for name, report in sorted(self.streams.items())},
                "ignored": self.ignored, "without_id": self.without_id}

    def summary(self, show: int) -> str:
        """Per stream counts, then the first ``show`` differences."""
        classes = CLASSES[self.mode]
        title = (f"changes from {self.a} to {self.b}" if self.mode == "changes"
                 else f"restore of {self.a} into {self.b} (id map: {self.map})")
        out = [title, ""]
        width = max([len(name) for name in self.streams] + [6])
        out.append(f"{'stream':<{width}}  " + "  ".join(f"{kind:>12}" for kind in classes))
        for name, report in sorted(self.streams.items()):
            out.append(f"{name:<{width}}  " + "  ".join(f"{report.counts[kind]:>12}" for kind in classes))
        shown = 0
        lines = []
        for name, report in sorted(self.streams.items()):
            for kind, entries in report.entries.items():
                for entry in entries:
                    if shown >= show:
                        break
                    shown += 1
                    target = f" (target {entry.target_id})" if entry.target_id is not None else ""
                    detail = ": " + ", ".join(entry.paths[:8]) + (" …" if len(entry.paths) > 8 else "") \
                        if entry.paths else f": {entry.why}" if entry.why else ""
                    lines.append(f"  {name} {entry.id}{target} {kind}{detail}")
        total = sum(len(entries) for report in self.streams.values() for entries in report.entries.values())
        if lines:
            out += ["", f"first {shown} of {total} objects listed:", *lines]
        ignored = self.ignored.get("fields") or {}
        if ignored:
            out += ["", "not compared (see the JSON report's \"ignored\"): " +
                    "; ".join(f"{name}: {', '.join(fields[:6])}{' …' if len(fields) > 6 else ''}"
                              for name, fields in sorted(ignored.items()) if fields)]
        out += ["", "equal" if self.equal else "differences found"]
        return "\n".join(out)
