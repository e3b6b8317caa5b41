"""Ticket events: the audits the Incremental Ticket Event Export returns, one per comment (with the ticket's Create
events on its first) and one per ``update`` change, built from the same bytes the comments endpoint serves."""

from __future__ import annotations

from ..encoding import dumps, id_json, iso
from .comments import Comment, Comments
from .layout import COMMENT_ID_BASE, TICKET_ID_RANGE, UPDATE_AUDIT_BASE
from .states import TicketHistory, TicketState
from .tickets import Tickets

#: The ticket event export names channels in words (``via`` of an audit is a string).
#: The trigger that notifies a requester of a comment (Zendesk's default "Notify requester of comment update").
NOTIFY_TRIGGER_ID = 360_000_000_001
VIA_NAMES = {"web": "Web form", "email": "Email", "api": "Web service", "mobile": "Mobile",
             "voice": "Phone call (inbound)"}


class TicketEvents:
    """Every ticket's audits."""

    def __init__(self, tickets: Tickets, history: TicketHistory, comments: Comments) -> None:
        self.tickets = tickets
        self.history = history
        self._audit_systems = comments.audit_systems

    def comment_event(self, state: TicketState, index: int, comment: Comment, comment_events: bool) -> bytes:
        """The audit of comment ``index`` as the Incremental Ticket Event Export returns it.

        Its child events: the comment (with ``comment_events`` exactly the documented sideload fields, the
        same values the comments endpoint serves; without it only ``comment_present``/``comment_public``),
        then, for the ticket's first comment, one Create event per field the ticket was created with and a Cc
        event naming its collaborators (if any); for a later public comment, the Change of ``status`` it made
        (with ``previous_value``: the requester's reply reopens, an agent's sets pending); then, for a public
        comment not by the requester, the Notification a trigger sent the requester (its ``via`` names it). A voice
        comment's child has ``type`` and ``event_type`` ``VoiceComment`` (the audit event type) and, with the
        sideload, its ``data``, ``formatted_from``, ``formatted_to`` and ``transcription_visible`` too.
        """
        via_name = VIA_NAMES[comment.channel].encode("ascii")
        created = iso(comment.created_at).encode("ascii")
        event_type = comment.type.encode("ascii")
        if comment_events:
            child = (b'{"id":%d,"via":%s,"via_reference_id":null,"type":"%s","author_id":%s,%s,"public":%s,'
                     b'"attachments":%s,"audit_id":%d,"created_at":"%s"%s,"event_type":"%s"}') % (
                comment.id, comment.via, event_type, id_json(comment.author_id), comment.body_html,
                b"true" if comment.public else b"false", comment.attachments, comment.id - 1, created,
                comment.voice, event_type)
        else:
            child = (b'{"id":%d,"via":"%s","via_reference_id":null,"comment_present":true,"comment_public":%s,'
                     b'"event_type":"%s"}') % (comment.id, via_name, b"true" if comment.public else b"false",
                                               event_type)
        children = [child]
        people = self.tickets.people(state.id)
        if index == 0:
            fields = (("status", state.created_status or people.status), ("priority", people.priority),
                      ("type", people.type), ("requester_id", people.requester), ("assignee_id", people.assignee),
                      ("group_id", people.group))
            for k, (name, value) in enumerate(fields):
                children.append(b'{"id":%d,"via":"%s","via_reference_id":null,"%s":%s,"event_type":"Create"}' % (
                    comment.id + 4 + k, via_name, name.encode("ascii"),
                    b"null" if value is None else b"%d" % value if type(value) is int else b'"%s"' % value.encode()))
            if people.collaborators:
                children.append(b'{"id":%d,"via":"%s","via_reference_id":null,"recipients":%s,"event_type":"Cc"}' % (
                    comment.id + 2, via_name, dumps(list(people.collaborators))))
        elif comment.public and comment.author_id is not None:
            # A public reply moves the ticket: the requester's reopens it, an agent's awaits the requester.
            by_requester = comment.author_id == people.requester
            children.append(b'{"id":%d,"via":"%s","via_reference_id":null,"status":"%s","event_type":"Change",'
                            b'"previous_value":"%s"}' % (comment.id + 3, via_name,
                                                         *((b"open", b"pending") if by_requester else
                                                           (b"pending", b"open"))))
        if comment.public and comment.author_id is not None and comment.author_id != people.requester:
            # A trigger told the requester: a Notification event names its recipients by user id.
            children.append(
                b'{"id":%d,"via":{"channel":"rule","source":{"from":{"id":%d,"title":"Notify requester of comment '
                b'update"},"to":{},"rel":"trigger"}},"via_reference_id":null,'
                b'"subject":"[Sandbox] Re: {{ticket.title}}","body":"Your request ({{ticket.id}}) has been updated. '
                b'To add additional comments, reply to this email.\\n\\n{{ticket.comments_formatted}}",'
                b'"recipients":[%d],"event_type":"Notification"}' % (
                    comment.id + 1, NOTIFY_TRIGGER_ID, people.requester))
        return (b'{"id":%d,"ticket_id":%d,"timestamp":%d,"created_at":"%s","updater_id":%s,"via":"%s",'
                b'"system":%s,"event_type":"Audit","child_events":[%s]}') % (
            comment.id - 1, state.id, comment.created_at, created, id_json(comment.author_id), via_name,
            self._audit_systems[comment.system], b",".join(children))

    def written_event(self, state: TicketState, audit_id: int, timestamp: int, comment_events: bool) -> bytes:
        """The audit of an imported ticket's comment (a ticket of the Ticket Import API): the comment's child event
        as for generated comments, on the first comment the Create events of the fields the ticket was imported
        with; no Notification and no status Change (no triggers run on imported tickets). ``timestamp`` is the
        import (the export's position), ``created_at`` the comment's own time: the sandbox's reading, the docs say
        nothing about the audits of imported tickets."""
        written = state.written
        assert written is not None  # noqa: S101 - only called for imported tickets
        comment = next(c for c in written.comments if c.id == audit_id + 1)
        created = iso(comment.created_at).encode("ascii")
        via_name = VIA_NAMES["api"].encode("ascii")
        if comment_events:
            child = (b'{"id":%d,"via":%s,"via_reference_id":null,"type":"Comment","author_id":%s,%s,"public":%s,'
                     b'"attachments":%s,"audit_id":%d,"created_at":"%s","event_type":"Comment"}') % (
                comment.id, comment.via, id_json(comment.author_id), comment.body_html,
                b"true" if comment.public else b"false", comment.attachments, audit_id, created)
        else:
            child = (b'{"id":%d,"via":"%s","via_reference_id":null,"comment_present":true,"comment_public":%s,'
                     b'"event_type":"Comment"}') % (comment.id, via_name, b"true" if comment.public else b"false")
        children = [child]
        if (audit_id - COMMENT_ID_BASE) % TICKET_ID_RANGE == 0:  # the request's first comment
            ticket = written.ticket
            for k, name in enumerate(("status", "priority", "type", "requester_id", "assignee_id", "group_id")):
                children.append(b'{"id":%d,"via":"%s","via_reference_id":null,"%s":%s,"event_type":"Create"}' % (
                    comment.id + 4 + k, via_name, name.encode("ascii"), dumps(ticket.get(name))))
        return (b'{"id":%d,"ticket_id":%d,"timestamp":%d,"created_at":"%s","updater_id":%s,"via":"%s",'
                b'"system":{},"event_type":"Audit","child_events":[%s]}') % (
            audit_id, state.id, timestamp, created, id_json(comment.author_id), via_name, b",".join(children))

    def update_event(self, state: TicketState, number: int) -> bytes:
        """The audit of the ticket's ``number``-th ``update`` change: Change events of status, priority, tags, each
        with its ``previous_value`` (the values of the update before, or those the ticket was created with)."""
        timestamp, change = state.updates[number]
        status, priority, tags, agent = self.history.update_values(state.id, change)
        if number:
            old_status, old_priority, before, _ = self.history.update_values(state.id, state.updates[number - 1][1])
        else:
            people = self.tickets.people(state.id)
            old_status, old_priority = state.created_status or people.status, people.priority
            before = self.tickets.base(state.id, state.number)["tags"]
        audit_id = UPDATE_AUDIT_BASE + 10 * change
        children = [
            b'{"id":%d,"via":"Web form","via_reference_id":null,"status":%s,"event_type":"Change",'
            b'"previous_value":%s}' % (audit_id + 1, dumps(status), dumps(old_status)),
            b'{"id":%d,"via":"Web form","via_reference_id":null,"priority":%s,"event_type":"Change",'
            b'"previous_value":%s}' % (audit_id + 2, dumps(priority), dumps(old_priority)),
            b'{"id":%d,"via":"Web form","via_reference_id":null,"tags":%s,"added_tags":%s,"removed_tags":%s,'
            b'"event_type":"Change","previous_value":%s}' % (
                audit_id + 3, dumps(tags), dumps([t for t in tags if t not in before]),
                dumps([t for t in before if t not in tags]), dumps(before)),
        ]
        return (b'{"id":%d,"ticket_id":%d,"timestamp":%d,"created_at":"%s","updater_id":%d,"via":"Web form",'
                b'"system":%s,"event_type":"Audit","child_events":[%s]}') % (
            audit_id, state.id, timestamp, iso(timestamp).encode("ascii"), agent,
            self._audit_systems[change % len(self._audit_systems)], b",".join(children))
