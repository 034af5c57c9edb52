"""Carrying out one outbox message in its own transaction (the worker's unit of work)."""

from __future__ import annotations

import logging

from stageflow.engine.commands import RunFlow
from stageflow.engine.events import Reevaluate
from stageflow.engine.statuses import StepStatus
from stageflow.errors import NotFound, StageflowError
from stageflow.services import flow_exec, triggers
from stageflow.services.driver import RUN_FLOW, drive
from stageflow.services.runs import load, start_in
from stageflow.services.runtime import Runtime, Tx, transaction
from stageflow.store import definitions as defs_store
from stageflow.store import outbox
from stageflow.store import records as records_store
from stageflow.store.outbox import Message

log = logging.getLogger("stageflow.worker")


def process_next(rt: Runtime) -> bool:
    """Claim the oldest ready message and carry it out; False when there is none.

    The claim, the flow's own writes, the run's new state and the message's `done` mark commit
    together: a crash anywhere leaves the message ready, with nothing of it written.
    """
    with transaction(rt) as tx:
        message = outbox.next_ready(tx.session, tx.now)
        if message is None:
            return False
        savepoint = tx.session.begin_nested()
        try:
            status = _handle(tx, message)
        except StageflowError as exc:  # refused for good (a trigger loop, a bad start): keep why
            savepoint.rollback()
            log.warning("outbox message %s (%s) failed: %s", message.id, message.kind, exc)
            outbox.finish(tx.session, message.id, tx.now, outbox.FAILED, str(exc))
            return True
        savepoint.commit()
        outbox.finish(tx.session, message.id, tx.now, status)
        return True


def _handle(tx: Tx, message: Message) -> str:
    if message.kind == RUN_FLOW:
        return _run_flow(tx, message)
    if message.kind == triggers.REEVALUATE:
        try:
            run = load(tx, str(message.payload["run_id"]))
        except NotFound:
            return outbox.DONE
        reason = str(message.payload.get("reason") or "orchestration event published by a flow")
        drive(tx, run, [Reevaluate(reason=reason)])
        return outbox.DONE
    if message.kind == triggers.START_RUN:
        return _start_triggered(tx, message)
    return outbox.FAILED


def _start_triggered(tx: Tx, message: Message) -> str:
    p = message.payload
    if records_store.get(tx.session, str(p["record_id"])) is None:
        return outbox.DONE  # the record was deleted before the run could start
    if defs_store.active(tx.session, "orchestration", str(p["name"])) is None:
        return outbox.DONE  # deactivated since the change
    start_in(
        tx,
        str(p["name"]),
        {},
        str(p["record_id"]),
        by="trigger",
        prior=p.get("prior"),
        trigger_depth=int(p.get("depth", 0)),
    )
    return outbox.DONE


def _run_flow(tx: Tx, message: Message) -> str:
    p = message.payload
    run = load(tx, str(p["run_id"]))
    step = run.steps.get(str(p["step"]))
    if step is None or step.attempt != p["attempt"]:
        return outbox.DONE  # stale: the step moved on
    if step.status is StepStatus.SUSPENDED:
        return outbox.PARKED  # held until the run is resumed
    if step.status is not StepStatus.IN_PROGRESS:
        return outbox.DONE
    command = RunFlow(run.id, step.name, step.attempt, str(p["flow"]), dict(p["inputs"]), True)
    event = flow_exec.run_background(tx, run, command)
    drive(tx, run, [event])
    return outbox.DONE


def drain(rt: Runtime, limit: int = 10_000) -> int:
    """Carry out ready messages until none is left (or `limit`); returns how many."""
    done = 0
    while done < limit and process_next(rt):
        done += 1
    return done
