"""Seeded, deterministic generation of a Zendesk account's objects, one module per kind of object.

``users``, ``organizations``, ``groups`` and ``ticket_fields`` make those records; ``states`` the tickets' history
(a small :class:`~.states.TicketState` per ticket), ``tickets`` a ticket's JSON for a state, ``texts`` the pool of
hostile bodies, ``comments`` the comments, with their files from ``comment_files`` and their calls from ``voice``,
``events`` the ticket event export's audits, ``configuration`` the forms, fields, brands, business rules and
memberships that point at all of them. ``layout`` holds the id ranges, ``randomness`` the seeded generators.

Every object is a pure function of the :class:`Options` (seed, size, epoch, base URL) and, for tickets and
comments, of a ticket's state; nothing is stored but bounded caches. Field sets and key order copy the recorded
responses in ``tests/fixtures/zendesk-samples``. Comment JSON is assembled from parts encoded once (a seeded pool
of hostile texts), so a comment costs microseconds.
"""

from __future__ import annotations

from .. import attachments as files
from .comment_files import CommentFiles
from .comments import Comments
from .configuration import Configuration
from .events import TicketEvents
from .groups import Groups
from .options import Options
from .organizations import Organizations
from .states import TicketHistory
from .texts import Texts
from .ticket_fields import TicketFields
from .tickets import Tickets
from .users import Users
from .voice import Voice

__all__ = ["Generator", "Options"]


class Generator:
    """Every object of one seeded account, each from the part that makes it; thread-safe (only caches mutate)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.organizations = Organizations(options)
        self.users = Users(options, self.organizations.ids)
        self.groups = Groups(options)
        self.ticket_fields = TicketFields(options)
        self.history = TicketHistory(options, self.users.agent_ids)
        texts = Texts(options)
        self.tickets = Tickets(options, self.users, texts)
        #: The account's distinct attachment files and its URL tokens.
        self.catalog = files.Catalog(options.seed, options.tickets)
        self.tokens = files.Tokens(options.seed)
        self.files = CommentFiles(options, self.catalog, self.tokens)
        self.voice = Voice(options, self.catalog, self.tokens, self.users)
        self.comments = Comments(options, self.users, self.tickets, texts, self.files, self.voice)
        self.events = TicketEvents(self.tickets, self.history, self.comments)
        #: Forms, custom fields, brands, statuses, business rules, SLAs, schedules, dynamic content, memberships.
        self.configuration = Configuration(options, self.users, self.organizations)
