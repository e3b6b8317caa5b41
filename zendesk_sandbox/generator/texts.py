"""Comment bodies: a seeded pool of hostile texts, each encoded once, that every comment and description picks from.

Entry ``e`` of the pool always carries hostile fragment ``e % len(ALL_HOSTILE)``; the pool has ``2 * tickets``
entries (at least one per fragment, at most ``TEXT_POOL``), so a comment costs no text generation.
"""

from __future__ import annotations

from functools import cache, lru_cache

from .. import content
from ..encoding import encode
from .options import Options
from .randomness import FastRandom, mix

#: Distinct generated comment texts (fewer in small sandboxes).
TEXT_POOL = 4096


def text_members(text: str, html: str) -> tuple[str, bytes, bytes]:
    """A body, the JSON of its ``"body":…,"html_body":…,"plain_body":…`` members, and of its ``"body":…,
    "html_body":…`` members alone; in both, the ``html_body`` string ends right before ``len(body_html) - 1``."""
    body_html = f'"body":{encode(text)},"html_body":{encode(html)}'.encode()
    return text, body_html + b',"plain_body":' + encode(content.plain_body(text)).encode("utf-8"), body_html


class Texts:
    """The text pool, the nearly-64 kB bodies and the 1 MB ones."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.pool = max(len(content.ALL_HOSTILE), min(2 * options.tickets, TEXT_POOL))

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def text(self, entry: int, long: bool = False) -> tuple[str, bytes, bytes]:
        """Text pool entry: a body, the JSON of its ``"body":…,"html_body":…,"plain_body":…`` members, and
        of its ``"body":…,"html_body":…`` members alone (what a comment event carries).

        Entry ``e`` always carries hostile fragment ``e % len(ALL_HOSTILE)``; long entries are just
        under Zendesk's 64 kB body limit.
        """
        rng = FastRandom(mix(self.options.seed, 5, entry, long))
        text = content.body(rng, content.ALL_HOSTILE[entry % len(content.ALL_HOSTILE)], long)
        return text_members(text, content.html_body(text, rng))

    @lru_cache(maxsize=8)  # noqa: B019 - one generator lives as long as its sandbox
    def huge(self, ticket_id: int, index: int) -> tuple[str, bytes, bytes]:
        """A body of about 1 MB (``huge_comment``): far over Zendesk's 64 kB cap, hostile all the way."""
        rng = FastRandom(mix(self.options.seed, 18, ticket_id, index))
        text = content.body(rng, content.ALL_HOSTILE[index % len(content.ALL_HOSTILE)], size=content.HUGE_BODY_BYTES)
        return text_members(text, content.html_body(text, rng))

    def first_entry(self, ticket_id: int, number: int) -> tuple[int, bool]:
        """Text of a ticket's first comment (its description): ticket ``number`` picks the hostile fragment,
        so any ``len(ALL_HOSTILE)`` consecutive tickets carry every fragment; 1 in 97 is nearly 64 kB."""
        fragments = len(content.ALL_HOSTILE)
        if number % 97 == 5:
            return number % fragments, True
        entry = number % fragments + fragments * (mix(self.options.seed, 13, ticket_id) % (self.pool // fragments))
        return entry, False
