"""Helpers shared by the benchmarks: percentiles, a bulk-loading engine, commit counting."""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

import stageflow
from stageflow.app import App

PROJECT = Path(__file__).parent / "project"
ROOT = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def connect(db: Path | str, embedded_worker: bool) -> App:
    """stageflow on the SQLite file `db` (or the database URL `db`), work-item emails off: there
    is no SMTP server here, and with them on every work item adds an outbox message (two more
    transactions) whose sending would fail and be retried in the middle of the measurements."""
    os.environ["STAGEFLOW_EMAILS"] = "0"
    url = db if isinstance(db, str) else f"sqlite:///{db}"
    return stageflow.connect(url, embedded_worker=embedded_worker)


def bulk_engine(path: Path) -> Engine:
    """An engine for loading generated rows fast: no journal, no fsync, no FK checks.

    Used only on a database no stageflow connection has open; stageflow's own engine turns WAL
    and synchronous=FULL back on when it connects afterwards.
    """
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        for pragma in (
            "journal_mode=DELETE",
            "journal_mode=OFF",
            "synchronous=OFF",
            "cache_size=-262144",
            "foreign_keys=OFF",
            "temp_store=MEMORY",
        ):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    return engine


class CommitCounter:
    """Counts the transactions an engine commits on SQLite, and how many of them wrote."""

    def __init__(self, engine: Engine) -> None:
        self.commits = 0
        self.writes = 0
        self.rollbacks = 0
        self._changes_at_begin: dict[int, int] = {}
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    @staticmethod
    def _dbapi(conn: Any) -> Any:
        return conn.connection.dbapi_connection

    def _begin(self, conn: Any) -> None:
        dbapi = self._dbapi(conn)
        self._changes_at_begin[id(dbapi)] = dbapi.total_changes

    def _commit(self, conn: Any) -> None:
        dbapi = self._dbapi(conn)
        self.commits += 1
        if dbapi.total_changes != self._changes_at_begin.get(id(dbapi), dbapi.total_changes):
            self.writes += 1

    def _rollback(self, conn: Any) -> None:
        self.rollbacks += 1

    def reset(self) -> None:
        self.commits = self.writes = self.rollbacks = 0


READY_WITHIN_S = 300  # a driving process that is not ready by then is taken as stuck
DONE_WITHIN_S = 600


def together(command: Callable[[Path], list[str]], processes: int) -> float:
    """Items per second of `processes` copies of a driving process started together.

    `command(go)` is the process's command line. Each process connects and warms up, prints
    `ready`, waits until the file `go` exists, does its work, and prints as its last line
    `{"ended": time.time(), "items": N}`. The figure is every process's items divided by the
    time from the common start until the last one ends (see `wait_for_go`)."""
    procs: list[subprocess.Popen[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        go = Path(tmp) / "go"
        try:
            for _ in range(processes):
                procs.append(
                    subprocess.Popen(command(go), cwd=ROOT, stdout=subprocess.PIPE, text=True)
                )
            deadline = time.monotonic() + READY_WITHIN_S
            for proc in procs:  # every process connected and warmed up
                if _first_line(proc, deadline) != "ready":
                    raise RuntimeError(f"a driving process failed to start: {command(go)}")
            started = time.time()
            go.touch()
            reports = []
            for proc in procs:
                out, _ = proc.communicate(timeout=DONE_WITHIN_S)
                if proc.returncode != 0:
                    raise RuntimeError(f"a driving process failed ({proc.returncode})")
                reports.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    return sum(r["items"] for r in reports) / (max(r["ended"] for r in reports) - started)


def _first_line(proc: subprocess.Popen[str], deadline: float) -> str:
    """The process's first line of output, or "" if it ends or the deadline passes first."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
    return proc.stdout.readline().strip() if ready else ""


def wait_for_go(go: Path) -> None:
    """A driving process of `together`: report ready, then wait for the common start. Gives up
    (exits) if the process that started it is gone or no start comes in time."""
    print("ready", flush=True)
    parent = os.getppid()
    deadline = time.monotonic() + DONE_WITHIN_S
    while not go.exists():
        if os.getppid() != parent or time.monotonic() > deadline:
            raise SystemExit("no common start came: giving up")
        time.sleep(0.001)
