"""The errors meant for a person: invalid input (before any request), and documents that cannot be used."""


class ConfigError(ValueError):
    """Invalid or missing configuration; the message is one line meant for a person."""


class StateError(RuntimeError):
    """A state document exists but cannot be used, or cannot be reached; one line meant for a person."""
