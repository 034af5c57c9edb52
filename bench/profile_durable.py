"""Drive item 2's stageflow side for a while, for a sampling profiler:

.venv/bin/py-spy record -o /tmp/durable.txt -f raw -- .venv/bin/python -m bench.profile_durable
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.durable_sqlite import stageflow_trial


def main(runs: int = 2000, orchestration: str = "Bench_Run") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(stageflow_trial(Path(tmp) / "profile.db", runs, orchestration))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, *sys.argv[2:3])
