"""Item 2's floor (informative): what one of its runs costs when only the database work and the
engine's pure `apply` are left.

One run (start + complete H1, as item 2 drives it) is traced: every statement stageflow sends
to the driver (through SQLAlchemy's cursor events and store/prepared.py's driver connection),
with its parameters already converted, and every (run, event, time) the engine
applies. Then the statements are replayed through the stdlib `sqlite3` module (no SQLAlchemy,
no stageflow code) and the events re-applied by the pure engine, many times each. With item
3's measured commit cost per write transaction, their sum is a lower bound of a run's time in
this design: SQL layer, flows, encoding the state and building views all cost nothing there.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import event

from bench.common import PROJECT, connect, median
from stageflow.engine import apply
from stageflow.engine.events import Event
from stageflow.engine.state import Run
from stageflow.services import driver
from stageflow.store import prepared

Statement = tuple[str, Any, bool]  # SQL, driver parameters, executemany
Applied = tuple[Run, Event, datetime]


class _RecordingConnection:
    """A DBAPI connection whose cursors note what they are given to run."""

    def __init__(self, dbapi: Any, into: list[Statement]) -> None:
        self._dbapi, self._into = dbapi, into

    def cursor(self) -> Any:
        return _RecordingCursor(self._dbapi.cursor(), self._into)


class _RecordingCursor:
    def __init__(self, cursor: Any, into: list[Statement]) -> None:
        self._cursor, self._into = cursor, into

    def execute(self, sql: str, params: Any) -> Any:
        self._into.append((sql, params, False))
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> Any:
        self._into.append((sql, params, True))
        return self._cursor.executemany(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


def trace_one_run(db: Path) -> tuple[list[Statement], list[Applied], str]:
    app = connect(db, embedded_worker=True)
    app.deploy(PROJECT)
    app.people.create_user("u")
    record = app.records.create("Bench_Item", {"Title": "x"}).id
    for i in range(5):  # warm up: the traced run is one like item 2's timed ones
        run = app.start("Bench_Run", {"n": i}, record=record)
        app.complete_work_item(run.work_items[0].id, "u", {})
    statements: list[Statement] = []

    def capture(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        statements.append((sql, params, many))

    def recording_driver(session: Any) -> tuple[Any, Any]:
        dbapi, dialect = real_driver(session)
        return _RecordingConnection(dbapi, statements), dialect

    real_driver = prepared._driver
    event.listen(app.rt.engine, "before_cursor_execute", capture)  # the Session's statements
    with (
        mock.patch.object(prepared, "_driver", recording_driver),  # the hot path's
        mock.patch.object(driver, "apply", side_effect=apply) as engine,
    ):
        run = app.start("Bench_Run", {"n": 1}, record=record)
        app.complete_work_item(run.work_items[0].id, "u", {})
    applied: list[Applied] = [call.args for call in engine.call_args_list]
    event.remove(app.rt.engine, "before_cursor_execute", capture)
    app.close()
    # a statement path the tracing misses would make the floor look cheaper than it is
    written = {sql.split("(")[0].strip() for sql, _, _ in statements if sql.startswith("INSERT")}
    assert written >= {"INSERT INTO runs", "INSERT INTO run_log"}, f"traced only {statements}"
    return statements, applied, run.id


def replay_statements(db: Path, statements: list[Statement], run_id: str, n: int) -> float:
    """Seconds per run for the traced statements through the stdlib driver, each run's in one
    transaction rolled back (so the traced ids stay free; commits are costed from item 3)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN IMMEDIATE")  # free the traced run's ids for the replays
    for table, column in (("run_log", "run_id"), ("work_items", "run_id"), ("runs", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (run_id,))
    conn.execute("COMMIT")
    start = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        for sql, params, many in statements:
            if many:
                conn.executemany(sql, params)
            else:
                conn.execute(sql, params).fetchall()
        conn.execute("ROLLBACK")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed / n


def reapply(applied: list[Applied], n: int) -> float:
    """Seconds per run for the traced events re-applied by the pure engine."""
    start = time.perf_counter()
    for _ in range(n):
        for run, e, now in applied:
            apply(run, e, now)
    return (time.perf_counter() - start) / n


def measure(repeats: int = 2000, trials: int = 3) -> dict[str, Any]:
    sql, engine = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for trial in range(trials):
            db = Path(tmp) / f"floor{trial}.db"
            statements, applied, run_id = trace_one_run(db)
            sql.append(replay_statements(db, statements, run_id, repeats))
            engine.append(reapply(applied, repeats))
    return {
        "floor_statements_per_run": len(statements),
        "floor_events_per_run": len(applied),
        "floor_sql_ms_per_run": round(median(sql) * 1000, 3),
        "floor_engine_ms_per_run": round(median(engine) * 1000, 3),
    }
