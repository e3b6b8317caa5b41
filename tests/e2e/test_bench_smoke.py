"""The benchmark script runs end to end (tiny sizes; no timing is asserted: see BENCHMARKS.md for numbers)."""

import subprocess
import sys

import pytest

from tests.support.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_bench_smoke_prints_a_row_per_run():
    result = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--scenario", "api", "--scenario", "cpu-events",
         "--scenario", "peer", "--scenario", "delta", "--scenario", "cpu"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    header, *runs = [[cell.strip() for cell in row] for row in rows]
    assert header[:4] == ["scenario", "tickets", "comments", "requests"]
    assert [run[0] for run in runs] == ["api-bound 700/min, 200 ms", "cpu-bound bulk events", "peer comparison",
                                        "peer comparison: zenpy peer", "delta 1%", "delta 1% (after 1 changed)",
                                        "cpu-bound per-ticket", "cpu-bound per-ticket: minimal Scrapy spider"]
    assert all(int(run[1]) > 0 and run[-1] == "0" for run in runs)
    # Bulk events: requests per ticket. The comments cost next to nothing; the sandbox's messaging tickets (one in 11)
    # cost one conversation log request each, in either comment mode.
    assert float(runs[1][4]) <= 0.05 + 1 / 11
    assert runs[-1][1:3] == runs[-2][1:3]  # the minimal spider does the same work: tickets, comments
    assert int(runs[-2][3]) == int(runs[-1][3]) + 1  # and its requests, but the crawler's one for the ticket fields


def test_the_web_page_benchmarks_run_end_to_end(tmp_path):
    """bench/web_index.py and bench/web_history.py at tiny sizes: every measure is printed (no timing asserted)."""
    index = subprocess.run([sys.executable, "bench/web_index.py", "--tickets", "300", "--dir", str(tmp_path / "i")],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert index.returncode == 0, index.stderr[-3000:]
    for measure in ("index built from nothing", "GET /browse, first page", "GET /search a word in most tickets",
                    "GET /search an emoji", "GET /runs/", "GET /charts", "GET /tickets/1 (1200 comments",
                    "GET /tickets/1.pdf (1200 comments, 6 parts"):
        assert measure in index.stdout, measure
    history = subprocess.run([sys.executable, "bench/web_history.py", "--tickets", "300", "--audits", "3000",
                              "--dir", str(tmp_path / "h")], cwd=PROJECT_ROOT, capture_output=True, text=True,
                             timeout=900)
    assert history.returncode == 0, history.stderr[-3000:]
    assert "event and name indexes built" in history.stdout and "2000 audits" in history.stdout
