"""The satisfaction rating and Help Center streams on Zendesk's documented answers: requests, pages, positions."""

import json
from urllib.parse import urlsplit

from scrapy.http import TextResponse

from tests.unit.test_streams import create_spider, query, respond, told
from zendesk_crawler.items import ArticleRecord, CategoryRecord, SatisfactionRatingRecord, SectionRecord
from zendesk_crawler.run import signals as zendesk_signals
from zendesk_crawler.run.positions import StreamPosition


def test_articles_come_from_the_incremental_export_with_translations_and_the_end_time_second_once(tmp_path,
                                                                                                   sample):
    articles = create_spider(tmp_path, streams="articles").streams["articles"]
    pages = told(articles, zendesk_signals.page_received)
    (request,) = articles.start_requests()
    assert urlsplit(request.url).path == "/api/v2/help_center/incremental/articles.json"
    assert query(request) == {"start_time": "0", "include": "translations"}  # no per_page: not documented
    article = json.loads(sample("help_center_incremental_articles.json"))["articles"][0]

    def at(article_id, second):
        return {**article, "id": article_id, "updated_at": f"2021-04-06T18:20:{second:02d}Z"}

    t = 1617733200
    full = [at(i, 10) for i in range(1, 1000)] + [at(1000, 32)]
    first = {"articles": full, "next_page": f"https://acme.zendesk.com/x?start_time={t + 32}", "end_time": t + 32,
             "count": 1000}
    out = list(articles.parse_page(respond(request, first)))
    assert len(out) == 1001 and all(isinstance(r, ArticleRecord) for r in out[:-1])
    assert out[0]["translations"] == article["translations"]  # every article with its translations
    assert query(out[-1]) == {"start_time": str(t + 32), "include": "translations"}
    last = {"articles": [at(1000, 32), at(1001, 32)], "next_page": None, "end_time": t + 32, "count": 2}
    assert [r["id"] for r in articles.parse_page(respond(out[-1], last))] == [1001]  # 1000 came twice
    assert pages[1] == {"stream": "articles", "page": 2, "position": t + 32, "end_of_stream": True,
                        "repeats": [(1000, "2021-04-06T18:20:32Z"), (1001, "2021-04-06T18:20:32Z")]}


def test_a_page_that_is_not_full_ends_the_article_export(tmp_path, sample):
    articles = create_spider(tmp_path, streams="articles").streams["articles"]
    ended = told(articles, zendesk_signals.stream_ended)
    (request,) = articles.start_requests()
    body = json.loads(sample("help_center_incremental_articles.json"))
    body["next_page"] = "https://acme.zendesk.com/api/v2/help_center/incremental/articles.json?start_time=1617733232"
    assert [dict(r) for r in articles.parse_page(respond(request, body))] == body["articles"]
    assert len(ended) == 1


def test_categories_and_sections_are_cursor_lists_with_translations(tmp_path, sample):
    spider = create_spider(tmp_path, streams="categories,sections", settings={"ZENDESK_LIST_PAGE_SIZE": 2})
    for name, record_class in (("categories", CategoryRecord), ("sections", SectionRecord)):
        stream = spider.streams[name]
        (request,) = stream.start_requests()
        assert urlsplit(request.url).path == f"/api/v2/help_center/{name}.json"
        assert query(request) == {"page[size]": "2", "include": "translations"}
        body = json.loads(sample(f"help_center_{name}.json"))
        out = list(stream.parse_page(respond(request, {**body, "meta": {"has_more": True, "after_cursor": "c"}})))
        assert [dict(r) for r in out[:-1]] == body[name] and all(isinstance(r, record_class) for r in out[:-1])
        assert query(out[-1])["page[after]"] == "c"
        assert stream.needs_feature == "the Help Center"


def test_ratings_are_read_in_full_and_exported_from_the_updated_at_position(tmp_path, sample):
    ratings = create_spider(tmp_path, streams="satisfaction_ratings").streams["satisfaction_ratings"]
    body = json.loads(sample("satisfaction_ratings.json"))
    old, changed = body["satisfaction_ratings"]  # changed: created 2012-02-01, updated 2012-02-02T10:32:59Z
    ratings.resume_from(StreamPosition(start_time=1328000000))  # 2012-01-31: after old, before changed's update
    pages = told(ratings, zendesk_signals.page_received)
    (request,) = ratings.start_requests()
    assert query(request) == {"page[size]": "100"}  # no start_time: it filters by created_at
    first = {**body, "meta": {"has_more": True, "after_cursor": "c1"}}
    out = list(ratings.parse_page(respond(request, first)))
    assert [r["id"] for r in out[:-1]] == [changed["id"]] and isinstance(out[0], SatisfactionRatingRecord)
    assert pages[0]["position"] is None  # the newest second is known only at the end
    again = {**body, "satisfaction_ratings": [old], "meta": {"has_more": False}}
    assert list(ratings.parse_page(respond(out[-1], again))) == []
    assert pages[1] == {"stream": "satisfaction_ratings", "page": 2, "position": 1328178779, "end_of_stream": True,
                        "repeats": [(changed["id"], changed["updated_at"])]}


def test_ratings_of_the_saved_second_already_stored_are_not_exported_again(tmp_path, sample):
    ratings = create_spider(tmp_path, streams="satisfaction_ratings").streams["satisfaction_ratings"]
    body = json.loads(sample("satisfaction_ratings.json"))
    changed = body["satisfaction_ratings"][1]
    ratings.resume_from(StreamPosition(start_time=1328178779,
                                       already_stored={(changed["id"], changed["updated_at"])}))
    (request,) = ratings.start_requests()
    assert list(ratings.parse_page(respond(request, body))) == []


def test_a_rating_changed_while_the_list_is_read_keeps_the_position_at_the_first_answer(tmp_path, sample):
    ratings = create_spider(tmp_path, streams="satisfaction_ratings").streams["satisfaction_ratings"]
    pages = told(ratings, zendesk_signals.page_received)
    (request,) = ratings.start_requests()
    rating = json.loads(sample("satisfaction_ratings.json"))["satisfaction_ratings"][0]
    answered = 1700000000  # Tue, 14 Nov 2023 22:13:20 GMT
    first = TextResponse(request.url, request=request, headers={
        "Content-Type": "application/json", "Date": "Tue, 14 Nov 2023 22:13:20 GMT"}, body=json.dumps({
            "satisfaction_ratings": [{**rating, "id": 1, "updated_at": "2023-11-14T22:00:00Z"}],
            "meta": {"has_more": True, "after_cursor": "c1"}}).encode())
    following = list(ratings.parse_page(first))[-1]
    during = {**rating, "id": 2, "updated_at": "2023-11-14T22:13:25Z"}  # changed after the first answer
    last = {"satisfaction_ratings": [during], "meta": {"has_more": False}}
    assert [r["id"] for r in ratings.parse_page(respond(following, last))] == [2]
    assert pages[-1]["position"] == answered and pages[-1]["repeats"] == [(2, during["updated_at"])]
