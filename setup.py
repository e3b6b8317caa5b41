"""Packaging for scrapyd: ``scrapyd-deploy`` builds an egg of the project from this file."""

from setuptools import find_packages, setup

setup(
    name="zendesk_crawler",
    version="1.0",
    packages=find_packages(exclude=["tests", "tests.*", "bench", "bench.*"]),
    package_data={"zendesk_crawler.sandbox": ["*.md"]},
    entry_points={"scrapy": ["settings = zendesk_crawler.settings"]},
)
