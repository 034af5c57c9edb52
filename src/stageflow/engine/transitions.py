"""`apply(run, event, now)`: the one place a run changes. Pure: a snapshot in, a decision out.

One handler per event kind; how the run then moves on is in progress.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, assert_never

from stageflow.definitions.model import (
    OnFlowFinish,
    Orchestration,
    StepType,
)
from stageflow.engine import rules
from stageflow.engine.events import (
    CancelRun,
    CompleteWorkItem,
    EvaluationFailed,
    EvaluationResult,
    Event,
    ReassignWorkItem,
    Reevaluate,
    ResumeRun,
    StartRun,
    StepFailed,
    StepFinished,
    SuspendRun,
)
from stageflow.engine.progress import (
    close_items,
    comments,
    enter,
    fail,
    settle,
    stage_step_names,
)
from stageflow.engine.rules import Action
from stageflow.engine.state import ErrorInfo, Run, StageRun, StepRun
from stageflow.engine.statuses import (
    RunStatus,
    StageStatus,
    StepStatus,
    WorkItemStatus,
)
from stageflow.engine.working import Decision, WorkingRun, require
from stageflow.errors import InvalidInput, TransitionNotAllowed

__all__ = ["Decision", "apply", "new_run"]


def new_run(
    *,
    run_id: str,
    name: str,
    orchestration: Orchestration,
    version: int,
    now: datetime,
    by: str,
    inputs: Mapping[str, Any] | None = None,
    record_id: str | None = None,
    record: Mapping[str, Any] | None = None,
    prior: Mapping[str, Any] | None = None,
) -> Run:
    """A NotStarted run with every stage and step NotStarted."""
    return Run(
        id=run_id,
        name=name,
        orchestration=orchestration,
        version=version,
        status=RunStatus.NOT_STARTED,
        stages={s.name: StageRun(s.name) for s in orchestration.stages},
        steps={
            step.name: StepRun(step.name, stage.name)
            for stage in orchestration.stages
            for step in stage.steps
        },
        created_at=now,
        created_by=by,
        modified_at=now,
        modified_by=by,
        inputs=dict(inputs or {}),
        record_id=record_id,
        record=record,
        prior=prior,
    )


def apply(run: Run, event: Event, now: datetime) -> Decision:
    """Apply one event. Raises TransitionNotAllowed / InvalidInput and changes nothing when the
    event is not allowed; returns an unchanged decision for stale or duplicate events."""
    tx = WorkingRun(run, now)
    match event:
        case StartRun():
            _on_start(tx, event)
        case StepFinished():
            _on_step_finished(tx, event)
        case StepFailed():
            _on_step_failed(tx, event)
        case EvaluationResult():
            _on_evaluation_result(tx, event)
        case EvaluationFailed():
            _on_evaluation_failed(tx, event)
        case CompleteWorkItem():
            _on_complete_work_item(tx, event)
        case ReassignWorkItem():
            _on_reassign(tx, event)
        case Reevaluate():
            _on_reevaluate(tx, event)
        case CancelRun():
            _on_cancel(tx, event)
        case SuspendRun():
            _on_suspend(tx, event)
        case ResumeRun():
            _on_resume(tx, event)
        case _:
            assert_never(event)
    return tx.decision()


# --- event handlers ---------------------------------------------------------------------------


def _on_start(tx: WorkingRun, event: StartRun) -> None:
    require(tx, Action.START)
    tx.actor = event.by
    tx.set_run(Action.START)
    enter(tx, tx.o.nodes[0].name)
    settle(tx)


def _on_step_finished(tx: WorkingRun, event: StepFinished) -> None:
    sr = tx.steps.get(event.step)
    if sr is None or sr.attempt != event.attempt:
        return  # stale: an earlier attempt, or a redelivery after the step moved on
    if sr.status not in (StepStatus.IN_PROGRESS, StepStatus.SUSPENDED):
        return
    if tx.o.steps[event.step].type is StepType.INTERACTIVE:
        return  # no RunFlow asked for it: it completes through its work item or its criteria
    tx.actor = event.by
    for message in event.messages:
        tx.note("flow", event.step, None, None, message)
    tx.set_step(event.step, Action.COMPLETE, outputs=dict(event.outputs))
    comments(tx, event.step, event.outputs)
    if tx.status is RunStatus.IN_PROGRESS:
        tx.new_epoch()
        settle(tx)


def _on_step_failed(tx: WorkingRun, event: StepFailed) -> None:
    sr = tx.steps.get(event.step)
    if sr is None or sr.attempt != event.attempt:
        return
    if sr.status not in (StepStatus.IN_PROGRESS, StepStatus.SUSPENDED):
        return
    tx.actor = event.by
    fail(tx, event.step, event.error)


def _on_evaluation_result(tx: WorkingRun, event: EvaluationResult) -> None:
    if event.epoch != tx.epoch or tx.evaluations.get(event.key, False) is not None:
        return
    if event.key not in tx.evaluations:
        return
    tx.evaluations[event.key] = event.value
    if tx.status is RunStatus.IN_PROGRESS:
        settle(tx)


def _on_evaluation_failed(tx: WorkingRun, event: EvaluationFailed) -> None:
    if event.epoch != tx.epoch or event.key not in tx.evaluations:
        return
    if tx.status is not RunStatus.IN_PROGRESS:
        return
    kind, _, name = event.key.partition(":")
    error = ErrorInfo(f"evaluation flow for {kind} criterion of {name!r} failed: "
                      f"{event.error.message}", event.error.traceback)  # fmt: skip
    step = name if kind in ("start", "complete") else None
    if step is not None and tx.steps[step].status is StepStatus.NOT_STARTED:
        tx.set_step(step, Action.START, "started to report its criterion's failure",
                    started_at=tx.now)  # fmt: skip
    fail(tx, step, error)


def _on_complete_work_item(tx: WorkingRun, event: CompleteWorkItem) -> None:
    wi = tx.items.get(event.work_item)
    if wi is None:
        raise InvalidInput(f"run {tx.base.id} has no work item {event.work_item}")
    if wi.status is not WorkItemStatus.ASSIGNED:
        raise TransitionNotAllowed(f"work item {wi.id} is {wi.status.value}; only an Assigned "
                                   "work item can be completed")  # fmt: skip
    if tx.status is not RunStatus.IN_PROGRESS:
        raise TransitionNotAllowed(f"run {tx.base.id} is {tx.status.value}; its work items can be "
                                   "completed only while it is InProgress")  # fmt: skip
    tx.actor = event.by
    step = tx.o.steps[wi.step]
    tx.set_item(wi.id, Action.COMPLETE, completed_by=event.by, completed_at=tx.now)
    outputs = dict(event.outputs)
    if isinstance(step.completion, OnFlowFinish):
        tx.set_step(step.name, Action.COMPLETE, f"completed by {event.by}", outputs=outputs)
    else:
        tx.steps[step.name] = replace(tx.steps[step.name], outputs=outputs)
    comments(tx, step.name, outputs)
    tx.new_epoch()
    settle(tx)


def _on_reassign(tx: WorkingRun, event: ReassignWorkItem) -> None:
    wi = tx.items.get(event.work_item)
    if wi is None:
        raise InvalidInput(f"run {tx.base.id} has no work item {event.work_item}")
    if wi.status is not WorkItemStatus.ASSIGNED:
        raise TransitionNotAllowed(f"work item {wi.id} is {wi.status.value}; only an Assigned "
                                   "work item can be reassigned")  # fmt: skip
    tx.actor = event.by
    tx.set_item(wi.id, Action.REASSIGN, f"reassigned from {wi.assignee} to {event.to}",
                assignee=event.to)  # fmt: skip


def _on_reevaluate(tx: WorkingRun, event: Reevaluate) -> None:
    if tx.status is not RunStatus.IN_PROGRESS:
        return  # nothing to re-check: only a run in progress waits on criteria
    tx.actor = event.by
    tx.new_epoch()
    # Logged even when nothing moves: who asked for a re-check, and why, is part of the audit.
    tx.note("run", tx.base.name, None, None, event.reason)
    settle(tx)


def _on_cancel(tx: WorkingRun, event: CancelRun) -> None:
    require(tx, Action.CANCEL)
    tx.actor = event.by
    stage = tx.current
    tx.set_run(Action.CANCEL, f"canceled by {event.by}")
    if stage is not None and tx.stages[stage].status is not StageStatus.NOT_STARTED:
        for name in stage_step_names(tx, stage):
            if rules.find("step", tx.steps[name].status, Action.CANCEL):
                tx.set_step(name, Action.CANCEL)
        tx.set_stage(stage, Action.CANCEL)
    close_items(tx, lambda _wi: True, Action.CANCEL, "run canceled")
    tx.current = None


def _on_suspend(tx: WorkingRun, event: SuspendRun) -> None:
    require(tx, Action.SUSPEND)
    tx.actor = event.by
    tx.set_run(Action.SUSPEND, f"suspended by {event.by}")
    assert tx.current is not None
    for name in stage_step_names(tx, tx.current):
        if tx.steps[name].status is StepStatus.IN_PROGRESS:
            tx.set_step(name, Action.SUSPEND)
    tx.set_stage(tx.current, Action.SUSPEND)


def _on_resume(tx: WorkingRun, event: ResumeRun) -> None:
    require(tx, Action.RESUME)
    tx.actor = event.by
    was = tx.status
    tx.set_run(Action.RESUME, f"resumed by {event.by}")
    assert tx.current is not None
    stage = tx.current
    if rules.find("stage", tx.stages[stage].status, Action.RESUME):
        tx.set_stage(stage, Action.RESUME)
    for name in stage_step_names(tx, stage):
        status = tx.steps[name].status
        if was is RunStatus.SUSPENDED and status is StepStatus.SUSPENDED:
            tx.set_step(name, Action.RESUME)
        elif was is RunStatus.ERROR and status in (StepStatus.ERROR, StepStatus.DISCONTINUED):
            # The failed step and the steps the failure interrupted start again, inputs re-read.
            tx.set_step(name, Action.RESTART, "restarted on resume", error=None)
    tx.new_epoch()
    settle(tx)
