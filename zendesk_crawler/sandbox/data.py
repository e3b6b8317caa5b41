"""The sandbox's seeded data: users, tickets, comments, and the changes tests make to them.

Only a small immutable :class:`TicketState` per ticket lives in memory (timestamps, flags,
comment count, overrides). Full ticket, user and comment objects are regenerated on demand
from ``(seed, id)``, so the same seed and options always give the same data and 100,000
tickets fit in modest memory. Field sets and key order copy ``shared/zendesk-samples``.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, NamedTuple
from urllib.parse import quote

from . import content
from .clock import Clock

FIRST_TICKET_ID = 10001
FIRST_USER_ID = 90000000001
HISTORY_SECONDS = 20 * 86400
#: Tickets changed in the most recent minute are not exported yet.
EXPORT_DELAY = 60
#: Distinct generated comment texts (fewer for small sandboxes) and near-64-kB ones.
TEXT_POOL = 4096
LONG_POOL = 8

ORGANIZATION_IDS = (80000000001, 80000000002, 80000000003, 80000000004)
GROUP_IDS = (70000000001, 70000000002, 70000000003)
CUSTOM_STATUS_IDS = {"new": 360000111220, "open": 360000111221, "pending": 360000111222,
                     "hold": 360000111223, "solved": 360000111224, "closed": 360000111225}
TICKET_FORM_ID = 360000222333
BRAND_ID = 360000333444
CLIENTS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "Example Mail Client", "Zenpy/2.0.56",
           "Zendesk for iOS/5.0 (\u202eRTL client\u202c)", None)
LOCALES = ((1, "en-US", "Amsterdam"), (8, "de", "Berlin"), (66, "ar", "Riyadh"), (30, "he", "Jerusalem"),
           (67, "ja", "Tokyo"), (27, "ru", "Moscow"), (1, "en-US", "Eastern Time (US & Canada)"))


_CHANNELS = ("web", "email", "api", "mobile")
_PLAIN_VIA = {channel: b'{"channel":"%s","source":{"from":{},"to":{},"rel":null}}' % channel.encode()
              for channel in _CHANNELS}
#: Attachment file names as (JSON string, percent-encoded for the URL, JSON content type).
_FILES = [(json.dumps(name, ensure_ascii=False).encode(), quote(name, safe="").encode(), json.dumps(kind).encode())
          for name, kind in content.FILE_NAMES]


def iso(timestamp: int) -> str:
    """Zendesk's timestamp format, e.g. ``2024-06-19T11:40:22Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class FastRandom(random.Random):
    """``random.Random`` with ``choice``/``randint``/``randrange`` built on one ``random()`` call.

    About five times faster than the originals (which draw bits until unbiased); the bias is
    below 2**-40 here, and the sequence is still fully determined by the seed.
    """

    def choice(self, seq: Any) -> Any:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, stop: int) -> int:  # type: ignore[override]
        return int(self.random() * stop)


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII unescaped): the one encoding of every API body and of the truth."""
    return _encode(value).encode("utf-8")


def _mix(*parts: int) -> int:
    """A stable 64-bit seed from integers (``hash()`` is randomised per process, this is not)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Options:
    """Everything the generated data depends on."""

    tickets: int = 300
    seed: int = 1
    #: Unix time the generated history ends at; every generated timestamp is at or before it.
    epoch: int = 0
    base_url: str = "http://127.0.0.1"
    admin_email: str = "admin@sandbox.example.com"


class TicketState(NamedTuple):
    """What distinguishes one ticket's current state; replaced, never mutated."""

    id: int
    number: int
    created_at: int
    #: Last comment time of the generated history (base comments lie in [created_at, activity_end]).
    activity_end: int
    updated_at: int
    generated_timestamp: int
    deleted: bool
    scope: str
    base_comments: int
    #: created_at of comments added by changes, oldest first.
    extra_comment_times: tuple[int, ...] = ()
    #: Top-level ticket fields replaced by changes.
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[int, int]:
        """Position in the incremental export stream."""
        return (self.generated_timestamp, self.id)

    @property
    def comment_count(self) -> int:
        """Comments the ticket holds (0 once deleted)."""
        return 0 if self.deleted else self.base_comments + len(self.extra_comment_times)


class Comment(NamedTuple):
    """A generated comment: its position in the ticket's comment order, its author and its JSON."""

    created_at: int
    id: int
    author_id: int
    json: bytes

    @property
    def data(self) -> dict[str, Any]:
        """The comment as a dict (decoded from the very bytes the API serves)."""
        return json.loads(self.json)


class Dataset:
    """Seeded users, tickets and comments plus the in-memory overlay of changes; thread-safe."""

    def __init__(self, options: Options, clock: Clock) -> None:
        self.options = options
        self.clock = clock
        self._lock = threading.Lock()
        self._comment_cache: OrderedDict[tuple[int, int], list[Comment]] = OrderedDict()
        self._changes = 0
        self._armed: set[int] = set()
        self._base_url_bytes = options.base_url.encode("ascii")
        pool_rng = FastRandom(_mix(options.seed, 11))
        self._system_pool = [dumps(self._system(pool_rng)) for _ in range(64)]
        self._custom_pool = [dumps(content.custom_metadata(pool_rng)) for _ in range(32)]
        self._init_users()
        self._init_tickets()

    # ----------------------------------------------------------------- users

    def _init_users(self) -> None:
        rng = FastRandom(_mix(self.options.seed, 1))
        n = self.options.tickets
        self.agent_count = max(4, n // 400)
        self.end_user_count = max(30, n // 4)
        agents = range(FIRST_USER_ID, FIRST_USER_ID + 1 + self.agent_count)
        self.agent_ids: tuple[int, ...] = tuple(agents)
        first_end_user = FIRST_USER_ID + 1 + self.agent_count
        self.end_user_ids: tuple[int, ...] = tuple(range(first_end_user, first_end_user + self.end_user_count))
        deleted = {uid for uid in self.end_user_ids if rng.random() < 0.03}
        deleted.add(self.end_user_ids[len(self.end_user_ids) // 2])
        self.deleted_user_ids: frozenset[int] = frozenset(deleted)

    @lru_cache(maxsize=None)
    def _identity(self, user_id: int) -> tuple[str, str, int | None]:
        """A user's name, email and organization (what tickets and e-mail ``via`` need of them)."""
        rng = FastRandom(_mix(self.options.seed, 2, user_id))
        if user_id == FIRST_USER_ID:
            return "Sandbox Admin", self.options.admin_email, None
        name = content.person_name(rng)
        if user_id in self.agent_ids:
            return name, f"agent{user_id - FIRST_USER_ID}@sandbox.example.com", None
        email = f"user{user_id - FIRST_USER_ID}{rng.choice(('', '+tag', '.x'))}@example.{rng.choice(('com', 'net', 'org'))}"
        return name, email, None if rng.random() < 0.4 else rng.choice(ORGANIZATION_IDS)

    @lru_cache(maxsize=4096)
    def user(self, user_id: int) -> dict[str, Any]:
        """The full user object as the ``users`` sideload carries it."""
        rng = FastRandom(_mix(self.options.seed, 16, user_id))
        epoch = self.options.epoch
        is_admin = user_id == FIRST_USER_ID or user_id == FIRST_USER_ID + 1
        is_agent = user_id in self.agent_ids
        role = "admin" if is_admin else "agent" if is_agent else "end-user"
        name, email, organization_id = self._identity(user_id)
        created = epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, epoch)
        locale_id, locale, time_zone = rng.choice(LOCALES)
        agentish = is_agent or is_admin
        signature = f"{name}\r\n{rng.choice(content.SCRIPTS)}" if agentish and rng.random() < 0.5 else None
        return {
            "id": user_id,
            "url": f"{self.options.base_url}/api/v2/users/{user_id}.json",
            "name": name,
            "email": email,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "time_zone": time_zone,
            "phone": f"+31 20 {rng.randint(1000000, 9999999)}" if rng.random() < 0.2 else None,
            "photo": None,
            "locale_id": locale_id,
            "locale": locale,
            "organization_id": organization_id,
            "role": role,
            "verified": rng.random() < 0.9,
            "external_id": f"crm-{user_id}" if rng.random() < 0.2 else None,
            "tags": content.tags(rng) if rng.random() < 0.2 else [],
            "alias": rng.choice(content.FIRST_NAMES) if agentish and rng.random() < 0.3 else None,
            "active": user_id not in self.deleted_user_ids,
            "shared": False,
            "shared_agent": False,
            "last_login_at": iso(rng.randint(updated, epoch)) if agentish or rng.random() < 0.5 else None,
            "two_factor_auth_enabled": None,
            "signature": signature,
            "details": rng.choice(content.SPECIAL) if rng.random() < 0.05 else None,
            "notes": rng.choice(content.MARKUP) if rng.random() < 0.05 else None,
            "role_type": 4 if is_admin else 0 if is_agent else None,
            "custom_role_id": None,
            "moderator": agentish,
            "ticket_restriction": None if agentish else "requested",
            "only_private_comments": False,
            "restricted_agent": not agentish,
            "suspended": False,
            "user_fields": {"plan": rng.choice(("gold", "free", None)), "account_no": rng.randint(1, 10**6)}
            if rng.random() < 0.3 else {},
        }

    def sideload_user_ids(self, user_ids: Iterable[int | None]) -> list[int]:
        """Ids for a ``users`` sideload: unique, ascending, deleted users left out (as Zendesk does)."""
        return sorted({uid for uid in user_ids if uid is not None and uid not in self.deleted_user_ids})

    @lru_cache(maxsize=None)
    def user_json(self, user_id: int) -> bytes:
        """The user object's JSON, encoded once and kept (about 1 kB a user)."""
        return dumps(self.user(user_id))

    # --------------------------------------------------------------- tickets

    def _init_tickets(self) -> None:
        """Build every ticket's state: timestamps, flags and comment count, in id order."""
        opts = self.options
        rng = FastRandom(_mix(opts.seed, 3))
        n = opts.tickets
        epoch = opts.epoch
        start = epoch - HISTORY_SECONDS
        created = sorted(rng.randint(start, epoch) for _ in range(n))
        bursts = sorted(rng.randint(start, epoch) for _ in range(max(3, n // 50)))
        self._states: dict[int, TicketState] = {}
        ticket_id = FIRST_TICKET_ID
        flags = [self._flags(rng) for _ in range(n)]
        for index, forced in ((3, "heavy"), (5, "ai_agent"), (8, "deleted")):
            if n > index and not any(forced in f for f in flags):
                flags[index] = {forced}
        for number in range(n):
            created_at = created[number]
            activity_end = min(epoch, created_at + int(rng.expovariate(1 / (2 * 86400))))
            updated_at = activity_end
            deleted = "deleted" in flags[number]
            if deleted:
                updated_at = min(epoch, activity_end + rng.randint(60, 5 * 86400))
            elif rng.random() < 0.25:
                updated_at = min(epoch, activity_end + rng.randint(1, 3 * 86400))
            gts = updated_at
            roll = rng.random()
            if roll < 0.3:
                gts = bursts[min(bisect.bisect_left(bursts, updated_at), len(bursts) - 1)]
                gts = max(gts, updated_at)
            elif roll < 0.35:
                gts = min(epoch, updated_at + rng.randint(1, 600))
            comments = rng.randint(150, 450) if "heavy" in flags[number] else \
                rng.choices(range(1, 9), weights=(10, 14, 16, 16, 14, 12, 10, 8))[0]
            self._states[ticket_id] = TicketState(
                id=ticket_id, number=number, created_at=created_at, activity_end=activity_end,
                updated_at=updated_at, generated_timestamp=gts, deleted=deleted,
                scope="ai_agent" if "ai_agent" in flags[number] else "agent", base_comments=comments)
            ticket_id += 1 if rng.random() < 0.9 else rng.randint(2, 4)
        self._next_ticket_id = ticket_id
        self._order: list[tuple[int, int]] = sorted(s.key for s in self._states.values())

    @staticmethod
    def _flags(rng: FastRandom) -> set[str]:
        roll = rng.random()
        flags = {"deleted"} if roll < 0.05 else {"ai_agent"} if roll < 0.07 else set()
        if rng.random() < 1 / 60:
            flags.add("heavy")
        return flags

    @lru_cache(maxsize=4096)
    def _ticket_base(self, ticket_id: int, number: int) -> dict[str, Any]:
        """Every ticket field that does not depend on state, in the export's key order."""
        rng = FastRandom(_mix(self.options.seed, 4, ticket_id))
        requester = rng.choice(self.end_user_ids)
        submitter = requester if rng.random() < 0.85 else rng.choice(self.agent_ids)
        status = rng.choice(("new", "open", "open", "pending", "hold", "solved", "solved", "closed"))
        assignee = None if status == "new" or rng.random() < 0.1 else rng.choice(self.agent_ids)
        collaborators = sorted(set(rng.sample(self.end_user_ids, rng.randint(1, 3)))) if rng.random() < 0.25 else []
        followers = [rng.choice(self.agent_ids)] if rng.random() < 0.1 else []
        email_ccs = collaborators[:1]
        channel = rng.choice(_CHANNELS + ("email",))
        subject = content.subject(rng, content.ALL_HOSTILE[number % len(content.ALL_HOSTILE)]
                                  if number % 3 == 0 else None)
        raw_subject = "{{dc.greeting}} " + subject if rng.random() < 0.05 else subject
        custom_fields = self._custom_fields(rng)
        ticket_type = rng.choice((None, "question", "incident", "problem", "task"))
        return {
            "url": f"{self.options.base_url}/api/v2/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": rng.choice((None, None, None, f"ext-{ticket_id}", "ext/\u00e9\u202e\u0001")),
            "via": self._via(rng, channel, requester),
            "created_at": "",
            "updated_at": "",
            "type": ticket_type,
            "subject": subject,
            "raw_subject": raw_subject,
            "description": self._text(*self._first_entry(ticket_id, number))[0],
            "priority": rng.choice((None, "low", "normal", "normal", "high", "urgent")),
            "status": status,
            "recipient": "support@sandbox.example.com" if channel == "email" else None,
            "requester_id": requester,
            "submitter_id": submitter,
            "assignee_id": assignee,
            "organization_id": self._identity(requester)[2],
            "group_id": None if assignee is None else rng.choice(GROUP_IDS),
            "collaborator_ids": collaborators,
            "follower_ids": followers,
            "email_cc_ids": email_ccs,
            "forum_topic_id": None,
            "problem_id": (ticket_id - rng.randint(1, 50)) if ticket_type == "incident" and rng.random() < 0.3 else None,
            "has_incidents": ticket_type == "problem" and rng.random() < 0.5,
            "is_public": True,
            "due_at": iso(self.options.epoch + rng.randint(86400, 30 * 86400)) if ticket_type == "task" else None,
            "tags": content.tags(rng),
            "custom_fields": custom_fields,
            "satisfaction_rating": rng.choice((None, None, {"score": "offered"}, {"score": "unoffered"})),
            "sharing_agreement_ids": [],
            "custom_status_id": CUSTOM_STATUS_IDS[status],
            "fields": [dict(field) for field in custom_fields],
            "followup_ids": [],
            "ticket_form_id": TICKET_FORM_ID,
            "brand_id": BRAND_ID,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
            "generated_timestamp": 0,
        }

    def _via(self, rng: FastRandom, channel: str, user_id: int) -> dict[str, Any]:
        if channel != "email":
            return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
        name, email, _ = self._identity(user_id)
        return {"channel": "email", "source": {
            "from": {"address": email, "name": name},
            "to": {"address": "support@sandbox.example.com", "name": rng.choice(("Sandbox Support", "Support \U0001f6df"))},
            "rel": None}}

    @staticmethod
    def _custom_fields(rng: FastRandom) -> list[dict[str, Any]]:
        """Custom field values of every JSON type: string, number, bool, list, null."""
        values: list[Any] = [
            rng.choice(("billing", "technical", rng.choice(content.ALL_HOSTILE), None)),
            rng.choice((42, -7, 0, 10**15, None)),
            rng.choice((True, False, None)),
            rng.choice((["option_a", "option_b"], ["ключ", "😀"], [], None)),
            rng.choice(("2024-06-01", None)),
            rng.choice((3.14, 0.1, 1e-7, None)),
            rng.choice(("12.50", "line1\r\nline2", "")),
        ]
        return [{"id": 360001234567 + i, "value": value} for i, value in enumerate(values)]

    def render_ticket(self, state: TicketState) -> dict[str, Any]:
        """The ticket exactly as the incremental export returns it for this state."""
        ticket = dict(self._ticket_base(state.id, state.number))
        ticket["created_at"] = iso(state.created_at)
        ticket["updated_at"] = iso(state.updated_at)
        ticket["generated_timestamp"] = state.generated_timestamp
        for name, value in state.overrides:
            ticket[name] = value
        if state.deleted:
            ticket.update(subject="SCRUBBED", raw_subject="SCRUBBED", description="X", status="deleted",
                          type=None, priority=None, recipient=None, assignee_id=None, group_id=None,
                          collaborator_ids=[], follower_ids=[], email_cc_ids=[], problem_id=None,
                          has_incidents=False, due_at=None, tags=[], custom_fields=[], fields=[],
                          satisfaction_rating=None)
        return ticket

    @staticmethod
    def ticket_user_ids(ticket: dict[str, Any]) -> list[int | None]:
        """Users a ticket refers to (what ``include=users`` sideloads for it)."""
        return [ticket["requester_id"], ticket["submitter_id"], ticket["assignee_id"],
                *ticket["collaborator_ids"], *ticket["follower_ids"], *ticket["email_cc_ids"]]

    # -------------------------------------------------------------- comments
    #
    # Comment bodies come from a seeded pool of hostile texts whose JSON is encoded once, and
    # each comment's JSON is assembled from pre-encoded parts: generating and serving a comment
    # costs microseconds, so the sandbox never becomes the bottleneck of a benchmark.

    @lru_cache(maxsize=None)
    def _text(self, entry: int, long: bool = False) -> tuple[str, bytes]:
        """Pool entry ``entry``: a body and the JSON of its ``"body":…,"html_body":…,"plain_body":…`` members.

        Entry ``e`` always carries the hostile fragment ``e % len(ALL_HOSTILE)``; long entries
        are just under Zendesk's 64 kB body limit.
        """
        rng = FastRandom(_mix(self.options.seed, 5, entry, long))
        text = content.body(rng, content.ALL_HOSTILE[entry % len(content.ALL_HOSTILE)], long)
        members = (f'"body":{_encode(text)},"html_body":{_encode(content.html_body(text, rng))},'
                   f'"plain_body":{_encode(content.plain_body(text))}')
        return text, members.encode("utf-8")

    def _first_entry(self, ticket_id: int, number: int) -> tuple[int, bool]:
        """Pool entry of a ticket's first comment (its description); ticket ``number`` picks the fragment."""
        groups = max(1, min(self.options.tickets, TEXT_POOL) // len(content.ALL_HOSTILE))
        entry = number % len(content.ALL_HOSTILE) + len(content.ALL_HOSTILE) * (_mix(self.options.seed, 13, ticket_id) % groups)
        return (entry % LONG_POOL, True) if number % 97 == 5 else (entry, False)

    def _comment_times(self, state: TicketState, rng: FastRandom) -> list[int]:
        """created_at of every comment, ascending; some share a second."""
        rest = sorted(rng.randint(state.created_at, state.activity_end) for _ in range(state.base_comments - 1))
        times = [state.created_at, *rest]
        for i in range(2, len(times)):
            if rng.random() < 0.15:
                times[i] = times[i - 1]
        if len(times) > 1 and rng.random() < 0.7:
            times[-1] = state.activity_end
        return times + list(state.extra_comment_times)

    def _generate_comments(self, state: TicketState) -> list[Comment]:
        """Every comment of a ticket in default order (created_at, then id)."""
        base = self._ticket_base(state.id, state.number)
        rng = FastRandom(_mix(self.options.seed, 6, state.id))
        pool = max(len(content.ALL_HOSTILE), min(2 * self.options.tickets, TEXT_POOL))
        comments = []
        for index, created_at in enumerate(self._comment_times(state, rng)):
            if index == 0:
                entry = self._first_entry(state.id, state.number)
            elif index == state.base_comments - 1 and state.number % 97 == 50:
                entry = (rng.randrange(LONG_POOL), True)
            else:
                entry = (rng.randrange(pool), False)
            comments.append(self._comment(base, index, created_at, self._text(*entry)[1], rng))
        comments.sort(key=lambda c: (c.created_at, c.id))
        return comments

    def _comment(self, base: dict[str, Any], index: int, created_at: int, text: bytes, rng: FastRandom) -> Comment:
        """One comment's JSON, member order as in ``ticket_comments.json``."""
        comment_id = 24_000_000_000_000 + base["id"] * 100_000 + index * 20 + 1
        public = index == 0 or rng.random() >= 0.33
        requester = base["requester_id"]
        if index == 0:
            author = base["submitter_id"]
        elif not public:
            author = base["assignee_id"] or rng.choice(self.agent_ids)
        else:
            author = rng.choice((requester, requester, base["assignee_id"] or rng.choice(self.agent_ids),
                                 *base["collaborator_ids"]))
        channel = base["via"]["channel"] if index == 0 else "email" if author == requester and rng.random() < 0.5 else "web"
        attachments = self._attachments(rng, comment_id) if rng.random() < 0.12 else b"[]"
        custom = rng.choice(self._custom_pool) if rng.random() < 0.12 else b"{}"
        head = b'{"id":%d,"type":"Comment","author_id":%d,' % (comment_id, author)
        tail = b',"public":%s,"attachments":%s,"audit_id":%d,"via":%s,"created_at":"%s","metadata":{"system":%s,"custom":%s}}' % (
            b"true" if public else b"false", attachments, comment_id - 1, self._via_json(channel, author, rng.randrange(2)),
            iso(created_at).encode("ascii"), rng.choice(self._system_pool), custom)
        return Comment(created_at, comment_id, author, b"".join((head, text, tail)))

    def _via_json(self, channel: str, user_id: int, variant: int) -> bytes:
        """A comment's ``via``: only e-mail ones name their sender."""
        if channel != "email":
            return _PLAIN_VIA[channel]
        return self._email_via_json(user_id, variant)

    @lru_cache(maxsize=8192)
    def _email_via_json(self, user_id: int, variant: int) -> bytes:
        return dumps(self._via(FastRandom(variant), "email", user_id))

    @staticmethod
    def _system(rng: FastRandom) -> dict[str, Any]:
        """Comment ``metadata.system``."""
        return {
            "client": rng.choice(CLIENTS),
            "ip_address": f"203.0.113.{rng.randint(1, 254)}",
            "location": rng.choice(("Example City, 00, Exampleland", "Zürich, ZH, Schweiz", "القاهرة, مصر")),
            "latitude": round(rng.uniform(-90, 90), 4),
            "longitude": round(rng.uniform(-180, 180), 4),
        }

    def _attachments(self, rng: FastRandom, comment_id: int) -> bytes:
        """Attachments' JSON; some ``content_url`` point to another host (never send credentials there)."""
        attachments = []
        for k in range(rng.randint(1, 2)):
            name_json, quoted_name, type_json = rng.choice(_FILES)
            token = b"%016x" % _mix(self.options.seed, comment_id, k)
            host = self._base_url_bytes if rng.random() < 0.6 else b"https://files.example.net"
            attachments.append(
                b'{"id":%d,"file_name":%s,"content_url":"%s/attachments/token/%s/?name=%s","content_type":%s,'
                b'"size":%d,"thumbnails":[]}' % (comment_id + 2 + k, name_json, host, token, quoted_name, type_json,
                                                  rng.randint(1, 20_000_000)))
        return b"[" + b",".join(attachments) + b"]"

    def _comments_for(self, state: TicketState) -> list[Comment]:
        """All comments of a (non-deleted) ticket in default order; a small LRU keeps recent tickets."""
        key = (state.id, state.comment_count)
        with self._lock:
            cached = self._comment_cache.get(key)
            if cached is not None:
                self._comment_cache.move_to_end(key)
                return cached
        comments = self._generate_comments(state)
        with self._lock:
            self._comment_cache[key] = comments
            while len(self._comment_cache) > 512:
                self._comment_cache.popitem(last=False)
        return comments

    def ticket_comments(self, ticket_id: int) -> list[Comment] | None:
        """Comments of a ticket in ``created_at`` order, or None when it is unknown or deleted.

        A ticket armed with ``delete_on_comment_read`` is deleted by this very call.
        """
        with self._lock:
            state = self._states.get(ticket_id)
            if state is None or state.deleted:
                return None
            if ticket_id in self._armed:
                self._armed.discard(ticket_id)
                self._replace(state._replace(deleted=True), self.clock.now_int())
                return None
        return self._comments_for(state)

    # ---------------------------------------------------------------- export

    def export_page(self, after: tuple[int, int], per_page: int, scope: str,
                    exclude_deleted: bool) -> tuple[list[TicketState], bool]:
        """States of the next ``per_page`` tickets strictly after stream position ``after``.

        Returns them with ``end_of_stream``. Tickets changed in the last minute are not
        visible yet; ``scope`` is ``agent``, ``ai_agent`` or ``all``.
        """
        cutoff = self.clock.now_int() - EXPORT_DELAY
        page: list[TicketState] = []
        with self._lock:
            order = self._order
            for i in range(bisect.bisect_right(order, after), len(order)):
                key = order[i]
                if key[0] > cutoff:
                    return page, True
                state = self._states[key[1]]
                if (scope != "all" and state.scope != scope) or (exclude_deleted and state.deleted):
                    continue
                if len(page) == per_page:
                    return page, False
                page.append(state)
        return page, True

    # ----------------------------------------------------------------- truth

    def truth_json(self, comments: bool = True, users: bool = True, offset: int = 0, limit: int | None = None) -> bytes:
        """The ground truth as JSON, built from the very bytes the API serves.

        ``{"now", "tickets", "users"}``: tickets (all scopes, stream order, ``tickets[offset:offset+limit]``)
        exactly as the export returns them now, each with ``comments`` (what the comments
        endpoint returns; ``[]`` once deleted) and ``_support_type_scope``; every user with ``_deleted``.
        """
        with self._lock:
            keys = self._order[offset:None if limit is None else offset + limit]
            states = [self._states[key[1]] for key in keys]
        parts = [b'{"now":%d,"tickets":[' % self.clock.now_int()]
        for i, state in enumerate(states):
            ticket = dumps(self.render_ticket(state))[:-1]
            if comments:
                listed = [] if state.deleted else self._comments_for(state)
                ticket += b',"comments":[' + b",".join(c.json for c in listed) + b"]"
            parts.append((b"," if i else b"") + ticket + b',"_support_type_scope":"%s"}' % state.scope.encode())
        parts.append(b'],"users":[')
        if users:
            parts.append(b",".join(dumps({**self.user(uid), "_deleted": uid in self.deleted_user_ids})
                                   for uid in (*self.agent_ids, *self.end_user_ids)))
        parts.append(b"]}")
        return b"".join(parts)

    def truth(self, **options: Any) -> dict[str, Any]:
        """:meth:`truth_json`, decoded."""
        return json.loads(self.truth_json(**options))

    def stats(self) -> dict[str, Any]:
        """Counts of tickets, comments and users."""
        with self._lock:
            states = list(self._states.values())
        return {
            "now": self.clock.now_int(),
            "tickets": len(states),
            "deleted_tickets": sum(s.deleted for s in states),
            "ai_agent_tickets": sum(s.scope == "ai_agent" for s in states),
            "comments": sum(s.comment_count for s in states),
            "max_comments_per_ticket": max((s.comment_count for s in states), default=0),
            "users": len(self.agent_ids) + len(self.end_user_ids),
            "deleted_users": len(self.deleted_user_ids),
        }

    # --------------------------------------------------------------- changes

    def apply_changes(self, ops: dict[str, Any]) -> dict[str, list[int]]:
        """Apply control-API changes; every change stamps updated_at/generated_timestamp with sandbox-now.

        Raises ``ValueError`` for unknown operations, unknown tickets or changes to deleted tickets.
        """
        known = {"create", "add_comments", "update", "delete", "delete_on_comment_read"}
        unknown = set(ops) - known
        if unknown:
            raise ValueError(f"unknown change operations: {sorted(unknown)}")
        changed: list[int] = []
        created: list[int] = []
        with self._lock:
            now = self.clock.now_int()
            for name in ("add_comments", "update", "delete", "delete_on_comment_read"):
                for ticket_id in ops.get(name, []):
                    state = self._states.get(ticket_id) if isinstance(ticket_id, int) else None
                    if state is None:
                        raise ValueError(f"{name}: no ticket {ticket_id!r}")
                    if state.deleted:
                        raise ValueError(f"{name}: ticket {ticket_id} is deleted")
            for _ in range(int(ops.get("create", 0))):
                created.append(self._create(now))
            for ticket_id in ops.get("add_comments", []):
                state = self._states[ticket_id]
                rng = FastRandom(_mix(self.options.seed, 8, ticket_id, state.comment_count))
                extra = state.extra_comment_times + (now,) * rng.randint(1, 3)
                changed.append(self._replace(state._replace(extra_comment_times=extra), now))
            for ticket_id in ops.get("update", []):
                changed.append(self._replace(self._updated(self._states[ticket_id]), now))
            for ticket_id in ops.get("delete", []):
                changed.append(self._replace(self._states[ticket_id]._replace(deleted=True), now))
            self._armed.update(ops.get("delete_on_comment_read", []))
        return {"changed": list(dict.fromkeys(changed)), "created": created}

    def _updated(self, state: TicketState) -> TicketState:
        """A new status, priority and tags for an update change."""
        self._changes += 1
        rng = FastRandom(_mix(self.options.seed, 9, state.id, self._changes))
        status = rng.choice(("open", "pending", "hold", "solved"))
        overrides = dict(state.overrides)
        overrides.update(status=status, custom_status_id=CUSTOM_STATUS_IDS[status],
                         priority=rng.choice(("low", "normal", "high", "urgent")), tags=content.tags(rng))
        return state._replace(overrides=tuple(overrides.items()))

    def _create(self, now: int) -> int:
        """Add a new ticket with comments, all stamped now (so not exported for a minute)."""
        ticket_id = self._next_ticket_id
        self._next_ticket_id += 1
        rng = FastRandom(_mix(self.options.seed, 10, ticket_id))
        state = TicketState(
            id=ticket_id, number=len(self._states), created_at=now, activity_end=now, updated_at=now,
            generated_timestamp=now, deleted=False, scope="ai_agent" if rng.random() < 0.02 else "agent",
            base_comments=rng.randint(1, 8),
            overrides=(("status", "new"), ("custom_status_id", CUSTOM_STATUS_IDS["new"])))
        self._states[ticket_id] = state
        bisect.insort(self._order, state.key)
        return ticket_id

    def _replace(self, state: TicketState, now: int) -> int:
        """Store a changed state, moving the ticket to the end of the export stream. Caller holds the lock."""
        old = self._states[state.id]
        del self._order[bisect.bisect_left(self._order, old.key)]
        state = state._replace(updated_at=now, generated_timestamp=now)
        self._states[state.id] = state
        bisect.insort(self._order, state.key)
        return state.id
