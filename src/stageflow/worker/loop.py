"""A worker: N loops claiming outbox messages under leases, a heartbeat that says it is alive, and
LISTEN/NOTIFY (PostgreSQL) so idle loops wake when work arrives instead of polling hard."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from stageflow.ids import new_id
from stageflow.services import workers as workers_service
from stageflow.services.outbox_work import DEFAULT_LEASE, due_work, process_next
from stageflow.services.runtime import Runtime
from stageflow.store.db import WorkSignal

log = logging.getLogger("stageflow.worker")

STOP_CHECK = 0.5  # seconds between looks at the stop flag while idle
MIN_WAIT = 0.05  # seconds an idle loop waits at least
AWAY_WAIT = 1.0  # seconds a loop waits after the database failed it (a restart, a failover)


class Worker:
    def __init__(
        self,
        rt: Runtime,
        concurrency: int = 1,
        lease: timedelta = DEFAULT_LEASE,
        heartbeat: float = 5.0,
        idle_wait: float = 2.0,
    ) -> None:
        self.rt = rt
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.heartbeat = heartbeat
        self.idle_wait = idle_wait
        self.id = f"{socket.gethostname()}-{os.getpid()}-{new_id(4)}"
        self.processed = 0
        self._count_lock = threading.Lock()

    def run(self, stop: threading.Event | None = None, until_idle: bool = False) -> int:
        """Work until `stop` is set (or, with `until_idle`, until nothing is claimable)."""
        stop = stop or threading.Event()
        workers_service.register(
            self.rt, self.id, socket.gethostname(), os.getpid(), self.concurrency
        )
        beating = threading.Event()
        heart = threading.Thread(
            target=self._beat, args=(beating,), name=f"{self.id}-heartbeat", daemon=True
        )
        heart.start()
        loops = [
            threading.Thread(
                target=self._loop, args=(stop, until_idle), name=f"{self.id}-{i}", daemon=True
            )
            for i in range(1, self.concurrency)
        ]
        for thread in loops:
            thread.start()
        try:
            self._loop(stop, until_idle)
            for thread in loops:
                while thread.is_alive():
                    thread.join(0.2)
        finally:
            stop.set()
            beating.set()
            heart.join()
            workers_service.stopped(self.rt, self.id)
        return self.processed

    def _loop(self, stop: threading.Event, until_idle: bool) -> None:
        signal = WorkSignal(self.rt.engine)
        misses = 0  # idle periods in a row that ended with nothing to claim
        try:
            while not stop.is_set():
                try:
                    worked = process_next(self.rt, self.id, self.lease)
                except Exception:  # a broken message must not stop the worker; its lease runs out
                    log.exception("carrying out an outbox message failed")
                    worked = False
                if worked:
                    misses = 0
                    with self._count_lock:
                        self.processed += 1
                    continue
                if until_idle:
                    return
                try:
                    misses = self._idle(signal, stop, misses)
                except Exception:  # the database is away: the loop carries on when it is back
                    log.exception("looking for work failed; trying again in %.0f s", AWAY_WAIT)
                    stop.wait(AWAY_WAIT)
        finally:
            signal.close()

    def _idle(self, signal: WorkSignal, stop: threading.Event, misses: int) -> int:
        """Wait for a notification, for the next retry or lease to come due, or `idle_wait`,
        whichever is first, in short slices so a stop is seen soon. (A retry set for later
        sends no notification when its time comes.)

        `misses` counts the waits in a row that began with a message already due which the
        claim before did not get: one another worker holds, or whose lease ran out while its
        flow still runs. Such a message is looked at again after MIN_WAIT, then twice as long
        each time, not 20 times a second. Returns the count for the next wait."""
        limit = self.idle_wait
        already, upcoming = due_work(self.rt)
        if upcoming is not None:
            limit = min(limit, max(upcoming, MIN_WAIT))
        if already:
            limit = min(limit, MIN_WAIT * 2 ** min(misses, 16))
        waited = 0.0
        while not stop.is_set() and waited < limit:
            if signal.wait(min(STOP_CHECK, limit - waited)):
                return 0
            waited += STOP_CHECK
        return misses + 1 if already else 0

    def _beat(self, done: threading.Event) -> None:
        while not done.wait(self.heartbeat):
            try:
                workers_service.beat(self.rt, self.id)
            except Exception:  # the database may be away for a moment; try again next beat
                log.exception("heartbeat failed")


def run(rt: Runtime, stop: threading.Event | None = None, until_idle: bool = False) -> int:
    """One worker loop in this thread (the embedded worker of `stageflow demo`)."""
    return Worker(rt).run(stop, until_idle)
