"""The schema has one source of truth: Alembic's head matches the SQLAlchemy metadata."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from stageflow.store import schema
from stageflow.store.db import make_engine
from stageflow.store.tables import definitions, metadata, runs, work_items

AT = datetime(2026, 1, 1, tzinfo=UTC)


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


def _version(conn: Connection, version: int, active: bool) -> None:
    conn.execute(
        insert(definitions).values(
            kind="object", name="Doc", version=version, active=active, content_hash="h" * 64,
            source_file="doc.yaml", source_text="", deployed_at=AT, deployed_by="admin",
        )
    )  # fmt: skip


def test_a_second_active_version_of_a_definition_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        schema.upgrade(engine)
        with engine.begin() as conn:
            _version(conn, 1, active=True)
            _version(conn, 2, active=False)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(update(definitions).values(active=True))
    finally:
        engine.dispose()


def test_upgrading_keeps_the_latest_of_two_active_versions(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        config = schema.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:  # a database from before the index, with the race's mark
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            _version(conn, 1, active=True)
            _version(conn, 2, active=True)
        schema.upgrade(engine)
        with engine.connect() as conn:
            active = conn.execute(
                select(definitions.c.version).where(definitions.c.active)
            ).scalars()
            assert list(active) == [2]
    finally:
        engine.dispose()


def test_upgrading_gives_earlier_work_items_system_as_their_creator(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        config = schema.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:  # a database from before work items kept their creator
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
            _version(conn, 1, active=True)
            conn.execute(
                insert(runs).values(
                    id="r1", name="R", orchestration="Doc", definition_id=1, version=1,
                    status="InProgress", state={}, created_at=AT, created_by="alice",
                    modified_at=AT, modified_by="alice",
                )
            )  # fmt: skip
            conn.execute(
                insert(work_items).values(
                    id="r1-1", run_id="r1", step="S", name="S", status="Assigned",
                    assignee_kind="user", assignee="bob", orchestration="Doc", created_at=AT,
                    modified_at=AT, modified_by="alice",
                )
            )  # fmt: skip
        schema.upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(select(work_items.c.created_by)).scalar_one() == "system"
    finally:
        engine.dispose()


# Each process imports stageflow first, then connects at the same moment as the others: the
# first connection to an empty database brings it to the current schema.
_CONNECT_AT = """
import sys, time
import stageflow
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
stageflow.connect(sys.argv[1], embedded_worker=False).close()
"""


@pytest.mark.slow
def test_processes_connecting_at_once_to_an_empty_database_all_start(db_url: str) -> None:
    at = time.time() + 4  # once every process has imported stageflow
    started = [
        subprocess.Popen([sys.executable, "-c", _CONNECT_AT, db_url, str(at)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]  # fmt: skip
    ended = [p.communicate(timeout=90) for p in started]
    failed = [  # the errors each process that failed raised
        re.findall(r"^\S+(?:Error|Violation|Exception)\b.*$", err, re.MULTILINE) or err
        for p, (_, err) in zip(started, ended, strict=True)
        if p.returncode != 0
    ]
    assert failed == []
    engine = make_engine(db_url)
    try:
        assert schema.current(engine) == schema.head()
    finally:
        engine.dispose()
