"""Zendesk's endpoints by the names the crawler gives them in stats, budgets and the sandbox's request log,
and the request meta keys that carry a request's endpoint, stream and page to the middlewares and the run state."""

from __future__ import annotations

#: Request meta keys shared by the spider and the components that watch it.
ENDPOINT_META = "zendesk_endpoint"  # which Zendesk endpoint a request calls (for stats and budgets)
PAGE_META = "zendesk_page"  # the number (1, 2, … in stream order) of the stream page a request fetches
STREAM_META = "zendesk_stream"  # the stream a request belongs to (its failures are that stream's)
#: What the request's stream needs that an account may lack (``Stream.needs_feature``): a 403 of such a request
#: is the feature's answer, not rejected credentials (the auth middleware lets it through to the stream).
FEATURE_META = "zendesk_needs_feature"
EXPORT_ENDPOINT = "incremental_tickets"
#: The Incremental Ticket Event Export: the ``ticket_events`` stream and the comments of ``-a comments=events``.
EVENTS_ENDPOINT = "incremental_ticket_events"
COMMENTS_ENDPOINT = "ticket_comments"
USERS_ENDPOINT = "users_show_many"
USERS_EXPORT_ENDPOINT = "incremental_users"
ORGANIZATIONS_EXPORT_ENDPOINT = "incremental_organizations"
GROUPS_ENDPOINT = "groups"
TICKET_FIELDS_ENDPOINT = "ticket_fields"
#: Side conversations (the Collaboration add-on): the Incremental Side Conversation Event Export, and the side
#: conversations of one ticket (``include=events``).
SIDE_CONVERSATION_EVENTS_ENDPOINT = "incremental_side_conversation_events"
SIDE_CONVERSATIONS_ENDPOINT = "ticket_side_conversations"
#: A messaging ticket's conversation log (``/api/v2/tickets/{id}/conversation_log``).
CONVERSATION_LOG_ENDPOINT = "ticket_conversation_log"

#: The configuration lists, named after their streams.
TICKET_FORMS_ENDPOINT = "ticket_forms"
USER_FIELDS_ENDPOINT = "user_fields"
ORGANIZATION_FIELDS_ENDPOINT = "organization_fields"
BRANDS_ENDPOINT = "brands"
CUSTOM_STATUSES_ENDPOINT = "custom_statuses"
MACROS_ENDPOINT = "macros"
TRIGGERS_ENDPOINT = "triggers"
AUTOMATIONS_ENDPOINT = "automations"
VIEWS_ENDPOINT = "views"
SLA_POLICIES_ENDPOINT = "sla_policies"
SCHEDULES_ENDPOINT = "schedules"
DYNAMIC_CONTENT_ENDPOINT = "dynamic_content"
GROUP_MEMBERSHIPS_ENDPOINT = "group_memberships"
ORGANIZATION_MEMBERSHIPS_ENDPOINT = "organization_memberships"
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
SATISFACTION_RATINGS_ENDPOINT = "satisfaction_ratings"
#: The Help Center's lists and its incremental article export (not under the Incremental Export budget: the
#: Help Center API shares the account's budget; the export is not among the documented incremental exports).
HELP_CENTER_CATEGORIES_ENDPOINT = "help_center_categories"
HELP_CENTER_SECTIONS_ENDPOINT = "help_center_sections"
HELP_CENTER_ARTICLES_ENDPOINT = "help_center_incremental_articles"
#: An article's attachment list (``-a attachments=true`` only); the files themselves are ``ATTACHMENT_ENDPOINT``.
HELP_CENTER_ARTICLE_ATTACHMENTS_ENDPOINT = "help_center_article_attachments"
#: Endpoints under Zendesk's Incremental Export budget (10 requests a minute).
INCREMENTAL_ENDPOINTS = frozenset({EXPORT_ENDPOINT, EVENTS_ENDPOINT, USERS_EXPORT_ENDPOINT,
                                   ORGANIZATIONS_EXPORT_ENDPOINT})
