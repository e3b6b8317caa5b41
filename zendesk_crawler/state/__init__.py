"""The run's state: where each stream resumes, and when that position may move.

- ``store``: state documents (local or S3), written atomically; versions 1 and 2 read;
- ``lock``: one run at a time per export location;
- ``checkpoint``: which position is safe to save while the run goes on;
- ``checks``: what decides the final save at the end of a run;
- ``manifest``: the run manifest's document;
- ``run_state``: what the components below share about one run (handed round with the ``state_loaded`` signal);
- the Scrapy components, one job each, in ``EXTENSIONS`` order: ``feed_coverage`` (every stream has a feed),
  ``run_lock`` (holds the lock), ``stale_partials`` (a killed run's half-written files), ``loader`` (loads the
  state, tells the streams where to resume), ``failures`` (errors Scrapy reports become run failures),
  ``checkpoint_saver`` (positions saved as feed files are stored), ``final_save``, ``manifest_writer``, and
  ``shutdown``, which orders the end of the run (its docstring lists the steps).
"""
