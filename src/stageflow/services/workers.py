"""Worker bookkeeping: registration, heartbeat, listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from stageflow.services.runtime import Runtime, reading, transaction
from stageflow.store import outbox
from stageflow.store import workers as store
from stageflow.store.outbox import Message
from stageflow.store.workers import WorkerRow

LIVE_WITHIN = timedelta(seconds=30)


@dataclass(frozen=True)
class LiveWorker:
    worker: WorkerRow
    holding: tuple[Message, ...]


def register(rt: Runtime, worker: str, hostname: str, pid: int, concurrency: int) -> None:
    with transaction(rt) as tx:
        store.register(tx.conn, worker, hostname, pid, concurrency, tx.now)


def beat(rt: Runtime, worker: str) -> None:
    """The heartbeat: the worker is alive. (It renews no lease: a message being carried out
    is held by its row lock, see store/outbox.py `lock_claimed`.)"""
    with transaction(rt) as tx:
        store.beat(tx.conn, worker, tx.now)


def stopped(rt: Runtime, worker: str) -> None:
    with transaction(rt) as tx:
        store.stop(tx.conn, worker, tx.now)


def live(rt: Runtime, within: timedelta = LIVE_WITHIN) -> list[LiveWorker]:
    with reading(rt) as tx:
        return [
            LiveWorker(w, tuple(outbox.held_by(tx.conn, w.id)))
            for w in store.live(tx.conn, tx.now, within)
        ]
