"""What the account's plan, add-ons and the caller's role leave out: the sandbox's ``--without`` switches.

Zendesk answers an endpoint of a feature the account does not have with a 403 or a 404 of its own, not with an
empty list. Each switch names one such feature; every endpoint that belongs to it answers as Zendesk does while it is
off (see :data:`ANSWERS`).

Endpoints declare their feature in :data:`ENDPOINT_FEATURES` (the request log's endpoint name → the feature), so
the check runs before the endpoint's handler, after authentication and the rate limit (a missing feature still
costs a request, as on Zendesk).

What Zendesk sends, and how sure we are (also in ``zendesk_sandbox/README.md``):

- **The Help Center is not enabled: 404.** The Help Center API of an account without a Help Center answers
  ``404 Not Found`` (observed: https://github.com/facetoe/zenpy/issues/631, ``GET
  /api/v2/help_center/categories.json?page[size]=100`` answered 404 on one account and worked on another). The
  body is not quoted there; the sandbox sends Zendesk's documented 404 body, ``{"error": "RecordNotFound",
  "description": "Not found"}`` (``tests/fixtures/zendesk-samples/errors.md``).
- **A 403 body.** Zendesk's "Forbidden" answer to credentials that may not read a page is
  ``{"error": {"title": "Forbidden", "message": "You do not have access to this page. Please contact the account
  owner of this help desk for further help."}}`` (observed: the Zendesk community post
  https://support.zendesk.com/hc/en-us/community/posts/6224176367002 quotes it for a 403; singer-io/tap-zendesk
  ``test/unittests/test_discovery_mode.py`` uses the same body as its ``API_TOKEN_ERROR``; facetoe/zenpy issue
  #336 shows it for an agent). The flat ``{"error": "Forbidden", "description": …}`` seen for OAuth scopes is the
  other shape; the crawler reads both.
- **SLA policies not on the plan: 403.** ``/api/v2/slas/policies`` is documented "Availability: Accounts on the
  Support Professional or Suite Growth plan or above; Allowed For: Admins" (Zendesk's OpenAPI for SLA Policies,
  https://developer.zendesk.com/api-reference/ticketing/business-rules/sla_policies/). The status on a lower plan is
  not documented; the sandbox answers the 403 above, as for any access the account lacks.
- **No Collaboration add-on: 403.** Side conversations need the Collaboration add-on (or a plan that includes it);
  the status without it is not documented either: the sandbox answers the 403 above.
- **A role that may not read them: 403**, for endpoints documented "Allowed For: Admins" (SLA policies, say).
  Many business rules are readable by agents: ``GET /api/v2/triggers`` is documented "Allowed For: Agents" (so are
  macros, automations and views), so an agent's token gets them with 200. The incremental exports are "Allowed
  For: Admins" too (Zendesk's OpenAPI for the Incremental Export), so a plain agent's token cannot run a backup at
  all: Zendesk refuses the ticket export and the crawl stops on the credentials. The switch leaves the exports
  open: it plays a role that may read them but not the endpoints registered under :data:`ADMIN_ROLE`.
"""

from __future__ import annotations

from .encoding import dumps

#: The Help Center is not enabled (or was deactivated): every ``/api/v2/help_center/`` endpoint answers 404.
HELP_CENTER = "help_center"
#: No Collaboration add-on: side conversations answer 403.
COLLABORATION = "collaboration"
#: SLA policies are not on the plan (Team): ``/api/v2/slas/policies`` answers 403.
SLA_POLICIES = "sla_policies"
#: The credentials' role may not read the endpoints registered for it (documented "Allowed For: Admins"): they
#: answer 403 (not triggers, macros, automations or views, which agents may read; not the exports, see above).
ADMIN_ROLE = "admin_role"

FEATURES = (HELP_CENTER, COLLABORATION, SLA_POLICIES, ADMIN_ROLE)

_FORBIDDEN = dumps({"error": {"title": "Forbidden",
                              "message": "You do not have access to this page. Please contact the account owner of "
                                         "this help desk for further help."}})
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
    "sla_policies": SLA_POLICIES,
    # Documented for admins only (schedules: "List All Schedules … Allowed For: Admins"), or for admins and the
    # agents who may manage them (dynamic content items): other credentials get 403.
    "schedules": ADMIN_ROLE,
    "dynamic_content": ADMIN_ROLE,
    "help_center_categories": HELP_CENTER,
    "help_center_sections": HELP_CENTER,
    "help_center_incremental_articles": HELP_CENTER,
    "help_center_article_attachments": HELP_CENTER,
    # "Allowed For: Admins" (List Satisfaction Ratings).
    "satisfaction_ratings": ADMIN_ROLE,
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
