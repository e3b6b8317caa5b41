"""Zendesk's endpoints by the names the crawler gives them in stats, budgets and the sandbox's request log,
and the request meta keys that carry a request's endpoint, stream and page to the middlewares and the run state."""

from __future__ import annotations

#: Request meta keys shared by the spider and the components that watch it.
ENDPOINT_META = "zendesk_endpoint"  # which Zendesk endpoint a request calls (for stats and budgets)
PAGE_META = "zendesk_page"  # the number (1, 2, … in stream order) of the stream page a request fetches
STREAM_META = "zendesk_stream"  # the stream a request belongs to (its failures are that stream's)
EXPORT_ENDPOINT = "incremental_tickets"
#: The Incremental Ticket Event Export: the ``ticket_events`` stream and the comments of ``-a comments=events``.
EVENTS_ENDPOINT = "incremental_ticket_events"
COMMENTS_ENDPOINT = "ticket_comments"
USERS_ENDPOINT = "users_show_many"
USERS_EXPORT_ENDPOINT = "incremental_users"
ORGANIZATIONS_EXPORT_ENDPOINT = "incremental_organizations"
GROUPS_ENDPOINT = "groups"
TICKET_FIELDS_ENDPOINT = "ticket_fields"
#: A filtered or person export: ticket ids from the Search Export API, tickets from ``tickets/show_many``.
SEARCH_EXPORT_ENDPOINT = "search_export"
SHOW_MANY_ENDPOINT = "tickets_show_many"
TICKET_ENDPOINT = "ticket"
#: A person export: the user, their identities, their ticket lists.
USER_ENDPOINT = "user"
USERS_SEARCH_ENDPOINT = "users_search"
IDENTITIES_ENDPOINT = "user_identities"
USER_TICKETS_ENDPOINT = "user_tickets"
#: Attachment downloads (``content_url`` on the account host, then the content host): not API calls.
ATTACHMENT_ENDPOINT = "attachment"
#: A voice comment's recording (``data.recording_url``): an API call.
VOICE_RECORDING_ENDPOINT = "voice_recording"
#: Endpoints under Zendesk's Incremental Export budget (10 requests a minute).
INCREMENTAL_ENDPOINTS = frozenset({EXPORT_ENDPOINT, EVENTS_ENDPOINT, USERS_EXPORT_ENDPOINT,
                                   ORGANIZATIONS_EXPORT_ENDPOINT})
