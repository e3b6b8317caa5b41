"""The comments side of the ticket stream: per-ticket comment pages, and the events mode's bulk comments."""
