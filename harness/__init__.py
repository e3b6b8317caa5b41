"""Running the real crawler and its companions on this machine, for the tests, the benchmarks and the screenshots.

``crawl.py`` runs ``scrapy crawl zendesk`` as a process against a sandbox and reads what it wrote;
``servers.py`` starts child servers on loopback (the web page among them) and stops them by PID;
``chromium.py`` is Debian's Chromium as Playwright drives it. It drives the crawler, so it is neither
part of the fake Zendesk (``zendesk_sandbox``, which knows nothing of the crawler) nor of the crawler's
package (it is not shipped in the egg scrapyd runs). Standard library only.
"""
