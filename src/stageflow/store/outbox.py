"""The outbox: side effects written in the same transaction as the state change that asks for
them, carried out after commit by a worker. A unique key makes a second enqueue a no-op."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from stageflow.store import tables as t

READY, DONE, PARKED, FAILED = "ready", "done", "parked", "failed"


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    key: str
    run_id: str | None
    payload: dict[str, Any]
    attempts: int


def enqueue(
    session: Session,
    kind: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    run_id: str | None = None,
) -> None:
    exists = session.execute(select(t.outbox.c.id).where(t.outbox.c.key == key)).first()
    if exists is None:
        session.execute(
            insert(t.outbox).values(
                kind=kind,
                key=key,
                run_id=run_id,
                payload=payload,
                status=READY,
                attempts=0,
                available_at=now,
                created_at=now,
            )
        )


def next_ready(
    session: Session, now: datetime, kinds: tuple[str, ...] | None = None
) -> Message | None:
    """The oldest ready message, locked for this transaction (SKIP LOCKED where supported)."""
    c = t.outbox.c
    stmt = select(t.outbox).where(c.status == READY, c.available_at <= now).order_by(c.id).limit(1)
    if kinds:
        stmt = stmt.where(c.kind.in_(kinds))
    row = session.execute(stmt.with_for_update(skip_locked=True)).first()
    if row is None:
        return None
    return Message(row.id, row.kind, row.key, row.run_id, row.payload, row.attempts)


def finish(
    session: Session, message_id: int, now: datetime, status: str = DONE, error: str | None = None
) -> None:
    session.execute(
        update(t.outbox)
        .where(t.outbox.c.id == message_id)
        .values(status=status, done_at=now, last_error=error, attempts=t.outbox.c.attempts + 1)
    )


def unpark(session: Session, run_id: str, now: datetime) -> int:
    result = session.execute(
        update(t.outbox)
        .where(t.outbox.c.run_id == run_id, t.outbox.c.status == PARKED)
        .values(status=READY, available_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pending_count(session: Session) -> int:
    stmt = select(func.count()).select_from(t.outbox).where(t.outbox.c.status == READY)
    return int(session.execute(stmt).scalar_one())
