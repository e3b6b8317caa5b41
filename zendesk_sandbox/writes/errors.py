"""Zendesk's error answers of the write endpoints.

Sources: the *Errors* section of Zendesk's API introduction (https://developer.zendesk.com/api-reference/introduction/
requests/ and .../responses/: 422 ``RecordInvalid`` with ``details`` per field, each ``{"description", "error"}``;
403 ``Forbidden`` for a role that may not call an endpoint), the "Name: has already been taken" and
"Email: … is already being used by another user" descriptions as public clients quote them (zenpy and
Zendesk community posts). Exact descriptions of other validations are the sandbox's wording.
"""

from __future__ import annotations

from typing import Any

from ..api import Response, error
from ..encoding import dumps

JSON_TYPE = ("Content-Type", "application/json; charset=utf-8")
FORBIDDEN = error(403, "Forbidden", "You do not have access to this page. Please contact the account owner of this "
                                    "help desk for further help.")


class Invalid(Exception):
    """A record Zendesk refuses: ``details`` maps a field to its messages (``{"description", "error"}`` each)."""

    def __init__(self, field: str, description: str, kind: str = "InvalidValue") -> None:
        super().__init__(description)
        self.details: dict[str, list[dict[str, str]]] = {field: [{"description": description, "error": kind}]}

    @property
    def description(self) -> str:
        return "; ".join(m["description"] for messages in self.details.values() for m in messages)

    def response(self) -> Response:
        """The 422 ``RecordInvalid`` answer."""
        body = {"error": "RecordInvalid", "description": "Record validation errors", "details": self.details}
        return Response(422, [JSON_TYPE], dumps(body))


def taken(field: str, label: str) -> Invalid:
    """``<Label>: has already been taken`` (``DuplicateValue``), as Zendesk answers a second record of a unique name."""
    return Invalid(field, f"{label}: has already been taken", "DuplicateValue")


def bad_request(description: str, name: str = "InvalidValue") -> Response:
    """A 400 answer (a malformed request, too many records for a bulk endpoint)."""
    return error(400, name, description)


def payload_of(body: bytes, key: str) -> Any:
    """``body[key]`` of a JSON request body; raises ``ValueError`` with Zendesk's wording when it is missing."""
    import json

    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("The request body is not valid JSON") from None
    if not isinstance(data, dict) or key not in data:
        raise ValueError(f"Parameter {key} is required")
    return data[key]
