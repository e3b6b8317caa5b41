"""Where the project and the tests' recorded inputs are, wherever a test module lives."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
#: Recorded and assembled Zendesk responses (their sources: SOURCES.md there).
SAMPLES = FIXTURES / "zendesk-samples"
#: The state file as the previous version of the crawler wrote it.
STATE_V1 = FIXTURES / "state" / "state-v1.json"
