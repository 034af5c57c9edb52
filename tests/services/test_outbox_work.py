"""Carrying out outbox messages: an asynchronous step's `retries` are used up by its flow's
failures only, not by the worker's other reasons to put a message back."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

import stageflow
from stageflow.app import App
from stageflow.services import flow_exec, outbox_work
from stageflow.services.runtime import transaction
from stageflow.store import tables as t

SCALE = Path(__file__).parent.parent / "worker" / "scale_project"  # step A: `retries: 3`


@pytest.fixture
def scale_app(db_url: str) -> Iterator[App]:
    app = stageflow.connect(db_url, embedded_worker=False)
    app.deploy(SCALE)
    yield app
    app.close()


def _step_a(app: App, run_id: str) -> Any:
    return next(s for st in app.run(run_id).stages for s in st.steps if s.name == "A")


def _all_due_now(app: App) -> None:
    """Skip the waits before retries and give-backs."""
    with transaction(app.rt) as tx:
        tx.conn.execute(update(t.outbox).values(available_at=tx.now))


def _fail_every_try(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["scale_flows"], "FAIL_SHARE", 1.0)


def test_suspending_and_resuming_does_not_use_up_an_async_steps_retries(
    scale_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = scale_app
    run = app.start("Scale")  # steps A and B queued for a worker
    for _ in range(4):  # more parks than A's 3 retries
        app.suspend(run.id)
        assert app.drain() == 2  # both parked, their flows not run
        app.resume(run.id)
    _fail_every_try(monkeypatch)
    app.drain()

    step = _step_a(app, run.id)
    assert step.status == "InProgress"  # its first failure, with 3 retries left
    assert any("try 1 failed" in e.detail for e in app.run(run.id).log)


class _Deadlock(Exception):
    sqlstate = "40P01"  # as psycopg's DeadlockDetected has it


def test_give_backs_after_deadlocks_do_not_use_up_an_async_steps_retries(
    scale_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = scale_app
    run = app.start("Scale")

    def deadlocked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("UPDATE records ...", {}, _Deadlock("deadlock detected"))

    with monkeypatch.context() as patched:
        patched.setattr(flow_exec, "run_autolaunched", deadlocked)
        for _ in range(8):  # each of A and B given back 4 times: more than their 3 retries
            with pytest.raises(OperationalError):
                outbox_work.process_next(app.rt, "w1")
            _all_due_now(app)
    _fail_every_try(monkeypatch)
    app.drain()

    step = _step_a(app, run.id)
    assert step.status == "InProgress"  # its first failure, with 3 retries left
    assert any("try 1 failed" in e.detail for e in app.run(run.id).log)
