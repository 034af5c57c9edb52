"""Items 2 and 3: runs per second driven to Completed through the service layer on SQLite (WAL,
synchronous=FULL): 4 background steps and 1 interactive step completed through the Python API;
the transactions stageflow commits per run; and SQLite's own single-row commit rate (the bound).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.common import PROJECT, CommitCounter, connect, median


def sqlite_commits_per_s(path: Path, count: int = 3000) -> float:
    """The database bound: single-row committed transactions/s, WAL, synchronous=FULL."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    start = time.perf_counter()
    for i in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return count / elapsed


def stageflow_trial(db: Path, runs: int, orchestration: str = "Bench_Run") -> dict[str, float]:
    """Start `runs` runs and complete each one's work item through the API, embedded worker on
    (SQLite's default), so every background step runs before the call returns."""
    app = connect(db, embedded_worker=True)
    app.deploy(PROJECT)
    app.people.create_user("u")
    record = app.records.create("Bench_Item", {"Title": "x"}).id
    for i in range(20):  # warm up: caches, prepared statements, the WAL file
        run = app.start(orchestration, {"n": i}, record=record)
        app.complete_work_item(run.work_items[0].id, "u", {})
    counter = CommitCounter(app.rt.engine)
    start = time.perf_counter()
    for i in range(runs):
        run = app.start(orchestration, {"n": i}, record=record)
        app.complete_work_item(run.work_items[0].id, "u", {})
    elapsed = time.perf_counter() - start
    done = app.runs(status="Completed", orchestration=orchestration, limit=runs + 100)
    assert len(done) == runs + 20, f"{len(done)} runs completed, expected {runs + 20}"
    app.close()
    return {
        "runs_per_s": runs / elapsed,
        "commits_per_run": counter.commits / runs,
        "writes_per_run": counter.writes / runs,
    }


def trial(tmp: Path, n: int, runs: int) -> dict[str, float]:
    """One trial of item 2's stageflow side (the shape, then its async variant) and item 3's
    bound, with files in `tmp`: {sync_*, async_*, bound}."""
    out: dict[str, float] = {}
    for name, orchestration in (("sync", "Bench_Run"), ("async", "Bench_Run_Async")):
        got = stageflow_trial(tmp / f"{name}{n}.db", runs, orchestration)
        out.update({f"{name}_{key}": value for key, value in got.items()})
    out["bound"] = sqlite_commits_per_s(tmp / f"bound{n}.db")
    return out


def summary(trials: list[dict[str, float]]) -> dict[str, Any]:
    """The figures of items 2 and 3 from `trial`s: the median of each."""
    results = {key: [t[key] for t in trials] for key in trials[0]}
    per_s = median(results["sync_runs_per_s"])
    bound = median(results["bound"])
    writes = median(results["sync_writes_per_run"])
    async_writes = median(results["async_writes_per_run"])
    return {
        "stageflow_sqlite_runs_per_s": round(per_s, 1),
        "stageflow_sqlite_runs_per_s_trials": [round(v, 1) for v in results["sync_runs_per_s"]],
        "stageflow_sqlite_ms_per_run": round(1000 / per_s, 2),
        "stageflow_txns_per_run": round(median(results["sync_commits_per_run"]), 2),
        "stageflow_write_txns_per_run": round(writes, 2),
        "sqlite_commits_per_s": round(bound),
        "sqlite_commits_per_s_trials": [round(v) for v in results["bound"]],
        "sqlite_bound_runs_per_s": round(bound / writes, 1),
        "sqlite_bound_fraction": round(per_s / (bound / writes), 4),
        # counting the read-only transactions too (they commit nothing to disk)
        "sqlite_bound_fraction_all_txns": round(
            per_s / (bound / median(results["sync_commits_per_run"])), 4
        ),
        # The same shape with the 4 background steps `async: true` (each one claimed and carried
        # out by the embedded worker in transactions of its own): informative, not a target.
        "stageflow_async_runs_per_s": round(median(results["async_runs_per_s"]), 1),
        "stageflow_async_txns_per_run": round(median(results["async_commits_per_run"]), 2),
        "stageflow_async_write_txns_per_run": round(async_writes, 2),
        "stageflow_async_bound_fraction": round(
            median(results["async_runs_per_s"]) / (bound / async_writes), 4
        ),
    }
