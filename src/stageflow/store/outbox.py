"""The outbox: side effects written in the same transaction as the state change that asks for
them, carried out after commit by workers. A unique key makes a second enqueue a no-op; a
worker claims a message with a lease it renews while it works, and a message whose lease ran
out (its worker died or stalled) can be claimed again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from stageflow.store import db
from stageflow.store import tables as t

READY, CLAIMED, DONE, PARKED, FAILED = "ready", "claimed", "done", "parked", "failed"
_WROTE = "stageflow.outbox.wrote"


def wrote(conn: Connection) -> bool:
    """Whether this transaction enqueued messages (and forget it)."""
    return bool(conn.info.pop(_WROTE, False))


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    key: str
    run_id: str | None
    payload: dict[str, Any]
    attempts: int  # the work's tries that ended in an outcome (parks and give-backs are not)
    give_backs: int  # carryings-out that failed without an outcome
    lost_claims: int = 0  # earlier claims whose workers never ended them (see `claim`)


def enqueue(
    conn: Connection,
    kind: str,
    key: str,
    payload: dict[str, Any],
    now: datetime,
    run_id: str | None = None,
    available_at: datetime | None = None,
) -> None:
    found = conn.execute(select(t.outbox.c.id).where(t.outbox.c.key == key)).first()
    if found is None:
        conn.execute(
            insert(t.outbox).values(
                kind=kind,
                key=key,
                run_id=run_id,
                payload=payload,
                status=READY,
                attempts=0,
                available_at=available_at or now,
                created_at=now,
            )
        )
        conn.info[_WROTE] = True
        db.notify_work(conn)


def keys(conn: Connection, kind: str, run_id: str) -> list[str]:
    """The keys of the run's messages of `kind`, whatever their status."""
    o = t.outbox.c
    return list(conn.execute(select(o.key).where(o.run_id == run_id, o.kind == kind)).scalars())


def claim(conn: Connection, worker: str, now: datetime, lease: timedelta) -> Message | None:
    """Take the oldest message that is ready, or whose lease has run out; lease it to `worker`.

    The caller commits at once, so the claim is short and other workers skip the row meanwhile.
    The claim is counted then: one that its worker never ends (with an outcome, a park or a
    give-back) shows in the next claim's `lost_claims`, even when nothing else of it committed.
    Each kind of claimable row is found through its own index; one OR over both would make the
    database sort every claimable row on every claim.
    """
    c = t.outbox.c
    # A message whose worker died waits longest: take it before fresh ones.
    expired = (
        select(t.outbox)
        .where(c.status == CLAIMED, c.lease_until < now)
        .order_by(c.lease_until, c.id)
    )
    ready = (
        select(t.outbox)
        .where(c.status == READY, c.available_at <= now)
        .order_by(c.available_at, c.id)
    )
    row = None
    for stmt in (expired, ready):
        row = conn.execute(stmt.limit(1).with_for_update(skip_locked=True)).first()
        if row is not None:
            break
    if row is None:
        return None
    conn.execute(
        update(t.outbox)
        .where(c.id == row.id)
        .values(status=CLAIMED, claimed_by=worker, lease_until=now + lease, claims=c.claims + 1)
    )
    return _message(row, lost_claims=row.claims)


def due_times(conn: Connection, now: datetime) -> tuple[bool, datetime | None]:
    """Whether a message is already claimable by time (a ready message whose time has come, a
    lease that ran out: as `claim` sees them), and when the next one will be (a retry waiting
    for its time, a lease running); without anyone enqueuing one."""
    c = t.outbox.c
    ready, leased = c.status == READY, c.status == CLAIMED
    already = conn.scalar(
        select(
            or_(
                exists().where(ready, c.available_at <= now),
                exists().where(leased, c.lease_until < now),
            )
        )
    )
    upcoming = [
        conn.scalar(select(func.min(c.available_at)).where(ready, c.available_at > now)),
        conn.scalar(select(func.min(c.lease_until)).where(leased, c.lease_until >= now)),
    ]
    return bool(already), min((u for u in upcoming if u is not None), default=None)


def lock_claimed(conn: Connection, message_id: int, worker: str) -> bool:
    """Lock the message for the outcome's transaction; False when it is no longer ours."""
    c = t.outbox.c
    stmt = (
        select(c.id)
        .where(c.id == message_id, c.status == CLAIMED, c.claimed_by == worker)
        .with_for_update()
    )
    return conn.execute(stmt).first() is not None


def finish(
    conn: Connection, message_id: int, now: datetime, status: str = DONE, error: str | None = None
) -> None:
    """The work's outcome: done, or failed for good; a try counted."""
    conn.execute(
        update(t.outbox)
        .where(t.outbox.c.id == message_id)
        .values(
            status=status,
            done_at=now,
            last_error=error,
            attempts=t.outbox.c.attempts + 1,
            claims=_claim_ended(),
        )
    )


def park(conn: Connection, message_id: int) -> None:
    """Hold the message until its run is resumed (`unpark`): its work did not run, so no try
    is counted."""
    conn.execute(
        update(t.outbox)
        .where(t.outbox.c.id == message_id)
        .values(status=PARKED, claims=_claim_ended())
    )


def retry_later(conn: Connection, message_id: int, worker: str, at: datetime, error: str) -> None:
    """Give back a message `worker` still holds, claimable again from `at`, a try counted:
    its work failed and asked to be tried again."""
    _release(conn, message_id, worker, at, error, attempts=t.outbox.c.attempts + 1)


def give_back(conn: Connection, message_id: int, worker: str, at: datetime, error: str) -> None:
    """Give back a message `worker` still holds, claimable again from `at`: carrying it out
    failed without an outcome (the database failed under it), which is not a try of its work."""
    _release(conn, message_id, worker, at, error, give_backs=t.outbox.c.give_backs + 1)


def _release(
    conn: Connection, message_id: int, worker: str, at: datetime, error: str, **count: Any
) -> None:
    c = t.outbox.c
    conn.execute(
        update(t.outbox)
        .where(c.id == message_id, c.status == CLAIMED, c.claimed_by == worker)
        .values(
            status=READY,
            available_at=at,
            last_error=error,
            claimed_by=None,
            lease_until=None,
            claims=_claim_ended(),
            **count,
        )
    )


def unpark(conn: Connection, run_id: str, now: datetime) -> int:
    result = conn.execute(
        update(t.outbox)
        .where(t.outbox.c.run_id == run_id, t.outbox.c.status == PARKED)
        .values(status=READY, available_at=now)
    )
    if result.rowcount:
        conn.info[_WROTE] = True
        db.notify_work(conn)
    return int(result.rowcount)


def held_by(conn: Connection, worker: str) -> list[Message]:
    c = t.outbox.c
    rows = conn.execute(
        select(t.outbox).where(c.status == CLAIMED, c.claimed_by == worker).order_by(c.id)
    )
    return [_message(r) for r in rows]


def _message(r: Row[Any], lost_claims: int = 0) -> Message:
    return Message(r.id, r.kind, r.key, r.run_id, r.payload, r.attempts, r.give_backs, lost_claims)


def _claim_ended() -> ColumnElement[int]:
    """`claims` less the one its worker ends now (never below 0: a message claimed before
    claims were counted)."""
    c = t.outbox.c
    return case((c.claims > 0, c.claims - 1), else_=0)
