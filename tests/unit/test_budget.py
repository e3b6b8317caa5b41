"""Request budget arithmetic and Zendesk's rate-limit headers."""

import math
import random

import pytest

from zendesk_crawler.middlewares.budget import AnnouncedBudget, SlidingWindowBudget, account_budget, endpoint_budget


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


class FixedWindowServer:
    """Zendesk's accounting: ``limit`` requests per fixed window of ``window`` s, ``other`` spent by others."""

    def __init__(self, limit, window, other=0):
        self.limit, self.window, self.other = limit, window, other
        self.counts = {}

    def answer(self, now):
        """Count a request arriving at ``now``; return (allowed, remaining, reset) as the headers say."""
        index = int(now // self.window)
        left = (index + 1) * self.window - now
        others = int(self.other * (1 - left / self.window))
        used = self.counts.get(index, 0)
        allowed = used + others < self.limit
        if allowed:
            self.counts[index] = used + 1
        return allowed, max(0, self.limit - self.counts.get(index, 0) - others), math.ceil(left)


def simulate(server, budget, requests, concurrency=16, latency=0.02):
    """Send ``requests`` through ``budget`` with up to ``concurrency`` in flight; return (429s, end time)."""
    clock = budget.clock
    in_flight = []  # (answer time, seq, arrival)
    sent = rejected = 0
    while sent < requests or in_flight:
        if sent < requests and len(in_flight) < concurrency and budget.delay() == 0:
            seq = budget.record()
            in_flight.append((clock.now + latency, seq, clock.now + latency / 2))
            sent += 1
            continue
        in_flight.sort()
        wait = budget.delay()
        next_answer = in_flight[0][0] if in_flight else float("inf")
        if in_flight and (wait == 0 or next_answer <= clock.now + wait):
            done, seq, arrival = in_flight.pop(0)
            clock.now = max(clock.now, done)
            allowed, remaining, reset = server.answer(arrival)
            rejected += not allowed
            budget.reading(seq, remaining, reset)
        else:
            clock.now += max(wait, 0.001)
    return rejected, clock.now


def test_announced_budget_follows_short_windows_it_was_not_told_about():
    clock = FakeClock()
    clock.now = 1000.3
    server = FixedWindowServer(limit=700, window=6)
    budget = AnnouncedBudget(clock=clock)
    budget.set_allowance(700, 700)
    budget.left = 0  # as if the first answer said the window is spent
    budget.reading(budget.record(), 0, 6)
    rejected, end = simulate(server, budget, requests=7000)
    assert rejected == 0
    assert max(server.counts.values()) <= 700
    minimum = 7000 / 700 * 6
    assert end - 1000.3 <= 1.10 * minimum + 6  # the windows are used, not waited out


def test_announced_budget_leaves_the_reserve_to_others():
    clock = FakeClock()
    server = FixedWindowServer(limit=200, window=60, other=100)  # another integration spends half
    budget = AnnouncedBudget(clock=clock)
    budget.set_allowance(200, 100)  # ZENDESK_RATE_LIMIT_SHARE=0.5
    rejected, _ = simulate(server, budget, requests=600)
    assert rejected == 0
    assert max(server.counts.values()) <= 100 + 16  # ours, within the share (plus what was in flight)


def test_announced_budget_ignores_answers_about_an_earlier_window():
    clock = FakeClock()
    budget = AnnouncedBudget(clock=clock)
    budget.set_allowance(100, 100)
    old = budget.record()
    budget.reading(budget.record(), 0, 5)  # spent until t+5
    assert budget.delay() == 5
    clock.now += 5
    assert budget.delay() == 0 and budget.left == 100  # a new window with the whole allowance
    budget.reading(old, 0, 1)  # a late answer from the old window
    assert budget.left == 100


def test_with_the_whole_budget_the_announced_remaining_is_the_only_authority():
    clock = FakeClock()
    budget = AnnouncedBudget(clock=clock)
    budget.set_allowance(700, 700)
    for _ in range(700):
        budget.reading(budget.record(), 700, 58)  # a server that never runs out
    assert budget.delay() == 0


@pytest.mark.parametrize("latency", [0.01, 0.3, 0.9])
def test_answers_slower_than_the_window_do_not_lead_to_429s(latency):
    # 1-second windows: every reset says 1, and on a loaded machine answers are read late.
    clock = FakeClock()
    clock.now = 1000.25
    server = FixedWindowServer(limit=120, window=1)
    budget = AnnouncedBudget(clock=clock)
    budget.set_allowance(120, 120)
    budget.reading(budget.record(), 119, 1)
    rejected, end = simulate(server, budget, requests=1200, latency=latency)
    assert rejected == 0 and max(server.counts.values()) <= 120
    # and the windows are used: the budget (10 windows) or 16 requests in flight is what limits
    assert end - 1000.25 <= 1.1 * max(1200 / 120, 1200 * latency / 16) + 2


def test_a_spent_budget_with_no_answer_on_its_way_assumes_the_configured_window():
    clock = FakeClock()
    budget = AnnouncedBudget(fallback_window=60, clock=clock)
    budget.set_allowance(100, 50)
    budget.reading(budget.record(), 99, 1)
    clock.now += 0.5
    lost = [budget.record() for _ in range(60)]  # these never get an answer: timeouts, say
    clock.now += 0.6  # past the window's end: those 60 may count in the next window
    assert budget.delay() == float("inf")  # their answers may still say how much is left
    for seq in lost:
        budget.answered(seq)
    assert budget.delay() == pytest.approx(60)  # nothing will say more: wait a configured window


def test_answers_without_headers_keep_the_configured_pace():
    clock = FakeClock()
    budget = AnnouncedBudget(fallback_window=60, clock=clock)
    budget.set_allowance(200, 100)
    budget.reading(budget.record(), 199, 30)
    sent = 1
    while clock.now < 1000 + 600:  # ten minutes of answers that announce nothing
        wait = budget.delay()
        if wait > 0:
            clock.now += wait
            continue
        budget.answered(budget.record())
        sent += 1
        clock.now += 0.1
    assert sent <= 100 * 11  # about the allowance per configured window, not thousands


@pytest.mark.parametrize("seed", range(5))
def test_slow_and_uneven_answers_do_not_break_the_share(seed):
    rng = random.Random(seed)
    clock = FakeClock()
    server = FixedWindowServer(limit=700, window=60)
    budget = AnnouncedBudget(clock=clock)
    budget.set_allowance(700, 350)  # ZENDESK_RATE_LIMIT_SHARE=0.5
    in_flight, sent = [], 0
    while clock.now < 1000 + 600:
        if len(in_flight) < 16 and budget.delay() == 0:
            seq = budget.record()
            sent += 1
            latency = rng.uniform(0.05, 1.5)
            in_flight.append((clock.now + latency, seq, clock.now + rng.uniform(0, latency)))
            continue
        in_flight.sort()
        if in_flight and in_flight[0][0] <= clock.now + min(budget.delay(), 0.01) + 0.01:
            done, seq, arrival = in_flight.pop(0)
            clock.now = max(clock.now, done)
            _, remaining, reset = server.answer(arrival)
            budget.reading(seq, remaining, reset)
        else:
            clock.now += 0.01
    assert max(server.counts.values()) <= 350 + 16
    assert sent >= 350 * 8  # and the share is used: ten windows, the first and last partly
