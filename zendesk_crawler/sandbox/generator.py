"""Seeded, deterministic generation of Zendesk objects: users, tickets, comments.

Every object is a pure function of the :class:`Options` (seed, size, epoch, base URL) and,
for tickets and comments, of a small :class:`TicketState`; nothing is stored but bounded
caches. Field sets and key order copy ``shared/zendesk-samples``. Comment JSON is assembled
from parts encoded once (a seeded pool of hostile texts), so a comment costs microseconds.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, NamedTuple
from urllib.parse import quote

from . import content

FIRST_TICKET_ID = 10001
FIRST_USER_ID = 90000000001
HISTORY_SECONDS = 20 * 86400
#: Distinct generated comment texts (fewer in small sandboxes).
TEXT_POOL = 4096

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
CHANNELS = ("web", "email", "api", "mobile")
_PLAIN_VIA = {channel: b'{"channel":"%s","source":{"from":{},"to":{},"rel":null}}' % channel.encode()
              for channel in CHANNELS}
#: Attachment file names as (JSON string, percent-encoded for the URL, JSON content type).
_FILES = [(json.dumps(name, ensure_ascii=False).encode(), quote(name, safe="").encode(), json.dumps(kind).encode())
          for name, kind in content.FILE_NAMES]


def iso(timestamp: int) -> str:
    """Zendesk's timestamp format, e.g. ``2024-06-19T11:40:22Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII unescaped): the one encoding of every API body and of the truth."""
    return _encode(value).encode("utf-8")


def mix(*parts: int) -> int:
    """A stable 64-bit seed from integers (``hash()`` is randomised per process, this is not)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


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
    #: Creation rank (0 for the first ticket); decides which hostile fragments the ticket carries.
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


class Generator:
    """Users, tickets and comments of one seeded account; thread-safe (only caches mutate)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        rng = FastRandom(mix(options.seed, 1))
        n = options.tickets
        agents = max(4, n // 400)
        self.agent_ids: tuple[int, ...] = tuple(range(FIRST_USER_ID, FIRST_USER_ID + 1 + agents))
        first_end_user = self.agent_ids[-1] + 1
        self.end_user_ids: tuple[int, ...] = tuple(range(first_end_user, first_end_user + max(30, n // 4)))
        deleted = {uid for uid in self.end_user_ids if rng.random() < 0.03}
        deleted.add(self.end_user_ids[len(self.end_user_ids) // 2])
        self.deleted_user_ids: frozenset[int] = frozenset(deleted)
        self._text_pool = max(len(content.ALL_HOSTILE), min(2 * n, TEXT_POOL))
        self._base_url = options.base_url.encode("ascii")
        pool_rng = FastRandom(mix(options.seed, 11))
        self._system_pool = [dumps(self._system(pool_rng)) for _ in range(64)]
        self._custom_pool = [dumps(content.custom_metadata(pool_rng)) for _ in range(32)]

    # ----------------------------------------------------------------- users

    @lru_cache(maxsize=None)
    def _identity(self, user_id: int) -> tuple[str, str, int | None]:
        """A user's name, email and organization (what tickets and e-mail ``via`` need of them)."""
        rng = FastRandom(mix(self.options.seed, 2, user_id))
        if user_id == FIRST_USER_ID:
            return "Sandbox Admin", self.options.admin_email, None
        name = content.person_name(rng)
        if user_id in self.agent_ids:
            return name, f"agent{user_id - FIRST_USER_ID}@sandbox.example.com", None
        email = f"user{user_id - FIRST_USER_ID}{rng.choice(('', '+tag', '.x'))}@example.{rng.choice(('com', 'net', 'org'))}"
        return name, email, None if rng.random() < 0.4 else rng.choice(ORGANIZATION_IDS)

    @lru_cache(maxsize=4096)
    def user(self, user_id: int) -> dict[str, Any]:
        """The full user object as the ``users`` sideload carries it (deleted users are inactive)."""
        rng = FastRandom(mix(self.options.seed, 16, user_id))
        epoch = self.options.epoch
        is_admin = user_id in (FIRST_USER_ID, FIRST_USER_ID + 1)
        is_agent = user_id in self.agent_ids
        staff = is_agent or is_admin
        name, email, organization_id = self._identity(user_id)
        created = epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, epoch)
        locale_id, locale, time_zone = rng.choice(LOCALES)
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
            "role": "admin" if is_admin else "agent" if is_agent else "end-user",
            "verified": rng.random() < 0.9,
            "external_id": f"crm-{user_id}" if rng.random() < 0.2 else None,
            "tags": content.tags(rng) if rng.random() < 0.2 else [],
            "alias": rng.choice(content.FIRST_NAMES) if staff and rng.random() < 0.3 else None,
            "active": user_id not in self.deleted_user_ids,
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
            "user_fields": {"plan": rng.choice(("gold", "free", None)), "account_no": rng.randint(1, 10**6)}
            if rng.random() < 0.3 else {},
        }

    @lru_cache(maxsize=None)
    def user_json(self, user_id: int) -> bytes:
        """The user object's JSON, encoded once and kept (about 1 kB a user)."""
        return dumps(self.user(user_id))

    def sideload_user_ids(self, user_ids: Iterable[int | None]) -> list[int]:
        """Ids for a ``users`` sideload: unique, ascending, deleted users left out (as Zendesk does)."""
        return sorted({uid for uid in user_ids if uid is not None and uid not in self.deleted_user_ids})

    # --------------------------------------------------------------- tickets

    def initial_states(self) -> list[TicketState]:
        """Every seeded ticket's state in id order: created over the 20 days before the epoch.

        About 5 % are deleted, 2 % are AI-agent tickets and 1 in 60 has 150–450 comments. Many
        tickets share a generated_timestamp (bulk updates), which is sometimes after updated_at.
        """
        opts = self.options
        rng = FastRandom(mix(opts.seed, 3))
        n, epoch = opts.tickets, opts.epoch
        start = epoch - HISTORY_SECONDS
        created = sorted(rng.randint(start, epoch) for _ in range(n))
        bursts = sorted(rng.randint(start, epoch) for _ in range(max(3, n // 50)))
        flags = [self._flags(rng) for _ in range(n)]
        for index, forced in ((3, "heavy"), (5, "ai_agent"), (8, "deleted")):
            if n > index and not any(forced in f for f in flags):
                flags[index] = {forced}
        states = []
        ticket_id = FIRST_TICKET_ID
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
                gts = max(updated_at, bursts[min(bisect.bisect_left(bursts, updated_at), len(bursts) - 1)])
            elif roll < 0.35:
                gts = min(epoch, updated_at + rng.randint(1, 600))
            comments = rng.randint(150, 450) if "heavy" in flags[number] else \
                rng.choices(range(1, 9), weights=(10, 14, 16, 16, 14, 12, 10, 8))[0]
            states.append(TicketState(
                id=ticket_id, number=number, created_at=created_at, activity_end=activity_end,
                updated_at=updated_at, generated_timestamp=gts, deleted=deleted,
                scope="ai_agent" if "ai_agent" in flags[number] else "agent", base_comments=comments))
            ticket_id += 1 if rng.random() < 0.9 else rng.randint(2, 4)
        return states

    @staticmethod
    def _flags(rng: FastRandom) -> set[str]:
        roll = rng.random()
        flags = {"deleted"} if roll < 0.05 else {"ai_agent"} if roll < 0.07 else set()
        if rng.random() < 1 / 60:
            flags.add("heavy")
        return flags

    def new_state(self, ticket_id: int, number: int, now: int) -> TicketState:
        """A ticket created now by a change, with 1–8 comments all stamped now."""
        rng = FastRandom(mix(self.options.seed, 10, ticket_id))
        return TicketState(
            id=ticket_id, number=number, created_at=now, activity_end=now, updated_at=now,
            generated_timestamp=now, deleted=False, scope="ai_agent" if rng.random() < 0.02 else "agent",
            base_comments=rng.randint(1, 8),
            overrides=(("status", "new"), ("custom_status_id", CUSTOM_STATUS_IDS["new"])))

    def updated_overrides(self, state: TicketState, change: int) -> tuple[tuple[str, Any], ...]:
        """New status, priority and tags for the ``change``-th update change."""
        rng = FastRandom(mix(self.options.seed, 9, state.id, change))
        status = rng.choice(("open", "pending", "hold", "solved"))
        overrides = dict(state.overrides)
        overrides.update(status=status, custom_status_id=CUSTOM_STATUS_IDS[status],
                         priority=rng.choice(("low", "normal", "high", "urgent")), tags=content.tags(rng))
        return tuple(overrides.items())

    @lru_cache(maxsize=4096)
    def _ticket_base(self, ticket_id: int, number: int) -> dict[str, Any]:
        """Every ticket field that does not depend on state, in the export's key order."""
        rng = FastRandom(mix(self.options.seed, 4, ticket_id))
        requester = rng.choice(self.end_user_ids)
        submitter = requester if rng.random() < 0.85 else rng.choice(self.agent_ids)
        status = rng.choice(("new", "open", "open", "pending", "hold", "solved", "solved", "closed"))
        assignee = None if status == "new" or rng.random() < 0.1 else rng.choice(self.agent_ids)
        collaborators = sorted(set(rng.sample(self.end_user_ids, rng.randint(1, 3)))) if rng.random() < 0.25 else []
        channel = rng.choice(CHANNELS + ("email",))
        subject = content.subject(rng, content.ALL_HOSTILE[number % len(content.ALL_HOSTILE)]
                                  if number % 3 == 0 else None)
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
            "raw_subject": "{{dc.greeting}} " + subject if rng.random() < 0.05 else subject,
            "description": self._text(*self._first_text(ticket_id, number))[0],
            "priority": rng.choice((None, "low", "normal", "normal", "high", "urgent")),
            "status": status,
            "recipient": "support@sandbox.example.com" if channel == "email" else None,
            "requester_id": requester,
            "submitter_id": submitter,
            "assignee_id": assignee,
            "organization_id": self._identity(requester)[2],
            "group_id": None if assignee is None else rng.choice(GROUP_IDS),
            "collaborator_ids": collaborators,
            "follower_ids": [rng.choice(self.agent_ids)] if rng.random() < 0.1 else [],
            "email_cc_ids": collaborators[:1],
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
        """The ticket exactly as the incremental export returns it for this state (scrubbed once deleted)."""
        ticket = dict(self._ticket_base(state.id, state.number))
        ticket["created_at"] = iso(state.created_at)
        ticket["updated_at"] = iso(state.updated_at)
        ticket["generated_timestamp"] = state.generated_timestamp
        ticket.update(state.overrides)
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

    @lru_cache(maxsize=None)
    def _text(self, entry: int, long: bool = False) -> tuple[str, bytes]:
        """Text pool entry: a body, and the JSON of its ``"body":…,"html_body":…,"plain_body":…`` members.

        Entry ``e`` always carries hostile fragment ``e % len(ALL_HOSTILE)``; long entries are just
        under Zendesk's 64 kB body limit.
        """
        rng = FastRandom(mix(self.options.seed, 5, entry, long))
        text = content.body(rng, content.ALL_HOSTILE[entry % len(content.ALL_HOSTILE)], long)
        members = (f'"body":{_encode(text)},"html_body":{_encode(content.html_body(text, rng))},'
                   f'"plain_body":{_encode(content.plain_body(text))}')
        return text, members.encode("utf-8")

    def _first_text(self, ticket_id: int, number: int) -> tuple[int, bool]:
        """Text of a ticket's first comment (its description): ticket ``number`` picks the hostile fragment,
        so any ``len(ALL_HOSTILE)`` consecutive tickets carry every fragment; 1 in 97 is nearly 64 kB."""
        fragments = len(content.ALL_HOSTILE)
        if number % 97 == 5:
            return number % fragments, True
        return number % fragments + fragments * (mix(self.options.seed, 13, ticket_id) % (self._text_pool // fragments)), False

    def comments(self, state: TicketState) -> list[Comment]:
        """Every comment of a ticket in default order (created_at, then id)."""
        base = self._ticket_base(state.id, state.number)
        rng = FastRandom(mix(self.options.seed, 6, state.id))
        comments = []
        for index, created_at in enumerate(self._comment_times(state, rng)):
            if index == 0:
                text = self._first_text(state.id, state.number)
            elif index == state.base_comments - 1 and state.number % 97 == 50:
                text = (rng.randrange(len(content.ALL_HOSTILE)), True)
            else:
                text = (rng.randrange(self._text_pool), False)
            comments.append(self._comment(base, index, created_at, self._text(*text)[1], rng))
        comments.sort(key=lambda c: (c.created_at, c.id))
        return comments

    @staticmethod
    def _comment_times(state: TicketState, rng: FastRandom) -> list[int]:
        """created_at of every comment, ascending; some share a second."""
        rest = sorted(rng.randint(state.created_at, state.activity_end) for _ in range(state.base_comments - 1))
        times = [state.created_at, *rest]
        for i in range(2, len(times)):
            if rng.random() < 0.15:
                times[i] = times[i - 1]
        if len(times) > 1 and rng.random() < 0.7:
            times[-1] = state.activity_end
        return times + list(state.extra_comment_times)

    def _comment(self, base: dict[str, Any], index: int, created_at: int, text: bytes, rng: FastRandom) -> Comment:
        """One comment's JSON, members in the order of ``ticket_comments.json``; about 25 % are private."""
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
        via = _PLAIN_VIA[channel] if channel != "email" else self._email_via(author, rng.randrange(2))
        attachments = self._attachments(rng, comment_id) if rng.random() < 0.12 else b"[]"
        custom = rng.choice(self._custom_pool) if rng.random() < 0.12 else b"{}"
        head = b'{"id":%d,"type":"Comment","author_id":%d,' % (comment_id, author)
        tail = (b',"public":%s,"attachments":%s,"audit_id":%d,"via":%s,"created_at":"%s",'
                b'"metadata":{"system":%s,"custom":%s}}') % (
            b"true" if public else b"false", attachments, comment_id - 1, via, iso(created_at).encode("ascii"),
            rng.choice(self._system_pool), custom)
        return Comment(created_at, comment_id, author, b"".join((head, text, tail)))

    @lru_cache(maxsize=8192)
    def _email_via(self, user_id: int, variant: int) -> bytes:
        """The ``via`` of an e-mailed comment names its sender."""
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
            token = b"%016x" % mix(self.options.seed, comment_id, k)
            host = self._base_url if rng.random() < 0.6 else b"https://files.example.net"
            attachments.append(
                b'{"id":%d,"file_name":%s,"content_url":"%s/attachments/token/%s/?name=%s","content_type":%s,'
                b'"size":%d,"thumbnails":[]}' % (comment_id + 2 + k, name_json, host, token, quoted_name, type_json,
                                                  rng.randint(1, 20_000_000)))
        return b"[" + b",".join(attachments) + b"]"
