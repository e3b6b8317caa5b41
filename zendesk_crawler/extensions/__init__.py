"""The crawler's small extensions that watch a run: the progress log, the status document the web page reads,
housekeeping."""
