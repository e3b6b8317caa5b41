"""Organizations: names in many scripts, custom fields whose keys are no XML names, deletions and bulk updates."""

from __future__ import annotations

import calendar
import time
from functools import cache
from typing import Any

from .. import content
from ..encoding import dumps, iso
from .groups import GROUP_IDS
from .layout import HISTORY_SECONDS
from .options import Options
from .randomness import FastRandom, mix

FIRST_ORGANIZATION_ID = 80000000001
#: Custom organization fields: every organization carries every key (keys that are no XML names).
ORGANIZATION_FIELD_KEYS = ("1st_key", "ключ", "with space", "a:b", "😀", "xml<tag>", "plan", "since")
#: Organization indexes (0-based) with a special role: the same name, bulk-updated seconds, a forced deletion.
SAME_NAME_ORGANIZATIONS = (2, 3)
BULK_ORGANIZATIONS = ((5, 6, 7, 8, 9, 10), (15, 16, 17))
DELETED_ORGANIZATION = 12


class Organizations:
    """The seeded organizations: ids in one range from 80000000001, ``max(25, tickets // 20)`` of them; about 5 %
    deleted (index 12 always), two with the same name, two bulk-updated seconds that several of them share."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.ids: tuple[int, ...] = tuple(
            range(FIRST_ORGANIZATION_ID, FIRST_ORGANIZATION_ID + max(25, options.tickets // 20)))
        rng = FastRandom(mix(options.seed, 20))
        self.deleted_ids: frozenset[int] = frozenset(
            oid for i, oid in enumerate(self.ids)
            if (rng.random() < 0.05 and i not in SAME_NAME_ORGANIZATIONS) or i == DELETED_ORGANIZATION)
        self._bulk: dict[int, int] = {}
        for members in BULK_ORGANIZATIONS:
            second = options.epoch - rng.randint(86400, 15 * 86400)
            self._bulk.update((self.ids[i], second) for i in members)

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def organization(self, organization_id: int) -> dict[str, Any]:
        """An organization as the incremental organization export and the ``organizations`` sideload carry it.

        Members in the order of ``incremental_organizations.json`` (a real list recording's order, plus
        ``deleted_at`` last). Hostile: names in many scripts, two live organizations with the same name,
        ``organization_fields`` keys that are no XML names with values of every JSON type, control characters
        in ``notes``. A deleted organization has ``deleted_at`` (= ``updated_at``) and the name
        ``"{id}_deleted_{name}"``, as observed on Zendesk; bulk-updated ones share an ``updated_at`` second.
        """
        rng = FastRandom(mix(self.options.seed, 21, organization_id))
        epoch = self.options.epoch
        index = organization_id - FIRST_ORGANIZATION_ID
        created = epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, epoch)
        if organization_id in self._bulk:
            updated = self._bulk[organization_id]
            created = min(created, updated)
        if index in SAME_NAME_ORGANIZATIONS:
            name = "Acme Ünïcode GmbH"
        else:
            name = rng.choice((
                f"{rng.choice(content.LAST_NAMES)} & {rng.choice(content.LAST_NAMES)} "
                f"{rng.choice(('GmbH', 'Ltd', 'S.A.', 'K.K.', 'ООО', 'בע״מ'))}",
                f"{rng.choice(content.SCRIPTS)[:40]}",
                f"{rng.choice(content.EMOJI)} {rng.choice(content.FIRST_NAMES)} Corp",
                f"شركة {rng.choice(content.LAST_NAMES)} \u202eRTL\u202c",
            )) + f" #{index}"
        deleted = organization_id in self.deleted_ids
        fields = _custom_fields(rng, index)
        organization = {
            "url": f"{self.options.base_url}/api/v2/organizations/{organization_id}.json",
            "id": organization_id,
            "name": f"{organization_id}_deleted_{name}" if deleted else name,
            "shared_tickets": rng.random() < 0.3,
            "shared_comments": rng.random() < 0.2,
            "external_id": rng.choice((None, None, f"crm-org-{index}", "ext/\u00e9\u202e\u0001")),
            "created_at": iso(created),
            "updated_at": iso(updated),
            "domain_names": rng.choice(([], [f"org{index}.example.com"],
                                        ["bücher.example", f"org{index}.example.net"])),
            "details": rng.choice((None, "", rng.choice(content.SCRIPTS), rng.choice(content.MARKUP))),
            "notes": rng.choice((None, "", "line1\r\nline2\u0001\u000b\u2028end", rng.choice(content.SPECIAL))),
            "group_id": rng.choice((None, None, *GROUP_IDS)),
            "tags": content.tags(rng) if rng.random() < 0.5 else [],
            "organization_fields": fields,
            "deleted_at": iso(updated) if deleted else None,
        }
        return organization

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def json(self, organization_id: int) -> bytes:
        """The organization's JSON, encoded once and kept."""
        return dumps(self.organization(organization_id))

    def updated_at(self, organization_id: int) -> int:
        """A seeded organization's updated_at (the organization export's order)."""
        return calendar.timegm(time.strptime(self.organization(organization_id)["updated_at"], "%Y-%m-%dT%H:%M:%SZ"))


def _custom_fields(rng: FastRandom, index: int) -> dict[str, Any]:
    """Every custom organization field, each of its own type; ``xml<tag>`` holds lists and objects too."""
    values: list[Any] = [
        rng.choice(("gold", "ключ значение", "]]>", None)),
        rng.choice((42, -7, 0, 10**15, None)),
        rng.choice((3.14, 0.1, 1e-7, None)),
        rng.choice((True, False, None)),
        None,
        rng.choice((["a", 1, None], {"nested": {"k": [True, {"x:y": "\u202eRTL"}]}}, "<b>x</b>", None)),
        rng.choice(("premium", "free", None)),
        rng.choice(("2018-11-04T00:00:00+00:00", None)),
    ]
    if index == 0:  # the first organization carries every type at once
        values = ["gold", 42, 3.14, True, None, {"nested": {"k": [True, None]}}, "premium", "2018-11-04T00:00:00+00:00"]
    return dict(zip(ORGANIZATION_FIELD_KEYS, values, strict=True))
