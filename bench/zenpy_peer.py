#!/usr/bin/env python
"""Peer extractor for the benchmark: the sequential Zendesk backup most scripts are, built on Zenpy.

    ZENDESK_URL=http://127.0.0.1:PORT ZENDESK_EMAIL=... ZENDESK_API_TOKEN=... \\
        python bench/zenpy_peer.py --start-time 0 --output /tmp/x.jsonl

What it does, on purpose no more than a typical script:

* iterates the cursor-based Incremental Ticket Export with Zenpy's own generator
  (``zenpy.tickets.incremental(start_time=..., paginate_by_time=False)``, i.e.
  ``GET /api/v2/incremental/tickets/cursor.json``, following ``after_url`` until
  ``end_of_stream``), with Zenpy's defaults: no ``per_page`` (the server's 1000), no
  ``support_type_scope`` (Zenpy has no parameter for it, so the server's default ``agent``
  applies), no sideloads;
* for every ticket whose status is not ``deleted`` fetches all its comments with
  ``zenpy.tickets.comments(ticket=id)`` (Zenpy asks ``page[size]=100`` and follows
  ``links.next`` while ``meta.has_more``), one request at a time;
* writes one JSON line per exported ticket, ``ticket.to_dict()`` plus ``"comments"`` (a list
  of ``comment.to_dict()``; ``[]`` for deleted tickets and for tickets whose comments failed);
* a ``RecordNotFound`` (404, ticket deleted meanwhile) or any other API error on a ticket's
  comments counts one error and goes on with the next ticket;
* prints ``{"tickets", "comments", "seconds", "cpu_seconds", "errors"}`` as one JSON line.

Pointing Zenpy at a non-Zendesk base URL
----------------------------------------
Zenpy builds every URL in ``BaseApi._build_url`` as
``{scheme}://{base_url}/api/v2/...`` with ``scheme = os.environ.get("ZENPY_FORCE_SCHEME",
self.protocol)`` (``protocol`` is hard-coded ``'https'`` in ``BaseApi.__init__``) and
``base_url`` = ``os.environ["ZENPY_FORCE_NETLOC"]`` if set, else ``f"{subdomain}.{domain}"``.
``Zenpy(domain=..., subdomain=...)`` alone cannot express ``127.0.0.1:PORT`` (it always joins
``subdomain`` and ``domain`` with a dot), and ``protocol`` is a per-api attribute (50-odd api
objects). So the least intrusive route is Zenpy's own override variables: we set
``ZENPY_FORCE_SCHEME`` and ``ZENPY_FORCE_NETLOC`` from ``ZENDESK_URL`` before any request
(no monkeypatching at all). A ``subdomain`` must still be given (Zenpy refuses an empty one);
it is a placeholder that never reaches the wire. Pages after the first are fetched from the
absolute ``after_url`` / ``links.next`` the server returns, so they need nothing.

Zenpy mounts its retrying ``HTTPAdapter`` (3 retries on 413/503, never 429) on ``https://``
only; we pass our own ``requests.Session`` with the same adapter mounted on ``http://`` too,
so the plain-HTTP sandbox gets the behaviour real (HTTPS) Zendesk would. 429s are handled
by Zenpy itself (sleeps ``Retry-After`` and retries).

What Zenpy misses or changes (left as is: that is the comparison)
-----------------------------------------------------------------
* AI-agent tickets: ``incremental()`` cannot pass ``support_type_scope``, so only the default
  ``agent`` scope is exported (about 2 % of the sandbox's tickets and their comments missing).
* ``to_dict()`` is not the API's JSON: ``via.source.from`` comes back as ``from_`` (tickets and
  comments), a ``satisfaction_rating`` of ``{"score": ...}`` is padded with null keys
  (``id``, ``url``, ``assignee_id``, ...), and key order is Zenpy's, not Zendesk's.
* Its time-based generator stops when a page's ``end_time`` is within 5 minutes of now, and
  both generators stop at the first empty page; the sandbox's cursor export sends no
  ``end_time``, so neither bites here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from zenpy import Zenpy
from zenpy.lib.exception import APIException, RecordNotFoundException, ZenpyException


def make_client(url: str, email: str, token: str, timeout: float = 60.0) -> Zenpy:
    """A Zenpy client whose requests go to ``url`` (``http(s)://host[:port]``), API-token auth."""
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = parts.netloc
    if parts.hostname and parts.hostname.endswith(".zendesk.com") and parts.scheme == "https":
        # Real Zendesk: Zenpy's normal configuration, no override needed.
        subdomain = parts.hostname[: -len(".zendesk.com")]
        os.environ.pop("ZENPY_FORCE_SCHEME", None)
        os.environ.pop("ZENPY_FORCE_NETLOC", None)
    else:
        # Anything else (the sandbox): Zenpy's own override hooks, read in BaseApi._build_url.
        subdomain = "sandbox"  # required by Zenpy, replaced by ZENPY_FORCE_NETLOC on the wire
        os.environ["ZENPY_FORCE_SCHEME"] = parts.scheme
        os.environ["ZENPY_FORCE_NETLOC"] = host
    session = requests.Session()
    adapter = HTTPAdapter(**Zenpy.http_adapter_kwargs())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return Zenpy(subdomain=subdomain, email=email, token=token, session=session, timeout=timeout)


def export(client: Zenpy, start_time: int, out) -> dict[str, int]:
    counts = {"tickets": 0, "comments": 0, "errors": 0}
    for ticket in client.tickets.incremental(start_time=start_time, paginate_by_time=False):
        record = ticket.to_dict()
        comments: list[dict] = []
        if record.get("status") != "deleted":
            try:
                for comment in client.tickets.comments(ticket=ticket.id):
                    comments.append(comment.to_dict())
            except RecordNotFoundException as exc:  # deleted since the export page was read
                counts["errors"] += 1
                comments = []
                print(f"ticket {ticket.id}: comments 404: {exc}", file=sys.stderr)
            except (APIException, ZenpyException, requests.RequestException) as exc:
                counts["errors"] += 1
                comments = []
                print(f"ticket {ticket.id}: comments failed: {exc!r}", file=sys.stderr)
        record["comments"] = comments
        out.write(json.dumps(record, ensure_ascii=False))
        out.write("\n")
        counts["tickets"] += 1
        counts["comments"] += len(comments)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--start-time", type=int, default=0, help="incremental export start_time (unix seconds)")
    parser.add_argument("--output", required=True, help="JSON Lines file to write (one ticket a line)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout (Zenpy's default: 60)")
    args = parser.parse_args(argv)

    url = os.environ["ZENDESK_URL"]
    email = os.environ["ZENDESK_EMAIL"]
    token = os.environ["ZENDESK_API_TOKEN"]

    wall0, cpu0 = time.perf_counter(), time.process_time()
    client = make_client(url, email, token, args.timeout)
    with open(args.output, "w", encoding="utf-8") as out:
        counts = export(client, args.start_time, out)
    result = {
        "tickets": counts["tickets"],
        "comments": counts["comments"],
        "seconds": round(time.perf_counter() - wall0, 3),
        "cpu_seconds": round(time.process_time() - cpu0, 3),
        "errors": counts["errors"],
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
