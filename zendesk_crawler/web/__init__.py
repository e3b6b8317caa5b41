"""The web page: start an export, watch it run, browse the backups, read and print a conversation.

A separate process (``python -m zendesk_crawler.web``) that reads the export
location's manifests, state and files, and starts runs of ``scrapy crawl zendesk``
as a local process or on scrapyd. See the README, "The web page".
"""
