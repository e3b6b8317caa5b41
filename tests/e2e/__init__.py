"""End to end: real crawls of the sandbox, S3 via moto, scrapyd, the web page and the browser."""
