"""The accessibility check of the browser tests: Deque's axe-core (vendored in ``tests/fixtures/axe-core``) run in
the page as the browser shows it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.support.paths import PROJECT_ROOT

AXE = PROJECT_ROOT / "tests" / "fixtures" / "axe-core" / "axe.min.js"
#: The impacts a page must have none of.
BLOCKING = ("serious", "critical")
#: What axe checks: the WCAG 2.x A and AA rules and its best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as loaded, each with the elements at fault.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not apply to,
    so the page is checked exactly as it is served.
    """
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                    resultTypes: ["violations"]});
            const where = (n) => n.target.join(" ") + ": " + n.failureSummary;
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(where)}));
        }""", TAGS)
    return [violation for violation in found if violation["impact"] in BLOCKING]


def described(page: Page) -> list[str]:
    """The page's serious and critical violations in axe's own words, one line each (empty: none)."""
    return [f"{page.url}: {v['impact']} {v['id']} ({v['help']}): " + "; ".join(v["nodes"][:3])
            for v in violations(page)]
