"""Project commands; ``crawl`` replaces Scrapy's to report the run's outcome in the exit status."""
