"""S3 access for the state file, the run lock and the manifests (the feeds use Scrapy's own S3 storage).

The client is built like Scrapy's ``S3FeedStorage`` builds its own: from the
``AWS_*`` Scrapy settings when given, otherwise from boto3's usual chain
(environment, shared profile, instance role); ``AWS_ENDPOINT_URL`` points it at
any S3-compatible store.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings


def s3_client(settings: BaseSettings) -> Any:
    """A boto3 S3 client configured like Scrapy's S3 feed storage."""
    import boto3.session

    return boto3.session.Session().client(
        "s3",
        aws_access_key_id=settings.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=settings.get("AWS_SECRET_ACCESS_KEY") or None,
        aws_session_token=settings.get("AWS_SESSION_TOKEN") or None,
        endpoint_url=settings.get("AWS_ENDPOINT_URL") or None,
        region_name=settings.get("AWS_REGION_NAME") or None,
    )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` → ``("bucket", "some/key")``."""
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


def error_code(exc: BaseException) -> str:
    """The S3 error code of a botocore ``ClientError`` (``""`` for other errors)."""
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def describe_s3_error(exc: BaseException, uri: str) -> str:
    """One line a person can act on, for an S3 failure at ``uri``."""
    bucket, _ = split_s3_uri(uri)
    code = error_code(exc)
    if code == "NoSuchBucket":
        return f"the S3 bucket {bucket!r} does not exist ({uri})"
    if code in ("AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
        return f"S3 denied access to {uri} ({code}): check the AWS credentials and the bucket policy"
    if type(exc).__name__ == "NoCredentialsError":
        return f"no AWS credentials for {uri}: set them in the environment, a profile or an instance role"
    if type(exc).__name__ in ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError"):
        return f"cannot reach the S3 endpoint for {uri}: {exc}"
    return f"S3 error at {uri}: {code or type(exc).__name__}: {exc}"
