"""Compare reads backups on S3 (moto's standalone server on loopback, real boto3 calls) like local ones: the feeds,
the manifests and the stored attachment files under the prefix."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.support.compare import copy_backup, identity_map, rewrite_tickets, run_compare
from tests.support.crawl import run_crawl
from tests.support.servers import moto_s3_server
from zendesk_crawler.restore.markers import ticket_tag
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def upload(s3, bucket: str, prefix: str, root: Path) -> str:
    for path in root.rglob("*"):
        if path.is_file():
            s3.put_object(Bucket=bucket, Key=f"{prefix}/{path.relative_to(root).as_posix()}", Body=path.read_bytes())
    return f"s3://{bucket}/{prefix}"


def test_backups_on_s3_compare_through_a_map_and_a_removed_file_is_missing(tmp_path):
    with SandboxProcess(tickets=20, seed=23, rate_limit=1_000_000, export_rate_limit=0) as sandbox:
        backup = tmp_path / "backup"
        result = run_crawl(sandbox.url, backup, "-a", "start_time=0", "-a", "attachments=true",
                           ZENDESK_FORMATS="jsonl")
        assert result.returncode == 0, result.stderr[-3000:]
    copy = copy_backup(backup, tmp_path / "copy", ("jsonl",))
    rewrite_tickets(copy, lambda r: {**r, "tags": [*r["tags"], ticket_tag("0123abcd", r["id"])]})
    restore = identity_map(backup, tmp_path / "restore")
    with moto_s3_server() as server:
        s3 = boto3.client("s3", endpoint_url=server.url, **{
            "aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"})
        s3.create_bucket(Bucket="backups")
        a, b = upload(s3, "backups", "a", backup), upload(s3, "backups", "b", copy)
        env = {**AWS_ENV, "AWS_ENDPOINT_URL": server.url}
        same = run_compare(a, b, "--map", str(restore), json_report=tmp_path / "same.json", **env)
        assert same.returncode == 0, same.stdout[-3000:] + same.stderr[-2000:]
        assert same.report["streams"]["tickets"]["counts"]["equal"] > 0

        stored = sorted(p for p in (copy / "attachments").rglob("*") if p.is_file() and "index" not in p.parts)
        s3.delete_object(Bucket="backups", Key=f"b/{stored[0].relative_to(copy).as_posix()}")
        removed = run_compare(a, b, "--map", str(restore), json_report=tmp_path / "removed.json", **env)
        assert removed.returncode == 1, removed.stderr[-2000:]
        differing = removed.report["streams"]["tickets"]["differing"]
        assert differing and all(any(path.endswith(".attachments") for path in entry["paths"]) for entry in differing)

        changes = run_compare(a, b, **env)
        assert changes.returncode == 1 and "tickets" in changes.stdout  # the marker tags are changes without a map
        assert run_compare("s3://backups/nothing", b, **env).returncode == 2
