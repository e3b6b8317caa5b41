"""Everything about one person (``-a user=<id or email>``), for a data-access or portability request.

The person is found by id (``/api/v2/users/{id}``) or by e-mail address (``/api/v2/users/search``), then their
identities are read (``/api/v2/users/{id}/identities``), then every ticket they requested, are CC'd on or
follow (``/api/v2/users/{id}/tickets/requested|ccd|followed``, archived tickets included) or commented on
(the Search Export API, ``commenter:<id>``: no 1000-result limit), each once, with its whole conversation.
The profile goes first (a :class:`~zendesk_crawler.items.PersonProfile`), then the ticket records; the person
document writer (``person_document.py``) puts them in one JSON and one XML document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from zendesk_crawler.api.endpoints import (
    IDENTITIES_ENDPOINT,
    USER_ENDPOINT,
    USER_TICKETS_ENDPOINT,
    USERS_SEARCH_ENDPOINT,
)
from zendesk_crawler.api.pagination import PaginationError, next_page_cursor
from zendesk_crawler.api.responses import STREAM_PAGE_PRIORITY, api_error, json_object
from zendesk_crawler.items import PersonProfile
from zendesk_crawler.run.context import RunContext
from zendesk_crawler.run.stats_keys import PERSON_USER_ID
from zendesk_crawler.selection.filtered_tickets import IdSource, SelectedTicketStream, search_source

logger = logging.getLogger(__name__)

#: The person's ticket lists (Zendesk's List Tickets, cursor pagination).
RELATIONS = ("requested", "ccd", "followed")


class PersonStream(SelectedTicketStream):
    """The person's profile and identities, then their tickets (see the module docstring)."""

    label = "person export"

    def __init__(self, crawler: Crawler, config: RunContext, export: bool = True) -> None:
        super().__init__(crawler, config, export)
        self.user: dict[str, Any] | None = None
        self.identities: list[dict[str, Any]] = []
        #: Users of the search's earlier pages, none of whom has the address as their e-mail.
        self.partial_matches: list[dict[str, Any]] = []

    def start_requests(self) -> list[Request]:
        person = self.config.person
        if person.isdigit():
            return [self._request(f"/api/v2/users/{person}.json", {}, self.user_found, USER_ENDPOINT)]
        return [self._request("/api/v2/users/search.json", {"query": f"email:{person}", "per_page": 100},
                              self.users_found, USERS_SEARCH_ENDPOINT)]

    def _request(self, path: str, params: dict[str, Any], callback: Callable[[Response], Iterator[Any]],
                 endpoint: str) -> Request:
        """A request of the person lookup (its failures are the person export's)."""
        url = f"{self.config.base_url}{path}" + (f"?{urlencode(params)}" if params else "")
        return self.request(url, callback, self.person_failed, STREAM_PAGE_PRIORITY, endpoint, {})

    def person_failed(self, failure: Failure) -> None:
        """The person could not be read: an unknown id is said so."""
        response = getattr(failure.value, "response", None)
        if response is not None and response.status == 404 and self.user is None:
            self.fail(f"the person export stopped: no Zendesk user has the id {self.config.person}")
            return
        self.fail(f"the person export stopped: {api_error(failure)}")

    def user_found(self, response: Response) -> Iterator[Any]:
        """The user by id (a deleted user too, in Zendesk's deleted shape)."""
        page = json_object(response, "user", dict)
        if page is None:
            yield from self.malformed(response)
            return
        yield from self._found(page["user"])

    def users_found(self, response: Response) -> Iterator[Any]:
        """The users search by e-mail: the user whose address it is (Zendesk may also match other identities)."""
        page = json_object(response, "users")
        if page is None:
            yield from self.malformed(response)
            return
        users = [user for user in page["users"] if isinstance(user, dict)]
        wanted = self.config.person.casefold()
        exact = [user for user in users if str(user.get("email") or "").casefold() == wanted]
        next_page = page.get("next_page")
        if not exact and isinstance(next_page, str) and next_page.startswith(f"{self.config.base_url}/"):
            # Offset pagination (the only kind the users search has): the address may be on a later page.
            self.partial_matches += users
            yield self.request(next_page, self.users_found, self.person_failed, STREAM_PAGE_PRIORITY,
                               USERS_SEARCH_ENDPOINT, {})
            return
        users = self.partial_matches + users
        # One user found by another of their addresses (a secondary identity) is checked against the
        # identities before anything of theirs is exported (see identities_page).
        found = exact or (users if len(users) == 1 else [])
        if not found:
            self.fail(f"the person export stopped: no Zendesk user has the e-mail address {self.config.person}"
                      + (f" ({len(users)} users match it only in part: give the user id)" if users else ""))
            return
        if len(found) > 1:
            self.fail(f"the person export stopped: {len(found)} Zendesk users have the e-mail address "
                      f"{self.config.person}: give the user id")
            return
        yield from self._found(found[0])

    def _found(self, user: dict[str, Any]) -> Iterator[Request]:
        """The person is known: their identities next."""
        self.user = user
        self.stats.set_value(PERSON_USER_ID, user.get("id"))
        logger.info("Person export of user %s (%s)", user.get("id"), "deleted" if user.get("active") is False
                    else user.get("role") or "unknown role")
        yield self._identities_request(None)

    def _identities_request(self, after: str | None) -> Request:
        assert self.user is not None
        params: dict[str, Any] = {"page[size]": self.config.list_page_size}
        if after:
            params["page[after]"] = after
        return self._request(f"/api/v2/users/{self.user['id']}/identities.json", params, self.identities_page,
                             IDENTITIES_ENDPOINT)

    def _has_address(self, address: str) -> bool:
        """Whether the person's primary e-mail or one of their e-mail identities is ``address``."""
        assert self.user is not None
        addresses = [self.user.get("email")] + [identity.get("value") for identity in self.identities
                                                if identity.get("type") == "email"]
        return any(isinstance(a, str) and a.casefold() == address.casefold() for a in addresses)

    def identities_page(self, response: Response) -> Iterator[Any]:
        """Every identity, then the profile item and the ticket sources."""
        page = json_object(response, "identities")
        if page is None:
            yield from self.malformed(response)
            return
        self.identities += [identity for identity in page["identities"] if isinstance(identity, dict)]
        try:
            after = next_page_cursor(page)
        except PaginationError as error:
            self.fail(f"the person export stopped: the identities: {error} ({response.url})")
            return
        if after is not None:
            yield self._identities_request(after)
            return
        assert self.user is not None
        if "@" in self.config.person and not self._has_address(self.config.person):
            self.fail(f"the person export stopped: no Zendesk user has the e-mail address {self.config.person} "
                      f"(the users search found user {self.user.get('id')}, whose addresses differ: give the "
                      "user id if it is the person)")
            return
        yield PersonProfile(user=self.user, identities=self.identities)
        user_id = self.user["id"]
        for relation in RELATIONS:
            yield self.source_request(IdSource(f"the person's {relation} tickets",
                                               f"/api/v2/users/{user_id}/tickets/{relation}.json", {}, "tickets",
                                               USER_TICKETS_ENDPOINT, self.config.list_page_size), None)
        yield self.source_request(search_source(f"commenter:{user_id}", self.config.search_page_size), None)
