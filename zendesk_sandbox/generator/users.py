"""Users: admins, agents and end-users, a few deleted, and the person of interest whose tickets fill pages."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from .. import content
from ..encoding import dumps, iso
from .groups import GROUP_IDS
from .layout import FIRST_USER_ID, HISTORY_SECONDS
from .options import Options
from .randomness import FastRandom, mix

#: The "person of interest" (an agent, ``agent2@sandbox.example.com``): requester of every 50th ticket (id % 50 == 7),
#: e-mail CC'd on every 9th (id % 9 == 4), follower of every other (id % 2 == 1), and (as an agent) author of many
#: comments: one person whose tickets fill several pages of each per-user list. Set without consuming random draws.
PERSON_INDEX = 2
LOCALES = ((1, "en-US", "Amsterdam"), (8, "de", "Berlin"), (66, "ar", "Riyadh"), (30, "he", "Jerusalem"),
           (67, "ja", "Tokyo"), (27, "ru", "Moscow"), (1, "en-US", "Eastern Time (US & Canada)"))
IANA_TIME_ZONES = {"Amsterdam": "Europe/Amsterdam", "Berlin": "Europe/Berlin", "Riyadh": "Asia/Riyadh",
                   "Jerusalem": "Asia/Jerusalem", "Tokyo": "Asia/Tokyo", "Moscow": "Europe/Moscow",
                   "Eastern Time (US & Canada)": "America/New_York"}


class Users:
    """The seeded users: the admin, ``max(4, tickets // 400)`` agents, ``max(30, tickets // 4)`` end-users (about
    3 % of them deleted, the middle one always), in one id range from ``FIRST_USER_ID``."""

    def __init__(self, options: Options, organization_ids: tuple[int, ...]) -> None:
        self.options = options
        self._organization_ids = organization_ids
        rng = FastRandom(mix(options.seed, 1))
        n = options.tickets
        agents = max(4, n // 400)
        self.agent_ids: tuple[int, ...] = tuple(range(FIRST_USER_ID, FIRST_USER_ID + 1 + agents))
        #: See ``PERSON_INDEX``.
        self.person_id: int = self.agent_ids[PERSON_INDEX]
        first_end_user = self.agent_ids[-1] + 1
        self.end_user_ids: tuple[int, ...] = tuple(range(first_end_user, first_end_user + max(30, n // 4)))
        deleted = {uid for uid in self.end_user_ids if rng.random() < 0.03}
        deleted.add(self.end_user_ids[len(self.end_user_ids) // 2])
        self.deleted_ids: frozenset[int] = frozenset(deleted)
        self._last_id = self.end_user_ids[-1]

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def identity(self, user_id: int) -> tuple[str, str, int | None]:
        """A user's name, email and organization (what tickets and e-mail ``via`` need of them)."""
        rng = FastRandom(mix(self.options.seed, 2, user_id))
        if user_id == FIRST_USER_ID:
            return "Sandbox Admin", self.options.admin_email, None
        name = content.person_name(rng)
        if user_id in self.agent_ids:
            return name, f"agent{user_id - FIRST_USER_ID}@sandbox.example.com", None
        email = (f"user{user_id - FIRST_USER_ID}{rng.choice(('', '+tag', '.x'))}"
                 f"@example.{rng.choice(('com', 'net', 'org'))}")
        return name, email, None if rng.random() < 0.4 else rng.choice(self._organization_ids)

    def _times(self, user_id: int) -> tuple[int, int]:
        """A user's created_at and updated_at (the first draws of :meth:`user`, cheap for ordering every user)."""
        rng = FastRandom(mix(self.options.seed, 16, user_id))
        created = self.options.epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        return created, rng.randint(created, self.options.epoch)

    def updated_at(self, user_id: int) -> int:
        """A seeded user's updated_at (the users export's order)."""
        return self._times(user_id)[1]

    @lru_cache(maxsize=4096)  # noqa: B019 - one generator lives as long as its sandbox
    def user(self, user_id: int) -> dict[str, Any]:
        """The full user object as the ``users`` sideload and the users export carry it (members as in
        ``incremental_users_cursor.json``, a real users export recording).

        Deleted users are inactive, with ``email`` null and ``permanently_deleted: false`` appended, as in a
        real users export recording (``incremental_users_cursor.json``); sideloads never carry them.
        """
        rng = FastRandom(mix(self.options.seed, 16, user_id))
        epoch = self.options.epoch
        is_admin = user_id in (FIRST_USER_ID, FIRST_USER_ID + 1)
        is_agent = user_id in self.agent_ids
        staff = is_agent or is_admin
        deleted = user_id in self.deleted_ids
        name, email, organization_id = self.identity(user_id)
        created = epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, epoch)
        locale_id, locale, time_zone = rng.choice(LOCALES)
        user = {
            "id": user_id,
            "url": f"{self.options.base_url}/api/v2/users/{user_id}.json",
            "name": name,
            "email": None if deleted else email,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "time_zone": time_zone,
            "iana_time_zone": IANA_TIME_ZONES[time_zone],
            "phone": f"+31 20 {rng.randint(1000000, 9999999)}" if rng.random() < 0.2 else None,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": locale_id,
            "locale": locale,
            "organization_id": organization_id,
            "role": "admin" if is_admin else "agent" if is_agent else "end-user",
            "verified": rng.random() < 0.9,
            "external_id": f"crm-{user_id}" if rng.random() < 0.2 else None,
            "tags": content.tags(rng) if rng.random() < 0.2 else [],
            "alias": rng.choice(content.FIRST_NAMES) if staff and rng.random() < 0.3 else None,
            "active": not deleted,
            "shared": False,
            "shared_agent": False,
            "last_login_at": iso(rng.randint(updated, epoch)) if staff or rng.random() < 0.5 else None,
            "two_factor_auth_enabled": None,
            "signature": f"{name}\r\n{rng.choice(content.SCRIPTS)}" if staff and rng.random() < 0.5 else None,
            "details": rng.choice(content.SPECIAL) if rng.random() < 0.05 else None,
            "notes": rng.choice(content.MARKUP) if rng.random() < 0.05 else None,
            "role_type": 4 if is_admin else 0 if is_agent else None,
            "custom_role_id": None,
            "moderator": staff,
            "ticket_restriction": None if staff else "requested",
            "only_private_comments": False,
            "restricted_agent": not staff,
            "suspended": False,
            "default_group_id": GROUP_IDS[0] if staff else None,
            "report_csv": is_admin,
            "user_fields": {"plan": rng.choice(("gold", "free", None)), "account_no": rng.randint(1, 10**6)}
            if rng.random() < 0.3 else {},
        }
        if deleted:
            user["permanently_deleted"] = False
        return user

    @cache  # noqa: B019 - one generator lives as long as its sandbox
    def json(self, user_id: int) -> bytes:
        """The user object's JSON, encoded once and kept (about 1 kB a user)."""
        return dumps(self.user(user_id))

    def is_user(self, user_id: Any) -> bool:
        """Whether an id (of any JSON type) names a seeded user, deleted or not (sideloads go through
        :class:`~zendesk_sandbox.account.Account`, which knows the changes)."""
        return type(user_id) is int and FIRST_USER_ID <= user_id <= self._last_id


def deleted_user(user: dict[str, Any]) -> dict[str, Any]:
    """A user object as it looks once deleted (inactive, no email, ``permanently_deleted: false`` last)."""
    user = {**user, "active": False, "email": None}
    user.pop("permanently_deleted", None)
    user["permanently_deleted"] = False
    return user
