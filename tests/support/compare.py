"""Running ``python -m zendesk_crawler.compare`` as a process, and making backup copies the compare tests need."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.paths import PROJECT_ROOT
from zendesk_crawler.compare.views import RESTORED


@dataclasses.dataclass
class CompareResult:
    """Exit status, output and JSON report of one compare process."""

    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    def ids(self, stream: str, kind: str) -> set[Any]:
        """The ids the report lists in one class of a stream."""
        assert self.report is not None
        return {entry["id"] for entry in self.report["streams"][stream][kind]}

    def entry(self, stream: str, kind: str, object_id: Any) -> dict[str, Any]:
        assert self.report is not None
        return next(entry for entry in self.report["streams"][stream][kind] if entry["id"] == object_id)


def run_compare(a: Path | str, b: Path | str, *args: str, json_report: Path | None = None,
                **env: str) -> CompareResult:
    """``python -m zendesk_crawler.compare A B ARGS --json FILE`` from the project root (``env``: added to the
    environment)."""
    extra = ["--json", str(json_report)] if json_report else []
    proc = subprocess.run([sys.executable, "-m", "zendesk_crawler.compare", str(a), str(b), *args, *extra],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, **env})
    report = json.loads(json_report.read_text("utf-8")) if json_report and json_report.exists() else None
    return CompareResult(proc.returncode, proc.stdout, proc.stderr, report)


def copy_backup(source: Path, target: Path, formats: tuple[str, ...], attachments: bool = True) -> Path:
    """A copy of a backup location holding only the feeds of ``formats`` (the manifests always)."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        keep = path.name.startswith("manifest-") or path.name.rsplit(".", 1)[-1] in formats
        if path.is_file() and keep:
            shutil.copy2(path, target / path.name)
    if attachments and (source / "attachments").is_dir():
        shutil.copytree(source / "attachments", target / "attachments")
    return target


def identity_map(backup: Path, restore: Path) -> Path:
    """A hand-written id map: every object of the restored streams of ``backup`` (JSON Lines) as itself."""
    restore.mkdir(parents=True)
    lines = []
    for stream, kind in RESTORED.items():
        for path in sorted(backup.glob(f"{stream}-*.jsonl")):
            for line in filter(None, path.read_text("utf-8").split("\n")):
                object_id = json.loads(line)["id"]
                lines.append(json.dumps({"type": kind, "source_id": object_id, "target_id": object_id,
                                         "action": "created"}))
    (restore / "restore-map-20261207T000000Z-abcdef-00001.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return restore


def rewrite_tickets(backup: Path, change: Any) -> None:
    """Rewrite every ticket record of a backup's JSON Lines files: ``change(record)`` returns the new record,
    or ``None`` to drop it."""
    for path in sorted(backup.glob("tickets-*.jsonl")):
        records = [change(json.loads(line)) for line in path.read_text("utf-8").split("\n") if line]
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records if r is not None), "utf-8")
