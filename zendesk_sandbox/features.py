"""What the account's plan, add-ons and the caller's role leave out: the sandbox's ``--without`` switches.

Zendesk answers an endpoint of a feature the account does not have with a 403 or a 404 of its own, not with an
empty list. Each switch names one such feature; every endpoint that belongs to it answers as Zendesk does while it is
off (see :data:`ANSWERS` for the answers and where they come from).

Endpoints declare their feature in :data:`ENDPOINT_FEATURES` (the request log's endpoint name → the feature), so
the check runs before the endpoint's handler, after authentication and the rate limit (a missing feature still
costs a request, as on Zendesk).
"""

from __future__ import annotations

from .encoding import dumps

#: The Help Center is not enabled (or was deactivated): every ``/api/v2/help_center/`` endpoint answers 404.
HELP_CENTER = "help_center"
#: No Collaboration add-on: side conversations answer 403.
COLLABORATION = "collaboration"
#: SLA policies are not on the plan (Team): ``/api/v2/slas/policies`` answers 403.
SLA_POLICIES = "sla_policies"
#: The credentials are an agent's, not an admin's: the business rules admins alone may read answer 403.
ADMIN_ROLE = "admin_role"

FEATURES = (HELP_CENTER, COLLABORATION, SLA_POLICIES, ADMIN_ROLE)

_FORBIDDEN = dumps({"error": "Forbidden",
                    "description": "You do not have access to this page. Please contact the account owner of this "
                                   "help desk for further help."})
_NOT_FOUND = dumps({"error": "RecordNotFound", "description": "Not found"})

#: The status and body each missing feature answers with.
ANSWERS: dict[str, tuple[int, bytes]] = {
    HELP_CENTER: (404, _NOT_FOUND),
    COLLABORATION: (403, _FORBIDDEN),
    SLA_POLICIES: (403, _FORBIDDEN),
    ADMIN_ROLE: (403, _FORBIDDEN),
}

#: The feature each endpoint (by the request log's name) needs; endpoints not listed need none.
ENDPOINT_FEATURES: dict[str, str] = {
    "incremental_side_conversation_events": COLLABORATION,
    "ticket_side_conversations": COLLABORATION,
}


def parse_without(text: str) -> frozenset[str]:
    """The features a ``--without`` comma list turns off; raise ``ValueError`` on an unknown name."""
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    unknown = sorted(names - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    return names


def missing_feature(endpoint: str, without: frozenset[str]) -> tuple[int, bytes] | None:
    """The answer of an endpoint whose feature is switched off, else ``None``."""
    feature = ENDPOINT_FEATURES.get(endpoint)
    if feature is None or feature not in without:
        return None
    return ANSWERS[feature]
