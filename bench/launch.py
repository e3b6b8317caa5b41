"""Run a command and write its exit status, CPU seconds and peak RSS as JSON to a file.

    python bench/launch.py RESULT.json COMMAND [ARG ...]

The benchmark starts each crawler through this small process: Linux carries a
process's peak RSS across fork and exec, so a crawler forked straight from the
benchmark (which holds sandbox ground truth) would report the benchmark's peak.
"""

import json
import os
import sys


def main() -> int:
    result_path, command = sys.argv[1], sys.argv[2:]
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w", encoding="utf-8") as result:
        json.dump({"exit_status": code, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                   "peak_rss_mb": usage.ru_maxrss / 1024}, result)
    return code


if __name__ == "__main__":
    sys.exit(main())
