"""An idle worker on PostgreSQL does not poll hard for a message it cannot claim."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from stageflow.app import App
from stageflow.services.runtime import transaction
from stageflow.store import outbox
from stageflow.worker import loop
from stageflow.worker.loop import Worker

TRIGGERS = Path(__file__).parent.parent / "services" / "trigger_project"


def _claimed_by_another_worker(app: App) -> outbox.Message:
    """A message worker w1 claimed, its lease running out at once."""
    app.deploy(TRIGGERS)
    app.records.create("Doc", {"Status": "Draft"})  # a message for the workers
    with transaction(app.rt) as tx:
        message = outbox.claim(tx.conn, "w1", tx.now, timedelta(milliseconds=1))
    assert message is not None
    return message


def test_an_idle_worker_backs_off_from_a_due_message_it_cannot_claim(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_app
    message = _claimed_by_another_worker(app)
    looks: list[float] = []

    def counted(*args: Any, **kwargs: Any) -> bool:
        looks.append(time.monotonic())
        return False  # nothing claimable, as the claim would find

    monkeypatch.setattr(loop, "process_next", counted)
    stop = threading.Event()
    worker = Worker(app.rt, idle_wait=60)
    with transaction(app.rt) as tx:  # ...and is still carrying it out: its row is locked
        assert outbox.lock_claimed(tx.conn, message.id, "w1")
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        time.sleep(2.0)
        stop.set()
        thread.join(10)
    # the due row is looked at after 50, 100, 200, 400, 800 ms...: not 20 times a second
    assert 3 <= len(looks) <= 8


def test_a_retry_coming_due_behind_a_stuck_message_is_looked_at_on_time(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_app
    message = _claimed_by_another_worker(app)
    looks: list[float] = []
    monkeypatch.setattr(loop, "process_next", lambda *a, **k: looks.append(time.monotonic()))
    stop = threading.Event()
    worker = Worker(app.rt, idle_wait=60)
    with transaction(app.rt) as held:
        assert outbox.lock_claimed(held.conn, message.id, "w1")
        with transaction(app.rt) as tx:  # and a retry due in 1 s, which no one announces
            outbox.enqueue(tx.conn, "reevaluate", "retry", {}, tx.now, None,
                           tx.now + timedelta(seconds=1))  # fmt: skip
        due = time.monotonic() + 1.0  # (the database clock's second began a moment ago)
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        time.sleep(1.5)
        stop.set()
        thread.join(10)
    assert any(abs(at - due) < 0.15 for at in looks), [round(at - due, 2) for at in looks]
