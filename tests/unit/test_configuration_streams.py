"""The configuration streams on Zendesk's documented answers: cursor lists followed to their end, whole lists read
in one request, and a whole list that says more follows failing its stream instead of ending it."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.stats_keys import FAILURE_REASON, stream_failures
from zendesk_crawler.spiders.zendesk import ZendeskSpider
from zendesk_crawler.streams import STREAMS
from zendesk_crawler.streams.base import ListStream, WholeListStream
from zendesk_crawler.streams.configuration import CONFIGURATION_STREAMS

#: stream: (its documented sample, the sample's list key).
CURSOR_SAMPLES = {
    "user_fields": "user_fields.json", "organization_fields": "organization_fields.json", "brands": "brands.json",
    "macros": "macros.json", "triggers": "triggers.json", "automations": "automations.json", "views": "views.json",
    "dynamic_content": "dynamic_content_items.json", "group_memberships": "group_memberships.json",
    "organization_memberships": "organization_memberships.json",
}
WHOLE_SAMPLES = {"ticket_forms": "ticket_forms.json", "custom_statuses": "custom_statuses.json",
                 "sla_policies": "sla_policies.json", "schedules": "schedules.json"}


def stream_of(tmp_path, name, **settings):
    crawler = get_crawler(ZendeskSpider, {
        "ZENDESK_URL": "https://acme.zendesk.com", "ZENDESK_EMAIL": "ops@acme.test", "ZENDESK_API_TOKEN": "tok",
        "ZENDESK_EXPORT_URI": str(tmp_path), **settings})
    crawler.settings.frozen = False
    crawler.spider = crawler._create_spider(streams=name)
    crawler.settings.freeze()
    return crawler.spider.streams[name]


def ended(stream):
    received = []

    def receiver(**arguments):
        received.append(arguments["stream"])

    stream._receiver = receiver  # the signal keeps a weak reference
    stream.crawler.signals.connect(receiver, signal=zendesk_signals.stream_ended)
    return received


def respond(request, body):
    return TextResponse(request.url, body=json.dumps(body).encode(), request=request,
                        headers={"Content-Type": "application/json; charset=utf-8"})


def query(request):
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


@pytest.mark.parametrize("name", CURSOR_SAMPLES)
def test_a_cursor_configuration_list_is_followed_to_its_last_page(tmp_path, sample, name):
    stream = stream_of(tmp_path, name, ZENDESK_LIST_PAGE_SIZE=3)
    assert isinstance(stream, ListStream)
    done = ended(stream)
    (request,) = stream.start_requests()
    assert urlsplit(request.url).path == STREAMS[name].path and query(request) == {"page[size]": "3"}
    body = json.loads(sample(CURSOR_SAMPLES[name]))
    objects = body[stream.list_key]
    more = {**body, "meta": {**body["meta"], "has_more": True, "after_cursor": "next+/="}}
    out = list(stream.parse_page(respond(request, more)))
    assert [dict(r) for r in out[:-1]] == objects and all(isinstance(r, stream.record_class) for r in out[:-1])
    assert query(out[-1]) == {"page[size]": "3", "page[after]": "next+/="} and done == []
    last = list(stream.parse_page(respond(out[-1], body)))  # the sample: has_more false
    assert [dict(r) for r in last] == objects and done == [name]


@pytest.mark.parametrize("name", WHOLE_SAMPLES)
def test_a_whole_configuration_list_is_read_in_one_request(tmp_path, sample, name):
    stream = stream_of(tmp_path, name)
    assert isinstance(stream, WholeListStream)
    done = ended(stream)
    (request,) = stream.start_requests()
    assert request.url == f"https://acme.zendesk.com{STREAMS[name].path}"  # no page parameters: none exist
    body = json.loads(sample(WHOLE_SAMPLES[name]))
    records = list(stream.parse_page(respond(request, body)))
    assert [dict(r) for r in records] == body[stream.list_key] and done == [name]
    assert all(isinstance(r, stream.record_class) for r in records)


def test_a_whole_list_that_says_more_follows_fails_its_stream(tmp_path, sample):
    stream = stream_of(tmp_path, "sla_policies")
    done = ended(stream)
    (request,) = stream.start_requests()
    body = {**json.loads(sample("sla_policies.json")), "next_page": "https://acme.zendesk.com/api/v2/slas/policies.json?page=2"}
    assert list(stream.parse_page(respond(request, body))) == []
    assert done == [] and stream.crawler.stats.get_value(stream_failures("sla_policies")) == 1
    assert "SLA policy list stopped" in stream.crawler.stats.get_value(FAILURE_REASON)


def test_the_streams_an_account_or_role_may_lack_name_what_they_need():
    needs = {name: cls.needs_feature for name, cls in STREAMS.items()
             if cls.needs_feature and cls in CONFIGURATION_STREAMS}
    assert set(needs) == {"sla_policies", "schedules", "dynamic_content"}
    assert "SLA policies on the plan" in needs["sla_policies"] and "admin role" in needs["schedules"]
