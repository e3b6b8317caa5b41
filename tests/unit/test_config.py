"""The run context: target, credentials, start_time and limits are validated before any request."""

import base64

import pytest
from scrapy.settings import Settings

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.spiders.arguments import parse_run_arguments, parse_start_time

NOW = 1_750_000_000.0
BASE = {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok123"}


def config(args=None, **settings):
    values = {**BASE, **settings}
    return parse_run_arguments(Settings({k: v for k, v in values.items() if v is not None}), args or {}, now=NOW)


def test_api_token_auth_is_basic_email_slash_token():
    cfg = config()
    assert cfg.base_url == "https://acme.zendesk.com"
    assert cfg.auth_header == "Basic " + base64.b64encode(b"ops@acme.test/token:tok123").decode()
    assert "tok123" not in repr(cfg) and cfg.auth_header not in repr(cfg)


def test_oauth_token_is_bearer_and_url_wins_over_subdomain():
    cfg = config(ZENDESK_EMAIL=None, ZENDESK_API_TOKEN=None, ZENDESK_OAUTH_TOKEN="oa",
                 ZENDESK_URL="http://127.0.0.1:8080/")
    assert cfg.auth_header == "Bearer oa"
    assert cfg.base_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize("settings, message", [
    ({"ZENDESK_SUBDOMAIN": None}, "no Zendesk account configured"),
    ({"ZENDESK_SUBDOMAIN": "acme.zendesk.com"}, "bare subdomain"),
    ({"ZENDESK_URL": "acme.zendesk.com"}, "http(s) URL"),
    ({"ZENDESK_URL": "https://acme.zendesk.com/api/v2"}, "without a path"),
    ({"ZENDESK_URL": "http://joe:hunter2@127.0.0.1:8080"}, "must not carry a user or password (http://127.0.0.1:8080"),
    ({"ZENDESK_API_TOKEN": None}, "ZENDESK_API_TOKEN is not set"),
    ({"ZENDESK_EMAIL": None}, "ZENDESK_EMAIL is not set"),
    ({"ZENDESK_OAUTH_TOKEN": "x"}, "keep only one way"),
    ({"ZENDESK_EMAIL": None, "ZENDESK_API_TOKEN": None}, "no credentials"),
    ({"ZENDESK_EXPORT_URI": "ftp://host/x"}, "local directory or s3://"),
    ({"ZENDESK_EXPORT_URI": "s3://"}, "names no bucket"),
    ({"ZENDESK_EXPORT_PAGE_SIZE": "0"}, "between 1 and 1000"),
    ({"ZENDESK_COMMENTS_PAGE_SIZE": "101"}, "between 1 and 100"),
    ({"ZENDESK_COMMENTS_PAGE_SIZE": "ten"}, "whole number"),
])
def test_invalid_settings_are_one_line_errors(settings, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        config(**settings)
    assert "\n" not in str(info.value)


def test_state_lives_with_the_exports_by_default():
    assert config(ZENDESK_EXPORT_URI="s3://bucket/zd/").state_uri == "s3://bucket/zd/state.json"
    assert config().state_uri == "output/state.json"
    assert config(ZENDESK_STATE_URI="/var/lib/zd/state.json").state_uri == "/var/lib/zd/state.json"


@pytest.mark.parametrize("value, expected", [
    (None, int(NOW) - 30 * 86400),
    ("0", 0),
    ("1700000000", 1_700_000_000),
    ("2024-06-01", 1_717_200_000),
    ("2024-06-01T12:00:00Z", 1_717_243_200),
    ("2024-06-01T14:00:00+02:00", 1_717_243_200),
    ("2024-06-01T12:00:00", 1_717_243_200),
])
def test_start_time_accepts_unix_seconds_and_iso_8601(value, expected):
    assert parse_start_time(value, NOW) == expected


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "-5", "1.5e9", str(int(NOW) - 30), "2999-01-01"])
def test_bad_start_time_is_rejected(value):
    with pytest.raises(ConfigError, match="start_time"):
        parse_start_time(value, NOW)


def test_spider_arguments_are_checked():
    assert config({"ignore_cursor": "true"}).ignore_cursor is True
    assert config({"start_time": "0"}).start_time_given is True
    with pytest.raises(ConfigError, match="ignore_cursor must be true or false"):
        config({"ignore_cursor": "maybe"})
    with pytest.raises(ConfigError, match="unknown spider argument"):
        config({"start_tim": "0"})


def test_export_page_size_is_zendesks_maximum_by_default():
    assert config().export_page_size == 1000
    assert config({"comments": "events"}).export_page_size == 1000
    assert config(ZENDESK_EXPORT_PAGE_SIZE="500").export_page_size == 500
    assert config().tickets_in_progress == 100
    with pytest.raises(ConfigError, match="ZENDESK_TICKETS_IN_PROGRESS must be between 1"):
        config(ZENDESK_TICKETS_IN_PROGRESS="0")


def test_a_password_in_zendesk_url_is_refused_without_being_repeated():
    with pytest.raises(ConfigError) as raised:
        config(ZENDESK_URL="https://joe:hunter2@acme.zendesk.com")
    assert "hunter2" not in str(raised.value) and "joe" not in str(raised.value)
