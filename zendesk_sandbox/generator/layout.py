"""The account's layout: id ranges, the length of the generated history, Zendesk's limits.

Ids are derived, not stored: a comment's id names its ticket and position, its audit, recording and attachments
sit at fixed offsets from it, so any of them can be found again from the id alone.
"""

from __future__ import annotations

FIRST_TICKET_ID = 10001
FIRST_USER_ID = 90000000001
#: The generated history: tickets are created over the 20 days before the epoch.
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
