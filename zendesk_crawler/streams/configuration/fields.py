"""Ticket forms and the custom user and organization fields."""

from __future__ import annotations

from zendesk_crawler.api.endpoints import ORGANIZATION_FIELDS_ENDPOINT, TICKET_FORMS_ENDPOINT, USER_FIELDS_ENDPOINT
from zendesk_crawler.items import OrganizationFieldRecord, TicketFormRecord, UserFieldRecord
from zendesk_crawler.streams.base import ListStream, WholeListStream


class TicketFormStream(WholeListStream):
    """Every ticket form, active or not: ``/api/v2/ticket_forms.json`` (no pagination documented: one answer).

    Zendesk documents the list for anyone (forms are on Suite Growth and above; what a lower plan answers is not
    documented, so a 403 there fails the run, as any other would).
    """

    name = "ticket_forms"
    path = "/api/v2/ticket_forms.json"
    list_key = "ticket_forms"
    label = "ticket form list"
    endpoint = TICKET_FORMS_ENDPOINT
    record_class = TicketFormRecord


class UserFieldStream(ListStream):
    """Every custom user field: ``/api/v2/user_fields.json``, cursor pages."""

    name = "user_fields"
    path = "/api/v2/user_fields.json"
    list_key = "user_fields"
    label = "user field list"
    endpoint = USER_FIELDS_ENDPOINT
    record_class = UserFieldRecord


class OrganizationFieldStream(ListStream):
    """Every custom organization field: ``/api/v2/organization_fields.json``, cursor pages."""

    name = "organization_fields"
    path = "/api/v2/organization_fields.json"
    list_key = "organization_fields"
    label = "organization field list"
    endpoint = ORGANIZATION_FIELDS_ENDPOINT
    record_class = OrganizationFieldRecord
