"""The markers a restore leaves on what it creates, so that a rerun or a retry finds an object again before creating it.

A POST is not idempotent: a timeout after Zendesk created the object, a job status
that expired, or a kill between the answer and the stored id map must never create
a second ticket. Every ticket a restore imports carries two tags:

- ``zdc_restore_<source key>``: every ticket restored from one source account (one
  Search Export query lists them all, archived tickets included: lists by
  ``external_id`` leave archived tickets out, search does not);
- ``zdc_restore_<source key>_<source ticket id>``: which source ticket it is.

The source key is the first 8 hex digits of the SHA-256 of the source account's
host, so that two accounts restored into one target never claim each other's
tickets. Underscores, not hyphens: Zendesk's search reads a tag with underscores as one word.
Tags, not ``external_id``: a source ticket's own ``external_id`` is kept as it was. ``compare``
ignores these tags (``is_marker_tag``).

A user without an e-mail address gets ``external_id`` ``zdc_restore_<source key>_user_<source id>``
when the source had none (``create_or_update_many`` matches on it).
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "zdc_restore_"
#: Every tag a restore adds (the account tag and the per-ticket tag).
_MARKER_TAG = re.compile(r"zdc_restore_[0-9a-f]{8}(?:_[0-9]+)?")


def source_key(source_host: str) -> str:
    """The 8 hex digits that name a source account in its markers."""
    return hashlib.sha256(source_host.lower().encode()).hexdigest()[:8]


def account_tag(key: str) -> str:
    """The tag of every ticket restored from the source account ``key``."""
    return f"{PREFIX}{key}"


def ticket_tag(key: str, source_id: int) -> str:
    """The tag that says which source ticket a restored ticket is."""
    return f"{PREFIX}{key}_{source_id}"


def source_ticket_id(key: str, tags: list[str]) -> int | None:
    """The source ticket id a restored ticket's tags name, or ``None`` (not restored from ``key``)."""
    prefix = f"{PREFIX}{key}_"
    for tag in tags:
        if isinstance(tag, str) and tag.startswith(prefix) and tag[len(prefix):].isdigit():
            return int(tag[len(prefix):])
    return None


def user_external_id(key: str, source_id: int) -> str:
    """The ``external_id`` given to a restored user that has no e-mail address and no external id."""
    return f"{PREFIX}{key}_user_{source_id}"


def is_marker_tag(tag: str) -> bool:
    """Whether a tag is one a restore added (``compare`` leaves them out)."""
    return bool(_MARKER_TAG.fullmatch(tag))
