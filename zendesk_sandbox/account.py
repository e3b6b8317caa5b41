"""The rest of the account besides tickets: users, organizations, groups and ticket fields, with their changes.

The seeded objects come from the :class:`~zendesk_sandbox.generator.Generator`; this keeps only what changes
made to them (overrides per record, created records, deletions) and the export orders, so a sandbox of
100,000 tickets (25,000 users, 5,000 organizations) stays small. Every record is served from one JSON
encoding, the same bytes for the exports, the lists, the sideloads and the truth. Thread-safe.
"""

from __future__ import annotations

import bisect
import calendar
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .clock import Clock
from .encoding import dumps, iso
from .generator import Generator
from .generator.groups import DELETED_GROUP_ID, GROUP_IDS
from .generator.layout import FIRST_USER_ID
from .generator.ticket_fields import SYSTEM_FIELDS, ticket_field_ids
from .generator.users import deleted_user

STREAMS = ("users", "organizations", "groups", "ticket_fields")
#: The change operations each stream takes in ``POST /_sandbox/changes``.
STREAM_OPERATIONS = {
    "users": ("update", "create", "delete"),
    "organizations": ("update", "create", "delete"),
    "groups": ("update",),
    "ticket_fields": ("update",),
}
#: Records changed (and created) in the most recent minute are not exported yet (as for tickets).
EXPORT_DELAY = 60
#: Ids of groups and ticket fields created through the write endpoints (users and organizations go on after the
#: seeded ranges).
FIRST_WRITTEN_IDS = {"groups": 70000001001, "ticket_fields": 360009000001}


def renamed(name: str, change: int) -> str:
    """The name (or title) a record gets from its ``change``-th update change."""
    return f"{name} \u270e{change}"


def unix(timestamp: str) -> int:
    """Zendesk's ``2024-06-19T11:40:22Z`` as unix seconds."""
    return calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))


class Account:
    """Users, organizations, groups and ticket fields as they are now; changes applied by the control API."""

    def __init__(self, generator: Generator, clock: Clock) -> None:
        self.generator = generator
        self.clock = clock
        self._lock = threading.RLock()
        #: Per stream: record id → the record as it is now (only records that changed or were created).
        self._changed: dict[str, dict[int, dict[str, Any]]] = {stream: {} for stream in STREAMS}
        #: Per stream: record id → its JSON (exactly the changed records).
        self._json: dict[str, dict[int, bytes]] = {stream: {} for stream in STREAMS}
        self._created_users: list[int] = []
        self._created_organizations: list[int] = []
        self._next_user_id = generator.users.end_user_ids[-1] + 1
        self._next_organization_id = generator.organizations.ids[-1] + 1
        seeded = generator.options.account == "seeded"
        users = generator.users
        #: The generated records the account has: all of them when seeded; a new account (``empty``, ``partial``)
        #: has only its admin (the configured credentials' user), the default group and the system ticket fields.
        self._seeded_users: tuple[int, ...] = (*users.agent_ids, *users.end_user_ids) if seeded else (FIRST_USER_ID,)
        self._seeded_organizations: tuple[int, ...] = generator.organizations.ids if seeded else ()
        self._group_ids: list[int] = list(GROUP_IDS) if seeded else [GROUP_IDS[0]]
        self._field_ids: list[int] = list(ticket_field_ids()) if seeded else [f[0] for f in SYSTEM_FIELDS]
        self._next_ids = dict(FIRST_WRITTEN_IDS)
        self._deleted_users: set[int] = set(generator.users.deleted_ids) if seeded else set()
        self._deleted_organizations: set[int] = set(generator.organizations.deleted_ids) if seeded else set()
        #: Export orders, (updated_at, id), built on first use.
        self._user_order: list[tuple[int, int]] | None = None
        self._organization_order: list[tuple[int, int]] | None = None
        self._renames = 0

    # ------------------------------------------------------------------ users

    def user_ids(self) -> list[int]:
        """Every user id: agents (admins first), end users, then users created by changes."""
        return [*self._seeded_users, *self._created_users]

    def is_user(self, user_id: Any) -> bool:
        """Whether an id (of any JSON type) names a user of the account, deleted or not."""
        if type(user_id) is not int:
            return False
        if user_id in self._changed["users"]:
            return True
        if len(self._seeded_users) == 1:
            return user_id == self._seeded_users[0]
        return self.generator.users.is_user(user_id)

    def is_deleted_user(self, user_id: int) -> bool:
        return user_id in self._deleted_users

    def user(self, user_id: int) -> dict[str, Any]:
        """The user object as it is now."""
        changed = self._changed["users"].get(user_id)
        return changed if changed is not None else self.generator.users.user(user_id)

    def user_json(self, user_id: int) -> bytes:
        """The user's JSON as every endpoint serves it now."""
        changed = self._json["users"].get(user_id)
        return changed if changed is not None else self.generator.users.json(user_id)

    def _email_index(self) -> dict[str, int]:
        """Lower-cased e-mail → id of every seeded user (their addresses never change but by a change), built once."""
        index = getattr(self, "_emails", None)
        if index is None:
            users = self.generator.users
            index = {}
            for uid in self._seeded_users:
                index.setdefault(users.identity(uid)[1].lower(), uid)
            self._emails = index
        return index

    def user_email(self, user_id: int) -> str | None:
        """A live user's e-mail address now (None once deleted)."""
        if user_id in self._deleted_users:
            return None
        changed = self._changed["users"].get(user_id)
        return changed.get("email") if changed is not None else self.generator.users.identity(user_id)[1]

    def user_id_by_email(self, email: str) -> int | None:
        """The live user with this e-mail address (case-insensitive), else None."""
        wanted = email.lower()
        with self._lock:
            for uid, user in self._changed["users"].items():
                if isinstance(user.get("email"), str) and user["email"].lower() == wanted \
                        and uid not in self._deleted_users:
                    return uid
            uid = self._email_index().get(wanted)
            if uid is None or uid in self._deleted_users or uid in self._changed["users"]:
                return None
            return uid

    def users_matching(self, text: str) -> list[int]:
        """Ids of live users whose name or e-mail contains ``text`` (``email:x`` looks at e-mail addresses only),
        case-insensitive, ascending: what the users search answers here. Zendesk matches "the partial or full
        value" of a property, so ``email:jane@example.co`` finds jane@example.com: the caller must check."""
        text = text.strip()
        email_only = text.lower().startswith("email:")
        if email_only:
            text = text[len("email:"):]
        wanted = text.strip('"').lower()
        if not wanted:
            return []
        out = []
        with self._lock:
            for uid in self.user_ids():
                if uid in self._deleted_users:
                    continue
                changed = self._changed["users"].get(uid)
                name, email = (changed["name"], changed.get("email") or "") if changed is not None \
                    else self.generator.users.identity(uid)[:2]
                if wanted in email.lower() or (not email_only and wanted in name.lower()):
                    out.append(uid)
        return sorted(out)

    def sideload_user_ids(self, user_ids: Iterable[Any]) -> list[int]:
        """Ids for a ``users`` sideload: unique, ascending; deleted users, ids of nobody and ids that are not
        integers (``odd`` tickets) left out, as Zendesk sideloads only users it has."""
        deleted = self._deleted_users
        return sorted({uid for uid in user_ids if self.is_user(uid) and uid not in deleted})

    def _users_order(self) -> list[tuple[int, int]]:
        """(updated_at, id) of every user, ascending. Caller holds the lock."""
        if self._user_order is None:
            generator, changed = self.generator, self._changed["users"]
            self._user_order = sorted(
                (unix(changed[uid]["updated_at"]) if uid in changed else generator.users.updated_at(uid), uid)
                for uid in self.user_ids())
        return self._user_order

    def users_export_page(self, after: tuple[int, int], per_page: int) -> tuple[list[tuple[int, int]], bool]:
        """Export positions (updated_at, id) of the next ``per_page`` users strictly after position ``after``,
        and end_of_stream. Users changed in the last minute are not visible yet."""
        cutoff = self.clock.now_int() - EXPORT_DELAY
        page: list[tuple[int, int]] = []
        with self._lock:
            order = self._users_order()
            for i in range(bisect.bisect_right(order, after), len(order)):
                key = order[i]
                if key[0] > cutoff:
                    return page, True
                if len(page) == per_page:
                    return page, False
                page.append(key)
        return page, True

    # ---------------------------------------------------------- organizations

    def organization_ids(self) -> list[int]:
        return [*self._seeded_organizations, *self._created_organizations]

    def is_organization(self, organization_id: Any) -> bool:
        if type(organization_id) is not int:
            return False
        seeded = self._seeded_organizations
        return bool(seeded) and seeded[0] <= organization_id <= seeded[-1] \
            or organization_id in self._changed["organizations"]

    def organization(self, organization_id: int) -> dict[str, Any]:
        changed = self._changed["organizations"].get(organization_id)
        return changed if changed is not None else self.generator.organizations.organization(organization_id)

    def organization_json(self, organization_id: int) -> bytes:
        changed = self._json["organizations"].get(organization_id)
        return changed if changed is not None else self.generator.organizations.json(organization_id)

    def sideload_organization_ids(self, organization_ids: Iterable[Any]) -> list[int]:
        """Ids for an ``organizations`` sideload: unique, ascending, existing and not deleted."""
        deleted = self._deleted_organizations
        return sorted({oid for oid in organization_ids if self.is_organization(oid) and oid not in deleted})

    def _organizations_order(self) -> list[tuple[int, int]]:
        """(updated_at, id) of every organization, ascending. Caller holds the lock."""
        if self._organization_order is None:
            self._organization_order = sorted(
                (unix(self.organization(oid)["updated_at"]), oid) for oid in self.organization_ids())
        return self._organization_order

    def organizations_page(self, start_time: int, per_page: int) -> tuple[list[int], int, bool]:
        """One page of the time-based Incremental Organization Export: (ids, end_time, end_of_stream).

        Organizations with ``updated_at >= start_time`` in (updated_at, id) order, not those of the last
        minute: ``per_page`` of them, then every further one of the last one's second (a page can exceed
        ``per_page`` when records share a second). ``end_time`` is the last one's ``updated_at``, so the next
        page, from ``end_time``, serves that second again (the repeats a client must drop by id); but when the
        whole page is the ``start_time`` second (which it then holds completely) ``end_time`` is one second
        later, so following ``next_page`` never loops. With nothing to serve ``end_time`` is ``start_time``.
        ``end_of_stream``: fewer than ``per_page`` records.
        """
        cutoff = self.clock.now_int() - EXPORT_DELAY
        picked: list[tuple[int, int]] = []
        with self._lock:
            order = self._organizations_order()
            for i in range(bisect.bisect_left(order, (start_time, 0)), len(order)):
                key = order[i]
                if key[0] > cutoff:
                    break
                if len(picked) >= per_page and key[0] != picked[-1][0]:
                    break
                picked.append(key)
        if not picked:
            return [], start_time, True
        end_time = picked[-1][0]
        if end_time == start_time and len(picked) >= per_page:
            end_time += 1
        return [oid for _, oid in picked], end_time, len(picked) < per_page

    # ----------------------------------------------------------------- groups

    def group(self, group_id: int) -> dict[str, Any]:
        changed = self._changed["groups"].get(group_id)
        return changed if changed is not None else self.generator.groups.group(group_id)

    def group_json(self, group_id: int) -> bytes:
        changed = self._json["groups"].get(group_id)
        return changed if changed is not None else self.generator.groups.json(group_id)

    def sideload_group_ids(self, group_ids: Iterable[Any]) -> list[int]:
        """Ids for a ``groups`` sideload: unique, ascending, existing and not deleted."""
        live = set(self._group_ids) - {DELETED_GROUP_ID}
        return sorted({gid for gid in group_ids if type(gid) is int and gid in live})

    def groups_in_list_order(self, include_deleted: bool) -> list[tuple[tuple[str, int], int]]:
        """((name, id), id) of the groups in list order: by name, then id (as Zendesk's cursors say: ``name,id``)."""
        with self._lock:
            groups = [self.group(gid) for gid in self._group_ids]
        return sorted(((g["name"], g["id"]), g["id"]) for g in groups if include_deleted or not g["deleted"])

    # ---------------------------------------------------------- ticket fields

    def ticket_field(self, field_id: int) -> dict[str, Any]:
        changed = self._changed["ticket_fields"].get(field_id)
        return changed if changed is not None else self.generator.ticket_fields.field(field_id)

    def ticket_field_json(self, field_id: int) -> bytes:
        changed = self._json["ticket_fields"].get(field_id)
        return changed if changed is not None else self.generator.ticket_fields.json(field_id)

    def ticket_fields_by_id(self) -> list[int]:
        """Every ticket field id in cursor order (by id)."""
        return sorted(self._field_ids)

    def ticket_fields_by_position(self) -> list[int]:
        """Every ticket field id in the unpaginated list's order: by position, then id."""
        with self._lock:
            return sorted(self._field_ids, key=lambda fid: (self.ticket_field(fid)["position"], fid))

    # ------------------------------------------------------------------ truth

    def truth_json(self, stream: str) -> bytes:
        """``{"now", "<stream>": [...]}``: every record as the API serves it now, deleted ones included (with their
        markers), in export order (users, organizations: updated_at then id, including those of the last minute
        that the export does not show yet), list order (groups: name then id, as with ``exclude_deleted=false``)
        or cursor order (ticket fields: id)."""
        with self._lock:
            if stream == "users":
                parts = [self.user_json(uid) for _, uid in self._users_order()]
            elif stream == "organizations":
                parts = [self.organization_json(oid) for _, oid in self._organizations_order()]
            elif stream == "groups":
                parts = [self.group_json(gid) for _, gid in self.groups_in_list_order(True)]
            elif stream == "ticket_fields":
                parts = [self.ticket_field_json(fid) for fid in self.ticket_fields_by_id()]
            else:
                raise ValueError(f"no stream {stream!r}; streams: {', '.join(STREAMS)}")
        return b'{"now":%d,"%s":[%s]}' % (self.clock.now_int(), stream.encode(), b",".join(parts))

    def stats(self) -> dict[str, int]:
        with self._lock:
            groups = [self.group(gid) for gid in self._group_ids]
            fields = [self.ticket_field(fid) for fid in self._field_ids]
            return {
                "users": len(self.user_ids()),
                "deleted_users": len(self._deleted_users),
                "organizations": len(self.organization_ids()),
                "deleted_organizations": len(self._deleted_organizations),
                "groups": len(groups),
                "deleted_groups": sum(g["deleted"] for g in groups),
                "ticket_fields": len(fields),
                "inactive_ticket_fields": sum(not f["active"] for f in fields),
            }

    # ---------------------------------------------------------------- changes

    def plan(self, ops: dict[str, Any]) -> Callable[[int], dict[str, dict[str, list[int]]]]:
        """Validate the account part of a change request; return the function that applies it (at ``now``).

        ``{"users": {"update": [ids], "create": n, "delete": [ids]}, "organizations": {same},
        "groups": {"update": [ids]}, "ticket_fields": {"update": [ids]}}``. Raises ``ValueError`` before
        anything changes: unknown streams or operations, unknown or deleted records, a bad ``create``.
        """
        plans: dict[str, dict[str, Any]] = {}
        for stream, stream_ops in ops.items():
            if not isinstance(stream_ops, dict):
                raise ValueError(f"{stream}: an object of operations is expected")
            unknown = set(stream_ops) - set(STREAM_OPERATIONS[stream])
            if unknown:
                raise ValueError(f"{stream}: unknown operations {sorted(unknown)}; "
                                 f"allowed: {', '.join(STREAM_OPERATIONS[stream])}")
            plan: dict[str, Any] = {}
            for name in ("update", "delete"):
                if name not in stream_ops:
                    continue
                ids = stream_ops[name]
                if not isinstance(ids, list):
                    raise ValueError(f"{stream}.{name}: a list of ids is expected")
                for record_id in ids:
                    self._check_live(stream, name, record_id)
                plan[name] = list(dict.fromkeys(ids))
            if "create" in stream_ops:
                create = stream_ops["create"]
                if type(create) is not int or create < 0:
                    raise ValueError(f"{stream}.create: a number of records is expected")
                plan["create"] = create
            plans[stream] = plan

        def apply(now: int) -> dict[str, dict[str, list[int]]]:
            with self._lock:
                return {stream: self._apply(stream, plan, now) for stream, plan in plans.items()}

        return apply

    def _check_live(self, stream: str, operation: str, record_id: Any) -> None:
        exists = {
            "users": self.is_user,
            "organizations": self.is_organization,
            "groups": lambda gid: type(gid) is int and gid in self._group_ids,
            "ticket_fields": lambda fid: type(fid) is int and fid in self._field_ids,
        }[stream]
        if not exists(record_id):
            raise ValueError(f"{stream}.{operation}: no record {record_id!r}")
        deleted = {
            "users": lambda: record_id in self._deleted_users,
            "organizations": lambda: record_id in self._deleted_organizations,
            "groups": lambda: self.group(record_id)["deleted"],
            "ticket_fields": lambda: False,
        }[stream]()
        if deleted:
            raise ValueError(f"{stream}.{operation}: {record_id} is deleted")

    def _apply(self, stream: str, plan: dict[str, Any], now: int) -> dict[str, list[int]]:
        """Apply one stream's validated operations, stamping ``now``. Caller holds the lock."""
        stamp = iso(now)
        changed: list[int] = []
        created: list[int] = []
        current = {"users": self.user, "organizations": self.organization, "groups": self.group,
                   "ticket_fields": self.ticket_field}[stream]
        title = "title" if stream == "ticket_fields" else "name"
        for record_id in plan.get("update", []):
            self._renames += 1
            record = dict(current(record_id))
            record[title] = renamed(record[title], self._renames)
            if stream == "ticket_fields":
                record["raw_title"] = record["title"]
            record["updated_at"] = stamp
            self._store(stream, record_id, record)
            changed.append(record_id)
        for record_id in plan.get("delete", []):
            record = dict(current(record_id))
            record["updated_at"] = stamp
            if stream == "users":
                record = deleted_user(record)
                self._deleted_users.add(record_id)
            else:
                record["name"] = f"{record_id}_deleted_{record['name']}"
                record["deleted_at"] = stamp
                self._deleted_organizations.add(record_id)
            self._store(stream, record_id, record)
            changed.append(record_id)
        for _ in range(plan.get("create", 0)):
            if stream == "users":
                record_id, self._next_user_id = self._next_user_id, self._next_user_id + 1
                record = {**self.generator.users.user(record_id), "last_login_at": None}
                self._created_users.append(record_id)
            else:
                record_id, self._next_organization_id = self._next_organization_id, self._next_organization_id + 1
                record = dict(self.generator.organizations.organization(record_id))
                self._created_organizations.append(record_id)
            record.update(created_at=stamp, updated_at=stamp)
            self._store(stream, record_id, record, created=True)
            created.append(record_id)
        return {"changed": list(dict.fromkeys(changed)), "created": created}

    def next_id(self, stream: str) -> int:
        """The id the next record created in ``stream`` through the write endpoints gets. Caller holds the lock."""
        if stream == "users":
            return self._next_user_id
        if stream == "organizations":
            return self._next_organization_id
        return self._next_ids[stream]

    def insert(self, stream: str, record: dict[str, Any]) -> None:
        """Add a record made by a write endpoint (its ``id`` from :meth:`next_id`); served by every read endpoint
        as the seeded ones are. Caller holds :attr:`lock`."""
        record_id = record["id"]
        if stream == "users":
            self._next_user_id = record_id + 1
            self._created_users.append(record_id)
        elif stream == "organizations":
            self._next_organization_id = record_id + 1
            self._created_organizations.append(record_id)
        else:
            self._next_ids[stream] = record_id + 1
            (self._group_ids if stream == "groups" else self._field_ids).append(record_id)
        self._store(stream, record_id, record, created=True)

    def replace(self, stream: str, record: dict[str, Any]) -> None:
        """Store a new version of a record (a write endpoint's update). Caller holds :attr:`lock`."""
        self._store(stream, record["id"], record)

    @property
    def lock(self) -> threading.RLock:
        """The account's lock, for the write endpoints' check-then-insert."""
        return self._lock

    def _store(self, stream: str, record_id: int, record: dict[str, Any], created: bool = False) -> None:
        """Keep a changed record: its JSON first (readers look there first), then its export position."""
        if stream in ("users", "organizations"):
            order = self._user_order if stream == "users" else self._organization_order
            if order is not None:
                if not created:
                    old = (unix(self.user(record_id)["updated_at"]) if stream == "users"
                           else unix(self.organization(record_id)["updated_at"]), record_id)
                    del order[bisect.bisect_left(order, old)]
                bisect.insort(order, (unix(record["updated_at"]), record_id))
        self._json[stream][record_id] = dumps(record)
        self._changed[stream][record_id] = record

