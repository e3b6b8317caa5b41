"""Seeded, deterministic generation of Zendesk objects: users, tickets, comments, organizations, groups,
ticket fields.

Every object is a pure function of the :class:`Options` (seed, size, epoch, base URL) and,
for tickets and comments, of a small :class:`TicketState`; nothing is stored but bounded
caches. Field sets and key order copy ``shared/zendesk-samples``. Comment JSON is assembled
from parts encoded once (a seeded pool of hostile texts), so a comment costs microseconds.
"""

from __future__ import annotations

import bisect
import calendar
import hashlib
import itertools
import json
import random
import struct
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, NamedTuple

from . import attachments as files
from . import content

FIRST_TICKET_ID = 10001
FIRST_USER_ID = 90000000001
HISTORY_SECONDS = 20 * 86400
#: A ticket holds at most this many comments, as on Zendesk.
MAX_COMMENTS = 5000
#: Comment ``i`` of ticket ``t`` has id ``COMMENT_ID_BASE + t * 100_000 + i * 20 + 1``; its audit (the
#: ticket event) is the id just before, a voice comment's recording ``+ 2``, its ticket's Create events
#: (first comment only) ``+ 4`` to ``+ 9``, its attachments ``+ 10`` to ``+ 18``; 20 ids a comment and 5000
#: comments fit a ticket's range.
COMMENT_ID_BASE = 24_000_000_000_000
TICKET_ID_RANGE = 100_000
COMMENT_ID_STEP = 20
#: Offsets from a comment's id: its recording (voice comments) and its first attachment.
RECORDING_OFFSET, ATTACHMENT_OFFSET, MAX_ATTACHMENTS = 2, 10, 9
#: Update audits (``update`` changes) take ids ``UPDATE_AUDIT_BASE + 10 * n`` for the n-th update.
UPDATE_AUDIT_BASE = 26_000_000_000_000
#: User ids that belong to nobody (``odd`` tickets refer to them): never in a sideload or the truth's users.
GHOST_REQUESTER_ID = 90000000000
GHOST_AUTHOR_ID = 99999999999
#: The "person of interest" (an agent, ``agent2@sandbox.example.com``): requester of every 50th ticket (id % 50 == 7),
#: e-mail CC'd on every 9th (id % 9 == 4), follower of every other (id % 2 == 1), and (as an agent) author of many
#: comments: one person whose tickets fill several pages of each per-user list. Set without consuming random draws.
PERSON_INDEX = 2
#: The ticket event export names channels in words (``via`` of an audit is a string).
VIA_NAMES = {"web": "Web form", "email": "Email", "api": "Web service", "mobile": "Mobile",
             "voice": "Phone call (inbound)"}
#: Kinds of comments added by changes that are not ordinary (see ``Generator.comment``).
HUGE, NULL_AUTHOR, GHOST_AUTHOR, ODD_METADATA = "huge", "null_author", "ghost_author", "odd_metadata"
#: Kind of a comment added with ``n`` attachments by ``add_comments``: ``ATTACH + str(n)``.
ATTACH = "attach:"
ODD_COMMENTS = (NULL_AUTHOR, GHOST_AUTHOR, ODD_METADATA)
#: Distinct generated comment texts (fewer in small sandboxes).
TEXT_POOL = 4096

#: The first organizations (users have always pointed at these); an account has ``max(25, tickets // 20)``.
ORGANIZATION_IDS = (80000000001, 80000000002, 80000000003, 80000000004)
FIRST_ORGANIZATION_ID = ORGANIZATION_IDS[0]
#: Custom organization fields: every organization carries every key (keys that are no XML names).
ORGANIZATION_FIELD_KEYS = ("1st_key", "ключ", "with space", "a:b", "😀", "xml<tag>", "plan", "since")
#: Organization indexes (0-based) with a special role: the same name, bulk-updated seconds, a forced deletion.
SAME_NAME_ORGANIZATIONS = (2, 3)
BULK_ORGANIZATIONS = ((5, 6, 7, 8, 9, 10), (15, 16, 17))
DELETED_ORGANIZATION = 12
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
#: Custom ticket fields: ids are those of the tickets' ``custom_fields`` (``CUSTOM_FIELD_ID + i``), then one
#: inactive field no ticket uses. (type, title, raw_title, position, active, options, tag).
CUSTOM_FIELD_ID = 360001234567
CUSTOM_FIELDS = (
    ("text", "Category", "{{dc.category}}", 12, True, None, None),
    ("integer", "Ticket <type> & more", None, 9999, True, None, None),
    ("checkbox", "a:b", None, 10, True, None, "a_b_checked"),
    ("multiselect", "Produkt · Продукт · 製品 🛒", None, 9999, True,
     (("Option A", "option_a"), ("Option B", "option_b"), ("Ключ", "ключ"), ("Smile 😀", "😀")), None),
    ("date", "1. Priority", None, 11, True, None, None),
    ("decimal", "1. Priority", None, 9999, True, None, None),
    ("textarea", "שדה ‮RTL‬ notes", None, 9, True, None, None),
    ("tagger", "Legacy region", None, 9999, False, (("EMEA", "emea"), ("APAC", "apac"), ("Americas", "amer")), None),
)
INACTIVE_FIELD_ID = CUSTOM_FIELD_ID + len(CUSTOM_FIELDS) - 1
#: System ticket fields: (id, type, title, description, position, removable, system options).
SYSTEM_FIELDS = (
    (360000100001, "subject", "Subject", "", 1, False, None),
    (360000100002, "description", "Description", "Please enter the details of your request.", 2, False, None),
    (360000100003, "status", "Status", "Request status", 3, False,
     (("Open", "open"), ("Pending", "pending"), ("Solved", "solved"))),
    (360000100004, "tickettype", "Type", "Request type", 4, True,
     (("Question", "question"), ("Incident", "incident"), ("Problem", "problem"), ("Task", "task"))),
    (360000100005, "priority", "Priority", "Request priority", 5, True,
     (("Low", "low"), ("Normal", "normal"), ("High", "high"), ("Urgent", "urgent"))),
    (360000100006, "group", "Group", "Request group", 6, False, None),
    (360000100007, "assignee", "Assignee", "Agent assigned to your request", 7, False, None),
)
CUSTOM_STATUS_IDS = {"new": 360000111220, "open": 360000111221, "pending": 360000111222,
                     "hold": 360000111223, "solved": 360000111224, "closed": 360000111225}
TICKET_FORM_ID = 360000222333
BRAND_ID = 360000333444
CLIENTS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "Example Mail Client", "Zenpy/2.0.56",
           "Zendesk for iOS/5.0 (\u202eRTL client\u202c)", None)
LOCALES = ((1, "en-US", "Amsterdam"), (8, "de", "Berlin"), (66, "ar", "Riyadh"), (30, "he", "Jerusalem"),
           (67, "ja", "Tokyo"), (27, "ru", "Moscow"), (1, "en-US", "Eastern Time (US & Canada)"))
IANA_TIME_ZONES = {"Amsterdam": "Europe/Amsterdam", "Berlin": "Europe/Berlin", "Riyadh": "Asia/Riyadh",
                   "Jerusalem": "Asia/Jerusalem", "Tokyo": "Asia/Tokyo", "Moscow": "Europe/Moscow",
                   "Eastern Time (US & Canada)": "America/New_York"}
CHANNELS = ("web", "email", "api", "mobile")
_PLAIN_VIA = {channel: b'{"channel":"%s","source":{"from":{},"to":{},"rel":null}}' % channel.encode()
              for channel in CHANNELS}
_VOICE_VIA = {rel: b'{"channel":"voice","source":{"from":{},"to":{},"rel":"%s"}}' % rel.encode()
              for rel in ("inbound", "voicemail", "outbound")}
#: Share of comments with files (1-3 of them), of other comments that are voice comments, and of comments
#: carrying the e-mail signature logo as an inline image (e-mailed ones and others).
FILES_SHARE, VOICE_SHARE, LOGO_SHARE_EMAIL, LOGO_SHARE_OTHER = 0.12, 0.01, 0.3, 0.05
#: The first comment of ticket number ``n < FORCED_TICKETS`` carries the hostile case ``n % FORCE_PERIOD`` of
#: :meth:`Generator._forced_cases` (so that even a 60-ticket sandbox has most cases twice; numbers 3, 5 and 8 are left
#: alone: the forced heavy, AI-agent and deleted tickets). Larger sandboxes meet them in the seeded draws too.
FORCE_PERIOD = 40
FORCED_TICKETS = 2 * FORCE_PERIOD
_LOGO_ONLY = ((files.LOGO, "image001.png", True),)
_PUBLIC, _PRIVATE = b',"public":true,"attachments":', b',"public":false,"attachments":'


@lru_cache(maxsize=1 << 14)
def iso(timestamp: int) -> str:
    """Zendesk's timestamp format, e.g. ``2024-06-19T11:40:22Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII unescaped): the one encoding of every API body and of the truth."""
    return _encode(value).encode("utf-8")


def _id_json(user_id: int | None) -> bytes:
    return b"null" if user_id is None else b"%d" % user_id


#: The end of an Attachment object by (inline, deleted, malware_access_override, malware_scan_result).
_FLAGS = {(inline, deleted, override, scan): b'"inline":%s,"deleted":%s,"malware_access_override":%s,'
          b'"malware_scan_result":"%s","thumbnails":[]' % (
              b"true" if inline else b"false", b"true" if deleted else b"false", b"true" if override else b"false",
              scan.encode())
          for inline in (False, True) for deleted in (False, True) for override in (False, True)
          for scan in ("malware_not_found", "malware_found", "not_scanned", "failed_to_scan")}


def _text_members(text: str, html: str) -> tuple[str, bytes, bytes]:
    """A body, the JSON of its ``"body":…,"html_body":…,"plain_body":…`` members, and of its ``"body":…,
    "html_body":…`` members alone; in both, the ``html_body`` string ends right before ``len(body_html) - 1``."""
    body_html = f'"body":{_encode(text)},"html_body":{_encode(html)}'.encode("utf-8")
    return text, body_html + b',"plain_body":' + _encode(content.plain_body(text)).encode("utf-8"), body_html



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


class DrawRandom:
    """A one-comment generator: its first 16 draws come from one BLAKE2b digest of ``key`` (cheaper than
    seeding a Mersenne Twister, which only a rare 17th draw pays for). ``FastRandom``'s interface.

    Draws have 32 bits of resolution, plenty for the choices a comment makes.
    """

    __slots__ = ("random",)

    def __init__(self, key: bytes) -> None:
        digest = hashlib.blake2b(key, digest_size=64).digest()
        self.random = itertools.chain(map(_INV_2_32.__mul__, _UNPACK_16(digest)), _MoreDraws(digest)).__next__

    choice = FastRandom.choice
    randint = FastRandom.randint
    randrange = FastRandom.randrange


_INV_2_32 = 1.0 / 4294967296.0
_UNPACK_16 = struct.Struct("<16I").unpack


class _MoreDraws:
    """Draws after the 16th: a Mersenne Twister seeded (from the digest) only when iterated."""

    __slots__ = ("digest",)

    def __init__(self, digest: bytes) -> None:
        self.digest = digest

    def __iter__(self) -> Iterator[float]:
        rng = FastRandom(int.from_bytes(self.digest, "big"))
        while True:
            yield rng.random()


@dataclass(frozen=True)
class Options:
    """Everything the generated data depends on."""

    tickets: int = 300
    seed: int = 1
    #: Unix time the generated history ends at; every generated timestamp is at or before it.
    epoch: int = 0
    base_url: str = "http://127.0.0.1"
    admin_email: str = "admin@sandbox.example.com"
    #: About 1 ticket in 60 has 150-450 comments; off: 1-8 comments each (about 4), for benchmarks.
    heavy_tickets: bool = True


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
    #: (comment index, kind) of comments added by ``huge_comment`` and ``odd`` changes.
    special: tuple[tuple[int, str], ...] = ()
    #: Served in unexpected shapes (``odd`` change): missing fields, wrong types, users that do not exist.
    odd: bool = False
    #: (time, update number) of every ``update`` change, oldest first (their audits in the event export).
    updates: tuple[tuple[int, int], ...] = ()
    #: The status a ticket created by a change was created with (its Create event).
    created_status: str | None = None

    @property
    def key(self) -> tuple[int, int]:
        """Position in the incremental export stream."""
        return (self.generated_timestamp, self.id)

    @property
    def comment_count(self) -> int:
        """Comments the ticket holds (0 once deleted)."""
        return 0 if self.deleted else self.total_comments

    @property
    def total_comments(self) -> int:
        """Comments the ticket holds or held before it was deleted (their events stay in the event export)."""
        return self.base_comments + len(self.extra_comment_times)


class Attached(NamedTuple):
    """One attachment of a comment: its id, the catalog file it serves, its name and state."""

    id: int
    file: int
    name: str
    inline: bool = False
    deleted: bool = False
    #: ``malware_scan_result``: malware_not_found, malware_found, not_scanned or failed_to_scan.
    scan: str = "malware_not_found"
    override: bool = False

    @property
    def why_not(self) -> str | None:
        """Why a download gets no bytes (``deleted``, ``malware_found``), or None when it is served."""
        if self.deleted:
            return "deleted"
        if self.scan == "malware_found" and not self.override:
            return "malware_found"
        return None


class Recording(NamedTuple):
    """The recording of a voice comment: its id (``comment id + 2``), the catalog file, the call SID."""

    id: int
    file: int
    sid: str


class Comment(NamedTuple):
    """A generated comment: its position in the ticket's comment order, its author, its JSON, and the
    parts its ticket event (``comment_events`` sideload) is assembled from, byte for byte the same values."""

    created_at: int
    id: int
    author_id: int | None
    json: bytes
    public: bool
    #: JSON of ``via``, ``attachments``, and of the ``"body":…,"html_body":…`` members.
    via: bytes
    attachments: bytes
    body_html: bytes
    channel: str
    #: Index into the generator's pool of ``metadata.system`` values.
    system: int
    #: The ``attachments`` array with inline images too (``include_inline_images=true``), when it differs, and
    #: where ``attachments`` starts in ``json``.
    inline_attachments: bytes | None = None
    attachments_at: int = 0
    #: Every attachment, inline ones included, in their order in ``json_inline``.
    files: tuple[Attached, ...] = ()
    #: A voice comment's recording, if it has one.
    recording: Recording | None = None
    #: A voice comment's members after ``metadata`` (``,"data":…,"formatted_from":…,…``); empty otherwise.
    voice: bytes = b""

    @property
    def type(self) -> str:
        return "VoiceComment" if self.voice else "Comment"

    @property
    def json_inline(self) -> bytes:
        """The JSON with inline images listed among the attachments (``include_inline_images=true``)."""
        if self.inline_attachments is None:
            return self.json
        at = self.attachments_at
        return self.json[:at] + self.inline_attachments + self.json[at + len(self.attachments):]


class People(NamedTuple):
    """The ticket fields comments and Create events depend on (cheap to cache for every ticket)."""

    requester: int
    submitter: int
    status: str
    assignee: int | None
    collaborators: tuple[int, ...]
    channel: str
    priority: str | None
    type: str | None
    group: int | None


class Generator:
    """Users, tickets and comments of one seeded account; thread-safe (only caches mutate)."""

    def __init__(self, options: Options) -> None:
        self.options = options
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
        self.deleted_user_ids: frozenset[int] = frozenset(deleted)
        self._text_pool = max(len(content.ALL_HOSTILE), min(2 * n, TEXT_POOL))
        self._base_url = options.base_url.encode("ascii")
        pool_rng = FastRandom(mix(options.seed, 11))
        systems = [self._system(pool_rng) for _ in range(64)]
        self._system_pool = [dumps(system) for system in systems]
        #: An audit's ``system`` is its comment's ``metadata.system`` without the IP address.
        self._audit_system_pool = [dumps({k: v for k, v in system.items() if k != "ip_address"}) for system in systems]
        self._custom_pool = [dumps(content.custom_metadata(pool_rng)) for _ in range(32)]
        self._odd_metadata = dumps(content.deep_metadata())
        #: Busy seconds shared by many tickets (bulk replies, macros, imports): about a third of the comments
        #: fall on one of them when their ticket is active then, so ticket events pile up within a second.
        burst_rng = FastRandom(mix(options.seed, 17))
        self.comment_bursts: list[int] = sorted(
            burst_rng.randint(options.epoch - HISTORY_SECONDS, options.epoch) for _ in range(max(3, n // 40)))
        self._last_user_id = self.end_user_ids[-1]
        #: The account's distinct attachment files and its URL tokens.
        self.catalog = files.Catalog(options.seed, n)
        self.tokens = files.Tokens(options.seed)
        self._attachment_url = b'{"url":"%s/api/v2/attachments/' % self._base_url
        self._forced = self._forced_cases()
        #: Organizations: ids in one range from 80000000001; about 5 % deleted (index 12 always), two with
        #: the same name, two bulk-updated seconds that several organizations share.
        self.organization_ids: tuple[int, ...] = tuple(
            range(FIRST_ORGANIZATION_ID, FIRST_ORGANIZATION_ID + max(25, n // 20)))
        org_rng = FastRandom(mix(options.seed, 20))
        self.deleted_organization_ids: frozenset[int] = frozenset(
            oid for i, oid in enumerate(self.organization_ids)
            if (org_rng.random() < 0.05 and i not in SAME_NAME_ORGANIZATIONS) or i == DELETED_ORGANIZATION)
        self._organization_bulk: dict[int, int] = {}
        for members in BULK_ORGANIZATIONS:
            second = options.epoch - org_rng.randint(86400, 15 * 86400)
            self._organization_bulk.update((self.organization_ids[i], second) for i in members)

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
        return name, email, None if rng.random() < 0.4 else rng.choice(self.organization_ids)

    def _user_times(self, user_id: int) -> tuple[int, int]:
        """A user's created_at and updated_at (the first draws of :meth:`user`, cheap for ordering every user)."""
        rng = FastRandom(mix(self.options.seed, 16, user_id))
        created = self.options.epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        return created, rng.randint(created, self.options.epoch)

    def user_updated_at(self, user_id: int) -> int:
        """A seeded user's updated_at (the users export's order)."""
        return self._user_times(user_id)[1]

    @lru_cache(maxsize=4096)
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
        deleted = user_id in self.deleted_user_ids
        name, email, organization_id = self._identity(user_id)
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

    @staticmethod
    def deleted_user(user: dict[str, Any]) -> dict[str, Any]:
        """A user object as it looks once deleted (inactive, no email, ``permanently_deleted: false`` last)."""
        user = {**user, "active": False, "email": None}
        user.pop("permanently_deleted", None)
        user["permanently_deleted"] = False
        return user

    @staticmethod
    def renamed(name: str, change: int) -> str:
        """The name (or title) a record gets from its ``change``-th update change."""
        return f"{name} \u270e{change}"

    @lru_cache(maxsize=None)
    def user_json(self, user_id: int) -> bytes:
        """The user object's JSON, encoded once and kept (about 1 kB a user)."""
        return dumps(self.user(user_id))

    def is_user(self, user_id: Any) -> bool:
        """Whether an id (of any JSON type) names a seeded user, deleted or not (sideloads go through
        :class:`~zendesk_sandbox.account.Account`, which knows the changes)."""
        return type(user_id) is int and FIRST_USER_ID <= user_id <= self._last_user_id


    # ---------------------------------------------------------- organizations

    @lru_cache(maxsize=None)
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
        if organization_id in self._organization_bulk:
            updated = self._organization_bulk[organization_id]
            created = min(created, updated)
        if index in SAME_NAME_ORGANIZATIONS:
            name = "Acme Ünïcode GmbH"
        else:
            name = rng.choice((
                f"{rng.choice(content.LAST_NAMES)} & {rng.choice(content.LAST_NAMES)} {rng.choice(('GmbH', 'Ltd', 'S.A.', 'K.K.', 'ООО', 'בע״מ'))}",
                f"{rng.choice(content.SCRIPTS)[:40]}",
                f"{rng.choice(content.EMOJI)} {rng.choice(content.FIRST_NAMES)} Corp",
                f"شركة {rng.choice(content.LAST_NAMES)} \u202eRTL\u202c",
            )) + f" #{index}"
        deleted = organization_id in self.deleted_organization_ids
        fields = self._organization_fields(rng, index)
        organization = {
            "url": f"{self.options.base_url}/api/v2/organizations/{organization_id}.json",
            "id": organization_id,
            "name": f"{organization_id}_deleted_{name}" if deleted else name,
            "shared_tickets": rng.random() < 0.3,
            "shared_comments": rng.random() < 0.2,
            "external_id": rng.choice((None, None, f"crm-org-{index}", "ext/\u00e9\u202e\u0001")),
            "created_at": iso(created),
            "updated_at": iso(updated),
            "domain_names": rng.choice(([], [f"org{index}.example.com"], ["bücher.example", f"org{index}.example.net"])),
            "details": rng.choice((None, "", rng.choice(content.SCRIPTS), rng.choice(content.MARKUP))),
            "notes": rng.choice((None, "", "line1\r\nline2\u0001\u000b\u2028end", rng.choice(content.SPECIAL))),
            "group_id": rng.choice((None, None, *GROUP_IDS)),
            "tags": content.tags(rng) if rng.random() < 0.5 else [],
            "organization_fields": fields,
            "deleted_at": iso(updated) if deleted else None,
        }
        return organization

    @staticmethod
    def _organization_fields(rng: FastRandom, index: int) -> dict[str, Any]:
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
        return dict(zip(ORGANIZATION_FIELD_KEYS, values))

    @lru_cache(maxsize=None)
    def organization_json(self, organization_id: int) -> bytes:
        """The organization's JSON, encoded once and kept."""
        return dumps(self.organization(organization_id))

    def organization_updated_at(self, organization_id: int) -> int:
        """A seeded organization's updated_at (the organization export's order)."""
        return calendar.timegm(time.strptime(self.organization(organization_id)["updated_at"], "%Y-%m-%dT%H:%M:%SZ"))

    # ----------------------------------------------------------------- groups

    @lru_cache(maxsize=None)
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

    @lru_cache(maxsize=None)
    def group_json(self, group_id: int) -> bytes:
        return dumps(self.group(group_id))

    # ---------------------------------------------------------- ticket fields

    @lru_cache(maxsize=None)
    def ticket_field_json(self, field_id: int) -> bytes:
        return dumps(self.ticket_field(field_id))

    @lru_cache(maxsize=None)
    def ticket_field(self, field_id: int) -> dict[str, Any]:
        """A system or custom ticket field, members in the order of ``ticket_fields.json`` (real responses).

        Custom fields have the ids the tickets' ``custom_fields`` carry (plus an inactive tagger no ticket uses),
        hostile titles (two the same, scripts, markup, ``a:b``), one with a dynamic-content ``raw_title``.
        """
        rng = FastRandom(mix(self.options.seed, 23, field_id))
        created = self.options.epoch - rng.randint(HISTORY_SECONDS + 86400, 3 * 365 * 86400)
        updated = rng.randint(created, self.options.epoch - HISTORY_SECONDS)
        system = next((f for f in SYSTEM_FIELDS if f[0] == field_id), None)
        custom_options: Any = None
        if system is not None:
            _, kind, title, description, position, removable, options = system
            raw_title, active, tag = title, True, None
            system_options = options
        else:
            index = field_id - CUSTOM_FIELD_ID
            kind, title, raw_title, position, active, custom_options, tag = CUSTOM_FIELDS[index]
            raw_title = raw_title or title
            description, removable, system_options = rng.choice(("", "Agents only \u2014 <i>internal</i>")), True, None
        field: dict[str, Any] = {
            "url": f"{self.options.base_url}/api/v2/ticket_fields/{field_id}.json",
            "id": field_id,
            "type": kind,
            "title": title,
            "raw_title": raw_title,
            "description": description,
            "raw_description": description,
            "position": position,
            "active": active,
            "required": False,
            "collapsed_for_agents": False,
            "regexp_for_validation": None,
            "title_in_portal": title,
            "raw_title_in_portal": raw_title,
            "visible_in_portal": system is not None and kind in ("subject", "description"),
            "editable_in_portal": system is not None and kind in ("subject", "description"),
            "required_in_portal": system is not None and kind in ("subject", "description"),
            "tag": tag,
            "created_at": iso(created),
            "updated_at": iso(updated),
            "removable": removable,
            "key": None,
            "agent_description": None,
        }
        if system_options is not None:
            field["system_field_options"] = [{"name": name, "value": value} for name, value in system_options]
            if kind in ("status", "priority"):
                field["sub_type_id"] = 0
        if custom_options is not None:
            field["custom_field_options"] = [
                {"id": field_id * 10 + k, "name": name, "raw_name": name, "value": value, "default": False}
                for k, (name, value) in enumerate(custom_options)]
        return field

    @staticmethod
    def ticket_field_ids() -> tuple[int, ...]:
        """Every ticket field id, ascending (system fields first)."""
        return tuple(f[0] for f in SYSTEM_FIELDS) + tuple(CUSTOM_FIELD_ID + i for i in range(len(CUSTOM_FIELDS)))

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
        if not opts.heavy_tickets:
            for ticket_flags in flags:
                ticket_flags.discard("heavy")
        for index, forced in ((3, "heavy"), (5, "ai_agent"), (8, "deleted")):
            if forced == "heavy" and not opts.heavy_tickets:
                continue
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
            base_comments=rng.randint(1, 8), created_status="new",
            overrides=(("status", "new"), ("custom_status_id", CUSTOM_STATUS_IDS["new"])))

    def update_values(self, ticket_id: int, change: int) -> tuple[str, str, list[str], int]:
        """Status, priority, tags and the updating agent of the ``change``-th update change."""
        rng = FastRandom(mix(self.options.seed, 9, ticket_id, change))
        status = rng.choice(("open", "pending", "hold", "solved"))
        priority = rng.choice(("low", "normal", "high", "urgent"))
        tags = content.tags(rng)
        return status, priority, tags, rng.choice(self.agent_ids)

    def updated_overrides(self, state: TicketState, change: int) -> tuple[tuple[str, Any], ...]:
        """New status, priority and tags for the ``change``-th update change."""
        status, priority, tags, _ = self.update_values(state.id, change)
        overrides = dict(state.overrides)
        overrides.update(status=status, custom_status_id=CUSTOM_STATUS_IDS[status], priority=priority, tags=tags)
        return tuple(overrides.items())

    @lru_cache(maxsize=1 << 14)
    def people(self, ticket_id: int) -> People:
        """The ticket's people, status, channel, priority, type and group (what comments and events need)."""
        rng = FastRandom(mix(self.options.seed, 4, ticket_id))
        requester = rng.choice(self.end_user_ids)
        submitter = requester if rng.random() < 0.85 else rng.choice(self.agent_ids)
        status = rng.choice(("new", "open", "open", "pending", "hold", "solved", "solved", "closed"))
        assignee = None if status == "new" or rng.random() < 0.1 else rng.choice(self.agent_ids)
        collaborators = tuple(sorted(set(rng.sample(self.end_user_ids, rng.randint(1, 3))))) \
            if rng.random() < 0.25 else ()
        channel = rng.choice(CHANNELS + ("email",))
        priority = rng.choice((None, "low", "normal", "normal", "high", "urgent"))
        ticket_type = rng.choice((None, "question", "incident", "problem", "task"))
        group = None if assignee is None else rng.choice(GROUP_IDS)
        person = self.person_id
        if ticket_id % 50 == 7:
            submitter = person if submitter == requester else submitter
            requester = person
        if ticket_id % 9 == 4:
            collaborators = (person, *(c for c in collaborators if c != person))
        return People(requester, submitter, status, assignee, collaborators, channel, priority, ticket_type, group)

    @lru_cache(maxsize=4096)
    def _ticket_base(self, ticket_id: int, number: int) -> dict[str, Any]:
        """Every ticket field that does not depend on state, in the export's key order."""
        people = self.people(ticket_id)
        rng = FastRandom(mix(self.options.seed, 14, ticket_id))
        requester, channel, ticket_type = people.requester, people.channel, people.type
        collaborators = list(people.collaborators)
        subject = content.subject(rng, content.ALL_HOSTILE[number % len(content.ALL_HOSTILE)]
                                  if number % 3 == 0 else None)
        custom_fields = self._custom_fields(rng)
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
            "priority": people.priority,
            "status": people.status,
            "recipient": "support@sandbox.example.com" if channel == "email" else None,
            "requester_id": requester,
            "submitter_id": people.submitter,
            "assignee_id": people.assignee,
            "organization_id": self._identity(requester)[2],
            "group_id": people.group,
            "collaborator_ids": collaborators,
            "follower_ids": self._followers([rng.choice(self.agent_ids)] if rng.random() < 0.1 else [], ticket_id),
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
            "custom_status_id": CUSTOM_STATUS_IDS[people.status],
            "fields": [dict(field) for field in custom_fields],
            "followup_ids": [],
            "ticket_form_id": TICKET_FORM_ID,
            "brand_id": BRAND_ID,
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
            "generated_timestamp": 0,
        }

    def ticket_followers(self, ticket_id: int, number: int) -> list[int]:
        """A ticket's seeded follower_ids."""
        return list(self._ticket_base(ticket_id, number)["follower_ids"])

    def _followers(self, drawn: list[int], ticket_id: int) -> list[int]:
        """A ticket's follower_ids: the drawn agent, plus the person of interest on every other ticket."""
        if ticket_id % 2 == 1 and self.person_id not in drawn:
            return sorted([*drawn, self.person_id])
        return drawn

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
        """The ticket exactly as the incremental export returns it for this state (scrubbed once deleted,
        in unexpected shapes once ``odd``)."""
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
        elif state.odd:
            self._make_odd(ticket)
        return ticket

    def _make_odd(self, ticket: dict[str, Any]) -> None:
        """Shapes no documentation promises: fields missing, a string where a list or id belongs, nested
        custom field values, a null list, a requester that exists nowhere."""
        for name in ("subject", "description", "via"):
            del ticket[name]
        tags = ticket["tags"]
        ticket["tags"] = " ".join(tags) if tags else "vip, billing; <b>odd</b>"
        odd_fields = [
            {"id": 360001234567, "value": {"nested": {"list": [1, [2, [3, {"deep": None}]], "x"], "": {}}}},
            {"id": 360001234568, "value": [["a", "b"], [], [{"k": [True, False, None]}], 12345678901234567890]},
            {"id": 360001234569, "value": {"<b>": "]]>", "1st": [{"x:y": "\u202eRTL"}], "ctl\x01": "\x02"}},
            {"id": "360001234570", "value": None},
            {"value": "a field without an id"},
        ]
        ticket["custom_fields"] = odd_fields
        ticket["fields"] = json.loads(_encode(odd_fields))
        ticket["collaborator_ids"] = None
        ticket["requester_id"] = GHOST_REQUESTER_ID
        ticket["assignee_id"] = str(self.agent_ids[1])

    @staticmethod
    def ticket_user_ids(ticket: dict[str, Any]) -> list[Any]:
        """Users a ticket refers to (what ``include=users`` sideloads for it); odd shapes tolerated."""
        ids = [ticket.get("requester_id"), ticket.get("submitter_id"), ticket.get("assignee_id")]
        for name in ("collaborator_ids", "follower_ids", "email_cc_ids"):
            value = ticket.get(name)
            if isinstance(value, list):
                ids += value
        return ids

    # -------------------------------------------------------------- comments

    @lru_cache(maxsize=None)
    def _text(self, entry: int, long: bool = False) -> tuple[str, bytes, bytes]:
        """Text pool entry: a body, the JSON of its ``"body":…,"html_body":…,"plain_body":…`` members, and
        of its ``"body":…,"html_body":…`` members alone (what a comment event carries).

        Entry ``e`` always carries hostile fragment ``e % len(ALL_HOSTILE)``; long entries are just
        under Zendesk's 64 kB body limit.
        """
        rng = FastRandom(mix(self.options.seed, 5, entry, long))
        text = content.body(rng, content.ALL_HOSTILE[entry % len(content.ALL_HOSTILE)], long)
        return _text_members(text, content.html_body(text, rng))

    @lru_cache(maxsize=8)
    def _huge_text(self, ticket_id: int, index: int) -> tuple[str, bytes, bytes]:
        """A body of about 1 MB (``huge_comment``): far over Zendesk's 64 kB cap, hostile all the way."""
        rng = FastRandom(mix(self.options.seed, 18, ticket_id, index))
        text = content.body(rng, content.ALL_HOSTILE[index % len(content.ALL_HOSTILE)], size=content.HUGE_BODY_BYTES)
        return _text_members(text, content.html_body(text, rng))

    def _first_text(self, ticket_id: int, number: int) -> tuple[int, bool]:
        """Text of a ticket's first comment (its description): ticket ``number`` picks the hostile fragment,
        so any ``len(ALL_HOSTILE)`` consecutive tickets carry every fragment; 1 in 97 is nearly 64 kB."""
        fragments = len(content.ALL_HOSTILE)
        if number % 97 == 5:
            return number % fragments, True
        return number % fragments + fragments * (mix(self.options.seed, 13, ticket_id) % (self._text_pool // fragments)), False

    def base_comment_times(self, state: TicketState) -> list[int]:
        """created_at of the generated comments, ascending: the first at the ticket's creation, the others in
        its active period, some sharing a second with the previous one, about a third on busy seconds that
        many tickets share (``comment_bursts``)."""
        rng = FastRandom(mix(self.options.seed, 7, state.id))
        start, end = state.created_at, state.activity_end
        times = [rng.randint(start, end) for _ in range(state.base_comments - 1)]
        bursts = self.comment_bursts
        lo, hi = bisect.bisect_left(bursts, start), bisect.bisect_right(bursts, end)
        if hi > lo:
            times = [bursts[lo + rng.randrange(hi - lo)] if rng.random() < 0.35 else t for t in times]
        times.sort()
        for i in range(1, len(times)):
            if rng.random() < 0.15:
                times[i] = times[i - 1]
        if times and rng.random() < 0.7:
            times[-1] = end
        return [start, *times]

    def comment_times(self, state: TicketState) -> list[int]:
        """created_at of every comment the ticket holds (or held, once deleted), ascending."""
        return self.base_comment_times(state) + list(state.extra_comment_times)

    def comments(self, state: TicketState) -> list[Comment]:
        """Every comment of a ticket in default order (created_at, then id); also those of a deleted ticket."""
        special = dict(state.special)
        comments = [self.comment(state, index, created_at, special.get(index))
                    for index, created_at in enumerate(self.comment_times(state))]
        comments.sort(key=lambda c: (c.created_at, c.id))
        return comments

    def comment(self, state: TicketState, index: int, created_at: int, kind: str | None = None) -> Comment:
        """Comment ``index`` of a ticket, members in the order of ``ticket_comments.json``; about 25 % private.

        Each comment has its own seeded generator, so one comment costs the same whatever its position
        (the ticket event export renders comments one at a time). ``kind`` is ``None``, ``HUGE`` (a body of
        about 1 MB), one of the ``ODD_COMMENTS`` (null author, an author that exists nowhere, ``attachments``
        null with deeply nested ``metadata``) or ``ATTACH + "n"`` (n attachments, the first of new bytes).

        About 12 % of comments carry 1-3 files, a share of them the e-mail signature logo as an inline image
        (listed only with ``include_inline_images=true``, referenced by an ``<img>`` in ``html_body`` either
        way), about 1 % of later comments are voice comments; the first comment of some tickets carries a forced
        hostile case (see :meth:`_forced_cases`).
        """
        people = self.people(state.id)
        rng = DrawRandom(b"%d,6,%d,%d" % (self.options.seed, state.id, index))
        if kind == HUGE:
            text = self._huge_text(state.id, index)
        elif index == 0:
            text = self._text(*self._first_text(state.id, state.number))
        elif index == state.base_comments - 1 and state.number % 97 == 50:
            text = self._text(rng.randrange(len(content.ALL_HOSTILE)), True)
        else:
            text = self._text(rng.randrange(self._text_pool), False)
        comment_id = COMMENT_ID_BASE + state.id * TICKET_ID_RANGE + index * COMMENT_ID_STEP + 1
        public = index == 0 or rng.random() >= 0.33
        requester = people.requester
        agent = people.assignee or rng.choice(self.agent_ids)
        author: int | None
        if index == 0:
            author = people.submitter
        elif not public:
            author = agent
        else:
            author = rng.choice((requester, requester, agent, *people.collaborators))
        channel = people.channel if index == 0 else "email" if author == requester and rng.random() < 0.5 else "web"
        via = _PLAIN_VIA[channel] if channel != "email" else self._email_via(author, rng.randrange(2))
        files_roll, logo_roll = rng.random(), rng.random()
        forced = self._forced.get(state.number % FORCE_PERIOD) \
            if index == 0 and kind is None and state.number < FORCED_TICKETS else None
        voice_case = forced if isinstance(forced, str) else None
        if voice_case is None and kind is None and index > 0 and rng.random() < VOICE_SHARE:
            voice_case = ("answered", "voicemail", "answered", "no_recording")[int(files_roll * 4)]
        system = rng.randrange(len(self._system_pool))
        custom = rng.choice(self._custom_pool) if rng.random() < 0.12 else b"{}"
        metadata = b'{"system":%s,"custom":%s}' % (self._system_pool[system], custom)
        voice, recording, attached = b"", None, ()
        if voice_case is not None:
            author = agent if voice_case == "answered" else requester
            channel = "voice"
            via = _VOICE_VIA["voicemail" if voice_case in ("voicemail", "no_recording_absent") else "inbound"]
            recording, voice = self._voice(state, comment_id, created_at, voice_case, agent)
        elif kind is not None and kind.startswith(ATTACH):
            attached = self._uploaded(comment_id, int(kind[len(ATTACH):]))
        elif kind != ODD_METADATA and (forced is not None or files_roll < FILES_SHARE or logo_roll < LOGO_SHARE_EMAIL):
            specs = forced if isinstance(forced, tuple) else self._drawn(comment_id, files_roll, logo_roll, channel)
            attached = tuple(Attached(comment_id + ATTACHMENT_OFFSET + k, *spec) for k, spec in enumerate(specs))
        if kind in ODD_COMMENTS:
            channel, via = "web", _PLAIN_VIA["web"]
            if kind == NULL_AUTHOR:
                author = None
            elif kind == GHOST_AUTHOR:
                author = GHOST_AUTHOR_ID
            else:
                metadata = self._odd_metadata
        members, body_html = text[1], text[2]
        listed = inline = b"[]"
        if kind == ODD_METADATA:
            listed = inline = b"null"
        elif attached:
            urls = [self.content_url(a) for a in attached]
            parts = [self.attachment_json(a, url) for a, url in zip(attached, urls)]
            listed = b"[" + b",".join(p for p, a in zip(parts, attached) if not a.inline) + b"]"
            images = b"".join(b'<p><img src=\\"%s\\"></p>' % url for a, url in zip(attached, urls) if a.inline)
            if images:
                inline = b"[" + b",".join(parts) + b"]"
                end = len(body_html) - 1
                body_html = body_html[:end] + images + body_html[end:]
                members = body_html + members[end + 1:]
            else:
                inline = listed
        head = b'{"id":%d,"type":"%s","author_id":%s,' % (
            comment_id, b"VoiceComment" if voice else b"Comment", _id_json(author))
        opening = _PUBLIC if public else _PRIVATE
        tail = b'%s%s,"audit_id":%d,"via":%s,"created_at":"%s","metadata":%s%s}' % (
            opening, listed, comment_id - 1, via, iso(created_at).encode("ascii"), metadata, voice)
        at = len(head) + len(members) + len(opening)  # where the attachments array starts
        return Comment(created_at, comment_id, author, b"".join((head, members, tail)), public, via, listed, body_html,
                       channel, system, None if inline is listed else inline, at, attached, recording, voice)

    # ------------------------------------------------------------ attachments

    def _forced_cases(self) -> dict[int, tuple[tuple[Any, ...], ...] | str]:
        """The hostile case of the first comment of ticket number ``n`` (``n % FORCE_PERIOD``): attachment specs
        ``(file, name, inline, deleted, scan, override)`` or the name of a voice comment case."""
        catalog, pool = self.catalog, files.POOL_FIRST

        def named(key: int, **flags: Any) -> tuple[Any, ...]:
            spec = Attached(0, key, catalog.spec(key).name, **flags)
            return spec[1:]

        hostile = [named(files.HOSTILE_FIRST + k) for k in range(len(files.HOSTILE_FILES))]
        return {
            1: (named(pool, deleted=True),),
            2: (named(pool + 1, scan="malware_found"), named(files.SHARED_PDF)),
            4: (named(pool + 2, scan="malware_found", override=True),),
            6: (named(files.REDACTED),),
            7: tuple(named(key) for key in files.LARGE),
            9: tuple(hostile[:8]),
            10: tuple(hostile[8:16]),
            11: tuple(hostile[16:]),
            12: (named(files.HOSTILE_FIRST, inline=True), named(files.SHARED_PDF), named(files.SHARED_PDF),
                 named(files.LOGO, inline=True)),
            13: (named(pool + 3, scan="not_scanned"), named(pool + 4, scan="failed_to_scan"),
                 named(pool + 5, deleted=True, scan="malware_found")),
            14: "answered",
            15: "voicemail",
            16: "no_recording",
            17: "no_recording_absent",
        }

    def _drawn(self, comment_id: int, files_roll: float, logo_roll: float,
               channel: str) -> tuple[tuple[Any, ...], ...]:
        """Seeded attachments: 1-3 files for about 12 % of comments (the shared PDF, now and then a large file,
        else the hostile names and the pool; pasted PNG screenshots inline; about 1.5 % deleted, 1.5 % flagged as
        malware (40 % of those overridden), 1 % redacted to an empty ``redacted.txt``, a few not scanned),
        then the signature logo (inline) on a share of the comments, more of the e-mailed ones."""
        if files_roll >= FILES_SHARE:
            return _LOGO_ONLY if logo_roll < (LOGO_SHARE_EMAIL if channel == "email" else LOGO_SHARE_OTHER) else ()
        specs: list[tuple[Any, ...]] = []
        catalog = self.catalog
        rng = DrawRandom(b"%d,att,%d" % (self.options.seed, comment_id))
        for _ in range(1 + int(rng.random() * rng.random() * 3)):
            roll = rng.random()
            if roll < 0.04:
                key = files.SHARED_PDF
            elif roll < 0.046:
                key = files.LARGE[int((roll - 0.04) / 0.002)]
            else:
                key = catalog.pool_key(rng.random())
            spec = catalog.spec(key)
            inline = spec.kind == files.PNG and rng.random() < 0.25
            status = rng.random()
            name, deleted, scan, override = spec.name, False, "malware_not_found", False
            if status < 0.015:
                deleted = True
            elif status < 0.03:
                scan, override = "malware_found", rng.random() < 0.4
            elif status < 0.034:
                scan = "not_scanned"
            elif status < 0.036:
                scan = "failed_to_scan"
            elif status < 0.046:
                key, name = files.REDACTED, "redacted.txt"
            specs.append((key, name, inline, deleted, scan, override))
        if logo_roll < (LOGO_SHARE_EMAIL if channel == "email" else LOGO_SHARE_OTHER):
            specs.append(_LOGO_ONLY[0])
        return tuple(specs)

    def _uploaded(self, comment_id: int, count: int) -> tuple[Attached, ...]:
        """The attachments of a comment added with ``count`` attachments: new bytes first, then shared ones
        (the shared PDF, the inline signature logo, pool files)."""
        out = []
        for k in range(count):
            attachment_id = comment_id + ATTACHMENT_OFFSET + k
            key = (attachment_id if k == 0 else files.SHARED_PDF if k == 1 else files.LOGO if k == 2
                   else files.POOL_FIRST + (comment_id + k) % self.catalog.pool)
            out.append(Attached(attachment_id, key, self.catalog.spec(key).name, inline=key == files.LOGO))
        return tuple(out)

    def content_url(self, attachment: Attached) -> bytes:
        """``{base}/attachments/token/{token}/?name={file name}``, as Zendesk's ``content_url``."""
        return b"%s/attachments/token/%s/?name=%s" % (
            self._base_url, self.tokens.attachment(attachment.id).encode("ascii"), files.name_parts(attachment.name)[1])

    def attachment_json(self, attachment: Attached, url: bytes | None = None) -> bytes:
        """The Attachment object, members in the order of a real answer (see ``ticket_comments_attachments.json``)."""
        url = url or self.content_url(attachment)
        return b'%s%d.json","id":%d,"file_name":%s,"content_url":"%s","mapped_content_url":"%s",%s%s}' % (
            self._attachment_url, attachment.id, attachment.id, files.name_parts(attachment.name)[0], url, url,
            self._file_members(attachment.file), _FLAGS[attachment.inline, attachment.deleted, attachment.override,
                                                        attachment.scan])

    @lru_cache(maxsize=4096)
    def _file_members(self, key: int) -> bytes:
        """``"content_type":…,"size":…,"width":…,"height":…,`` of a catalog file."""
        spec = self.catalog.spec(key)
        return b'"content_type":%s,"size":%d,"width":%s,"height":%s,' % (
            dumps(spec.content_type), spec.size, _id_json(spec.width), _id_json(spec.height))

    def recording_url(self, recording: Recording) -> bytes:
        """A voice comment's ``recording_url``: on the account host, redirecting to the content host."""
        return b"%s/api/v2/channels/voice/calls/%s/twilio/call/recording" % (self._base_url, recording.sid.encode())

    def _voice(self, state: TicketState, comment_id: int, created_at: int, case: str,
               agent: int) -> tuple[Recording | None, bytes]:
        """A voice comment's recording and its members after ``metadata``: ``data`` (the call), ``formatted_from``,
        ``formatted_to``, ``transcription_visible``. ``case``: ``answered`` (an agent took the call, recorded),
        ``voicemail`` (recorded, transcribed, no ``answered_by_id``), ``no_recording`` (``recording_url`` null),
        ``no_recording_absent`` (no ``recording_url`` member at all)."""
        rng = DrawRandom(b"%d,voice,%d" % (self.options.seed, comment_id))
        caller = 100 + rng.randrange(9800)
        recording = None
        data: dict[str, Any] = {"from": f"+1415555{caller:04d}", "to": "+14155550100"}
        duration = 20 + rng.randrange(900)
        if case in ("answered", "voicemail"):
            recording = Recording(comment_id + RECORDING_OFFSET, self.catalog.recording_key(rng.random()),
                                  self.tokens.call_sid(comment_id + RECORDING_OFFSET))
            data["recording_url"] = self.recording_url(recording).decode("ascii")
            data["recording_duration"] = str(self.catalog.spec(recording.file).size // 16000)
        elif case == "no_recording":
            data["recording_url"] = None
        data["call_duration"] = duration
        data["call_id"] = comment_id + RECORDING_OFFSET
        if case in ("answered", "no_recording"):
            data["answered_by_id"] = agent
            data["answered_by_name"] = self._identity(agent)[0]
        if case == "voicemail":
            data["transcription_text"] = rng.choice(content.SCRIPTS)
            data["transcription_status"] = "completed"
        data["started_at"] = iso(max(state.created_at, created_at - duration))
        data["location"] = rng.choice(("San Francisco, California, United States", "Zürich, Zürich, Schweiz",
                                       "القاهرة, مصر", None))
        data["voice_transcription"] = case == "voicemail"
        data["outbound"] = False
        members = b',"data":%s,"formatted_from":"+1 (415) 555-%04d","formatted_to":"+1 (415) 555-0100",' \
                  b'"transcription_visible":%s' % (dumps(data), caller, b"true" if case == "voicemail" else b"false")
        return recording, members

    # ---------------------------------------------------------- ticket events

    def comment_event(self, state: TicketState, index: int, comment: Comment, comment_events: bool) -> bytes:
        """The audit of comment ``index`` as the Incremental Ticket Event Export returns it.

        Its child events: the comment (with ``comment_events`` exactly the documented sideload fields, the
        same values the comments endpoint serves; without it only ``comment_present``/``comment_public``),
        then, for the ticket's first comment, one Create event per field the ticket was created with. A voice
        comment's child has ``type`` and ``event_type`` ``VoiceComment`` (the audit event type) and, with the
        sideload, its ``data``, ``formatted_from``, ``formatted_to`` and ``transcription_visible`` too.
        """
        via_name = VIA_NAMES[comment.channel].encode("ascii")
        created = iso(comment.created_at).encode("ascii")
        event_type = comment.type.encode("ascii")
        if comment_events:
            child = (b'{"id":%d,"via":%s,"via_reference_id":null,"type":"%s","author_id":%s,%s,"public":%s,'
                     b'"attachments":%s,"audit_id":%d,"created_at":"%s"%s,"event_type":"%s"}') % (
                comment.id, comment.via, event_type, _id_json(comment.author_id), comment.body_html,
                b"true" if comment.public else b"false", comment.attachments, comment.id - 1, created,
                comment.voice, event_type)
        else:
            child = (b'{"id":%d,"via":"%s","via_reference_id":null,"comment_present":true,"comment_public":%s,'
                     b'"event_type":"%s"}') % (comment.id, via_name, b"true" if comment.public else b"false",
                                               event_type)
        children = [child]
        if index == 0:
            people = self.people(state.id)
            fields = (("status", state.created_status or people.status), ("priority", people.priority),
                      ("type", people.type), ("requester_id", people.requester), ("assignee_id", people.assignee),
                      ("group_id", people.group))
            for k, (name, value) in enumerate(fields):
                children.append(b'{"id":%d,"via":"%s","via_reference_id":null,"%s":%s,"event_type":"Create"}' % (
                    comment.id + 4 + k, via_name, name.encode("ascii"),
                    b"null" if value is None else b"%d" % value if type(value) is int else b'"%s"' % value.encode()))
        return (b'{"id":%d,"ticket_id":%d,"timestamp":%d,"created_at":"%s","updater_id":%s,"via":"%s",'
                b'"system":%s,"event_type":"Audit","child_events":[%s]}') % (
            comment.id - 1, state.id, comment.created_at, created, _id_json(comment.author_id), via_name,
            self._audit_system_pool[comment.system], b",".join(children))

    def update_event(self, state: TicketState, number: int) -> bytes:
        """The audit of the ticket's ``number``-th ``update`` change: Change events of status, priority, tags."""
        timestamp, change = state.updates[number]
        status, priority, tags, agent = self.update_values(state.id, change)
        before = self.update_values(state.id, state.updates[number - 1][1])[2] if number else \
            self._ticket_base(state.id, state.number)["tags"]
        audit_id = UPDATE_AUDIT_BASE + 10 * change
        children = [
            b'{"id":%d,"via":"Web form","via_reference_id":null,"status":%s,"event_type":"Change"}' % (
                audit_id + 1, dumps(status)),
            b'{"id":%d,"via":"Web form","via_reference_id":null,"priority":%s,"event_type":"Change"}' % (
                audit_id + 2, dumps(priority)),
            b'{"id":%d,"via":"Web form","via_reference_id":null,"tags":%s,"added_tags":%s,"removed_tags":%s,'
            b'"event_type":"Change"}' % (audit_id + 3, dumps(tags), dumps([t for t in tags if t not in before]),
                                         dumps([t for t in before if t not in tags])),
        ]
        return (b'{"id":%d,"ticket_id":%d,"timestamp":%d,"created_at":"%s","updater_id":%d,"via":"Web form",'
                b'"system":%s,"event_type":"Audit","child_events":[%s]}') % (
            audit_id, state.id, timestamp, iso(timestamp).encode("ascii"), agent,
            self._audit_system_pool[change % len(self._audit_system_pool)], b",".join(children))

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
