"""The crawler's own Scrapy signals: how the streams, the spider, the output writers and the run-state components
talk, one way each.

Sent with ``crawler.signals.send_catch_log(signal, **arguments)``; receivers take the
arguments they need by name, like Scrapy's own signals. ``stream`` is a stream name
(``tickets``, ``users``, ``organizations``, ``groups``, ``ticket_fields``, ``ticket_events``, …).
"""

#: The run state was loaded (before the first request): where an incremental stream resumes.
#: Arguments: ``stream``, ``position`` (a :class:`~zendesk_crawler.run.positions.StreamPosition`).
resume_position = object()

#: A page of a stream arrived. Arguments: ``stream``, ``page`` (1, 2, … in stream order), ``position``
#: (where the stream goes on after this page: a cursor, or a time-based export's ``end_time``;
#: ``None`` for streams exported in full), ``end_of_stream``, ``repeats`` (record versions of this
#: page that the next page starts with again: a time-based export's last second).
page_received = object()

#: ``count`` records of page ``page`` of ``stream`` are to be exported (a record or a drop follows for each).
page_records = object()

#: The run's slice (``-a max_tickets``) ended inside page ``page`` of ``stream``: some of its records are left
#: for the next run, so no position after that page may be saved.
page_cut = object()

#: A record of ``page`` of ``stream`` needs no export: a newer version of it comes later in the stream.
record_superseded = object()

#: A record of ``page`` of ``stream`` an earlier run already stored (``version``: id and ``updated_at``).
record_already_stored = object()

#: A page of the Incremental Ticket Event Export read by the ticket stream's event reader (``-a comments=events``
#: with the ``ticket_events`` stream selected: one read for both). Arguments: ``page`` (the page's JSON object),
#: ``start_time`` (the second it was asked from). The ``ticket_events`` stream returns the records it makes of
#: it, and the reader hands them on with its own output.
ticket_event_page = object()

#: Every page of ``stream`` was read (the ticket fields, say, so the tickets can name their custom fields).
stream_ended = object()

#: The account does not have what ``stream`` needs (a plan feature, an add-on, a role): the stream is
#: unavailable, not failed (``run/outcome.py``'s ``mark_unavailable`` sends it once per stream). Arguments:
#: ``stream``, ``why`` (what it needs and Zendesk's answer).
stream_unavailable = object()

#: The account's ticket fields were read. Argument: ``fields`` (the ticket field objects, as Zendesk sent them).
ticket_fields_loaded = object()

#: A feed file was stored, or could not be. Arguments: ``uri``, ``uri_template`` (the feed),
#: ``batch_id``, ``records`` (how many it holds), ``stored`` (``False``: the store failed).
feed_file_stored = object()

#: The person document writer is done: its documents were stored (each told with ``feed_file_stored``) or not.
person_documents_closed = object()

#: The person document writer is on (sent when the spider opens): ``person_documents_closed`` will follow.
person_documents_opened = object()

#: A component refused to start the run while the crawler was being built (its exception follows):
#: what was taken for the run (the run lock) is let go.
start_refused = object()

#: The run state was loaded (sent when the spider opens, before ``resume_position``). Argument: ``state``
#: (the :class:`~zendesk_crawler.state.run_state.RunState` the run-state components share).
state_loaded = object()

#: The shutdown steps, sent in this order by ``state/shutdown.py`` once the spider closed (see its docstring);
#: each is sent when every receiver of the one before has finished. Argument: ``reason`` (the finish reason).
#: 1. Every output writer that is on (the feeds, the person documents) has stored its files, or failed to.
outputs_closed = object()
#: 2. The final save is over: each stream's final checks ran and the positions they allow were saved (or not).
final_save_done = object()
#: 3. Everything of the run is written (the manifest last): the run lock may be let go.
run_closed = object()
