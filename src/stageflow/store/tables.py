"""The schema's one source of truth; Alembic's head must match it (tested on both dialects)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from stageflow.definitions.model import ASSIGNEE_LENGTH, RECORD_ID_LENGTH


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]

    # On SQLite a datetime is text in SQLAlchemy's DATETIME format (what isoformat(" ") writes
    # and fromisoformat reads): converted in one step rather than through the two layers of
    # processors above, a few µs a value, and a durable run stores and reads ~60 of them.
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            return _utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            return self.process_result_value(datetime.fromisoformat(value), dialect)

        return process


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; use stageflow.clock")
    return value.astimezone(UTC)


naming = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=naming)

definitions = Table(
    "definitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("name", String(80), nullable=False),
    Column("version", Integer, nullable=False),
    Column("active", Boolean, nullable=False, default=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_file", String(500), nullable=False),
    Column("source_text", Text, nullable=False),
    Column("deployed_at", UTCDateTime, nullable=False),
    Column("deployed_by", String(150), nullable=False),
    UniqueConstraint("kind", "name", "version"),
    # at most one active version of a definition, whatever the code around it does
    Index(
        "uq_definitions_one_active",
        "kind",
        "name",
        unique=True,
        sqlite_where=text("active"),
        postgresql_where=text("active"),
    ),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("orchestration", String(80), nullable=False),
    Column("definition_id", Integer, ForeignKey("definitions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("current_stage", String(80)),
    Column("record_id", String(RECORD_ID_LENGTH)),
    Column("state", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(150), nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Column("modified_by", String(150), nullable=False),
    Index(None, "status", "created_at"),
    Index(None, "created_at"),
    Index(None, "record_id"),
    Index(None, "orchestration", "created_at"),
)

work_items = Table(
    "work_items",
    metadata,
    Column("id", String(60), primary_key=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("step", String(80), nullable=False),
    Column("name", String(255), nullable=False),
    Column("status", String(20), nullable=False),
    Column("assignee_kind", String(10), nullable=False),
    Column("assignee", String(ASSIGNEE_LENGTH), nullable=False),
    Column("record_id", String(RECORD_ID_LENGTH)),
    Column("orchestration", String(80), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(150), nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Column("modified_by", String(150), nullable=False),
    Column("completed_by", String(150)),
    Column("completed_at", UTCDateTime),
    Index(None, "assignee_kind", "assignee", "status", "created_at"),
    Index(None, "status", "created_at"),
    Index(None, "record_id", "status"),
    Index(None, "run_id"),
)

run_log = Table(
    "run_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(150), nullable=False),
    Column("object_type", String(20), nullable=False),
    Column("object_name", String(255), nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20)),
    Column("detail", Text, nullable=False, default=""),
    Index(None, "run_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(30), nullable=False),
    Column("key", String(200), nullable=False, unique=True),
    Column("run_id", String(40)),
    Column("payload", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # ready | claimed | done | parked | failed
    # the work's tries that ended in an outcome: what an async step's `retries` count
    Column("attempts", Integer, nullable=False, default=0),
    # carryings-out that failed without an outcome (a deadlock, a lost connection): the wait
    # before the next grows with them
    Column("give_backs", Integer, nullable=False, default=0, server_default="0"),
    # claims their worker has not ended (by an outcome, a park or a give-back): one more when
    # claimed, committed at once; one less when ended. Any beyond the current claim were lost:
    # their workers died (or stalled) holding the message, perhaps killed by its work.
    Column("claims", Integer, nullable=False, default=0, server_default="0"),
    Column("available_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(80)),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("done_at", UTCDateTime),
    Column("last_error", Text),
    Index(None, "status", "available_at"),
    Index(None, "status", "lease_until"),
    Index(None, "run_id"),
)

# Every finished attempt of an asynchronous step, under its one key: a message delivered again
# (a lease taken over from a slow worker) cannot record a second outcome.
step_outcomes = Table(
    "step_outcomes",
    metadata,
    Column("run_id", String(40), ForeignKey("runs.id"), primary_key=True),
    Column("step", String(80), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("outcome", String(10), nullable=False),  # completed | failed
    Column("worker", String(80), nullable=False),
    Column("tries", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("concurrency", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime),
)

# Ids of events already applied (API callers may send one): a duplicate changes nothing.
event_ids = Table(
    "event_ids",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("action", String(120)),  # e.g. "cancel", "complete RUN-2"; null: before 0005
    Column("at", UTCDateTime, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("id", String(RECORD_ID_LENGTH), primary_key=True),
    Column("object", String(80), nullable=False),
    Column("name", String(255), nullable=False),
    Column("owner", String(150)),
    Column("fields", JSON, nullable=False),
    Column("version", Integer, nullable=False),  # 1 on create, +1 on every update
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(150), nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Column("modified_by", String(150), nullable=False),
    Index(None, "object", "created_at"),
)

users = Table(
    "users",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("role", String(20), nullable=False, default="user"),  # admin | supervisor | user
    Column("password_hash", String(255)),  # argon2; None: cannot log in with a password
    Column("created_at", UTCDateTime, nullable=False),
    # Carried in the browser's session cookie; logging out adds one, which ends every session
    # of the user (a signed cookie cannot be taken back otherwise).
    Column("session_generation", Integer, nullable=False, default=0, server_default="0"),
)

# API tokens: the secret part is stored only as its SHA-256 (tokens are long and random).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("username", String(150), ForeignKey("users.username"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Index(None, "username"),
)

# Failed logins per username, for throttling.
login_failures = Table(
    "login_failures",
    metadata,
    Column("username", String(150), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
)

groups = Table(
    "groups",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("kind", String(10), nullable=False),  # group | queue
    Column("label", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("group_name", String(80), ForeignKey("groups.name"), primary_key=True),
    Column("username", String(150), ForeignKey("users.username"), primary_key=True),
    Index(None, "username"),
)
