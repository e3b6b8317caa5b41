"""How fast the web page finds a ticket in a 100,000-ticket backup: the SQLite index against reading the files.

    .venv/bin/python bench/web_index.py [--tickets 100000] [--comments 4] [--dir DIR]

Writes a backup shaped like the crawler's (``tickets-<run id>-NNNNN.json`` of
5000 records, one record a line, written with the crawler's JSON exporter, and a
manifest per run: two runs, the second re-exporting a tenth of the tickets),
then measures, in this process: building the index from nothing, a refresh with
nothing new, a lookup by id (index query plus the one line read back), a lookup
by requester e-mail, a lookup by scanning the files (what the page would do
without an index), ``GET /tickets/<id>`` on the real page over HTTP, and a
lookup by id in a gzip batch (one ``tickets-<run id>-00001.jsonl.gz`` of 5000
records, compressed as the crawler's ``ZENDESK_FEED_GZIP`` does): a gzip file
cannot be read at an offset, so the lookup decompresses it from its start up to
the record.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import orjson

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from scrapy.exporters import JsonLinesItemExporter  # noqa: E402 - imported after the project root is put on sys.path

from zendesk_crawler.feeds.exporters import CompactJsonItemExporter  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.location.reader import LocalLocation  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.web.config import cache_dir_for  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.web.runs import read_runs  # noqa: E402 - imported after the project root is put on sys.path
from zendesk_crawler.web.tickets import TicketIndex  # noqa: E402 - imported after the project root is put on sys.path

BATCH = 5000
BODY = ("Здравствуйте, the invoice for last month lists our old VAT number. שלום, יש לי בעיה עם החשבון. "
        "مرحبا، لدي مشكلة في تسجيل الدخول. Could you check why the export stops at 1000 rows? 👍🏽 ")


#: Words the comments are made of besides ``BODY``: 20,000 of them, drawn with a Zipf-like skew so that some are in
#: most tickets and most in a few (as in real support mail), for the full-text search to have real work.
VOCABULARY = [f"w{n:05d}" for n in range(20_000)]
WEIGHTS = [1 / (rank + 1) for rank in range(len(VOCABULARY))]


def words(rng: random.Random, count: int) -> str:
    """``count`` words of the vocabulary."""
    return " ".join(rng.choices(VOCABULARY, WEIGHTS, k=count))


def record(ticket_id: int, updated_at: str, comments: int, rng: random.Random) -> dict:
    """A ticket shaped like the crawler's records (requester, assignee, group, custom fields, comments whose bodies
    are ``BODY`` and 40 words of the vocabulary)."""
    requester = {"id": 900 + ticket_id % 5000, "name": f"User {ticket_id % 5000}",
                 "email": f"user{ticket_id % 5000}@example.com", "role": "end-user"}
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json", "id": ticket_id, "subject":
        f"Ticket {ticket_id}: login problem", "description": BODY, "status": rng.choice(("open", "solved", "closed")),
        "created_at": "2025-01-01T00:00:00Z", "updated_at": updated_at, "tags": ["bench", "vip"],
        "requester": requester, "assignee": {"id": 1, "name": "Agent", "email": "agent@example.com", "role": "agent"},
        "group": {"id": 1, "name": "Tier 2"}, "organization": None, "custom_fields_by_title": {"Plan": "gold"},
        "comments": [comment(ticket_id * 100 + n, BODY + words(rng, 40), requester, n % 3 != 2)
                     for n in range(comments)]}


def comment(comment_id: int, body: str, author: dict, public: bool) -> dict:
    """A comment as the crawler writes it."""
    return {"id": comment_id, "type": "Comment", "author_id": author["id"], "body": body,
            "html_body": f"<p dir=\"auto\">{body}</p>", "plain_body": body, "public": public,
            "attachments": [], "created_at": "2025-01-01T00:00:00Z", "author": author}


def write_run(root: Path, run_id: str, ids: list[int], updated_at: str, comments: int) -> None:
    """A run's ticket batches (JSON, 5000 records a file, the crawler's exporter) and its manifest."""
    rng = random.Random(run_id)
    files = []
    for batch, start in enumerate(range(0, len(ids), BATCH), 1):
        path = root / f"tickets-{run_id}-{batch:05d}.json"
        with path.open("wb") as file:
            exporter = CompactJsonItemExporter(file, encoding="utf-8", indent=0)  # as the feeds write
            exporter.start_exporting()
            for ticket_id in ids[start:start + BATCH]:
                exporter.export_item(record(ticket_id, updated_at, comments, rng))
            exporter.finish_exporting()
        files.append(str(path))
    (root / f"manifest-{run_id}.json").write_text(json.dumps({
        "run_id": run_id, "status": "complete", "failure": None, "tickets_exported": len(ids),
        "comments_exported": len(ids) * comments, "files": files}), encoding="utf-8")


def gzip_lookup(work: Path, comments: int, rng: random.Random) -> tuple[str, str, str]:
    """A 5000-ticket ``.jsonl.gz`` batch: its size, then lookups by id across it and of its last record."""
    root = work / "export-gz"
    shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(work / "cache-gz", ignore_errors=True)
    root.mkdir(parents=True)
    run_id = "20260103T000000Z-000003"
    path = root / f"tickets-{run_id}-00001.jsonl.gz"
    with gzip.GzipFile(path, "wb", compresslevel=9) as file:  # Scrapy's GzipPlugin, its default level
        exporter = JsonLinesItemExporter(file, encoding="utf-8")
        exporter.start_exporting()
        for ticket_id in range(1, BATCH + 1):
            exporter.export_item(record(ticket_id, "2026-01-03T00:00:00Z", comments, rng))
        exporter.finish_exporting()
    (root / f"manifest-{run_id}.json").write_text(json.dumps({
        "run_id": run_id, "status": "complete", "failure": None, "tickets_exported": BATCH,
        "comments_exported": BATCH * comments, "files": [str(path)]}), encoding="utf-8")
    location = LocalLocation(str(root))
    index = TicketIndex(work / "cache-gz" / "tickets.sqlite", location)
    _, seconds = timed(index.refresh, read_runs(location))
    size = (f"{path.stat().st_size / 2**20:.1f} MB gzip, {sum(len(line) for line in gzip.open(path)) / 2**20:.1f} MB "
            f"of JSON Lines, indexed in {seconds:.2f} s")
    sample = rng.sample(range(1, BATCH + 1), 200)
    assert all(index.ticket(ticket_id)["id"] == ticket_id for ticket_id in sample[:5])
    by_id = percentiles([timed(index.ticket, ticket_id)[1] for ticket_id in sample])
    last = percentiles([timed(index.ticket, BATCH)[1] for _ in range(20)])
    return size, by_id, last


def timed(function, *args):
    """``function(*args)`` and the seconds it took."""
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def percentiles(samples: list[float]) -> str:
    """Median and 95th percentile of durations in seconds, as milliseconds."""
    samples = sorted(samples)
    return (f"median {statistics.median(samples) * 1000:.2f} ms, p95 {samples[int(len(samples) * 0.95)] * 1000:.2f} ms"
            f" ({len(samples)} lookups)")


def scan_for(location: LocalLocation, runs, ticket_id: int) -> dict | None:
    """What the page would do without an index: read every ticket file, keep the newest version."""
    newest = None
    for run in runs:
        for path in run.files:
            for line in (location.root / path).open("rb"):
                body = line.rstrip(b",\n")
                if body.startswith(b"{") and orjson.loads(body)["id"] == ticket_id:
                    candidate = orjson.loads(body)
                    if newest is None or candidate["updated_at"] > newest["updated_at"]:
                        newest = candidate
    return newest


class PageProcess:
    """The real page (``python -m zendesk_crawler.web``) over a location, on a free port, for HTTP timings."""

    def __init__(self, root: Path, cache: Path) -> None:
        self.root, self.cache = root, cache

    def __enter__(self) -> PageProcess:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        env = {**os.environ, "ZENDESK_EXPORT_URI": str(self.root), "ZENDESK_WEB_CACHE": str(self.cache)}
        self.server = subprocess.Popen([sys.executable, "-m", "zendesk_crawler.web", "--port", str(self.port)],
                                       cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       text=True)
        for line in self.server.stderr:
            if "Uvicorn running" in line:
                break
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.terminate()
        self.server.wait()

    def rss(self) -> int:
        """The page process's resident memory, in bytes (Linux)."""
        for line in Path(f"/proc/{self.server.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def get(self, path: str) -> tuple[bytes, float]:
        """The body of ``GET path`` and the seconds it took (it must answer 200)."""
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=120) as response:
            assert response.status == 200, path
            body = response.read()
        return body, time.perf_counter() - started


#: The largest ticket of the backup (its PDF is measured): as many comments as the review's 1200-comment ticket.
LARGEST, LARGEST_COMMENTS = 1, 1200
#: The run that re-exports a tenth of the tickets (its page says what it brought).
SECOND_RUN = "20260102T000000Z-000002"
NEXT_PAGE = re.compile(rb'rel="next" href="([^"]+)"')
#: Searches of the benchmark: (what it shows, query); each word's frequency follows from its rank in VOCABULARY.
SEARCHES = (("a word in most tickets", "w00000"), ("a word in a few hundred", "w00900"),
            ("a rare word", "w19000"), ("two words", "w00003 w00100"), ("a phrase", '"last month lists"'),
            ("a Cyrillic word", "Здравствуйте"), ("an emoji", "👍"), ("a prefix", "w0123*"),
            ("a word, status solved", "w00100&status=solved"))


def page_measures(root: Path, cache: Path, ids: list[int]) -> list[str]:
    """The page's views over HTTP on a real page process (its index already built): a conversation, browse pages
    (the first, 20 pages deep by the Next link, filtered and sorted) and searches."""
    lines = []
    with PageProcess(root, cache) as page:
        samples = []
        for ticket_id in ids:
            body, seconds = page.get(f"/tickets/{ticket_id}")
            assert f"#{ticket_id}".encode() in body
            samples.append(seconds)
        lines.append(f"GET /tickets/<id> (rendered conversation): {percentiles(samples)}")
        first = [page.get("/browse")[1] for _ in range(50)]
        lines.append(f"GET /browse, first page of 50: {percentiles(first)}")
        deep, path = [], "/browse"
        for _ in range(100):
            body, seconds = page.get(path)
            deep.append(seconds)
            following = NEXT_PAGE.search(body)
            if following is None:
                break
            path = html.unescape(following.group(1).decode())
        lines.append(f"GET /browse, the next 100 pages by the Next link (keyset): {percentiles(deep)}")
        filtered = [page.get(f"/browse?status=solved&sort=created&order=asc&tag=vip&requester=user{n}@example.com")[1]
                    for n in range(50)]
        lines.append(f"GET /browse filtered (status, tag, requester) and sorted by creation: {percentiles(filtered)}")
        for label, query in SEARCHES:
            text, _, extra = query.partition("&")
            url = f"/search?q={urllib.parse.quote(text)}" + (f"&{extra}" if extra else "")
            body, _ = page.get(url)
            count = re.search(rb'class="count">([^<]*)', body).group(1).decode()
            timings = [page.get(url)[1] for _ in range(20)]
            lines.append(f"GET /search {label} ({text!r}: {count}): {percentiles(timings)}")
        run_page, first_seconds = page.get(f"/runs/{SECOND_RUN}")
        assert b"changed" in run_page
        again = [page.get(f"/runs/{SECOND_RUN}")[1] for _ in range(20)]
        lines.append(f"GET /runs/{SECOND_RUN} (what it brought: 10,000 tickets compared with the run before): "
                     f"first {first_seconds:.1f} s, then (kept per run) {percentiles(again)}")
        charts = [page.get("/charts")[1] for _ in range(10)]
        lines.append(f"GET /charts (created per week, backlog, growth, runs): {percentiles(charts)}")
        history = [page.get(f"/tickets/{LARGEST}")[1] for _ in range(20)]
        lines.append(f"GET /tickets/{LARGEST} ({LARGEST_COMMENTS} comments, its versions and their differences): "
                     f"{percentiles(history)}")
        rss_before = page.rss()
        parts = re.findall(rb'href="/tickets/%d\.pdf\?part=(\d+)"' % LARGEST, page.get(f"/tickets/{LARGEST}")[0])
        renders, sizes = [], []
        for part in parts or [b"1"]:
            pdf, seconds = page.get(f"/tickets/{LARGEST}.pdf?part={part.decode()}")
            renders.append(seconds)
            sizes.append(len(pdf))
        rss_after = page.rss()
        again = [page.get(f"/tickets/{LARGEST}.pdf?part=1")[1] for _ in range(20)]
        lines.append(f"GET /tickets/{LARGEST}.pdf ({LARGEST_COMMENTS} comments, {len(renders)} parts of at most "
                     f"200 comments): each part rendered in {min(renders):.1f}-{max(renders):.1f} s "
                     f"({sum(sizes) / 2**20:.1f} MB in all), page process RSS {rss_before / 2**20:.0f} -> "
                     f"{rss_after / 2**20:.0f} MB; a part asked again (from the cache): {percentiles(again)}")
    return lines


def main() -> None:
    """Write the backup, measure, print one line per measure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=None, help="where to write the backup (default: a temp dir)")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="web-index-bench-"))
    root, cache = work / "export", work / "cache"
    shutil.rmtree(work / "export", ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    root.mkdir(parents=True)
    ids = list(range(1, args.tickets + 1))
    rng = random.Random(1)
    _, seconds = timed(write_run, root, "20260101T000000Z-000001", ids, "2026-01-01T00:00:00Z", args.comments)
    write_run(root, SECOND_RUN, sorted(rng.sample(ids, len(ids) // 10)), "2026-01-02T00:00:00Z",
              args.comments + 1)
    write_run(root, "20260103T000000Z-000003", [LARGEST], "2026-01-03T00:00:00Z", LARGEST_COMMENTS)
    size = sum(p.stat().st_size for p in root.iterdir())
    print(f"backup: {args.tickets} tickets + {args.tickets // 10} re-exported, {args.comments} comments each, "
          f"and ticket {LARGEST} with {LARGEST_COMMENTS} comments in a third run; "
          f"{size / 2**20:.0f} MB of JSON (written in {seconds:.1f} s)")

    location = LocalLocation(str(root))
    runs = read_runs(location)
    index_file = cache_dir_for(str(root), cache) / "tickets.sqlite"  # where the page's process finds it built
    index = TicketIndex(index_file, location)
    read, seconds = timed(index.refresh, runs)
    print(f"index built from nothing (versions, shown tickets, full-text index): {read} files in {seconds:.1f} s; "
          f"{sum(path.stat().st_size for path in index_file.parent.glob('tickets.sqlite*')) / 2**20:.1f} MB "
          "of SQLite")
    _, seconds = timed(lambda: index.refresh(read_runs(location)))
    print(f"refresh with nothing new (manifests listed and read): {seconds * 1000:.1f} ms")
    sample = rng.sample(ids, min(1000, len(ids)))
    by_id = [timed(index.ticket, ticket_id)[1] for ticket_id in sample]
    print(f"lookup by id (index + one line read): {percentiles(by_id)}")
    by_email = [timed(index.by_requester, f"user{ticket_id % 5000}@example.com")[1] for ticket_id in sample[:200]]
    print(f"lookup by requester e-mail (about 22 tickets each): {percentiles(by_email)}")
    newest, seconds = timed(scan_for, location, runs, sample[0])
    assert newest == index.ticket(sample[0])
    print(f"lookup by scanning every file instead: {seconds:.1f} s for one ticket")
    for line in page_measures(root, cache, sample[:200]):
        print(line)
    size, by_id, last = gzip_lookup(work, args.comments, rng)
    print(f"gzip batch of {BATCH} tickets: {size}")
    print(f"lookup by id in the gzip batch (decompressed from its start up to the record): {by_id}")
    print(f"lookup of the gzip batch's last record (the whole file decompressed): {last}")
    if args.dir is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
