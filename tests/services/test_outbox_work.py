"""Carrying out outbox messages: an asynchronous step's `retries` are used up by its flow's
failures only, not by the worker's other reasons to put a message back; a flow that kills its
worker every time is not tried for ever."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

import stageflow
from stageflow.app import App
from stageflow.services import flow_exec, outbox_work
from stageflow.services.runtime import transaction
from stageflow.store import tables as t
from tests.conftest import EXAMPLES

SCALE = Path(__file__).parent.parent / "worker" / "scale_project"  # step A: `retries: 3`
CRASH = Path(__file__).parent / "crash_project"


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


def _worker(db_url: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "stageflow", "--db", db_url, "worker", "--until-idle",
           "--lease", "1"]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def _workers_killed_then_one_more(db_url: str, killed: int) -> subprocess.CompletedProcess[str]:
    """`killed` workers in a row, each killed by the flow it runs, then one that is not."""
    for _ in range(killed):
        died = _worker(db_url)
        assert died.returncode == -signal.SIGKILL, died.stderr
        time.sleep(1.1)  # the dead worker's lease runs out
    last = _worker(db_url)
    assert last.returncode == 0, last.stderr
    return last


@pytest.mark.slow
def test_a_flow_that_kills_its_worker_every_time_fails_its_step_once_retries_are_used_up(
    db_url: str, tmp_path: Path
) -> None:
    app = stageflow.connect(db_url, embedded_worker=False)
    try:
        app.deploy(CRASH)
        marker = tmp_path / "starts.txt"
        run = app.start("Crash_Always", {"marker": str(marker)})  # step Die: `retries: 1`
        _workers_killed_then_one_more(db_url, 3)  # its 2 tries, and 1 for another cause

        view = app.run(run.id)
        assert view.status == "Error"
        [step] = view.stages[0].steps
        assert step.status == "Error"
        assert step.error is not None
        assert "Crash_Every_Time never finished" in step.error.message
        assert "stopped 3 times" in step.error.message
        assert marker.read_text().count("started") == 3  # not started again by the last worker
        assert _worker(db_url).returncode == 0  # nothing left to claim
        assert marker.read_text().count("started") == 3
    finally:
        app.close()


@pytest.mark.slow
def test_a_triggered_start_whose_flow_kills_its_worker_every_time_is_failed_after_three(
    db_url: str, tmp_path: Path
) -> None:
    app = stageflow.connect(db_url, embedded_worker=False)
    try:
        app.deploy(CRASH)
        marker = tmp_path / "starts.txt"
        bomb = app.records.create("Bomb", {"Marker": str(marker)}).id  # On_Bomb starts on it
        last = _workers_killed_then_one_more(db_url, 3)
        assert "never finished: the workers carrying it out stopped 3 times" in last.stderr

        assert marker.read_text().count("started") == 3  # not started by the last worker
        assert app.runs(record=bomb) == []  # each try rolled back with its worker
        with transaction(app.rt) as tx:
            status, error = tx.conn.execute(
                select(t.outbox.c.status, t.outbox.c.last_error).where(
                    t.outbox.c.kind == "start_run"
                )
            ).one()
        assert status == "failed"
        assert "stopped 3 times" in error
        assert _worker(db_url).returncode == 0  # nothing left to claim
        assert marker.read_text().count("started") == 3
    finally:
        app.close()


@pytest.mark.slow
def test_a_reevaluation_whose_flow_kills_its_worker_every_time_is_given_up_on_its_runs_log(
    db_url: str, tmp_path: Path
) -> None:
    """It was failed after three deaths with no trace on the run: only in the worker's log and
    the outbox row, which a supervisor does not see."""
    app = stageflow.connect(db_url, embedded_worker=False)
    try:
        app.deploy(CRASH)
        marker = tmp_path / "starts.txt"
        ticket = app.records.create("Ticket", {"Title": "T", "Stage": "new"}).id
        run = app.start("Crash_On_Change", {"marker": str(marker)}, record=ticket)
        app.records.update(ticket, {"Stage": "armed"})  # queues its re-evaluation
        _workers_killed_then_one_more(db_url, 3)  # Die starts in the re-evaluation, and kills

        assert marker.read_text().count("started") == 3
        view = app.run(run.id)
        assert view.status == "InProgress"  # not a step's failure: the run may still move on
        assert [step.status for step in view.stages[0].steps] == ["NotStarted"]
        last = view.log[-1]
        assert (last.actor, last.object_type, last.object_name) == ("system", "run", view.name)
        assert last.detail == (
            f"Re-evaluation (its record {ticket} changed) given up, never finished: the workers "
            "carrying it out stopped 3 times (killed, out of memory, or a flow ended the "
            "process); re-evaluate the run to evaluate its conditions again"
        )
        assert (last.from_status, last.to_status) == (None, None)
        assert _worker(db_url).returncode == 0  # nothing left to claim
        assert marker.read_text().count("started") == 3
    finally:
        app.close()


def test_an_email_given_up_after_its_workers_died_says_so_on_its_runs_log(db_url: str) -> None:
    app = stageflow.connect(db_url, embedded_worker=False)
    app.rt.settings = replace(app.rt.settings, emails_enabled=True)
    try:
        app.deploy(EXAMPLES)
        app.people.create_user("dave", "Dave", "dave@example.com")
        expense = app.records.create("Expense", {"Title": "Pens", "Amount": 3.0}).id
        run = app.start("Expense_Approval", {"recordId": expense, "approver": "dave", "amount": 3})
        [item] = run.work_items
        with transaction(app.rt) as tx:  # three workers claimed it and died (see outbox.claim)
            tx.conn.execute(update(t.outbox).where(t.outbox.c.kind == "email").values(claims=3))
        assert app.drain() == 1

        view = app.run(run.id)
        assert view.status == "InProgress"
        last = view.log[-1]
        assert (last.actor, last.object_type, last.object_name) == ("system", "run", view.name)
        assert last.detail == (
            f"Email to dave about work item {item.id} given up, never finished: the workers "
            "carrying it out stopped 3 times (killed, out of memory, or a flow ended the "
            "process); it was not sent"
        )
    finally:
        app.close()


@pytest.fixture
def embedded_app(sqlite_url: str) -> Iterator[App]:
    """SQLite without a worker process: the API's own calls carry out the queued work."""
    app = stageflow.connect(sqlite_url)
    app.rt.retry_base = timedelta(milliseconds=300)
    app.deploy(SCALE)
    yield app
    app.close()


def test_without_a_worker_a_retry_that_came_due_is_carried_out_by_the_next_read(
    embedded_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = embedded_app
    _fail_every_try(monkeypatch)
    run = app.start("Scale")
    assert _step_a(app, run.id).status == "InProgress"  # its first try failed: a retry waits
    monkeypatch.setattr(sys.modules["scale_flows"], "FAIL_SHARE", 0.0)
    time.sleep(0.4)
    assert app.run(run.id).status == "Completed"  # a read, no write: the retries came due


def test_queued_work_that_fails_does_not_fail_the_call_that_committed_before_it(
    embedded_app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The run is started and committed; carrying out its asynchronous steps then fails (say the
    database is away): the start must not raise, or a caller trying again makes a second run."""

    def away(*_args: Any) -> outbox_work.Outcome:
        raise OperationalError("SELECT 1", {}, Exception("the database went away"))

    monkeypatch.setattr(outbox_work, "_run_flow", away)
    run = embedded_app.start("Scale")
    assert run.status == "InProgress"
    assert [r.id for r in embedded_app.runs()] == [run.id]
    assert "carrying out queued work failed" in caplog.text
