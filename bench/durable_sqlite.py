"""Runs per second driven to Completed through the service layer on SQLite (WAL, FULL):
4 background steps and 1 interactive step completed through the Python API."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import stageflow
from stageflow import FlowContext, flow

PROJECT = Path(__file__).parent / "project"


@flow("Bench_Noop")
def bench_noop(ctx: FlowContext, n: int) -> dict[str, int]:
    return {"n": n}


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


def measure(runs: int = 300) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        app = stageflow.connect(f"sqlite:///{tmp}/bench.db")
        app.deploy(PROJECT)
        app.people.create_user("u")
        record = app.records.create("Bench_Item", {"Title": "x"}).id
        start = time.perf_counter()
        for i in range(runs):
            run = app.start("Bench_Run", {"n": i}, record=record)
            app.complete_work_item(run.work_items[0].id, "u", {})
        elapsed = time.perf_counter() - start
        assert app.runs(status="Completed", limit=runs + 1).__len__() == runs
        app.close()
        bound = sqlite_commits_per_s(Path(tmp) / "bound.db")
    per_s = runs / elapsed
    return {
        "stageflow_sqlite_runs_per_s": round(per_s, 1),
        "sqlite_commits_per_s": round(bound),
        "stageflow_sqlite_ms_per_run": round(elapsed / runs * 1000, 2),
    }
