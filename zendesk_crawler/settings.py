"""Scrapy settings for zendesk_crawler, plus the project's own ``ZENDESK_*`` settings.

Every ``ZENDESK_*`` setting defaults to the environment variable of the same
name, so ``ZENDESK_API_TOKEN=… scrapy crawl zendesk`` works, and ``-s NAME=…``
(or scrapyd job settings) override it. They are validated once, when the spider
is created (``config.py``). The README has the full table.
"""

import os

BOT_NAME = "zendesk_crawler"
SPIDER_MODULES = ["zendesk_crawler.spiders"]
NEWSPIDER_MODULE = "zendesk_crawler.spiders"
COMMANDS_MODULE = "zendesk_crawler.commands"

# --- Target, credentials, output (see config.py) ---------------------------
ZENDESK_SUBDOMAIN = os.environ.get("ZENDESK_SUBDOMAIN", "")
ZENDESK_URL = os.environ.get("ZENDESK_URL", "")
ZENDESK_EMAIL = os.environ.get("ZENDESK_EMAIL", "")
ZENDESK_API_TOKEN = os.environ.get("ZENDESK_API_TOKEN", "")
ZENDESK_OAUTH_TOKEN = os.environ.get("ZENDESK_OAUTH_TOKEN", "")
ZENDESK_EXPORT_URI = os.environ.get("ZENDESK_EXPORT_URI", "output")
# Empty: ``<ZENDESK_EXPORT_URI>/state.json``, so an export location describes itself.
ZENDESK_STATE_URI = os.environ.get("ZENDESK_STATE_URI", "")
# Records per incremental export page: tickets, users, organizations (1-1000; Zendesk's maximum, so that the export
# budget of 10 pages a minute never limits a backfill: see config._export_page_size).
ZENDESK_EXPORT_PAGE_SIZE = os.environ.get("ZENDESK_EXPORT_PAGE_SIZE", "1000")
# Tickets whose comments are fetched at the same time; the rest of an export page waits its turn.
ZENDESK_TICKETS_IN_PROGRESS = os.environ.get("ZENDESK_TICKETS_IN_PROGRESS", "100")
# Comments per page of /tickets/{id}/comments.json (Zendesk's maximum: 100).
ZENDESK_COMMENTS_PAGE_SIZE = os.environ.get("ZENDESK_COMMENTS_PAGE_SIZE", "100")
# Download every comment's attachment files and voice recordings into <ZENDESK_EXPORT_URI>/attachments/
# (also -a attachments=true); the largest file to download (Zendesk's limit: 50 MB); downloads at once.
ZENDESK_ATTACHMENTS = os.environ.get("ZENDESK_ATTACHMENTS", "false")
ZENDESK_ATTACHMENT_MAX_BYTES = os.environ.get("ZENDESK_ATTACHMENT_MAX_BYTES", str(50 * 2**20))
ZENDESK_ATTACHMENT_DOWNLOADS = os.environ.get("ZENDESK_ATTACHMENT_DOWNLOADS", "32")
# No ACL on stored attachment files (buckets with ACLs disabled, the AWS default, refuse any); name one to send it.
FILES_STORE_S3_ACL = ""
# Groups and ticket fields per page (page[size], at most 100).
ZENDESK_LIST_PAGE_SIZE = os.environ.get("ZENDESK_LIST_PAGE_SIZE", "100")
# Results per Search Export page in a filtered or person export (1-1000).
ZENDESK_SEARCH_PAGE_SIZE = os.environ.get("ZENDESK_SEARCH_PAGE_SIZE", "1000")
# Tickets per feed file; each stored file lets the state checkpoint the cursor (0: one file per run).
ZENDESK_BATCH_ITEM_COUNT = os.environ.get("ZENDESK_BATCH_ITEM_COUNT", "5000")
# Seconds after which the current feed files are stored (and the cursor checkpointed) even if they
# hold fewer than ZENDESK_BATCH_ITEM_COUNT tickets (0: only full batches).
ZENDESK_CHECKPOINT_INTERVAL = os.environ.get("ZENDESK_CHECKPOINT_INTERVAL", "60")
# Compress the feed files with gzip (.json.gz, .xml.gz).
ZENDESK_FEED_GZIP = os.environ.get("ZENDESK_FEED_GZIP", "false")
# The formats of every stream's feed files: a comma list of json, jsonl, xml, csv.
ZENDESK_FORMATS = os.environ.get("ZENDESK_FORMATS", "json,xml")
# A restore (scrapy crawl zendesk_restore): seconds after an import whose answer was lost before Zendesk's search is
# trusted to list the tickets it created (README, "Restore").
ZENDESK_RESTORE_SEARCH_DELAY = os.environ.get("ZENDESK_RESTORE_SEARCH_DELAY", "300")
# Events mode (-a comments=events), memory against requests (README, "Bulk comment mode"):
# the ticket export waits while more than this many tickets wait for the event stream;
ZENDESK_EVENTS_WAITING_TICKETS = os.environ.get("ZENDESK_EVENTS_WAITING_TICKETS", "1000")
# the event stream waits while it holds comments of this many tickets the export has not reached;
ZENDESK_EVENTS_BUFFERED_TICKETS = os.environ.get("ZENDESK_EVENTS_BUFFERED_TICKETS", "2000")
# comments of at most this many tickets are kept while the event stream is behind the export
# (beyond it, the tickets read longest ago are fetched per ticket).
ZENDESK_EVENTS_KEPT_TICKETS = os.environ.get("ZENDESK_EVENTS_KEPT_TICKETS", "20000")
# the comments kept take at most about this many bytes (beyond it, the largest tickets' are let go and those
# tickets fetched per ticket; the event stream holds while it is ahead with half of it): the bound in bytes.
ZENDESK_EVENTS_BUFFER_BYTES = os.environ.get("ZENDESK_EVENTS_BUFFER_BYTES", str(64 * 2**20))
# Seconds between progress log lines (0 turns them off).
ZENDESK_PROGRESS_INTERVAL = os.environ.get("ZENDESK_PROGRESS_INTERVAL", "30")
# A live progress display when the output is a terminal and the log goes to LOG_FILE (false: log lines only).
ZENDESK_PROGRESS_LIVE = os.environ.get("ZENDESK_PROGRESS_LIVE", "true")

# Share of the account's per-minute budget (X-Rate-Limit) this crawler may use;
# other integrations of the account share the rest.
ZENDESK_RATE_LIMIT_SHARE = os.environ.get("ZENDESK_RATE_LIMIT_SHARE", "1.0")
# Hard cap on requests per minute (0: none).
ZENDESK_MAX_REQUESTS_PER_MINUTE = os.environ.get("ZENDESK_MAX_REQUESTS_PER_MINUTE", "0")
# Incremental Export budget: 10 requests/minute (30 with the High Volume add-on).
ZENDESK_EXPORT_REQUESTS_PER_MINUTE = os.environ.get("ZENDESK_EXPORT_REQUESTS_PER_MINUTE", "10")
# The conversation log's own budget (List Conversation Log for Ticket): 100 requests/minute (300 with High Volume).
ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE = os.environ.get("ZENDESK_CONVERSATION_LOG_REQUESTS_PER_MINUTE", "100")
# The rate-limit window assumed only where answers do not say (before the first answer, answers
# without rate-limit headers, the export budget without its header): ratelimit-reset wins.
ZENDESK_RATE_LIMIT_WINDOW = os.environ.get("ZENDESK_RATE_LIMIT_WINDOW", "60")
# 429 waits one request may take before the run fails.
ZENDESK_RATE_LIMIT_MAX_RETRIES = os.environ.get("ZENDESK_RATE_LIMIT_MAX_RETRIES", "30")
# Backoff before a retried request (5xx, timeout, dropped connection, malformed body): base * 2^(n-1), capped.
ZENDESK_RETRY_BACKOFF_BASE = os.environ.get("ZENDESK_RETRY_BACKOFF_BASE", "1")
ZENDESK_RETRY_BACKOFF_MAX = os.environ.get("ZENDESK_RETRY_BACKOFF_MAX", "60")

# Seconds a run's lock on an S3 export location lasts unless renewed (renewed every third of it),
# i.e. how long a killed run blocks the next one.
ZENDESK_LOCK_TTL = os.environ.get("ZENDESK_LOCK_TTL", "600")

# --- Crawling --------------------------------------------------------------
ROBOTSTXT_OBEY = False  # an authenticated API, not a web site
COOKIES_ENABLED = False
# No open port on unattended hosts: the telnet console and Scrapy 2.19's RemoteControl (an HTTP
# server that runs arbitrary Python in this process, which holds the Zendesk and AWS credentials)
# stay off. To debug a run interactively: -s REMOTE_CONTROL_ENABLED=True (README, "Settings").
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
USER_AGENT = "zendesk_crawler (+https://github.com/zendesk-crawler/zendesk_crawler)"
DEFAULT_REQUEST_HEADERS = {"Accept": "application/json"}
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 16
# Each callback's output is processed by CONCURRENT_ITEMS asyncio tasks; our
# callbacks yield one or two objects, so 100 tasks per response are pure cost.
CONCURRENT_ITEMS = 1
DOWNLOAD_TIMEOUT = 120
# Zendesk API requests are never duplicates to drop: a ticket's comments are
# fetched again when the ticket changes during the run. Deduplication of ticket
# versions is done by the spider, so Scrapy's fingerprint set (one entry per
# request, growing for the whole run) is not needed.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
RETRY_ENABLED = True
RETRY_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]

# Middlewares an authenticated JSON API does not need, turned off because every
# one costs time on each of the ~1 request per ticket: no crawl depth, no URL length cap, no offsite
# filtering (the spider only requests the account's base URL). The Referer
# middleware stays (the redirect middleware warns without it) but sends none.
REFERRER_POLICY = "no-referrer"
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
}
# The crawler's own middlewares, pipeline, extensions, exporters, storages and default feeds.
ADDONS = {
    "zendesk_crawler.addon.ZendeskAddon": 0,
}

# --- Feeds -----------------------------------------------------------------
# The add-on adds one JSON and one XML feed under ZENDESK_EXPORT_URI unless
# FEEDS (or -o/-O) is given. UTF-8 keeps non-ASCII text readable in both.
FEED_EXPORT_ENCODING = "utf-8"
FEED_STORE_EMPTY = True

LOG_LEVEL = "INFO"
# Builds the per-response and per-item DEBUG messages only when LOG_LEVEL=DEBUG shows them.
LOG_FORMATTER = "zendesk_crawler.logformatter.QuietLogFormatter"
