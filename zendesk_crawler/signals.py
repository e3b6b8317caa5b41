"""The crawler's own Scrapy signals: how the spider and the run-state extension talk, one way each.

Sent with ``crawler.signals.send_catch_log(signal, **arguments)``; receivers take the
arguments they need by name, like Scrapy's own signals.
"""

#: The run state was loaded (before the first request): where the ticket export resumes.
#: Arguments: ``cursor`` (``None``: start from ``start_time``), ``start_time``, ``already_stored``
#: (ticket versions an interrupted run stored after its cursor; see state/checkpoint.py).
resume_position = object()

#: An export page arrived. Arguments: ``page`` (1, 2, … in stream order), ``cursor`` (its
#: ``after_cursor``), ``end_of_stream``.
export_page_received = object()

#: ``count`` tickets of export page ``page`` are to be exported (a record or a drop follows for each).
export_page_tickets = object()

#: A ticket of ``page`` needs no record: a newer version of it comes later in the stream.
ticket_superseded = object()

#: A ticket of ``page`` an interrupted run already stored (``version``: id and ``updated_at``).
ticket_already_stored = object()
