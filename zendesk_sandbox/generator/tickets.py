"""Tickets: each ticket's people, channel and fields, and its JSON for a :class:`~.states.TicketState` exactly as
the incremental export returns it (scrubbed once deleted, in unexpected shapes once ``odd``)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, NamedTuple

from .. import content
from ..encoding import encode, iso
from .groups import GROUP_IDS
from .layout import GHOST_REQUESTER_ID
from .options import Options
from .randomness import FastRandom, mix
from .states import CUSTOM_STATUS_IDS, TicketState
from .texts import Texts
from .ticket_fields import CUSTOM_FIELD_ID
from .users import Users

#: A messaging ticket's ``via`` (with ``from_messaging_channel: true``): every ticket whose id is 5 modulo 11.
MESSAGING_VIA = {"channel": "native_messaging", "source": {"from": {}, "to": {}, "rel": None}}


def is_messaging_ticket(ticket_id: int) -> bool:
    """Whether a ticket came through messaging (its messages are in its conversation log, not its comments)."""
    return ticket_id % 11 == 5


#: The ticket forms and brands tickets carry (the first two of ``configuration.TICKET_FORMS`` and ``BRANDS``).
TICKET_FORM_IDS = (360000222333, 360000222334)
BRAND_IDS = (360000333444, 360000333445)
CHANNELS = ("web", "email", "api", "mobile")


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


class Tickets:
    """Every ticket's fields; the state-dependent ones from its :class:`~.states.TicketState`."""

    def __init__(self, options: Options, users: Users, texts: Texts) -> None:
        self.options = options
        self.users = users
        self.texts = texts

    @lru_cache(maxsize=1 << 14)  # noqa: B019 - one generator lives as long as its sandbox
    def people(self, ticket_id: int) -> People:
        """The ticket's people, status, channel, priority, type and group (what comments and events need)."""
        rng = FastRandom(mix(self.options.seed, 4, ticket_id))
        requester = rng.choice(self.users.end_user_ids)
        submitter = requester if rng.random() < 0.85 else rng.choice(self.users.agent_ids)
        status = rng.choice(("new", "open", "open", "pending", "hold", "solved", "solved", "closed"))
        assignee = None if status == "new" or rng.random() < 0.1 else rng.choice(self.users.agent_ids)
        collaborators = tuple(sorted(set(rng.sample(self.users.end_user_ids, rng.randint(1, 3))))) \
            if rng.random() < 0.25 else ()
        channel = rng.choice(CHANNELS + ("email",))
        priority = rng.choice((None, "low", "normal", "normal", "high", "urgent"))
        ticket_type = rng.choice((None, "question", "incident", "problem", "task"))
        group = None if assignee is None else rng.choice(GROUP_IDS)
        person = self.users.person_id
        if ticket_id % 50 == 7:
            submitter = person if submitter == requester else submitter
            requester = person
        if ticket_id % 9 == 4:
            collaborators = (person, *(c for c in collaborators if c != person))
        return People(requester, submitter, status, assignee, collaborators, channel, priority, ticket_type, group)

    @lru_cache(maxsize=4096)  # noqa: B019 - one generator lives as long as its sandbox
    def base(self, ticket_id: int, number: int) -> dict[str, Any]:
        """Every ticket field that does not depend on state, in the export's key order."""
        people = self.people(ticket_id)
        rng = FastRandom(mix(self.options.seed, 14, ticket_id))
        requester, channel, ticket_type = people.requester, people.channel, people.type
        collaborators = list(people.collaborators)
        subject = content.subject(rng, content.ALL_HOSTILE[number % len(content.ALL_HOSTILE)]
                                  if number % 3 == 0 else None)
        custom_fields = _custom_field_values(rng)
        ticket = {
            "url": f"{self.options.base_url}/api/v2/tickets/{ticket_id}.json",
            "id": ticket_id,
            "external_id": rng.choice((None, None, None, f"ext-{ticket_id}", "ext/\u00e9\u202e\u0001")),
            "via": self.via(rng, channel, requester),
            "created_at": "",
            "updated_at": "",
            "type": ticket_type,
            "subject": subject,
            "raw_subject": "{{dc.greeting}} " + subject if rng.random() < 0.05 else subject,
            "description": self.texts.text(*self.texts.first_entry(ticket_id, number))[0],
            "priority": people.priority,
            "status": people.status,
            "recipient": "support@sandbox.example.com" if channel == "email" else None,
            "requester_id": requester,
            "submitter_id": people.submitter,
            "assignee_id": people.assignee,
            "organization_id": self.users.identity(requester)[2],
            "group_id": people.group,
            "collaborator_ids": collaborators,
            "follower_ids": self._with_person(
                [rng.choice(self.users.agent_ids)] if rng.random() < 0.1 else [], ticket_id),
            "email_cc_ids": collaborators[:1],
            "forum_topic_id": None,
            "problem_id": (ticket_id - rng.randint(1, 50))
            if ticket_type == "incident" and rng.random() < 0.3 else None,
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
            "ticket_form_id": TICKET_FORM_IDS[ticket_id % 4 == 1],
            "brand_id": BRAND_IDS[ticket_id % 3 == 2],
            "allow_channelback": False,
            "allow_attachments": True,
            "from_messaging_channel": False,
            "generated_timestamp": 0,
        }
        if is_messaging_ticket(ticket_id):
            # A messaging conversation: its messages are in the conversation log, not among the comments.
            ticket.update(via=dict(MESSAGING_VIA), recipient=None, from_messaging_channel=True)
        return ticket

    def followers(self, ticket_id: int, number: int) -> list[int]:
        """A ticket's seeded follower_ids."""
        return list(self.base(ticket_id, number)["follower_ids"])

    def _with_person(self, drawn: list[int], ticket_id: int) -> list[int]:
        """A ticket's follower_ids: the drawn agent, plus the person of interest on every other ticket."""
        if ticket_id % 2 == 1 and self.users.person_id not in drawn:
            return sorted([*drawn, self.users.person_id])
        return drawn

    def via(self, rng: FastRandom, channel: str, user_id: int) -> dict[str, Any]:
        """A ticket's or comment's ``via``: its channel, and for e-mail the sender and the support address."""
        if channel != "email":
            return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
        name, email, _ = self.users.identity(user_id)
        return {"channel": "email", "source": {
            "from": {"address": email, "name": name},
            "to": {"address": "support@sandbox.example.com",
                   "name": rng.choice(("Sandbox Support", "Support \U0001f6df"))},
            "rel": None}}

    def render(self, state: TicketState) -> dict[str, Any]:
        """The ticket exactly as the incremental export returns it for this state (scrubbed once deleted,
        in unexpected shapes once ``odd``)."""
        written = state.written
        ticket = dict(written.ticket) if written is not None else dict(self.base(state.id, state.number))
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
        ticket["fields"] = json.loads(encode(odd_fields))
        ticket["collaborator_ids"] = None
        ticket["requester_id"] = GHOST_REQUESTER_ID
        ticket["assignee_id"] = str(self.users.agent_ids[1])


def ticket_user_ids(ticket: dict[str, Any]) -> list[Any]:
    """Users a ticket refers to (what ``include=users`` sideloads for it); odd shapes tolerated."""
    ids = [ticket.get("requester_id"), ticket.get("submitter_id"), ticket.get("assignee_id")]
    for name in ("collaborator_ids", "follower_ids", "email_cc_ids"):
        value = ticket.get(name)
        if isinstance(value, list):
            ids += value
    return ids


def _custom_field_values(rng: FastRandom) -> list[dict[str, Any]]:
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
    return [{"id": CUSTOM_FIELD_ID + i, "value": value} for i, value in enumerate(values)]
