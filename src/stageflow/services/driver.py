"""Applying events to a run with everything they cause in the same transaction: synchronous
background flows and evaluation flows run here; asynchronous flows go to the outbox."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta

from stageflow.engine import apply, still_wanted
from stageflow.engine.commands import Command, Evaluate, LogEntry, RunFlow
from stageflow.engine.events import Event, Reevaluate, StepFailed
from stageflow.engine.state import ErrorInfo, Run
from stageflow.engine.statuses import RunStatus, WorkItemStatus
from stageflow.ids import new_id
from stageflow.services import flow_exec, notifications
from stageflow.services.runtime import Tx
from stageflow.store import outbox, people
from stageflow.store import records as records_store
from stageflow.store import runs as runs_store

RUN_FLOW = "run_flow"
RECHECK = "recheck_record"
RECHECK_AFTER = timedelta(seconds=1)  # a record update in flight is usually done by then
RECHECK_AT_MOST = timedelta(minutes=1)  # the longest wait between two looks at a held record


def drive(
    tx: Tx,
    run: Run,
    events: list[Event],
    *,
    new_definition_id: int | None = None,
    recheck_after: timedelta | None = None,
) -> Run:
    """Apply `events` and what follows from them; persist once. Returns the new snapshot.

    A run not yet stored passes the id of its definition version in `new_definition_id`.
    `recheck_after`: how long to wait before looking again at a record an update holds
    (RECHECK_AFTER if not given).
    """
    before = None if new_definition_id is not None else run
    log: list[LogEntry] = []
    run = _apply(tx, run, events, log)
    if run.status is RunStatus.IN_PROGRESS and run.record_id is not None:
        wait = RECHECK_AFTER if recheck_after is None else recheck_after
        run = _recheck_record(tx, run, log, wait)
    if run is before:  # nothing happened: nothing to write
        return run
    notifications.work_item_emails(tx, before, run)
    runs_store.save(tx.conn, before, run, log, new_definition_id)
    tx.logged.setdefault(run.id, []).extend(log)
    return run


def _recheck_record(tx: Tx, run: Run, log: list[LogEntry], wait: timedelta) -> Run:
    """Another transaction may have changed the run's record since the run read it, and the
    re-evaluation that change queued for the record's runs cannot include a run it did not
    see (one started or resumed meanwhile): re-evaluate now, or once the update commits."""
    assert run.record_id is not None
    found = records_store.recheck(tx.conn, run.record_id, run.record)
    if found.changed is not None:
        changed = Reevaluate(reason=_changed(run))
        return _apply(tx, replace(run, record=found.changed), [changed], log)
    if found.busy:  # its update is in flight: a worker looks again once it is likely done
        payload = {"run_id": run.id, "seen": _digest(run.record), "wait": wait.total_seconds()}
        key = f"recheck:{run.id}:{new_id()}"
        outbox.enqueue(tx.conn, RECHECK, key, payload, tx.now, run.id, tx.now + wait)
    return run


def recheck(tx: Tx, run: Run, seen: str, waited: timedelta) -> Run:
    """Carry out a look queued while an update held the run's record (`seen`: the digest of
    what the run had decided on). Re-evaluate if the record changed since; if an update still
    holds it, look again later, waiting twice as long (at most RECHECK_AT_MOST). A record
    left as it was (the update rolled back) changes nothing: no evaluation flow, no log line."""
    if run.status is not RunStatus.IN_PROGRESS or run.record_id is None:
        return run
    if _digest(run.record) != seen:
        return drive(tx, run, [Reevaluate(reason=_changed(run))])
    wait = max(RECHECK_AFTER, min(2 * waited, RECHECK_AT_MOST))
    return drive(tx, run, [], recheck_after=wait)


def _changed(run: Run) -> str:
    return f"its record {run.record_id} changed"


def _digest(record: Mapping[str, object] | None) -> str:
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _apply(tx: Tx, run: Run, events: Iterable[Event], log: list[LogEntry]) -> Run:
    """Apply the pending events and carry out the commands they cause, in order. A flow's
    result is applied before the next command is looked at: a flow that fails discontinues
    its siblings, whose flows then never run (and so keep no writes)."""
    pending: deque[Event | Command] = deque(events)
    while pending:
        item = pending.popleft()
        if isinstance(item, (RunFlow, Evaluate)):
            if still_wanted(run, item):
                _carry_out(tx, run, item, pending)
            continue
        if run.record_id is not None and run.record_id in tx.changed_records:
            run = replace(run, record=load_record(tx, run.record_id))
        before, decision = run, apply(run, item, tx.now)
        run = decision.run
        log.extend(decision.log)
        if len(run.work_items) != len(before.work_items):  # items are never removed
            pending.extendleft(reversed(_unassignable(tx, before, run)))
        pending.extend(decision.commands)
    return run


def _unassignable(tx: Tx, before: Run, after: Run) -> list[Event]:
    """A new work item whose assignee does not exist, or is a user who cannot sign in, could
    never be done: its step fails instead, where a supervisor sees it, can add (or activate)
    the assignee and resume the run."""
    failed: list[Event] = []
    for item_id in sorted(after.work_items.keys() - before.work_items.keys()):
        item = after.work_items[item_id]
        who = item.assignee
        if item.status is not WorkItemStatus.ASSIGNED:
            continue
        problem = people.assignee_problem(tx.conn, who.kind.value, who.name)
        if problem is None:
            continue
        remedy = "activate that user" if problem == "is inactive" else f"add that {who.kind.value}"
        message = (
            f"interactive step {item.step!r} is assigned to {who}, who {problem}: "
            f"{remedy}, then resume the run"
        )
        failed.append(StepFailed(item.step, after.steps[item.step].attempt, ErrorInfo(message)))
    return failed


def _carry_out(tx: Tx, run: Run, command: Command, pending: deque[Event | Command]) -> None:
    """Run a synchronous flow and put its outcome first in line; queue an asynchronous one."""
    match command:
        case RunFlow(is_async=False):
            pending.appendleft(flow_exec.run_background(tx, run, command))
        case RunFlow():
            outbox.enqueue(tx.conn, RUN_FLOW, _key(command), _payload(command), tx.now, run.id)
        case Evaluate():
            pending.appendleft(flow_exec.evaluate(tx, run, command))


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
    row = records_store.get(tx.conn, record_id)
    return None if row is None else row.values()
