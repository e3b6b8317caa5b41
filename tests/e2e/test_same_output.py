"""bench/same_output.py end to end: a revision compared with itself gives the same output in every compared way
(the crawl and the sandbox are deterministic where the script says they are)."""

import subprocess
import sys

import pytest

from tests.support.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_a_revision_has_the_same_output_as_itself():
    result = subprocess.run(
        [sys.executable, "bench/same_output.py", "--baseline", "HEAD", "--current", "HEAD",
         "--shape", "incremental", "--shape", "failed-ticket", "--all"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    lines = result.stdout.splitlines()[1:]
    assert [line.split(":")[0] for line in lines] == ["incremental", "failed-ticket"]
    assert lines[0].startswith("incremental: same (2 crawl(s), exit 0, exit 0;")
    assert lines[1].startswith("failed-ticket: same (1 crawl(s), exit 1;")
