"""Item 4: item 2's durable end-to-end workload on PostgreSQL, with 1, 2 and 4 processes.

Each process is what an API server process does for its callers: it starts `Bench_Run` runs
(A1 and A2 run inside the start's transaction) and completes each run's H1 work item through the
Python API (C1, C2 and the run's completion inside that transaction), one run after another. The
processes connect and warm up first, then start together; the figure is every process's runs
divided by the time from the common start until the last one finishes. Each measurement gets a
fresh database.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import PROJECT, connect, median, together, wait_for_go
from bench.pg_workers import drop_database, fresh_database

RUNS_PER_PROCESS = 400
WARM_UP = 20


def _drive(url: str, runs: int, record: str, go: Path) -> dict[str, float]:
    """One driving process: warm up, wait for the common start, then drive `runs` runs."""
    app = connect(url, embedded_worker=False)
    for i in range(WARM_UP):
        run = app.start("Bench_Run", {"n": i}, record=record)
        app.complete_work_item(run.work_items[0].id, "u", {})
    wait_for_go(go)
    for i in range(runs):
        run = app.start("Bench_Run", {"n": i}, record=record)
        app.complete_work_item(run.work_items[0].id, "u", {})
    ended = time.time()
    app.close()
    return {"ended": ended, "items": runs}


def runs_per_s(processes: int, runs: int = RUNS_PER_PROCESS) -> float:
    url, admin = fresh_database()
    try:
        app = connect(url, embedded_worker=False)
        app.deploy(PROJECT)
        app.people.create_user("u")
        record = app.records.create("Bench_Item", {"Title": "x"}).id

        def command(go: Path) -> list[str]:
            return [sys.executable, "-m", "bench.pg_durable", "drive", url, str(runs), record,
                    str(go)]  # fmt: skip

        rate = together(command, processes)
        done = len(app.runs(status="Completed", orchestration="Bench_Run", limit=100_000))
        app.close()
        expected = processes * (runs + WARM_UP)
        if done != expected:
            raise RuntimeError(f"{done} of {expected} runs completed with {processes} processes")
        return rate
    finally:
        drop_database(admin, url)


def summary(rates: dict[int, list[float]]) -> dict[str, Any]:
    """The figures from trials' runs/s by process count (1, 2, 4): the median of each."""
    best = {n: median(v) for n, v in rates.items()}
    return {
        "pg_runs_per_s_1_worker": round(best[1], 1),
        "pg_runs_per_s_2_workers": round(best[2], 1),
        "pg_runs_per_s_4_workers": round(best[4], 1),
        "pg_runs_per_s_trials": {str(n): [round(r, 1) for r in v] for n, v in rates.items()},
        "pg_4_over_1_workers": round(best[4] / best[1], 2),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["drive"]:
    url, runs, record, go = sys.argv[2], int(sys.argv[3]), sys.argv[4], Path(sys.argv[5])
    print(json.dumps(_drive(url, runs, record, go)))
