"""The page against another site in a real headless Chromium: a hostile page on another origin asks for a PDF
with an ``<img>`` and posts the Extract form, and a page with no origin (``Origin: null``, as a sandboxed frame)
posts it too; every request is refused before it does anything, while the page's own form posts (``Origin: null``
under its no-referrer policy, ``Sec-Fetch-Site: same-origin``) and its PDF link keep working."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.servers import free_port, web_server
from tests.support.web import page_env, write_backup

pytestmark = pytest.mark.slow

REFUSED = "Forbidden: not this page's host or origin"


def hostile_page(target: str) -> str:
    """What a page of another site does to the operator's page when the operator visits it."""
    return f"""<!doctype html><html><body>
<img id="pdf" src="{target}/tickets/7.pdf" alt="">
<form id="post" method="post" action="{target}/extract"><input name="streams" value="tickets"></form>
</body></html>"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> Iterator[dict[str, Any]]:
    """The page over a small backup on 127.0.0.1, and a hostile site on ``localhost`` (another site)."""
    tmp = tmp_path_factory.mktemp("cross-site")
    write_backup(tmp / "export")
    with web_server(page_env(tmp / "export", tmp)) as web:
        body = hostile_page(web.url).encode()

        class Hostile(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the handler's name in http.server
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        port = free_port()
        server = ThreadingHTTPServer(("127.0.0.1", port), Hostile)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {"page": web.url, "hostile": f"http://localhost:{port}/", "cache": tmp / "cache"}
        finally:
            server.shutdown()
            server.server_close()


def pdfs_rendered(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/pdf/*.pdf"))


def submitted(page, form_id: str) -> tuple[str, dict[str, str]]:
    """Submit a form of the page; the answer's text and the request's headers as Chromium sent them."""
    with page.expect_navigation(), page.expect_request(lambda request: request.method == "POST") as posted:
        page.evaluate(f"document.getElementById({form_id!r}).submit()")
    return page.content(), posted.value.all_headers()


def test_another_site_can_neither_render_a_pdf_nor_post_the_form(browser, sites):
    page = browser.new_page()
    finished: list[str] = []
    page.on("requestfinished", lambda request: finished.append(request.url))
    page.on("requestfailed", lambda request: finished.append(request.url))
    page.goto(sites["hostile"])
    # The <img>: its request ended (answered: Chromium blocks the refusal's text for an image), and nothing was
    # rendered for it, though a render would come before the answer.
    page.wait_for_function("document.getElementById('pdf').complete")
    assert sites["page"] + "/tickets/7.pdf" in finished
    assert pdfs_rendered(sites["cache"]) == []

    text, headers = submitted(page, "post")  # the hostile page's own post
    assert REFUSED in text and headers.get("sec-fetch-site") == "cross-site"

    # A page with no origin (a data: URL, as a sandboxed frame): Origin null, refused.
    form = f'<form id="post" method="post" action="{sites["page"]}/extract"><input name="streams" value="tickets">'
    page.goto("data:text/html," + form)
    text, headers = submitted(page, "post")
    assert REFUSED in text and headers.get("origin") == "null"


def test_the_pages_own_form_posts_keep_working_under_its_referrer_policy(browser, sites):
    page = browser.new_page()
    posts: list[dict[str, str]] = []
    page.on("request", lambda request: posts.append(request.all_headers()) if request.method == "POST" else None)
    page.goto(sites["page"] + "/")
    assert page.evaluate("document.referrer") == ""
    page.get_by_role("button", name="Extract now", exact=True).click()
    expect(page.locator(".notice")).to_have_text("The extraction started.")  # past the origin check and the token
    assert posts and posts[0].get("origin") == "null"  # what Chromium sends under Referrer-Policy: no-referrer
    page.goto(sites["page"] + "/tickets/7")
    with page.expect_download() as download:  # and the page's own PDF link renders one
        page.get_by_role("link", name="Download PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF") and len(pdfs_rendered(sites["cache"])) == 1
