"""Item 2's stageflow side in CPU instructions per run, counted by valgrind's callgrind: the
same count for the same code whatever else the machine does, where runs/s moves by ±5-10 %
between runs here. For comparing two versions of the code, not a target.

.venv/bin/python -m bench.instructions            # 50 and 250 runs: ~1 minute

Each count includes start-up (imports, deploy, warm-up); the difference between a short and a
long drive divided by the extra runs is the cost of one run. Commits are counted as the
instructions they execute, not the time their fsync waits.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.durable_sqlite import stageflow_trial

SHORT, LONG = 50, 250


def instructions(runs: int) -> int:
    """Instructions of a process that drives `runs` runs (start-up included)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-m", "bench.instructions", "drive", str(runs)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {done.stderr[-500:]}")
    return int(found.group(1))


def per_run() -> float:
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind is not installed (apt-get install valgrind)")
    return (instructions(LONG) - instructions(SHORT)) / (LONG - SHORT)


if __name__ == "__main__":
    if sys.argv[1:2] == ["drive"]:
        with tempfile.TemporaryDirectory() as tmp:
            stageflow_trial(Path(tmp) / "count.db", int(sys.argv[2]))
    else:
        print(f"item 2, stageflow side: {per_run() / 1e6:.2f} M instructions per run")
