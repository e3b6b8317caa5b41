"""Downloader middlewares: credentials for the account's origin only, retry backoff, the budgets, endpoint stats.

The classes are named here too, so settings that name them by their former path
(``zendesk_crawler.middlewares.RateLimitMiddleware``) keep working.
"""

from zendesk_crawler.middlewares.auth import ZendeskAuthMiddleware
from zendesk_crawler.middlewares.ratelimit import RateLimitMiddleware
from zendesk_crawler.middlewares.retry import RetryBackoffMiddleware
from zendesk_crawler.middlewares.stats import EndpointStatsMiddleware

__all__ = ["EndpointStatsMiddleware", "RateLimitMiddleware", "RetryBackoffMiddleware", "ZendeskAuthMiddleware"]
