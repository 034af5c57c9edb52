"""Bringing a database to the current schema with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from stageflow.store import db

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_LOCK = "stageflow:schema-upgrade"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head() -> str:
    head_rev = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head_rev is not None
    return head_rev


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the head revision, one process at a time: workers started together
    on an empty database would otherwise all create the same tables, and all but one fail.
    PostgreSQL: an advisory lock held until the upgrade commits; SQLite: the write lock,
    taken when the transaction begins (BEGIN IMMEDIATE). Whoever waited finds the revision
    current once it holds the lock, and changes nothing."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        db.lock_key(conn, UPGRADE_LOCK)
        if MigrationContext.configure(conn).get_current_revision() == head():
            return
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def ensure_current(engine: Engine) -> None:
    """Upgrade the database if it is behind; a look without the lock first, as nearly always
    it is current."""
    if current(engine) != head():
        upgrade(engine)
