"""Every figure the crawler keeps in Scrapy's stats, named once.

Each key is a constant (or, for a key per stream or endpoint, a function) of this
module, so one search for its name finds the component that produces it and every
component that reads it. The strings themselves are public: they appear in
``scrapy crawl`` 's final stats dump and are what the manifest is built from.
"""

from __future__ import annotations

#: The prefix of every key the crawler sets (Scrapy's own keys have none).
PREFIX = "zendesk/"

# --- the run's outcome (run/outcome.py) ---------------------------------------------------------
#: The first failure reason recorded: the run's one-line reason for a non-zero exit.
FAILURE_REASON = "zendesk/failure_reason"
#: Failures recorded, of any stream or of the run.
FAILURE_COUNT = "zendesk/failure_count"
#: Failures that belong to no stream (rejected credentials, a lost lock): every position stays.
RUN_FAILURE_COUNT = "zendesk/run_failure_count"
#: The account refused the credentials (401/403).
AUTH_FAILED = "zendesk/auth_failed"
#: The state file the final positions were saved to.
STATE_SAVED = "zendesk/state_saved"
#: The streams the account does not have (a plan feature, an add-on, a role): ``{stream: Zendesk's answer}``.
#: Not failures: the run goes on and their saved positions stay as they were.
UNAVAILABLE_STREAMS = "zendesk/unavailable_streams"

# --- requests and budgets (middlewares/) --------------------------------------------------------
RATE_LIMITED_429 = "zendesk/rate_limited_429"
RATE_LIMIT_PAUSED_SECONDS = "zendesk/rate_limit_paused_seconds"
RATE_LIMIT_PACED_SECONDS = "zendesk/rate_limit_paced_seconds"
#: Answers that were not the expected JSON (retried like a 5xx).
MALFORMED_RESPONSES = "zendesk/malformed_responses"


def requests_to(endpoint: str) -> str:
    """Requests sent to one endpoint (retries included)."""
    return f"zendesk/requests/{endpoint}"


# --- tickets and their conversations (streams/tickets/, pipelines/conversations.py) -------------
TICKETS_EXPORTED = "zendesk/tickets_exported"
COMMENTS_EXPORTED = "zendesk/comments_exported"
TICKETS_DELETED = "zendesk/tickets_deleted"
MALFORMED_TICKETS = "zendesk/malformed_tickets"
TICKETS_WITHOUT_ID = "zendesk/tickets_without_id"
#: The same ticket version again later in the export (exported once).
TICKETS_REPEATED = "zendesk/tickets_repeated"
#: A ticket version stored by the interrupted run this one resumes.
TICKETS_ALREADY_STORED = "zendesk/tickets_already_stored"
#: A ticket version that needs no record: a newer version came later in the stream.
TICKETS_SUPERSEDED = "zendesk/tickets_superseded"
TICKETS_FAILED = "zendesk/tickets_failed"
#: Comments answered 404 (the ticket was deleted during the run).
COMMENTS_ANSWERED_404 = "zendesk/comments_not_found"
#: Set when ``-a max_tickets`` stopped the ticket export.
MAX_TICKETS_REACHED = "zendesk/tickets/max_tickets_reached"

# --- events mode (-a comments=events, streams/tickets/events.py) --------------------------------
EVENT_PAGES = "zendesk/event_pages"
EVENT_STREAM_PAUSED = "zendesk/event_stream_paused"
TICKETS_CHANGED_DURING_RUN = "zendesk/tickets_changed_during_run"
TICKETS_EVICTED_FROM_EVENTS = "zendesk/tickets_evicted_from_events"
TICKETS_FETCHED_PER_TICKET = "zendesk/tickets_fetched_per_ticket"

# --- messaging tickets' conversation logs (streams/tickets/conversation_log.py) -------------------
CONVERSATION_LOGS_READ = "zendesk/conversation_logs_read"
CONVERSATION_LOG_ENTRIES = "zendesk/conversation_log_entries"

# --- side conversations (streams/side_conversations.py) ----------------------------------------
#: Tickets whose side conversations were listed (they had side conversation events since the position).
SIDE_CONVERSATION_TICKETS = "zendesk/side_conversations/tickets_listed"
#: Tickets whose side conversations answered 403/404 after the export answered (deleted, or not visible).
SIDE_CONVERSATION_TICKETS_GONE = "zendesk/side_conversations/tickets_gone"

# --- attachment files (pipelines/attachments.py); the manifest lists every key under the prefix --
ATTACHMENTS_PREFIX = "zendesk/attachments/"
ATTACHMENTS_DOWNLOADED = "zendesk/attachments/downloaded"
ATTACHMENTS_DOWNLOADED_BYTES = "zendesk/attachments/downloaded_bytes"
ATTACHMENTS_FILES_STORED = "zendesk/attachments/files_stored"
ATTACHMENTS_STORED_BYTES = "zendesk/attachments/stored_bytes"
ATTACHMENTS_ALREADY_STORED = "zendesk/attachments/already_stored"
ATTACHMENTS_SAME_BYTES_ALREADY_STORED = "zendesk/attachments/same_bytes_already_stored"
ATTACHMENTS_FAILED = "zendesk/attachments/failed"


def attachments_skipped(why: str) -> str:
    """Attachments Zendesk will not serve, by why (``deleted``, ``malware``)."""
    return f"zendesk/attachments/skipped/{why}"


# --- a person export (selection/person.py) ------------------------------------------------------
PERSON_USER_ID = "zendesk/person/user_id"


# --- per stream ----------------------------------------------------------------------------------
def records_exported(stream: str) -> str:
    """Records of ``stream`` handed to the feeds."""
    return f"zendesk/records_exported/{stream}"


def stream_pages(stream: str) -> str:
    """Pages of ``stream`` read."""
    return f"zendesk/{stream}/pages"


def stream_requests(stream: str) -> str:
    """Requests sent for ``stream`` (its pages, and its tickets' comments)."""
    return f"zendesk/{stream}/requests"


def stream_failures(stream: str) -> str:
    """Failures of ``stream``: its position is then not moved."""
    return f"zendesk/{stream}/failures"


def stream_ended(stream: str) -> str:
    """Set when the stream's last page (``end_of_stream``) was read."""
    return f"zendesk/{stream}/ended"


def stream_unfinished(stream: str) -> str:
    """Set by the spider when it closes: records of the stream accepted but neither exported nor dropped."""
    return f"zendesk/{stream}/unfinished"


def stream_not_started(stream: str) -> str:
    """Set by the spider when it closes, for a stream that never started: the streams it waited for."""
    return f"zendesk/{stream}/not_started"


def stream_first_updated_at(stream: str) -> str:
    """The ``updated_at`` (unix seconds) of the first record the stream read (progress)."""
    return f"zendesk/{stream}/first_updated_at"


def stream_position_updated_at(stream: str) -> str:
    """The newest ``updated_at`` (unix seconds) the stream has reached (progress; kept in the state)."""
    return f"zendesk/{stream}/position_updated_at"


def stream_malformed(stream: str) -> str:
    """Entries of the stream's pages that are not objects (skipped, logged)."""
    return f"zendesk/{stream}/malformed"


def stream_repeated(stream: str) -> str:
    """Records a time-based export served again (its last second), skipped."""
    return f"zendesk/{stream}/repeated"


def stream_already_stored(stream: str) -> str:
    """Records an earlier run stored after the saved position, skipped."""
    return f"zendesk/{stream}/already_stored"


def source_pages(stream: str) -> str:
    """Pages of a filtered or person export's id sources (search, the person's ticket lists)."""
    return f"zendesk/{stream}/source_pages"


def entries_without_id(stream: str) -> str:
    """Entries of an id source without a usable ticket id."""
    return f"zendesk/{stream}/entries_without_id"


def ids_found(stream: str) -> str:
    """Ticket ids of a filtered or person export that were found."""
    return f"zendesk/{stream}/ids_found"


def ids_not_found(stream: str) -> str:
    """Ticket ids of a filtered or person export that Zendesk answered 404 for."""
    return f"zendesk/{stream}/ids_not_found"


def no_longer_matching(stream: str) -> str:
    """Tickets a filter found that no longer matched it when fetched (left out)."""
    return f"zendesk/{stream}/no_longer_matching"
