"""The error every component raises for invalid input, before any request."""


class ConfigError(ValueError):
    """Invalid or missing configuration; the message is one line meant for a person."""
