"""The web page over an S3 export location (moto's S3 server on loopback): runs, files streamed, tickets, the lease."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from tests.support.crawl import crawl_env, run_crawl
from tests.support.servers import moto_s3_server, web_server
from tests.support.web import get
from zendesk_sandbox import SandboxProcess

pytestmark = pytest.mark.slow

AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret", "AWS_DEFAULT_REGION": "us-east-1"}


def test_runs_files_and_tickets_of_an_s3_location(tmp_path):
    with moto_s3_server() as s3_server, SandboxProcess(tickets=25, seed=3, rate_limit=1000000,
                                                       export_rate_limit=0) as sandbox:
        s3 = boto3.client("s3", endpoint_url=s3_server.url, **{
            "aws_access_key_id": "testing", "aws_secret_access_key": "testing-secret", "region_name": "us-east-1"})
        s3.create_bucket(Bucket="backups")
        uri = "s3://backups/zendesk/acme"
        env = crawl_env(sandbox.url, tmp_path / "unused", ZENDESK_EXPORT_URI=uri, AWS_ENDPOINT_URL=s3_server.url,
                        ZENDESK_FORMATS="json,jsonl,xml", **AWS_ENV)
        crawl = run_crawl(sandbox.url, tmp_path / "unused", "-a", "start_time=0", "-a", "attachments=true",
                          ZENDESK_EXPORT_URI=uri, AWS_ENDPOINT_URL=s3_server.url, ZENDESK_FORMATS="json,jsonl,xml",
                          **AWS_ENV)
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        manifest_key = next(o["Key"] for o in s3.list_objects_v2(Bucket="backups")["Contents"]
                            if "/manifest-" in o["Key"])
        manifest = json.loads(s3.get_object(Bucket="backups", Key=manifest_key)["Body"].read())
        with web_server({**env, "ZENDESK_WEB_CACHE": str(tmp_path / "cache")}) as web:
            html = get(web.url + "/")[2].decode()
            assert f'id="run-{manifest["run_id"]}"' in html and "testing-secret" not in html
            name = next(f.rsplit("/", 1)[1] for f in manifest["files"] if f.endswith(".xml"))
            status, headers, body = get(f"{web.url}/files/{name}")
            assert status == 200 and headers["content-type"].startswith("application/xml")
            assert body == s3.get_object(Bucket="backups", Key=f"zendesk/acme/{name}")["Body"].read()
            assert get(f"{web.url}/files/..%2f..%2fother-prefix%2fstate.json")[0] == 404

            records = [json.loads(line) for f in manifest["files"] if f.endswith(".jsonl") and "/tickets-" in f
                       for line in s3.get_object(Bucket="backups", Key=f.split("/", 3)[3])["Body"].iter_lines()]
            with_image = next(r for r in records if any(
                (a.get("stored_file") or {}).get("path") for c in r["comments"] for a in c.get("attachments") or []))
            page = get(f"{web.url}/tickets/{with_image['id']}")[2].decode()
            assert page.count('<li class="comment') == len(with_image["comments"])
            attachment = next(a for c in with_image["comments"] for a in c.get("attachments") or []
                              if (a.get("stored_file") or {}).get("path"))
            stored = get(f"{web.url}/tickets/{with_image['id']}/attachments/{attachment['id']}")[2]
            assert stored == s3.get_object(Bucket="backups", Key=f"zendesk/acme/{attachment['stored_file']['path']}"
                                           )["Body"].read()

            # A run elsewhere holds the lease: Extract now says so instead of starting another.
            lease = {"run_id": "20990101T000000Z-cccccc", "since": "2099-01-01T00:00:00Z",
                     "expires_at": int(time.time()) + 3600, "pid": 1, "host": "elsewhere"}
            s3.put_object(Bucket="backups", Key="zendesk/acme/state.json.lock", Body=json.dumps(lease).encode())
            html = get(web.url + "/")[2].decode()
            assert "Run 20990101T000000Z-cccccc holds the export location" in html
            token = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            status, headers, _ = get(web.url + "/extract", data=f"csrf={token}".encode())
            assert status == 303 and headers["location"] == "/?notice=busy"
            assert json.loads(get(web.url + "/status.json")[2])["job"] is None


