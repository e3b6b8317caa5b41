"""What one PDF renders and how many render at once: the parts of a long conversation, and the render slots and
cache of ``web/pdf_renders.py`` driven by real threads (each render waits on an event the test sets)."""

from __future__ import annotations

import os
import stat
import threading

import pytest
from scrapy.settings import Settings

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.web.config import WebConfig
from zendesk_crawler.web.pdf import CHARACTERS_PER_PART, capped_comment, pdf_parts
from zendesk_crawler.web.pdf_renders import PdfBusy, PdfRenders
from zendesk_crawler.web.render import comment_view


def comments(*sizes: int) -> list[dict[str, str]]:
    return [{"html_body": "x" * size} for size in sizes]


def test_a_conversation_is_cut_at_the_comment_cap_and_the_character_cap():
    assert pdf_parts([]) == [range(0, 0)]
    assert pdf_parts(comments(*[1] * 7), per_part=3) == [range(0, 3), range(3, 6), range(6, 7)]
    assert pdf_parts(comments(*[1] * 6), per_part=3) == [range(0, 3), range(3, 6)]
    # 400 characters a part: the third comment would pass it, so it starts the next; a longer one is alone.
    assert pdf_parts(comments(150, 150, 150, 900, 10), per_part=10, characters=400) == [
        range(0, 2), range(2, 3), range(3, 4), range(4, 5)]
    every = pdf_parts(comments(*[1] * 1200))
    assert [len(part) for part in every] == [200] * 6 and every[-1].stop == 1200


class Renders:
    """Render callables that stay inside until released, counting how many are inside at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.calls = 0
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def render(self, key: str):
        def draw() -> bytes:
            with self.lock:
                self.inside += 1
                self.calls += 1
                self.most = max(self.most, self.inside)
            self.entered.release()
            assert self.release.wait(30)
            with self.lock:
                self.inside -= 1
            return f"%PDF {key}".encode()
        return draw


def asking(renders: PdfRenders, watch: Renders, key: str, answers: dict[str, object]) -> threading.Thread:
    def ask() -> None:
        try:
            answers[key] = renders.get(key, watch.render(key))
        except PdfBusy as exc:
            answers[key] = exc
    thread = threading.Thread(target=ask)
    thread.start()
    return thread


def test_with_every_slot_taken_and_no_room_to_wait_the_page_is_busy_at_once(tmp_path):
    renders, watch, answers = PdfRenders(tmp_path / "pdf", renders=2, waiting=0), Renders(), {}
    threads = [asking(renders, watch, key, answers) for key in ("a", "b")]
    assert watch.entered.acquire(timeout=30) and watch.entered.acquire(timeout=30)  # both slots taken
    with pytest.raises(PdfBusy):  # answered at once, nothing rendered
        renders.get("c", watch.render("c"))
    watch.release.set()
    for thread in threads:
        thread.join(30)
    assert watch.most == 2 and watch.calls == 2
    assert answers == {key: (f"%PDF {key}".encode(), False) for key in "ab"}
    assert renders.get("c", watch.render("c")) == (b"%PDF c", False)  # a slot is free again


def test_requests_beyond_the_slots_wait_and_never_render_more_at_once(tmp_path):
    renders, watch, answers = PdfRenders(tmp_path / "pdf", renders=2, waiting=4), Renders(), {}
    threads = [asking(renders, watch, key, answers) for key in "abcdef"]
    assert watch.entered.acquire(timeout=30) and watch.entered.acquire(timeout=30)
    watch.release.set()
    for thread in threads:
        thread.join(30)
    # Six asked with two slots and four places in line: all rendered, never more than two at once.
    assert watch.most == 2 and watch.calls == 6
    assert answers == {key: (f"%PDF {key}".encode(), False) for key in "abcdef"}


def test_a_pdf_is_rendered_once_per_key_and_kept_private(tmp_path):
    renders, watch = PdfRenders(tmp_path / "pdf", renders=1, waiting=4), Renders()
    watch.release.set()
    assert renders.get("ticket 7 version 1", watch.render("one")) == (b"%PDF one", False)
    assert renders.get("ticket 7 version 1", watch.render("again")) == (b"%PDF one", True)
    assert renders.get("ticket 7 version 2", watch.render("two")) == (b"%PDF two", False)
    assert watch.calls == 2
    kept = sorted((tmp_path / "pdf").iterdir())
    assert len(kept) == 2 and all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in kept)
    assert stat.S_IMODE((tmp_path / "pdf").stat().st_mode) == 0o700


class Watched(PdfRenders):
    """The real renders, telling each time a request found no PDF kept for its key."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.missed = threading.Semaphore(0)

    def _read(self, key: str) -> bytes | None:
        found = super()._read(key)
        if found is None:
            self.missed.release()
        return found


def test_requests_for_the_same_pdf_at_once_render_it_once(tmp_path):
    renders, watch, answers = Watched(tmp_path / "pdf", renders=1, waiting=4), Renders(), {}
    first = threading.Thread(target=lambda: answers.setdefault("first", renders.get("k", watch.render("k"))))
    first.start()
    assert watch.entered.acquire(timeout=30)  # the first renders, holding the only slot
    second = threading.Thread(target=lambda: answers.setdefault("second", renders.get("k", watch.render("k2"))))
    second.start()
    # Both looked in the cache and found nothing (the first before rendering, the second while it renders).
    assert renders.missed.acquire(timeout=30) and renders.missed.acquire(timeout=30)
    watch.release.set()
    first.join(30)
    second.join(30)
    # The second, let in after the first, looked again and found the first's PDF: rendered once.
    assert watch.calls == 1 and answers == {"first": (b"%PDF k", False), "second": (b"%PDF k", True)}


def test_the_cache_drops_the_least_recently_read_beyond_its_size(tmp_path):
    renders, watch = PdfRenders(tmp_path / "pdf", keep_bytes=20), Renders()
    watch.release.set()
    for age, key in enumerate(("a", "b", "c")):  # 6 bytes each, written in that order
        renders.get(key, watch.render(key))
        os.utime(renders.path(key), (1_000_000 + age, 1_000_000 + age))
    assert renders.get("a", watch.render("again")) == (b"%PDF a", True)  # read: now the most recent
    renders.get("d", watch.render("dddddd"))  # 11 bytes: the two least recently read (b, c) must go
    assert [renders.path(key).exists() for key in "abcd"] == [True, False, False, True]
    assert watch.calls == 4


@pytest.mark.parametrize(("name", "value"), [("ZENDESK_WEB_PDF_COMMENTS", "0"), ("ZENDESK_WEB_PDF_COMMENTS", "1001"),
                                             ("ZENDESK_WEB_PDF_COMMENTS", "ten"), ("ZENDESK_WEB_PDF_RENDERS", "5")])
def test_the_pdf_caps_are_checked_when_the_page_starts(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        WebConfig.from_settings(Settings({"ZENDESK_EXPORT_URI": "output"}))


def test_a_comment_longer_than_a_part_is_cut_in_the_pdf_and_says_so():
    long = {"id": 1, "html_body": "<p><b>" + "x" * (CHARACTERS_PER_PART + 10) + "</b></p>", "plain_body": "short"}
    capped, cut = capped_comment(long)
    assert cut and len(capped["html_body"]) == CHARACTERS_PER_PART and capped["plain_body"] == "short"
    assert long["html_body"].endswith("</b></p>")  # the record itself is left whole
    assert capped_comment({"id": 2, "html_body": "<p>fine</p>"}) == ({"id": 2, "html_body": "<p>fine</p>"}, False)
    view = comment_view(7, *capped_comment(long))
    assert view.cut and view.body_html.endswith("</b></p>")  # sanitised after the cut: no tag left open
