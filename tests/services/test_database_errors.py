"""A database failure under a flow (a deadlock, a lost connection) is not the flow's failure:
the transaction fails as a whole, and the worker gives its message back to be tried again,
instead of leaving a step in Error or the message claimed by nobody working on it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from stageflow.app import App
from stageflow.services import flow_exec, outbox_work
from stageflow.services.runtime import transaction
from stageflow.store import tables as t

TRIGGERS = Path(__file__).parent / "trigger_project"


class _Deadlock(Exception):
    sqlstate = "40P01"  # as psycopg's DeadlockDetected has it


def test_a_deadlock_under_a_flow_fails_the_transaction_and_the_message_is_given_back(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.rt.embedded_worker = False
    app.deploy(TRIGGERS)
    app.records.create("Doc", {"Status": "Draft"})  # queues D_Approval's start

    def deadlocked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("UPDATE records ...", {}, _Deadlock("deadlock detected"))

    monkeypatch.setattr(flow_exec, "run_autolaunched", deadlocked)
    with pytest.raises(OperationalError):
        outbox_work.process_next(app.rt, "w1")

    assert app.runs(orchestration="D_Approval") == []  # no run left with a step in Error
    with transaction(app.rt) as tx:
        c = t.outbox.c
        message = tx.conn.execute(
            select(c.status, c.claimed_by, c.give_backs, c.available_at, c.last_error)
        ).one()
        now = tx.now
    assert (message.status, message.claimed_by, message.give_backs) == ("ready", None, 1)
    assert now < message.available_at <= now + timedelta(seconds=5)
    assert "deadlock detected" in message.last_error

    monkeypatch.undo()  # the database is well again: the start is carried out
    with transaction(app.rt) as tx:
        tx.conn.execute(t.outbox.update().values(available_at=tx.now))
    assert outbox_work.process_next(app.rt, "w1")
    [run] = app.runs(orchestration="D_Approval")
    assert run.status == "InProgress"


def test_a_flows_own_database_error_is_the_flows_failure(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.deploy(TRIGGERS)

    def own_database_down(*args: Any, **kwargs: Any) -> Any:  # e.g. the host's database
        raise OperationalError("SELECT * FROM invoices", {}, Exception("no such table"))

    monkeypatch.setattr(flow_exec, "run_autolaunched", own_database_down)
    app.records.create("Doc", {"Status": "Draft"})  # the embedded worker starts D_Approval
    [run] = app.runs(orchestration="D_Approval")
    assert run.status == "Error"  # as any failing flow: shown to a supervisor, not retried
