"""``python -m zendesk_crawler.web --host 127.0.0.1 --port 8000``: serve the page, refusing an open bind without a
password; with nothing configured, the demo backup and its sandbox Zendesk (``demo_mode.py``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from zendesk_crawler.config import ConfigError

EXIT_REFUSED = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m zendesk_crawler.web", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--demo-dir", type=Path, default=None,
                        help="with no account configured: where demo backups are found and made "
                             "(default: ZENDESK_DEMO_DIR, else output/)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from zendesk_crawler.location.files import keep_private

    keep_private()  # the page's index and the job logs hold conversations too
    from scrapy.utils.project import get_project_settings

    from zendesk_crawler.web.config import WebConfig
    from zendesk_crawler.web.security import is_loopback

    settings = get_project_settings()
    try:
        config = WebConfig.from_settings(settings)
    except ConfigError as exc:
        print(f"zendesk_crawler.web: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    if not is_loopback(args.host) and not config.password:
        print(f"zendesk_crawler.web: refusing to listen on {args.host}: beyond loopback the page needs "
              "ZENDESK_WEB_PASSWORD (HTTP basic auth, user ZENDESK_WEB_USER, default admin)", file=sys.stderr)
        return EXIT_REFUSED
    import uvicorn

    from zendesk_crawler.web import demo_mode
    from zendesk_crawler.web.app import create_app

    def say(line: str) -> None:
        print(f"zendesk_crawler.web: {line}", flush=True)

    with contextlib.ExitStack() as stack:
        demo = None
        if demo_mode.wanted(os.environ):
            try:
                demo = stack.enter_context(demo_mode.serve(demo_mode.demo_root(args.demo_dir, os.environ), say))
            except demo_mode.DemoModeError as exc:
                print(f"zendesk_crawler.web: {exc}", file=sys.stderr)
                return 1
            demo.apply(settings)
            config = WebConfig.from_settings(settings)
        uvicorn.run(create_app(config, settings, bind_host=args.host, demo=demo), host=args.host, port=args.port,
                    log_level="info", access_log=False, server_header=False, proxy_headers=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
