"""Comments: when each comment of a ticket was made, by whom, through which channel, with which body, files or
call, and its JSON, assembled from parts encoded once, so a comment costs microseconds."""

from __future__ import annotations

import bisect
from functools import lru_cache
from typing import Any, NamedTuple

from .. import content
from ..encoding import dumps, id_json, iso
from .comment_files import FILES_SHARE, FORCE_PERIOD, FORCED_TICKETS, LOGO_SHARE_EMAIL, Attached, CommentFiles
from .layout import (
    ATTACHMENT_OFFSET,
    COMMENT_ID_BASE,
    COMMENT_ID_STEP,
    GHOST_AUTHOR_ID,
    HISTORY_SECONDS,
    TICKET_ID_RANGE,
)
from .options import Options
from .randomness import DrawRandom, FastRandom, mix
from .states import TicketState
from .texts import Texts
from .tickets import CHANNELS, Tickets
from .users import Users
from .voice import VOICE_VIA, Recording, Voice

#: Kinds of comments added by changes that are not ordinary (see ``Comments.comment``).
HUGE, NULL_AUTHOR, GHOST_AUTHOR, ODD_METADATA = "huge", "null_author", "ghost_author", "odd_metadata"
#: Kind of a comment added with ``n`` attachments by ``add_comments``: ``ATTACH + str(n)``.
ATTACH = "attach:"
ODD_COMMENTS = (NULL_AUTHOR, GHOST_AUTHOR, ODD_METADATA)
#: Share of comments after the first that are voice comments (when they carry no forced case).
VOICE_SHARE = 0.01
CLIENTS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", "Example Mail Client", "Zenpy/2.0.56",
           "Zendesk for iOS/5.0 (\u202eRTL client\u202c)", None)
_PLAIN_VIA = {channel: b'{"channel":"%s","source":{"from":{},"to":{},"rel":null}}' % channel.encode()
              for channel in CHANNELS}
_PUBLIC, _PRIVATE = b',"public":true,"attachments":', b',"public":false,"attachments":'


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


class Comments:
    """Every ticket's comments."""

    def __init__(self, options: Options, users: Users, tickets: Tickets, texts: Texts, files: CommentFiles,
                 voice: Voice) -> None:
        self.options = options
        self.users = users
        self.tickets = tickets
        self.texts = texts
        self.files = files
        self.voice = voice
        pool_rng = FastRandom(mix(options.seed, 11))
        systems = [self._system(pool_rng) for _ in range(64)]
        self._system_pool = [dumps(system) for system in systems]
        #: An audit's ``system`` is its comment's ``metadata.system`` without the IP address.
        self.audit_systems = [dumps({k: v for k, v in system.items() if k != "ip_address"}) for system in systems]
        self._custom_pool = [dumps(content.custom_metadata(pool_rng)) for _ in range(32)]
        self._odd_metadata = dumps(content.deep_metadata())
        #: Busy seconds shared by many tickets (bulk replies, macros, imports): about a third of the comments
        #: fall on one of them when their ticket is active then, so ticket events pile up within a second.
        burst_rng = FastRandom(mix(options.seed, 17))
        self.bursts: list[int] = sorted(burst_rng.randint(options.epoch - HISTORY_SECONDS, options.epoch)
                                        for _ in range(max(3, options.tickets // 40)))

    def base_times(self, state: TicketState) -> list[int]:
        """created_at of the generated comments, ascending: the first at the ticket's creation, the others in
        its active period, some sharing a second with the previous one, about a third on busy seconds that
        many tickets share (``bursts``)."""
        rng = FastRandom(mix(self.options.seed, 7, state.id))
        start, end = state.created_at, state.activity_end
        times = [rng.randint(start, end) for _ in range(state.base_comments - 1)]
        bursts = self.bursts
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

    def times(self, state: TicketState) -> list[int]:
        """created_at of every comment the ticket holds (or held, once deleted), ascending."""
        return self.base_times(state) + list(state.extra_comment_times)

    def of_ticket(self, state: TicketState) -> list[Comment]:
        """Every comment of a ticket in default order (created_at, then id); also those of a deleted ticket."""
        special = dict(state.special)
        comments = [self.comment(state, index, created_at, special.get(index))
                    for index, created_at in enumerate(self.times(state))]
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
        hostile case (see ``CommentFiles.forced``).
        """
        people = self.tickets.people(state.id)
        rng = DrawRandom(b"%d,6,%d,%d" % (self.options.seed, state.id, index))
        if kind == HUGE:
            text = self.texts.huge(state.id, index)
        elif index == 0:
            text = self.texts.text(*self.texts.first_entry(state.id, state.number))
        elif index == state.base_comments - 1 and state.number % 97 == 50:
            text = self.texts.text(rng.randrange(len(content.ALL_HOSTILE)), True)
        else:
            text = self.texts.text(rng.randrange(self.texts.pool), False)
        comment_id = COMMENT_ID_BASE + state.id * TICKET_ID_RANGE + index * COMMENT_ID_STEP + 1
        public = index == 0 or rng.random() >= 0.33
        requester = people.requester
        agent = people.assignee or rng.choice(self.users.agent_ids)
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
        forced = self.files.forced.get(state.number % FORCE_PERIOD) \
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
            via = VOICE_VIA["voicemail" if voice_case in ("voicemail", "no_recording_absent") else "inbound"]
            recording, voice = self.voice.call(state, comment_id, created_at, voice_case, agent)
        elif kind is not None and kind.startswith(ATTACH):
            attached = self.files.uploaded(comment_id, int(kind[len(ATTACH):]))
        elif kind != ODD_METADATA and (forced is not None or files_roll < FILES_SHARE or logo_roll < LOGO_SHARE_EMAIL):
            specs = forced if isinstance(forced, tuple) else \
                self.files.drawn(comment_id, files_roll, logo_roll, channel)
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
            urls = [self.files.content_url(a) for a in attached]
            parts = [self.files.json(a, url) for a, url in zip(attached, urls, strict=True)]
            listed = b"[" + b",".join(p for p, a in zip(parts, attached, strict=True) if not a.inline) + b"]"
            images = b"".join(b'<p><img src=\\"%s\\"></p>' % url
                              for a, url in zip(attached, urls, strict=True) if a.inline)
            if images:
                inline = b"[" + b",".join(parts) + b"]"
                end = len(body_html) - 1
                body_html = body_html[:end] + images + body_html[end:]
                members = body_html + members[end + 1:]
            else:
                inline = listed
        head = b'{"id":%d,"type":"%s","author_id":%s,' % (
            comment_id, b"VoiceComment" if voice else b"Comment", id_json(author))
        opening = _PUBLIC if public else _PRIVATE
        tail = b'%s%s,"audit_id":%d,"via":%s,"created_at":"%s","metadata":%s%s}' % (
            opening, listed, comment_id - 1, via, iso(created_at).encode("ascii"), metadata, voice)
        at = len(head) + len(members) + len(opening)  # where the attachments array starts
        return Comment(created_at, comment_id, author, b"".join((head, members, tail)), public, via, listed, body_html,
                       channel, system, None if inline is listed else inline, at, attached, recording, voice)

    @lru_cache(maxsize=8192)  # noqa: B019 - one generator lives as long as its sandbox
    def _email_via(self, user_id: int, variant: int) -> bytes:
        """The ``via`` of an e-mailed comment names its sender."""
        return dumps(self.tickets.via(FastRandom(variant), "email", user_id))

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
