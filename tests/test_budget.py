"""Request budget arithmetic and Zendesk's rate-limit headers."""

from zendesk_crawler.budget import SlidingWindowBudget, account_budget, endpoint_budget


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_sliding_window_never_allows_more_than_the_limit_in_any_window():
    clock = FakeClock()
    budget = SlidingWindowBudget(limit=3, window=60, clock=clock)
    sent = []
    while clock.now < 1000 + 300:
        wait = budget.delay()
        if wait > 0:
            clock.now += wait
            continue
        budget.record()
        sent.append(clock.now)
        clock.now += 0.5
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 60) <= 3
    assert len(sent) >= 15  # and it uses the budget: 3 per minute over 5 minutes


def test_account_headers_old_and_new_names():
    assert account_budget({"x-rate-limit": "700", "x-rate-limit-remaining": "699"}).limit == 700
    reading = account_budget({"ratelimit-limit": "400", "ratelimit-remaining": "3", "ratelimit-reset": "17"})
    assert (reading.limit, reading.remaining, reading.resets_in) == (400, 3, 17)
    assert account_budget({"rate-limit": "200", "rate-limit-remaining": "0", "rate-limit-reset": "5"}).remaining == 0
    assert account_budget({"x-rate-limit": "junk"}).limit is None


def test_endpoint_header():
    reading = endpoint_budget("total=10; remaining=0; resets=42")
    assert (reading.limit, reading.remaining, reading.resets_in) == (10, 0, 42)
    assert endpoint_budget(None).limit is None
