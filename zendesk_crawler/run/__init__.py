"""The run: its stats keys, signals, saved positions, outcome, progress and housekeeping extensions."""
