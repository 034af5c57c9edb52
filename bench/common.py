"""Helpers shared by the benchmarks: percentiles, a bulk-loading engine, commit counting."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool

import stageflow
from stageflow.app import App

PROJECT = Path(__file__).parent / "project"


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
