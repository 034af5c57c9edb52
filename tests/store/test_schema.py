"""The schema has one source of truth: Alembic's head matches the SQLAlchemy metadata."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from stageflow.store import schema
from stageflow.store.db import make_engine
from stageflow.store.tables import metadata


def test_alembic_head_matches_the_metadata(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        schema.upgrade(engine)
        assert schema.current(engine) == schema.head()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
        assert diff == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        schema.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert {"runs", "work_items", "run_log", "outbox", "records"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_upgrade_twice_changes_nothing(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        schema.upgrade(engine)
        schema.ensure_current(engine)
        assert schema.current(engine) == schema.head()
    finally:
        engine.dispose()
