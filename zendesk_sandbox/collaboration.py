"""Side conversations (the Collaboration add-on) and messaging tickets' conversation logs.

Side conversations: about one seeded ticket in five (created more than six hours before the epoch) has one to
three, each an e-mail, Slack or child-ticket conversation with participants, one to four events (``create``,
``reply``, an ``update`` that closes it), Unicode bodies, some messages listing attachments. Served as Zendesk
documents them:

- ``GET /api/v2/tickets/side_conversations/events.json?start_time=`` (the Incremental Side Conversation Event
  Export): events with ``created_at >= start_time`` but those of the last minute, 1000 a page and then the rest of
  the last event's second (the next page, from ``end_time``, repeats that second); ``count``, ``end_time``,
  ``events``, ``next_page`` and ``end_of_stream`` (fewer than 1000 events). Deleted tickets keep their events.
- ``GET /api/v2/tickets/{id}/side_conversations.json[?include=events]``: offset pages (``per_page`` up to 100,
  ``page``) with ``count``, ``next_page``, ``previous_page``, ``side_conversations`` (as the list sample: no
  ``ticket_id`` member) and, with ``include=events``, the ``events`` of the listed ones; 404 for a deleted ticket.

Messaging tickets (``from_messaging_channel: true``, ``via.channel`` ``native_messaging``: every ticket whose id is
5 modulo 11) hold bot, end-user and agent messages (``Messaging::ConversationMessage``) that are no comments: the
comments endpoint and the ticket event export do not have them. ``GET /api/v2/tickets/{id}/conversation_log``
lists them with a ``Comment`` entry for each comment, by ``created_at``, in cursor pages (``page[size]`` up to 100,
``meta.has_more``, ``meta.after_cursor``, ``links.next``); 404 for a deleted ticket.
"""

from __future__ import annotations

import base64
import bisect
import calendar
import json
import re
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from . import content
from .api import JSON_TYPE, Response, error
from .encoding import dumps, iso
from .generator.groups import GROUP_IDS
from .generator.randomness import FastRandom, mix
from .generator.tickets import is_messaging_ticket

if TYPE_CHECKING:
    from .data import Dataset

EVENTS_EXPORT_PATH = "/api/v2/tickets/side_conversations/events.json"
SIDE_CONVERSATIONS_PATH = re.compile(r"/api/v2/tickets/(\d+)/side_conversations(?:\.json)?")
CONVERSATION_LOG_PATH = re.compile(r"/api/v2/tickets/(\d+)/conversation_log(?:\.json)?")
#: Events per export page (then the rest of the last second).
EXPORT_PAGE = 1000
#: Side conversation events of the last minute are not exported yet (like the other exports).
EXPORT_DELAY = 60
_KINDS = ("email", "slack", "child_ticket")


def iso_ms(seconds: int, millis: int) -> str:
    """The side conversation API's timestamp form, e.g. ``2018-11-20T16:58:36.453+00:00``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}+00:00"


class SideConversation(NamedTuple):
    ticket_id: int
    created_at: int
    object: dict[str, Any]
    events: list[dict[str, Any]]


class Collaboration:
    """The side conversations of the seeded tickets (built on first use) and the conversation logs."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self._lock = threading.Lock()
        self._by_ticket: dict[int, list[SideConversation]] | None = None
        #: Every event as (created_at second, id, ticket id, JSON), sorted.
        self._events: list[tuple[int, str, int, bytes]] = []

    # ---------------------------------------------------------------- side conversations

    def _side_conversations(self) -> dict[int, list[SideConversation]]:
        with self._lock:
            if self._by_ticket is None:
                by_ticket: dict[int, list[SideConversation]] = {}
                events = []
                options = self.dataset.options
                for state in self.dataset.seeded_states():
                    if mix(options.seed, 71, state.id) % 5 or state.created_at > options.epoch - 6 * 3600:
                        continue
                    rng = FastRandom(mix(options.seed, 72, state.id))
                    made = [self._side_conversation(rng, state.id, state.created_at, n)
                            for n in range(rng.randint(1, 3))]
                    by_ticket[state.id] = made
                    for side in made:
                        for event in side.events:
                            events.append((_seconds(event["created_at"]), event["id"], state.id, dumps(event)))
                events.sort()
                self._events, self._by_ticket = events, by_ticket
            return self._by_ticket

    def _side_conversation(self, rng: FastRandom, ticket_id: int, ticket_created: int, n: int) -> SideConversation:
        generator = self.dataset.generator
        base_url = self.dataset.options.base_url
        kind = _KINDS[(ticket_id + n) % 3]
        side_id = _uuid(rng)
        agent_id = rng.choice(generator.users.agent_ids)
        agent_name, agent_email, _ = generator.users.identity(agent_id)
        agent = {"email": agent_email, "name": agent_name, "user_id": agent_id}
        if kind == "email":
            other: dict[str, Any] = {"email": f"partner{n}@l\u00e4ferant.example", "user_id": None,
                                     "name": rng.choice((None, "Jos\u00e9 \u00c5ngstr\u00f6m", "\u674e\u96f7"))}
        elif kind == "slack":
            other = {"name": "#escalations-\u00fc\U0001f525", "email": None, "user_id": None,
                     "slack_workspace_id": "T123ABC", "slack_channel_id": f"C{rng.randint(100000, 999999)}"}
        else:
            other = {"name": "Tier 2", "email": None, "user_id": None, "support_group_id": rng.choice(GROUP_IDS),
                     "support_agent_id": rng.choice(generator.users.agent_ids)}
        subject = content.subject(rng)
        url = f"{base_url}/api/v2/tickets/{ticket_id}/side_conversations/{side_id}"
        created = ticket_created + rng.randint(60, 3600)
        at, events = created, []
        replies = rng.randint(0, 2)
        for index in range(1 + replies):
            sender, receivers = (agent, [other]) if index % 2 == 0 else (other, [agent])
            text = content.body(rng)
            message: dict[str, Any] = {
                "body": text, "from": sender, "html_body": content.html_body(text, rng),
                "preview_text": text[:60], "subject": subject, "to": receivers}
            if rng.random() < 0.3:
                message["attachments"] = [_attachment(rng, url)]
            events.append({"actor": sender, "created_at": iso_ms(at, rng.randint(0, 999)), "id": _uuid(rng),
                           "message": message, "side_conversation_id": side_id, "ticket_id": ticket_id,
                           "type": "create" if index == 0 else "reply", "updates": {},
                           "via": "slack" if kind == "slack" and sender is other else "support"})
            at += rng.randint(30, 900)
        state = "open"
        if rng.random() < 0.5:
            state = "closed"
            events.append({"actor": agent, "created_at": iso_ms(at, rng.randint(0, 999)), "id": _uuid(rng),
                           "side_conversation_id": side_id, "ticket_id": ticket_id, "type": "update",
                           "updates": {"state": "closed"}, "via": "support"})
        last_message = [e for e in events if e["type"] != "update"][-1]["created_at"]
        external_ids: dict[str, str] = {"my_system_id": f"sc-{ticket_id}-{n}"}
        if kind == "child_ticket":
            external_ids["targetTicketId"] = str(ticket_id + 1)  # an id that points at another ticket
        side = {"created_at": events[0]["created_at"], "external_ids": external_ids, "id": side_id,
                "message_added_at": last_message, "participants": [agent, other],
                "preview_text": events[0]["message"]["preview_text"], "state": state,
                "state_updated_at": events[-1]["created_at"], "subject": subject,
                "updated_at": events[-1]["created_at"], "url": url}
        return SideConversation(ticket_id, created, side, events)

    def events_export(self, base_url: str, query: dict[str, str]) -> Response:
        """``GET /api/v2/tickets/side_conversations/events.json?start_time=``."""
        raw = query.get("start_time")
        if raw is None or not raw.lstrip("-").isdigit():
            return error(400, "InvalidValue", "start_time is required")
        start_time = max(0, int(raw))
        self._side_conversations()
        cutoff = self.dataset.clock.now_int() - EXPORT_DELAY
        events = self._events
        picked: list[tuple[int, str, int, bytes]] = []
        for i in range(bisect.bisect_left(events, (start_time, "")), len(events)):
            entry = events[i]
            if entry[0] > cutoff or (len(picked) >= EXPORT_PAGE and entry[0] != picked[-1][0]):
                break
            if self.dataset.state(entry[2]) is not None:
                picked.append(entry)
        end_time = picked[-1][0] if picked else start_time
        end = len(picked) < EXPORT_PAGE
        if picked and end_time == start_time and not end:
            end_time += 1
        next_page = f"{base_url}{EVENTS_EXPORT_PATH}?start_time={end_time}"
        body = b'{"count":%d,"end_time":%d,"events":[%s],"next_page":%s,"end_of_stream":%s}' % (
            len(picked), end_time, b",".join(e[3] for e in picked), dumps(next_page),
            b"true" if end else b"false")
        return Response(200, [JSON_TYPE], body)

    def ticket_side_conversations(self, base_url: str, ticket_id: int, query: dict[str, str]) -> Response:
        """``GET /api/v2/tickets/{id}/side_conversations.json``: offset pages, events sideloaded when asked."""
        state = self.dataset.state(ticket_id)
        if state is None or state.deleted:
            return error(404, "RecordNotFound", "Not found")
        listed = self._side_conversations().get(ticket_id, [])
        per_page = min(100, max(1, int(query.get("per_page", "100") or 100)))
        page = max(1, int(query.get("page", "1") or 1))
        chunk = listed[(page - 1) * per_page:page * per_page]
        path = f"{base_url}/api/v2/tickets/{ticket_id}/side_conversations.json"
        include = "&include=events" if "events" in query.get("include", "").split(",") else ""

        def link(number: int) -> str:
            return f"{path}?page={number}&per_page={per_page}{include}"

        body: dict[str, Any] = {
            "count": len(listed),
            "next_page": link(page + 1) if page * per_page < len(listed) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "side_conversations": [side.object for side in chunk]}
        if include:
            body["events"] = [event for side in chunk for event in side.events]
        return Response(200, [JSON_TYPE], dumps(body))

    def side_conversations_truth(self) -> list[dict[str, Any]]:
        """Every side conversation of a live ticket as listed, with ``ticket_id`` and ``events``, by ticket id."""
        out = []
        for ticket_id, sides in sorted(self._side_conversations().items()):
            state = self.dataset.state(ticket_id)
            if state is None or state.deleted:
                continue
            out += [{**side.object, "ticket_id": ticket_id, "events": side.events} for side in sides]
        return out

    # ---------------------------------------------------------------- conversation logs

    def conversation_log_entries(self, ticket_id: int) -> list[dict[str, Any]] | None:
        """A live ticket's conversation log (messages of a messaging ticket, then a Comment entry per comment, by
        ``created_at``); ``None`` for a deleted or unknown ticket."""
        state = self.dataset.state(ticket_id)
        if state is None or state.deleted:
            return None
        users = self.dataset.generator.users
        entries = []
        for comment in self.dataset.live_comments(state):
            members = json.loads(b"{" + comment.body_html + b"}")
            author = {"display_name": users.identity(comment.author_id)[0] if comment.author_id else None,
                      "type": "agent" if comment.author_id in users.agent_ids else "user",
                      "zen:support:user_id": comment.author_id}
            entries.append({"attachments": [], "author": author,
                            "content": {"body": members.get("html_body"), "type": "html"},
                            "created_at": iso(comment.created_at), "id": _ulid(comment.id),
                            "metadata": {"custom": {}, "public": comment.public, "system": {}, "ticket_version": 0},
                            "reference": f"zen:ticket_event:{comment.id}", "type": "Comment"})
        if is_messaging_ticket(ticket_id) and state.written is None:
            entries += self._messages(state.id, state.created_at)
        entries.sort(key=lambda entry: (entry["created_at"], entry["id"]))
        return entries

    def _messages(self, ticket_id: int, created_at: int) -> list[dict[str, Any]]:
        """The messaging messages of a ticket that are no comments: a bot's greeting, then the end user's."""
        rng = FastRandom(mix(self.dataset.options.seed, 73, ticket_id))
        users = self.dataset.generator.users
        requester = self.dataset.generator.tickets.people(ticket_id).requester
        name = users.identity(requester)[0]
        messages = []
        count = rng.randint(2, 6)
        for index in range(count):
            at = created_at - 60 * (count - index)
            if index == 0:
                author = {"avatar_url": "https://static.zdassets.com/web_widget/latest/default_avatar.png",
                          "display_name": "SandboxBot \U0001f916", "type": "bot",
                          "zen:sunco:user_id": f"{rng.getrandbits(48):012x}", "zen:support:user_id": -1}
                body: dict[str, Any] = {"actions": [{"reply": {"payload": f"goto_node={_ulid(ticket_id)}",
                                                               "text": "Mit einem Menschen sprechen"}}],
                                        "text": "Hallo! \u00bfEn qu\u00e9 puedo ayudarte? \u4f60\u597d",
                                        "type": "text"}
                source = "zd:answerBot"
            else:
                author = {"display_name": name, "type": "user", "zen:support:user_id": requester}
                body = {"text": content.body(rng), "type": "text"}
                source = "web"
            messages.append({"attachments": [], "author": author, "content": body, "created_at": iso(at),
                             "id": _ulid(mix(ticket_id, index)), "metadata": {"custom": {}, "system": {},
                                                                               "ticket_version": 0},
                             "received_at": iso_ms(at, rng.randint(0, 999)).replace("+00:00", "Z"),
                             "reference": f"zen:sunco:conversation_message:{rng.getrandbits(96):024x}",
                             "source": {"type": source}, "type": "Messaging::ConversationMessage"})
        return messages

    def conversation_log(self, base_url: str, ticket_id: int, query: dict[str, str]) -> Response:
        """``GET /api/v2/tickets/{id}/conversation_log``: cursor pages of up to 100 entries."""
        entries = self.conversation_log_entries(ticket_id)
        if entries is None:
            return error(404, "RecordNotFound", "Not found")
        size = min(100, max(1, int(query.get("page[size]", "100") or 100)))
        after = query.get("page[after]")
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        chunk = entries[start:start + size]
        path = f"{base_url}/api/v2/tickets/{ticket_id}/conversation_log"
        has_more = start + size < len(entries)
        after_cursor = base64.urlsafe_b64encode(str(start + len(chunk)).encode()).decode()
        before_cursor = base64.urlsafe_b64encode(str(start).encode()).decode()
        body = {"events": chunk,
                "links": {"next": f"{path}?page%5Bafter%5D={after_cursor}&page%5Bsize%5D={size}" if has_more else None,
                          "prev": f"{path}?page%5Bbefore%5D={before_cursor}&page%5Bsize%5D={size}"},
                "meta": {"after_cursor": after_cursor, "before_cursor": before_cursor, "has_more": has_more}}
        return Response(200, [JSON_TYPE], dumps(body))

    def conversation_logs_truth(self) -> dict[str, list[dict[str, Any]]]:
        """The whole conversation log of every live messaging ticket, by ticket id (as a string)."""
        out = {}
        for state in self.dataset.seeded_states():
            if is_messaging_ticket(state.id):
                entries = self.conversation_log_entries(state.id)
                if entries is not None:
                    out[str(state.id)] = entries
        return out


def _uuid(rng: FastRandom) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ulid(number: int) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    out, number = "", abs(number)
    for _ in range(26):
        number, digit = divmod(number, 32)
        out = alphabet[digit] + out
    return out


def _attachment(rng: FastRandom, url: str) -> dict[str, Any]:
    attachment_id = f"s3-{_uuid(rng)}"
    name = rng.choice(("image.png", "Rechnung \u00fc.pdf", "\u62a5\u544a.txt"))
    return {"content_type": "application/pdf" if name.endswith(".pdf") else "image/png",
            "content_url": f"{url}/attachments/{attachment_id}/download/{name}", "file_name": name,
            "height": 214, "id": attachment_id, "inline": False, "size": rng.randint(100, 90000), "width": 406}


def _seconds(stamp: str) -> int:
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
