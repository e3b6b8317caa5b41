"""The options every generated object depends on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """Everything the generated data depends on."""

    tickets: int = 300
    seed: int = 1
    #: Unix time the generated history ends at; every generated timestamp is at or before it.
    epoch: int = 0
    base_url: str = "http://127.0.0.1"
    admin_email: str = "admin@sandbox.example.com"
    #: About 1 ticket in 60 has 150-450 comments; off: 1-8 comments each (about 4), for benchmarks.
    heavy_tickets: bool = True
    #: ``seeded`` (every generated object), ``empty`` (a new account: the admin and Zendesk's defaults only) or
    #: ``partial`` (empty plus a few users and a custom ticket field that match seeded ones; see ``writes.defaults``).
    account: str = "seeded"
