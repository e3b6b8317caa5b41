"""Packaging for scrapyd: ``scrapyd-deploy`` builds an egg of the project from this file."""

from setuptools import find_packages, setup

setup(
    name="zendesk_crawler",
    version="1.0",
    # The egg scrapyd runs holds the crawler only: the sandbox Zendesk (zendesk_sandbox/), the
    # tests and the benchmarks stay out of it.
    packages=find_packages(include=["zendesk_crawler", "zendesk_crawler.*"]),
    entry_points={"scrapy": ["settings = zendesk_crawler.settings"]},
)
