"""The worker loop: process messages while there are any, sleep briefly when idle."""

from __future__ import annotations

import logging
import threading
import time

from stageflow.services.outbox_work import process_next
from stageflow.services.runtime import Runtime

log = logging.getLogger("stageflow.worker")


def run(
    rt: Runtime,
    stop: threading.Event | None = None,
    idle_sleep: float = 0.5,
    until_idle: bool = False,
) -> int:
    """Process messages until `stop` is set (or, with `until_idle`, until none is ready)."""
    stop = stop or threading.Event()
    processed = 0
    while not stop.is_set():
        try:
            worked = process_next(rt)
        except Exception:  # keep serving other runs; the message stays ready for a retry
            log.exception("processing an outbox message failed")
            worked = False
            stop.wait(idle_sleep)
        if worked:
            processed += 1
            continue
        if until_idle:
            break
        stop.wait(idle_sleep)
    return processed


def run_in_thread(rt: Runtime, idle_sleep: float = 0.2) -> tuple[threading.Thread, threading.Event]:
    """The embedded worker: the same loop in a daemon thread of this process."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(rt, stop, idle_sleep), name="stageflow-worker", daemon=True
    )
    thread.start()
    return thread, stop


def sleep(seconds: float) -> None:
    time.sleep(seconds)
