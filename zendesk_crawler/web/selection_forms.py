"""The runs page's "Filtered export" and "One person's export" forms: their fields become the ``-a`` arguments of
README "Filtered exports" and "One person", validated by the command line's own functions (``run/filters.py``), so
a bad value is refused with the message ``scrapy crawl zendesk`` gives for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData

from zendesk_crawler.errors import ConfigError
from zendesk_crawler.run.filters import FILTER_ARGS, STATUSES, parse_filter, parse_person

#: Fields every form of the page sends besides its own.
COMMON_FIELDS = ("csrf",)
#: The filtered export's status checkboxes, joined into ``-a status=`` as the command line takes it.
STATUS_FIELD = "status"


def _given(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    """The form's non-empty text fields among ``names`` (an empty field is an argument not given), refusing any
    other field."""
    unknown = sorted(set(form.keys()) - set(names) - set(COMMON_FIELDS))
    if unknown:
        raise ConfigError(f"unknown field(s): {', '.join(unknown)}")
    given: dict[str, str] = {}
    for name in names:
        values = [value.strip() for value in form.getlist(name) if isinstance(value, str) and value.strip()]
        if values:
            given[name] = ",".join(values)
    return given


def filter_arguments(form: FormData) -> dict[str, str]:
    """The ``-a`` arguments of a filtered export (:class:`ConfigError`, the command line's message, when invalid;
    nothing given is refused: that would be a backup)."""
    arguments = _given(form, FILTER_ARGS)
    if not parse_filter(arguments):
        raise ConfigError("no filter is given: give a status, created_from/created_to, a query or ticket ids "
                          "(Extract now makes a backup)")
    return arguments


def person_arguments(form: FormData) -> dict[str, str]:
    """The ``-a user=`` argument of a person export (:class:`ConfigError`, the command line's message, when
    invalid or not given)."""
    arguments = _given(form, ("user",))
    if "user" not in arguments:
        raise ConfigError("no user is given: give a Zendesk user id or an e-mail address")
    parse_person(arguments["user"])
    return arguments


#: ``POST /extract/<kind>``: the forms' argument builders.
SELECTIONS: dict[str, Callable[[FormData], dict[str, str]]] = {"filtered": filter_arguments,
                                                                "person": person_arguments}


def refusal(error: ConfigError) -> str:
    """The line ``scrapy crawl zendesk`` fails with for these arguments (``commands/crawl.py``, after its
    ``FAILED:``)."""
    return f"configuration error: {error}"


def template_globals() -> dict[str, Any]:
    """What the forms' template (``selection_forms.html``) needs."""
    return {"filter_statuses": STATUSES}
