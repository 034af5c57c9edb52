"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

import stageflow
from stageflow.app import App

# Tests that check emails point the settings at their own SMTP server; the rest send none.
os.environ.setdefault("STAGEFLOW_EMAILS", "0")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FLOWS_PROJECT = ROOT / "tests" / "flows" / "project"  # flows of every kind, objects Ticket...
REQUIRE_ALL = os.environ.get("STAGEFLOW_REQUIRE_ALL") == "1"
POSTGRES_URL = os.environ.get("STAGEFLOW_TEST_POSTGRES_URL")

BACKENDS = ["sqlite", "postgresql"]


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        if REQUIRE_ALL:
            pytest.fail("STAGEFLOW_TEST_POSTGRES_URL is not set and STAGEFLOW_REQUIRE_ALL=1")
        pytest.skip("PostgreSQL not configured (set STAGEFLOW_TEST_POSTGRES_URL)")
    admin_url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"sf_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if REQUIRE_ALL:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database: an SQLite file, or a PostgreSQL database made for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'stageflow.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, for what only PostgreSQL has."""
    yield from _postgres_database()


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[App]:
    """stageflow on a new PostgreSQL database, its embedded worker off: the test carries out
    the outbox itself, or plays the workers."""
    a = stageflow.connect(postgres_url, embedded_worker=False)
    yield a
    a.close()


def wait_until_a_backend_waits_for_a_lock(url: str) -> None:
    """Return once some transaction on this PostgreSQL database waits for a lock (so that a
    test can let the holder commit while the other waits)."""
    plain = sa.engine.make_url(url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False), autocommit=True) as conn:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()
            if waiting and waiting[0]:
                return
            time.sleep(0.01)
    raise AssertionError("no transaction waited for a lock")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'stageflow.db'}"


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    a = stageflow.connect(db_url, embedded_worker=True)
    yield a
    a.close()


def seed_people(app: App) -> None:
    for username in ("alice", "bob", "carol", "dave", "eve"):
        app.people.create_user(username)
    app.people.create_queue("Support_Triage", ["alice"])
    app.people.create_group("Roof_Technicians", ["bob"])
    app.people.create_group("Electricians", ["carol"])


@pytest.fixture
def flows_app(app: App) -> App:
    """The flow-runtime test project deployed (Python and YAML flows, screen flows, objects)."""
    app.deploy(FLOWS_PROJECT)
    return app


@pytest.fixture
def example_app(app: App) -> App:
    """The examples deployed, with their people."""
    app.deploy(EXAMPLES)
    seed_people(app)
    return app
