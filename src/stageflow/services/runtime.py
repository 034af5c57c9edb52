"""What every use case needs (database, flow registry, clock), and the one place a
transaction begins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from stageflow import clock
from stageflow.engine.commands import LogEntry
from stageflow.flows.registry import REGISTRY, Registry, import_modules
from stageflow.settings import Settings
from stageflow.store import db, outbox
from stageflow.store import definitions as defs_store

MAX_NESTED_STARTS = 20


@dataclass
class Runtime:
    engine: Engine
    registry: Registry = REGISTRY
    now: Callable[[], datetime] = clock.now
    embedded_worker: bool = True  # front doors drain the outbox themselves (SQLite default)
    retry_base: timedelta = timedelta(seconds=1)  # first wait before an async step's retry
    settings: Settings = field(default_factory=Settings.from_env)
    outbox_dirty: bool = True  # this process committed outbox messages not yet carried out
    next_due: datetime | None = None  # when a message waiting (a retry) comes due, if known
    _modules_loaded: set[str] = field(default_factory=set)

    def connect(self) -> Connection:
        """A pooled connection for one transaction. Core, not an ORM Session: the store maps
        no classes, and a Session's transaction bookkeeping cost ~4 % of a durable run's CPU."""
        conn = self.engine.connect()
        # info belongs to the pooled DBAPI connection and outlives this checkout: what the
        # store noted there for one transaction ("stageflow." keys) must not reach the next
        for key in [k for k in conn.info if str(k).startswith("stageflow.")]:
            del conn.info[key]
        return conn

    def load_flow_modules(self, conn: Connection) -> None:
        """Import the flow modules recorded by deploys (once per process)."""
        projects: list[dict[str, Any]] = defs_store.get_setting(conn, "projects") or []
        for project in projects:
            key = f"{project['root']}::{','.join(project['modules'])}"
            if key not in self._modules_loaded:
                import_modules(project["root"], project["modules"])
                self._modules_loaded.add(key)


@dataclass
class Tx:
    """One unit of work: a connection inside a transaction, and the time it began."""

    rt: Runtime
    conn: Connection
    now: datetime
    depth: int = 0  # runs started from flows inside this transaction, nested
    trigger_depth: int = 0  # how many record-triggered starts led to the change being made
    changed_records: set[str] = field(default_factory=set)
    # log lines written per run in this transaction (a new run's whole log: no need to read it)
    logged: dict[str, list[LogEntry]] = field(default_factory=dict)


@contextmanager
def transaction(rt: Runtime) -> Iterator[Tx]:
    with rt.connect() as conn:
        with conn.begin():
            yield Tx(rt, conn, rt.now())
        if outbox.wrote(conn):  # committed: this process's embedded worker has work
            rt.outbox_dirty = True


@contextmanager
def reading(rt: Runtime) -> Iterator[Tx]:
    """A transaction for a use case that only reads (lists, views, lookups). On SQLite it takes
    no write lock, so a page never waits for a writer; on PostgreSQL it is READ ONLY."""
    with rt.connect() as conn:
        conn.execution_options(**db.READ_ONLY_OPTIONS)  # before BEGIN: see store.db
        with conn.begin():
            yield Tx(rt, conn, rt.now())
