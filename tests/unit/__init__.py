"""Fast tests of one component each: no crawl process."""
