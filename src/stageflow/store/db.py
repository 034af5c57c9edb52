"""Dialect differences, in one place: SQLite WAL + BEGIN IMMEDIATE; PostgreSQL row and
advisory locks."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InvalidatePoolError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from stageflow.errors import ConfigurationError, Problem

DEFAULT_URL = "sqlite:///stageflow.db"
READ_ONLY = "stageflow_read_only"
# Execution options of a transaction that only reads: SQLite begins it deferred (see
# _sqlite_engine); PostgreSQL makes it READ ONLY, so a write in it fails instead of slipping by.
READ_ONLY_OPTIONS = {READ_ONLY: True, "postgresql_readonly": True}


def database_url(url: str | None) -> str:
    """`--db`, else STAGEFLOW_DATABASE_URL, else ./stageflow.db. A bare path means SQLite."""
    url = url or os.environ.get("STAGEFLOW_DATABASE_URL") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{Path(url)}"
    return url


@contextlib.contextmanager
def opening(url: str) -> Iterator[None]:
    """Turn a database URL that cannot be used (malformed, an unknown dialect, a folder or a
    database that does not exist, a server that does not answer) into a ConfigurationError
    naming it, without its password, instead of a driver's traceback."""
    try:
        yield
    except (ArgumentError, OperationalError) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise ConfigurationError(
            Problem(f"cannot open the database {_shown(url)}: {reason}", field="db")
        ) from exc


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg"))
    return _server_engine(url)


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not pysqlite, decide where transactions begin (savepoints need it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if make_url(url).database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that later writes can
        # fail with "database is locked" instead of waiting its turn. Readers begin deferred:
        # in WAL mode they read the last committed state and never wait for a writer.
        reads_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.connection.dbapi_connection.execute("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


# A pooled connection idle longer than this is pinged before use (the server, a restart or a
# firewall may have closed it meanwhile). One used more recently is not: SQLAlchemy's
# pool_pre_ping pings at every checkout, a round trip (and two autocommit switches) per
# transaction, which cost 10 % of the client and server CPU of a benchmark run (item 4).
# The price: when the server drops connections used less than a second before (a restart under
# load), the next transaction of each process fails once; SQLAlchemy then renews the whole pool.
PING_AFTER_IDLE_S = 1.0


def _server_engine(url: str) -> Engine:
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _on_idle(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since", 0.0)
        if time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                # the pool drops this connection and every older one (the server probably
                # restarted) and checks out a new one, as pool_pre_ping does
                raise InvalidatePoolError(str(exc)) from exc
            raise

    return engine


def cut(text: str, length: int) -> str:
    """`text` fitted to a String(length) column, an ellipsis marking the cut: PostgreSQL refuses
    longer text (a DataError) where SQLite keeps it, so both keep this."""
    return text if len(text) <= length else text[: length - 1] + "…"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def writers_take_turns(conn: Connection) -> bool:
    """SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so what a writer read
    still holds when it commits; on PostgreSQL writers run at the same time."""
    return conn.dialect.name == "sqlite"


def lock_key(conn: Connection, key: str) -> None:
    """Wait until no other transaction holds `key`, then hold it until this one ends: for a
    change that builds on what it reads where there may be no row yet to lock (the first
    version of a definition, the first value of a setting, the first failed login of a name).
    PostgreSQL: a transaction-level advisory lock on the key's 64-bit hash (two keys sharing
    a hash only wait for each other). SQLite: writers take turns already."""
    if writers_take_turns(conn):
        return
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def statement_refused(conn: Connection) -> bool:
    """Whether the transaction runs no more statements until it rolls back (to a savepoint):
    on PostgreSQL once a statement failed, even one whose error was caught; SQLite goes on."""
    if writers_take_turns(conn):
        return False
    driver: Any = conn.connection.driver_connection
    return bool(driver.info.transaction_status.name == "INERROR")


CHANNEL = "stageflow_outbox"


def notify_work(conn: Connection) -> None:
    """Wake idle workers when this transaction commits (PostgreSQL NOTIFY; SQLite polls)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"NOTIFY {CHANNEL}"))


class WorkSignal:
    """What an idle worker waits on: a PostgreSQL LISTEN connection, or a plain sleep."""

    def __init__(self, engine: Engine) -> None:
        self._conn: Any = None
        self._url: str | None = None
        if engine.dialect.name == "postgresql":
            self._url = engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )

    def wait(self, timeout: float) -> bool:
        """Block until work may be there (a notification) or `timeout` seconds pass.

        A lost LISTEN connection (a server restart, a failover) is opened again at the next
        wait; what was notified meanwhile is lost, so that wait says work may be there."""
        if self._url is None:
            time.sleep(timeout)
            return False
        import psycopg

        if self._conn is None:
            try:
                self._conn = psycopg.connect(self._url, autocommit=True)
                self._conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.OperationalError:  # the server is still away: wait as if polling
                self.close()
                time.sleep(timeout)
                return False
            return True
        try:
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                return True
        except psycopg.OperationalError:
            self.close()
            return True
        return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a lost connection may fail to close
                self._conn.close()
            self._conn = None
