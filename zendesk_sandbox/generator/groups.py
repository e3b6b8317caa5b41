"""Groups: a fixed, hostile set (two share a name, scripts, markup, a deleted one), as ``/api/v2/groups.json``
lists them."""

from __future__ import annotations

from functools import cache
from typing import Any

from ..encoding import dumps, iso
from .layout import HISTORY_SECONDS
from .options import Options
from .randomness import FastRandom, mix

#: Groups: (id, name, description, default, is_public, deleted); tickets and organizations pick any of them,
#: the deleted one included. Two share a name; listed in (name, id) order, as Zendesk lists them.
GROUPS = (
    (70000000001, "Support", "", True, True, False),
    (70000000002, "Tier 2", "Second line", False, True, False),
    (70000000003, "Tier 2", "Second line (night shift)", False, True, False),
    (70000000004, "دعم فني — الشرق الأوسط", "فريق ‮RTL‬", False, True, False),
    (70000000005, "Billing 💳 / Facturación", "private", False, False, False),
    (70000000006, "<Escalations> & \"VIP\"", "]]> & <b>bold</b>", False, True, False),
    (70000000007, "Ünïcode Ωmega 𝕬 👨‍👩‍👧‍👦", "", False, True, False),
    (70000000008, "Legacy queue", "deleted long ago", False, True, True),
)
GROUP_IDS = tuple(group[0] for group in GROUPS)
DELETED_GROUP_ID = 70000000008


class Groups:
    """The seeded groups."""

    def __init__(self, options: Options) -> None:
        self.options = options

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def group(self, group_id: int) -> dict[str, Any]:
        """A group as ``/api/v2/groups.json`` lists it (the members of ``groups.json``, a real recording)."""
        row = next(g for g in GROUPS if g[0] == group_id)
        _, name, description, default, is_public, deleted = row
        rng = FastRandom(mix(self.options.seed, 22, group_id))
        created = self.options.epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, self.options.epoch - HISTORY_SECONDS)
        return {
            "url": f"{self.options.base_url}/api/v2/groups/{group_id}.json",
            "id": group_id,
            "is_public": is_public,
            "name": name,
            "description": description,
            "default": default,
            "deleted": deleted,
            "created_at": iso(created),
            "updated_at": iso(updated),
        }

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def json(self, group_id: int) -> bytes:
        """The group's JSON, encoded once and kept."""
        return dumps(self.group(group_id))
