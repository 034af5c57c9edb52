"""`make bench`: run the benchmarks, print a table, write bench/results/latest.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from bench import durable_sqlite, engine_hot_path

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> int:
    results: dict[str, object] = {"machine": machine()}
    results.update(engine_hot_path.measure())
    results.update(durable_sqlite.measure())
    per_run_bound = results["sqlite_commits_per_s"]
    print(f"machine: {results['machine']}")
    width = max(len(k) for k in results)
    for key, value in results.items():
        if key != "machine":
            print(f"  {key:<{width}}  {value}")
    print(f"  (SQLite FULL bound: {per_run_bound} single-row commits/s)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
