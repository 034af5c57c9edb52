"""Live workers: registered at start, a heartbeat while they run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from stageflow.store import tables as t


@dataclass(frozen=True)
class WorkerRow:
    id: str
    hostname: str
    pid: int
    concurrency: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None


def register(
    conn: Connection, worker: str, hostname: str, pid: int, concurrency: int, now: datetime
) -> None:
    conn.execute(
        insert(t.workers).values(
            id=worker,
            hostname=hostname,
            pid=pid,
            concurrency=concurrency,
            started_at=now,
            heartbeat_at=now,
        )
    )


def beat(conn: Connection, worker: str, now: datetime) -> None:
    conn.execute(update(t.workers).where(t.workers.c.id == worker).values(heartbeat_at=now))


def stop(conn: Connection, worker: str, now: datetime) -> None:
    conn.execute(update(t.workers).where(t.workers.c.id == worker).values(stopped_at=now))


def live(conn: Connection, now: datetime, within: timedelta) -> list[WorkerRow]:
    c = t.workers.c
    stmt = (
        select(t.workers)
        .where(c.stopped_at.is_(None), c.heartbeat_at >= now - within)
        .order_by(c.started_at)
    )
    return [WorkerRow(**r._mapping) for r in conn.execute(stmt)]
