"""``python -m zendesk_sandbox``: run the sandbox Zendesk until SIGTERM or SIGINT.

Prints one JSON line ``{"url": ..., "content_url": ..., "pid": ...}`` to stdout once it is listening (``url`` the
account, ``content_url`` the host that serves attachment bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time

from .app import Config
from .auth import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_OAUTH_TOKEN, Credentials
from .features import FEATURES, parse_without
from .server import ContentHostError, SandboxServer


def parse_args(argv: list[str] | None = None) -> Config:
    """The CLI options as a :class:`Config`."""
    parser = argparse.ArgumentParser(prog="python -m zendesk_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument("--content-host", default="127.0.0.2",
                        help="address of the host that serves attachment files (another loopback name by default; "
                             "the sandbox exits if it cannot bind it)")
    parser.add_argument("--content-port", type=int, default=0, help="its port; 0 picks a free one")
    parser.add_argument("--tickets", type=int, default=300, help="number of generated tickets")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data generator")
    parser.add_argument("--epoch", type=int, default=None,
                        help="unix time the generated history ends at (default: start - 120 s); "
                             "fix it to get byte-identical data across runs")
    parser.add_argument("--rate-limit", type=int, default=700, help="account requests per minute (0: unlimited)")
    parser.add_argument("--export-rate-limit", type=int, default=10,
                        help="incremental export requests per minute (0: unlimited)")
    parser.add_argument("--export-budget-header", action="store_true",
                        help="send Zendesk-RateLimit-incremental-exports on the ticket, event and organization exports")
    parser.add_argument("--search-export-rate-limit", type=int, default=100,
                        help="Export Search Results requests per minute (0: unlimited)")
    parser.add_argument("--conversation-log-rate-limit", type=int, default=100,
                        help="List Conversation Log for Ticket requests per minute (0: unlimited)")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="rate-limit minutes last 60/S real seconds")
    parser.add_argument("--other-usage", type=int, default=0,
                        help="requests per rate-limit window that other integrations of the account spend "
                             "(evenly over the window)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every API answer")
    parser.add_argument("--no-heavy-tickets", action="store_true",
                        help="no tickets with hundreds of comments (1-8 each, about 4): the benchmarks' shape")
    parser.add_argument("--no-gzip", action="store_true",
                        help="never compress answers (Zendesk gzips them for clients that accept it)")
    parser.add_argument("--without", default="", metavar="FEATURE[,FEATURE]",
                        help=f"features the account lacks, answered with Zendesk's 403 or 404 ({', '.join(FEATURES)})")
    parser.add_argument("--account", choices=("seeded", "empty", "partial"), default="seeded",
                        help="seeded (generated data), empty (a new account: the admin and Zendesk's defaults) or "
                             "partial (empty plus some users and a ticket field matching seeded ones)")
    parser.add_argument("--search-index-delay", type=int, default=120, metavar="SECONDS",
                        help="sandbox seconds before the search export finds an imported ticket (Zendesk: "
                             "'a few minutes')")
    parser.add_argument("--email", default=DEFAULT_EMAIL)
    parser.add_argument("--api-token", default=DEFAULT_API_TOKEN)
    parser.add_argument("--oauth-token", default=DEFAULT_OAUTH_TOKEN)
    args = parser.parse_args(argv)
    if args.tickets < 0 or args.rate_limit < 0 or args.export_rate_limit < 0 or args.latency_ms < 0:
        parser.error("--tickets, --rate-limit, --export-rate-limit and --latency-ms must not be negative")
    if args.other_usage < 0 or (args.rate_limit and args.other_usage >= args.rate_limit):
        parser.error("--other-usage must be between 0 and --rate-limit")
    try:
        without = parse_without(args.without)
    except ValueError as exc:
        parser.error(f"--without: {exc}")
    if args.time_scale <= 0:
        parser.error("--time-scale must be positive")
    if args.epoch is not None and args.epoch > time.time() - 120:
        parser.error("--epoch must be at least 120 seconds in the past")
    if args.content_host == args.host:
        parser.error("--content-host must differ from --host (attachment files are served from another host)")
    return Config(host=args.host, port=args.port, content_host=args.content_host, content_port=args.content_port,
                  tickets=args.tickets, seed=args.seed,
                  rate_limit=args.rate_limit, export_rate_limit=args.export_rate_limit,
                  search_export_rate_limit=args.search_export_rate_limit,
                  conversation_log_rate_limit=args.conversation_log_rate_limit,
                  time_scale=args.time_scale, other_usage=args.other_usage, latency_ms=args.latency_ms,
                  export_budget_header=args.export_budget_header, gzip=not args.no_gzip, epoch=args.epoch,
                  heavy_tickets=not args.no_heavy_tickets, without=without, account=args.account,
                  search_index_delay=args.search_index_delay,
                  credentials=Credentials(args.email, args.api_token, args.oauth_token))


async def serve(server: SandboxServer) -> None:
    """Print the ready line once listening; return on SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    ready, stop = asyncio.Event(), asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    serving = asyncio.create_task(server.serve(ready, stop))
    await ready.wait()
    print(json.dumps({"url": server.base_url, "content_url": server.content_url, "pid": os.getpid()}), flush=True)
    await serving


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT, then exit 0 (2 when the content host cannot be bound)."""
    try:
        server = SandboxServer(parse_args(argv))
    except ContentHostError as exc:
        print(f"zendesk_sandbox: {exc}", file=sys.stderr, flush=True)
        return 2
    asyncio.run(serve(server))
    return 0


if __name__ == "__main__":
    sys.exit(main())
