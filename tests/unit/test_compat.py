"""The Scrapy internals ``zendesk_crawler.compat`` relies on exist in the installed Scrapy, as compat uses them.

Driven by ``compat.PRIVATE_API``: a new use of an internal is a line there, and checked here.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from scrapy import Spider
from scrapy.extensions.feedexport import FeedExporter, FeedSlot
from scrapy.pipelines.files import FilesPipeline, FSFilesStore, S3FilesStore
from scrapy.pipelines.media import MediaPipeline
from scrapy.utils.test import get_crawler

from zendesk_crawler.compat import PRIVATE_API, PrivateName


@pytest.fixture
def real_objects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """One object of each class whose attributes ``PRIVATE_API`` names, made the way a crawl makes them."""
    # botocore reads no AWS configuration of this machine (moto gives the store fake credentials).
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    crawler = get_crawler(settings_dict={
        "FEEDS": {str(tmp_path / "feed-%(batch_id)05d.json"): {"format": "json", "batch_item_count": 2}}})
    spider = Spider.from_crawler(crawler, name="compat")
    exporter = FeedExporter.from_crawler(crawler)
    exporter.open_spider(spider)
    pipeline = FilesPipeline(str(tmp_path / "files"), crawler=crawler)
    with mock_aws():
        s3_store = S3FilesStore("s3://bucket/prefix/")
    yield {
        FeedExporter: exporter,
        FeedSlot: exporter.slots[0],
        MediaPipeline: pipeline,
        FilesPipeline: pipeline,
        MediaPipeline.SpiderInfo: MediaPipeline.SpiderInfo(spider),
        FSFilesStore: FSFilesStore(str(tmp_path / "files")),
        S3FilesStore: s3_store,
    }


def label(name: PrivateName) -> str:
    return f"{getattr(name.owner, '__qualname__', getattr(name.owner, '__name__', name.owner))}.{name.name}"


FUNCTIONS = [name for name in PRIVATE_API if name.parameters is not None]
ATTRIBUTES = [name for name in PRIVATE_API if name.parameters is None]


@pytest.mark.parametrize("name", FUNCTIONS, ids=label)
def test_a_function_compat_calls_or_overrides_takes_the_same_parameters(name: PrivateName) -> None:
    function = inspect.getattr_static(name.owner, name.name, None)
    assert function is not None, f"{label(name)} is gone from Scrapy: see zendesk_crawler/compat.py"
    assert tuple(inspect.signature(getattr(name.owner, name.name)).parameters) == name.parameters, \
        f"{label(name)} takes other parameters now: see zendesk_crawler/compat.py"
    if name.calls is not None:
        assert name.calls in inspect.getsource(getattr(name.owner, name.name)), \
            f"{label(name)} no longer does {name.calls!r}: see zendesk_crawler/compat.py"


@pytest.mark.parametrize("name", ATTRIBUTES, ids=label)
def test_an_attribute_compat_reads_is_on_a_real_object(name: PrivateName, real_objects: dict[Any, Any]) -> None:
    owner = real_objects.get(name.owner, name.owner)  # a module's names are read off the module
    assert hasattr(owner, name.name), f"{label(name)} is gone from Scrapy: see zendesk_crawler/compat.py"


def test_every_class_of_an_attribute_has_a_real_object(real_objects: dict[Any, Any]) -> None:
    classes = {name.owner for name in ATTRIBUTES if inspect.isclass(name.owner)}
    assert classes <= set(real_objects), "a class new in PRIVATE_API needs a real object in this test's fixture"
