"""The run locks: a second holder is refused with the first one named; released, the lock can be taken again;
an S3 lease whose time ran out is taken over, and renewing a lease another run took fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from scrapy.settings import Settings

from zendesk_crawler.state.lock import LocalRunLock, RunLockedError, S3RunLock, run_lock_for

STATE_URI = "s3://backups/acme/state.json"
LOCK_KEY = "acme/state.json.lock"


def test_a_second_local_holder_is_refused_until_the_first_releases(tmp_path):
    first, second = LocalRunLock(tmp_path / "state.json.lock"), LocalRunLock(tmp_path / "state.json.lock")
    first.acquire("run-1")
    with pytest.raises(RunLockedError, match="another run is using this export location") as refused:
        second.acquire("run-2")
    assert '"run_id": "run-1"' in str(refused.value)
    first.renew()  # an flock needs no renewal: still held
    with pytest.raises(RunLockedError):
        second.acquire("run-2")
    first.release()
    second.acquire("run-2")
    assert json.loads((tmp_path / "state.json.lock").read_text("utf-8"))["run_id"] == "run-2"
    second.release()


def test_the_lock_of_a_local_state_is_a_file_beside_it(tmp_path):
    lock = run_lock_for(str(tmp_path / "state.json"), Settings(), ttl=600)
    assert isinstance(lock, LocalRunLock) and lock.path == tmp_path / "state.json.lock"


@pytest.fixture
def s3() -> Iterator[Any]:
    """An in-process S3 (moto) with the bucket ``backups``."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="testing",
                              aws_secret_access_key="testing")
        client.create_bucket(Bucket="backups")
        yield client


def lease(s3: Any) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket="backups", Key=LOCK_KEY)["Body"].read())


def test_a_second_s3_holder_is_refused_and_the_lease_goes_with_release(s3):
    first, second = S3RunLock(s3, f"{STATE_URI}.lock", ttl=3600), S3RunLock(s3, f"{STATE_URI}.lock", ttl=3600)
    first.acquire("run-1")
    assert lease(s3)["run_id"] == "run-1"
    with pytest.raises(RunLockedError, match="run-1"):
        second.acquire("run-2")
    first.renew()
    assert lease(s3)["run_id"] == "run-1"
    first.release()
    assert s3.list_objects_v2(Bucket="backups").get("KeyCount") == 0
    second.acquire("run-2")
    assert lease(s3)["run_id"] == "run-2"


def test_a_stale_s3_lease_is_taken_over_and_its_holder_cannot_renew(s3):
    crashed = S3RunLock(s3, f"{STATE_URI}.lock", ttl=3600)
    crashed.acquire("crashed-run")
    # The crashed run's lease ran out (written as it would be after expiring: expires_at in the past).
    s3.put_object(Bucket="backups", Key=LOCK_KEY, Body=json.dumps({**lease(s3), "expires_at": 0}).encode())
    successor = S3RunLock(s3, f"{STATE_URI}.lock", ttl=3600)
    successor.acquire("next-run")
    assert lease(s3)["run_id"] == "next-run"
    with pytest.raises(RunLockedError, match="another run took it over"):
        crashed.renew()
    successor.renew()
    assert lease(s3)["run_id"] == "next-run"
