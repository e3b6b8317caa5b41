"""Helpers the tests share: the crawl runner, the servers they start, feed readers, truth checks, paths."""
