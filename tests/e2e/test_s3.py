"""Exports to S3 against moto's standalone S3 server on loopback, with real boto3 calls."""

from __future__ import annotations

import gzip
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.crawl import RunningCrawl, run_crawl
from tests.support.servers import moto_s3_server
from tests.support.truth import assert_matches_truth
from tests.support.xmlfeed import read_xml_feed
from zendesk_crawler.streams import STREAMS
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_url():
    with moto_s3_server() as server:
        yield server.url


@pytest.fixture
def s3(s3_url, monkeypatch):
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    return boto3.client("s3", endpoint_url=s3_url)


@pytest.fixture(scope="module")
def sandbox():
    with SandboxProcess(tickets=80, seed=21, rate_limit=1000000, export_rate_limit=0) as server:
        yield server


def crawl_s3(sandbox, s3_url, export_uri, workdir, *args, **env):
    """A crawl that writes only to S3 (``workdir`` stays empty: nothing local is needed)."""
    return run_crawl(sandbox.url, workdir, "-a", "start_time=0", *args,
                     ZENDESK_EXPORT_URI=export_uri, AWS_ENDPOINT_URL=s3_url, **AWS_ENV, **env)


def objects(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def delete_bucket(s3, bucket: str) -> None:
    """Empty and delete a bucket a running crawl still writes to (its status document): again until it is gone."""
    for _ in range(50):
        for key in objects(s3, bucket):
            s3.delete_object(Bucket=bucket, Key=key)
        try:
            s3.delete_bucket(Bucket=bucket)
            return
        except ClientError as error:
            if error.response["Error"]["Code"] != "BucketNotEmpty":
                raise
    raise AssertionError(f"bucket {bucket} never stayed empty long enough to be deleted")


def body(s3, bucket, key) -> bytes:
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return gzip.decompress(data) if key.endswith(".gz") else data


def records(s3, bucket, keys, fmt):
    out = []
    for key in keys:
        raw = body(s3, bucket, key)
        out += json.loads(raw) if fmt == "json" else read_xml_feed(raw)
    return out


def test_export_to_s3_then_resume_from_the_state_stored_there(sandbox, s3, s3_url, tmp_path):
    s3.create_bucket(Bucket="backups")
    first = crawl_s3(sandbox, s3_url, "s3://backups/zendesk/acme", tmp_path / "1")
    assert first.returncode == 0, first.stderr[-3000:]
    keys = objects(s3, "backups", "zendesk/acme/")
    feeds = [k for k in keys if k.split("/")[-1].startswith("tickets-")]
    assert len(feeds) == 2 and "zendesk/acme/state.json" in keys
    assert not any(k.endswith(".lock") for k in keys)  # the lock was released
    json_keys = [k for k in feeds if k.endswith(".json")]
    exported = records(s3, "backups", json_keys, "json")
    assert_matches_truth(exported, sandbox.truth())
    assert records(s3, "backups", [k for k in feeds if k.endswith(".xml")], "xml") == exported
    state = json.loads(body(s3, "backups", "zendesk/acme/state.json"))
    (manifest_key,) = [k for k in keys if "/manifest-" in k]
    manifest = json.loads(body(s3, "backups", manifest_key))
    assert manifest["status"] == "complete" and manifest["cursor_after"] == state["streams"]["tickets"]["cursor"]
    every_feed = [k for k in keys if k.split("/")[-1].split("-")[0] in STREAMS]
    assert len(every_feed) == 2 * len(STREAMS) and manifest["files"] == sorted(f"s3://backups/{k}" for k in every_feed)

    ids = sorted(t["id"] for t in sandbox.truth(comments=False)["tickets"] if t["status"] != "deleted")
    changed = sandbox.change(add_comments=ids[:4], update=ids[4:6])
    sandbox.advance_clock(120)
    log_start = sandbox.requests_log()["count"]
    second = crawl_s3(sandbox, s3_url, "s3://backups/zendesk/acme", tmp_path / "2")  # a fresh machine
    assert second.returncode == 0, second.stderr[-3000:]
    first_export = next(e for e in sandbox.requests_log(since=log_start)["log"]
                        if e["path"] == "/api/v2/incremental/tickets/cursor.json")
    assert first_export["query"]["cursor"] == state["streams"]["tickets"]["cursor"]
    new_keys = [k for k in objects(s3, "backups", "zendesk/acme/tickets-") if k not in feeds]
    assert_matches_truth(records(s3, "backups", [k for k in new_keys if k.endswith(".json")], "json"),
                         sandbox.truth(), ids=set(changed["changed"]))
    manifests = [k for k in objects(s3, "backups", "zendesk/acme/manifest-")]
    assert len(manifests) == 2
    assert json.loads(body(s3, "backups", manifests[-1]))["cursor_before"] == state["streams"]["tickets"]["cursor"]


def test_gzip_batches_on_s3(sandbox, s3, s3_url, tmp_path):
    s3.create_bucket(Bucket="gzipped")
    result = crawl_s3(sandbox, s3_url, "s3://gzipped/zd", tmp_path, ZENDESK_FEED_GZIP="true",
                      ZENDESK_BATCH_ITEM_COUNT="25")
    assert result.returncode == 0, result.stderr[-3000:]
    json_keys = [k for k in objects(s3, "gzipped", "zd/tickets-") if k.endswith(".json.gz")]
    assert len(json_keys) == 4  # 80 tickets, 25 a file
    exported = records(s3, "gzipped", json_keys, "json")
    assert_matches_truth(exported, sandbox.truth())
    xml_keys = [k for k in objects(s3, "gzipped", "zd/tickets-") if k.endswith(".xml.gz")]
    assert records(s3, "gzipped", xml_keys, "xml") == exported


def test_missing_bucket_is_a_clear_error_before_any_request(sandbox, s3, s3_url, tmp_path):
    log_start = sandbox.requests_log()["count"]
    result = crawl_s3(sandbox, s3_url, "s3://no-such-bucket/zd", tmp_path)
    assert result.returncode == 2
    (line,) = result.failure_lines()
    assert "bucket 'no-such-bucket' does not exist" in line
    assert sandbox.requests_log()["count"] == log_start


def test_failed_upload_leaves_the_old_state_in_place(s3, s3_url, tmp_path):
    s3.create_bucket(Bucket="state-store")
    s3.create_bucket(Bucket="exports")
    env = {"ZENDESK_EXPORT_URI": "s3://exports/zd", "ZENDESK_STATE_URI": "s3://state-store/zd/state.json",
           "AWS_ENDPOINT_URL": s3_url, **AWS_ENV}
    with SandboxProcess(tickets=40, seed=22, rate_limit=1000000, export_rate_limit=0, latency_ms=300) as server:
        assert run_crawl(server.url, tmp_path, "-a", "start_time=0", **env).returncode == 0
        saved = body(s3, "state-store", "zd/state.json")
        ids = sorted(t["id"] for t in server.truth(comments=False)["tickets"] if t["status"] != "deleted")
        server.change(add_comments=ids[:20])
        server.advance_clock(120)
        crawl = RunningCrawl(server.url, tmp_path, "-a", "start_time=0", **env)
        crawl.wait_for("Resuming from the cursor")
        delete_bucket(s3, "exports")  # the upload at the end of the run fails
        result = crawl.finish()
    assert result.returncode == 1
    (line,) = result.failure_lines()
    assert "could not be stored" in line
    stored = body(s3, "state-store", "zd/state.json")
    assert json.loads(stored) == json.loads(saved), stored.decode()[-1500:]


def test_a_second_run_on_the_same_s3_location_refuses_and_an_expired_lock_is_taken_over(sandbox, s3, s3_url, tmp_path):
    s3.create_bucket(Bucket="locks")
    lock = {"run_id": "crashed-run", "pid": 1, "host": "elsewhere", "expires_at": int(time.time()) + 3600}
    s3.put_object(Bucket="locks", Key="zd/state.json.lock", Body=json.dumps(lock).encode())
    refused = crawl_s3(sandbox, s3_url, "s3://locks/zd", tmp_path)
    assert refused.returncode == 2
    (line,) = refused.failure_lines()
    assert "another run is using this export location" in line and "crashed-run" in line

    lock["expires_at"] = int(time.time()) - 1  # the crashed run's lease ran out
    s3.put_object(Bucket="locks", Key="zd/state.json.lock", Body=json.dumps(lock).encode())
    taken_over = crawl_s3(sandbox, s3_url, "s3://locks/zd", tmp_path)
    assert taken_over.returncode == 0, taken_over.stderr[-3000:]
    assert "Took over the expired lock" in taken_over.stderr
    assert "zd/state.json.lock" not in objects(s3, "locks")


def test_attachments_on_s3_are_stored_once_and_the_index_there_spares_the_next_run(sandbox, s3, s3_url, tmp_path):
    import hashlib

    s3.create_bucket(Bucket="files")
    first = crawl_s3(sandbox, s3_url, "s3://files/zd", tmp_path / "1", "-a", "attachments=true",
                     "-a", "streams=tickets")
    assert first.returncode == 0, first.stderr[-3000:]
    everything = sandbox.attachments_truth()
    truth = {e["attachment_id"]: e for e in everything if e["kind"] == "attachment"}
    keys = objects(s3, "files", "zd/attachments/")
    files = [k for k in keys if "/index/" not in k]
    servable = {e["sha256"] for e in everything if e["servable"]}  # attachments and voice recordings
    assert len(files) == len(servable) and any("/index/" in k for k in keys)
    feeds = [k for k in objects(s3, "files", "zd/tickets-") if k.endswith(".json")]
    for record in records(s3, "files", feeds, "json"):
        for comment in record["comments"]:
            for attachment in comment.get("attachments") or []:
                entry, stored = truth[attachment["id"]], attachment["stored_file"]
                if not entry["servable"]:
                    assert stored is None
                    continue
                data = body(s3, "files", f"zd/{stored['path']}")
                assert hashlib.sha256(data).hexdigest() == entry["sha256"] == stored["sha256"]
    ticket = next(e["ticket_id"] for e in everything if e["servable"])
    sandbox.change(update=[ticket])
    sandbox.advance_clock(120)
    second = crawl_s3(sandbox, s3_url, "s3://files/zd", tmp_path / "2", "-a", "attachments=true",
                      "-a", "streams=tickets")  # a fresh machine: only the index in S3 knows what is stored
    assert second.returncode == 0, second.stderr[-3000:]
    manifests = [json.loads(body(s3, "files", k)) for k in objects(s3, "files", "zd/manifest-")]
    latest = max(manifests, key=lambda m: m["run_id"])["attachments"]
    assert latest.get("downloaded", 0) == 0 and latest["already_stored"] >= 1  # nothing fetched again
