"""Carrying out one outbox message in its own transaction (the worker's unit of work)."""

from __future__ import annotations

from stageflow.engine.commands import RunFlow
from stageflow.engine.events import Reevaluate
from stageflow.engine.statuses import StepStatus
from stageflow.errors import NotFound
from stageflow.services import flow_exec
from stageflow.services.driver import RUN_FLOW, drive
from stageflow.services.runs import load
from stageflow.services.runtime import Runtime, Tx, transaction
from stageflow.store import outbox
from stageflow.store.outbox import Message


def process_next(rt: Runtime) -> bool:
    """Claim the oldest ready message and carry it out; False when there is none.

    The claim, the flow's own writes, the run's new state and the message's `done` mark commit
    together: a crash anywhere leaves the message ready, with nothing of it written.
    """
    with transaction(rt) as tx:
        message = outbox.next_ready(tx.session, tx.now)
        if message is None:
            return False
        status = _handle(tx, message)
        outbox.finish(tx.session, message.id, tx.now, status)
        return True


def _handle(tx: Tx, message: Message) -> str:
    if message.kind == RUN_FLOW:
        return _run_flow(tx, message)
    if message.kind == "reevaluate":
        try:
            run = load(tx, str(message.payload["run_id"]))
        except NotFound:
            return outbox.DONE
        drive(tx, run, [Reevaluate(reason="orchestration event published by a flow")])
        return outbox.DONE
    return outbox.FAILED


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
