"""Spider argument values every spider reads the same way (the backup's, the restore's, the page's forms)."""

from __future__ import annotations

from typing import Any

from zendesk_crawler.errors import ConfigError

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def parse_bool(name: str, value: Any) -> bool:
    """Parse a yes/no spider argument; anything unclear is an error."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")
