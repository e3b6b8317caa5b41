"""Debian's Chromium as the browser tests and the README's screenshots drive it (with Playwright)."""

CHROMIUM = "/usr/bin/chromium"
#: Chromium as root in a closed network: no sandbox, no GPU, nothing phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
