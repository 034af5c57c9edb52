"""Applying events to a run with everything they cause in the same transaction: synchronous
background flows and evaluation flows run here; asynchronous flows go to the outbox."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import timedelta

from stageflow.engine import apply
from stageflow.engine.commands import Evaluate, LogEntry, RunFlow
from stageflow.engine.events import Event, Reevaluate
from stageflow.engine.state import Run
from stageflow.engine.statuses import RunStatus
from stageflow.ids import new_id
from stageflow.services import flow_exec, notifications, triggers
from stageflow.services.runtime import Tx
from stageflow.store import outbox
from stageflow.store import records as records_store
from stageflow.store import runs as runs_store

RUN_FLOW = "run_flow"
RECHECK_AFTER = timedelta(seconds=1)  # a record update in flight is usually done by then


def drive(tx: Tx, run: Run, events: list[Event], *, new_definition_id: int | None = None) -> Run:
    """Apply `events` and what follows from them; persist once. Returns the new snapshot.

    A run not yet stored passes the id of its definition version in `new_definition_id`.
    """
    before = None if new_definition_id is not None else run
    log: list[LogEntry] = []
    run = _apply(tx, run, deque(events), log)
    if run.status is RunStatus.IN_PROGRESS and run.record_id is not None:
        run = _recheck_record(tx, run, log)
    notifications.work_item_emails(tx, before, run)
    runs_store.save(tx.session, before, run, log, new_definition_id)
    tx.logged.setdefault(run.id, []).extend(log)
    return run


def _recheck_record(tx: Tx, run: Run, log: list[LogEntry]) -> Run:
    """Another transaction may have changed the run's record since the run read it, and the
    re-evaluation that change queued for the record's runs cannot include a run it did not
    see (one started or resumed meanwhile): re-evaluate now, or once the update commits."""
    assert run.record_id is not None
    found = records_store.recheck(tx.session, run.record_id, run.record)
    reason = f"its record {run.record_id} changed"
    if found.changed is not None:
        return _apply(
            tx, replace(run, record=found.changed), deque([Reevaluate(reason=reason)]), log
        )
    if found.busy:  # its update is in flight: a worker re-evaluates the run after it
        outbox.enqueue(
            tx.session, triggers.REEVALUATE, f"recheck:{run.id}:{new_id()}",
            {"run_id": run.id, "reason": reason}, tx.now, run.id, tx.now + RECHECK_AFTER,
        )  # fmt: skip
    return run


def _apply(tx: Tx, run: Run, pending: deque[Event], log: list[LogEntry]) -> Run:
    """Apply the pending events and the events their commands cause, in order."""
    while pending:
        event = pending.popleft()
        if run.record_id is not None and run.record_id in tx.changed_records:
            run = replace(run, record=load_record(tx, run.record_id))
        decision = apply(run, event, tx.now)
        run = decision.run
        log.extend(decision.log)
        for command in decision.commands:
            match command:
                case RunFlow(is_async=False):
                    pending.append(flow_exec.run_background(tx, run, command))
                case RunFlow():
                    outbox.enqueue(
                        tx.session, RUN_FLOW, _key(command), _payload(command), tx.now, run.id
                    )
                case Evaluate():
                    pending.append(flow_exec.evaluate(tx, run, command))
    return run


def _key(c: RunFlow) -> str:
    return f"{RUN_FLOW}:{c.run_id}:{c.step}:{c.attempt}"


def _payload(c: RunFlow) -> dict[str, object]:
    return {
        "run_id": c.run_id,
        "step": c.step,
        "attempt": c.attempt,
        "flow": c.flow,
        "inputs": dict(c.inputs),
    }


def load_record(tx: Tx, record_id: str) -> dict[str, object] | None:
    row = records_store.get(tx.session, record_id)
    return None if row is None else row.values()
