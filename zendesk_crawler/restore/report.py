"""What a restore did, object by object: written, reused, refused, not writable; the plan a dry run prints.

The restore's manifest (``restore-manifest-<run id>.json`` in its location) is this
report; a refusal (Zendesk's own message) makes the exit status 1 and is named on the
last line, and the rest is still restored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: How many refusals the last line names (the manifest has them all).
NAMED_ON_LAST_LINE = 5


@dataclass
class Problem:
    """An object that was not written: its type, source id and why (Zendesk's message, or what it lacks)."""

    type: str
    source_id: Any
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "source_id": self.source_id, "message": self.message}


@dataclass
class RestoreReport:
    """Per object type: how many were created, reused, already done by an earlier run, skipped."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    #: Objects the target refused (a validation error): the run exits 1.
    refused: list[Problem] = field(default_factory=list)
    #: Objects the restore cannot write (a reference it cannot translate, a brand's subdomain taken): listed.
    not_written: list[Problem] = field(default_factory=list)
    #: Attachments without a stored file in the backup (the backup ran without attachments, or skipped them).
    attachments_missing: int = 0

    def count(self, kind: str, action: str, n: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[action] += n

    def refuse(self, kind: str, source_id: Any, message: str) -> None:
        self.refused.append(Problem(kind, source_id, message))

    def cannot_write(self, kind: str, source_id: Any, message: str) -> None:
        self.not_written.append(Problem(kind, source_id, message))

    def last_line(self) -> str | None:
        """The refusals in one line (``None`` when there are none)."""
        if not self.refused:
            return None
        named = "; ".join(f"{p.type} {p.source_id}: {p.message}" for p in self.refused[:NAMED_ON_LAST_LINE])
        more = len(self.refused) - NAMED_ON_LAST_LINE
        return f"the target refused {len(self.refused)} object(s): {named}" + (f"; and {more} more" if more > 0 else "")

    def plan_lines(self) -> list[str]:
        """What a dry run would do, a line per object type."""
        lines = []
        for kind, counts in self.counts.items():
            parts = ", ".join(f"{counts[action]} {action}" for action in sorted(counts))
            lines.append(f"{kind}: {parts}")
        for problem in self.not_written:
            lines.append(f"{problem.type} {problem.source_id}: not writable: {problem.message}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"counts": {kind: dict(counts) for kind, counts in self.counts.items()},
                "refused": [p.as_dict() for p in self.refused],
                "not_written": [p.as_dict() for p in self.not_written],
                "attachments_without_stored_file": self.attachments_missing}
