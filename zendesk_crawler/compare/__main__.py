"""``python -m zendesk_crawler.compare A B [--map RESTORE_LOCATION] [--json FILE]``: compare two backup locations.

Without --map, A and B are two backups (or two states of one location) of one account: per stream,
what is new in B, changed (the fields named) and deleted. With --map, B is a backup of the account
restored from A, RESTORE_LOCATION the restore's ZENDESK_EXPORT_URI (its id map): per stream, what is
equal, differing (the fields named) and missing.

Exit status: 0 when nothing differs (no changes; with --map: everything restored is equal), 1 when
something does (changes found; with --map: something differs or is missing), 2 on bad input (a location
that is not a backup, a restore location without an id map), with one line saying why.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zendesk_crawler.errors import ConfigError, StateError

EXIT_BAD_INPUT = 2


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m zendesk_crawler.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", metavar="A", help="the first backup location (a directory or s3://bucket/prefix)")
    parser.add_argument("b", metavar="B", help="the second backup location")
    parser.add_argument("--map", metavar="RESTORE_LOCATION",
                        help="the restore's location (its restore-map-*.jsonl): compare B as restored from A")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the full report as JSON to FILE")
    parser.add_argument("--show", metavar="N", type=int, default=20,
                        help="list the first N objects that differ in the summary (default 20)")
    parser.add_argument("--work-dir", metavar="DIR", type=Path,
                        help="where the temporary index goes (default: the system's temporary directory)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from scrapy.utils.project import get_project_settings

    from zendesk_crawler.compare.run import compare
    from zendesk_crawler.location.files import keep_private
    from zendesk_crawler.location.reader import location_for

    keep_private()  # the index and the report name a backup's tickets: its owner's only, like the backup
    settings = get_project_settings()
    try:
        locations = [location_for(uri, settings) for uri in (args.a, args.b)]
        restore = location_for(args.map, settings) if args.map else None
        report = compare(locations[0], locations[1], restore, args.work_dir)
    except (ConfigError, StateError, ValueError) as exc:
        print(f"zendesk_crawler.compare: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report.summary(args.show))
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
