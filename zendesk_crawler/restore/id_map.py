"""The id map's vocabulary: one JSON Lines record per object a restore wrote or reused.

Files ``restore-map-<run id>-NNNNN.jsonl`` under the restore's ``ZENDESK_EXPORT_URI``,
stored as the run goes (like the feeds' checkpoints). A line:
``{"type": "ticket", "source_id": 12, "target_id": 345, "action": "created"}``;
``action`` is ``created`` or ``reused`` (an object the target already had: a user by
e-mail, a group by name, a field by type and title). ``compare --map`` reads them.
"""

from __future__ import annotations

#: The file names' stem: ``restore-map-<run id>-NNNNN.jsonl``.
MAP_STREAM = "restore-map"
#: The object types, in restore order.
TYPES = ("ticket_field", "user_field", "organization_field", "group", "organization", "user", "brand",
         "ticket_form", "macro", "trigger", "automation", "view", "ticket")
CREATED, REUSED = "created", "reused"
