"""The ticket stream and its conversations: per-ticket comments, or the ticket event export in bulk."""
