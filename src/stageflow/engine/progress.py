"""How a run moves on: entering stages, taking decisions, starting and completing steps,
completing stages, failing. Called by the event handlers in transitions.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stageflow.definitions import conditions, references
from stageflow.definitions.model import (
    ASSIGNEE_LENGTH,
    RECORD_ID_LENGTH,
    AfterSteps,
    AllStepsComplete,
    AssigneeKind,
    OnFlowFinish,
    OnStageStart,
    Stage,
    Step,
    StepType,
    WhenConditions,
    WhenEvaluationFlow,
)
from stageflow.definitions.model import Decision as DecisionNode
from stageflow.engine import rules
from stageflow.engine.commands import Evaluate, RunFlow
from stageflow.engine.rules import Action
from stageflow.engine.state import ErrorInfo, Principal, WorkItem
from stageflow.engine.statuses import (
    STEP_ACTIVE,
    StageStatus,
    StepStatus,
    WorkItemStatus,
)
from stageflow.engine.working import WorkingRun
from stageflow.errors import InvalidInput

# A run whose decisions loop through stages that finish at once could spin forever.
MAX_ADVANCES_PER_EVENT = 1000


def stage_step_names(tx: WorkingRun, stage: str) -> list[str]:
    return [s.name for s in tx.o.stage(stage).steps]


def comments(tx: WorkingRun, step: str, outputs: Mapping[str, Any]) -> None:
    comments = outputs.get("comments")
    if comments:
        tx.note("step", step, None, None, f"comments: {comments}")


def enter(tx: WorkingRun, name: str | None) -> None:
    """Go to node `name`: take decisions until a stage starts or the run completes."""
    while name is not None:
        tx.advances += 1
        node = tx.o.node(name)
        if isinstance(node, DecisionNode):
            if tx.advances > MAX_ADVANCES_PER_EVENT + len(tx.o.nodes):
                _decisions_loop(tx)  # only decisions since the limit: they lead to each other
                return
            name = _decide(tx, node)
            continue
        _start_stage(tx, node)
        if tx.advances > MAX_ADVANCES_PER_EVENT:
            # The stage just entered holds the error; a resume enters it again.
            fail(tx, None, _LOOP_ERROR)
        return
    tx.set_run(Action.COMPLETE)
    tx.current = None


_LOOP_ERROR = ErrorInfo(
    f"more than {MAX_ADVANCES_PER_EVENT} stages or decisions passed in one event: "
    "the decisions loop"
)


def _decisions_loop(tx: WorkingRun) -> None:
    """Decisions that only lead to each other: the stage they follow goes back in progress and
    into Error, so the run stops where a supervisor can resume it; at the start there is none."""
    if tx.current is None:
        raise InvalidInput(f"orchestration {tx.o.name}: its first decisions lead only to each "
                           "other, never to a stage")  # fmt: skip
    _start_stage(tx, tx.o.stage(tx.current))
    fail(tx, None, _LOOP_ERROR)


def _decide(tx: WorkingRun, node: DecisionNode) -> str | None:
    resolve = tx.resolver()
    for outcome in node.outcomes:
        if conditions.holds(outcome.conditions, resolve):
            detail = f"outcome {outcome.name} -> {outcome.next or 'end'}"
            tx.note("decision", node.name, None, None, detail)
            return outcome.next
    tx.note("decision", node.name, None, None, f"default outcome -> {node.default or 'end'}")
    return node.default


def _start_stage(tx: WorkingRun, stage: Stage) -> None:
    sr = tx.stages[stage.name]
    if sr.status is StageStatus.NOT_STARTED:
        tx.set_stage(stage.name, Action.START)
    else:  # entered again through a decision: its steps run afresh
        tx.set_stage(stage.name, Action.RESTART)
        for step in stage.steps:
            if tx.steps[step.name].status is not StepStatus.NOT_STARTED:
                tx.set_step(step.name, Action.RESTART, "stage entered again", outputs=None,
                            error=None, work_item=None)  # fmt: skip
    tx.current = stage.name
    tx.new_epoch()


def settle(tx: WorkingRun) -> None:
    """Start what can start, complete what can complete, until nothing changes."""
    while tx.running() and tx.current is not None:
        stage = tx.o.stage(tx.current)
        progressed = False
        for step in stage.steps:
            status = tx.steps[step.name].status
            if status is StepStatus.NOT_STARTED and _start_holds(tx, step):
                _start_step(tx, step)
                progressed = True
            elif (
                status is StepStatus.IN_PROGRESS
                and step.type is StepType.INTERACTIVE
                and not isinstance(step.completion, OnFlowFinish)
                and _holds(tx, f"complete:{step.name}", step.completion)
            ):
                _complete_by_criteria(tx, step)
                progressed = True
            if not tx.running():
                return
        if _exit_holds(tx, stage):
            _complete_stage(tx, stage)
            continue
        if not progressed:
            return


def _start_holds(tx: WorkingRun, step: Step) -> bool:
    start = step.start
    if isinstance(start, OnStageStart):
        return True
    if isinstance(start, AfterSteps):
        return all(tx.steps[d].status is StepStatus.COMPLETED for d in start.steps)
    return _holds(tx, f"start:{step.name}", start)


def _exit_holds(tx: WorkingRun, stage: Stage) -> bool:
    if isinstance(stage.exit, AllStepsComplete):
        return all(tx.steps[s.name].status is StepStatus.COMPLETED for s in stage.steps)
    return _holds(tx, f"exit:{stage.name}", stage.exit)


def _holds(tx: WorkingRun, key: str, criterion: WhenConditions | WhenEvaluationFlow) -> bool:
    if isinstance(criterion, WhenConditions):
        return conditions.holds(criterion.conditions, tx.resolver())
    if key not in tx.evaluations:
        tx.evaluations[key] = None
        inputs = {k: references.resolve(v, tx.resolver()) for k, v in criterion.inputs.items()}
        tx.commands.append(Evaluate(tx.base.id, key, tx.epoch, criterion.flow, inputs))
        return False
    return tx.evaluations[key] is True


def _start_step(tx: WorkingRun, step: Step) -> None:
    resolve = tx.resolver()
    inputs = {k: references.resolve(v, resolve) for k, v in step.inputs.items()}
    attempt = tx.steps[step.name].attempt + 1
    tx.set_step(step.name, Action.START, inputs=inputs, attempt=attempt, started_at=tx.now,
                ended_at=None, outputs=None)  # fmt: skip
    if step.type is StepType.BACKGROUND:
        tx.commands.append(
            RunFlow(tx.base.id, step.name, attempt, step.flow, inputs, step.is_async)
        )
        return
    assignee = _assignee(tx, step)
    record_id = references.resolve(step.record, resolve) if step.record else tx.base.record_id
    problem = _no_item_because(step, assignee, record_id)
    if problem is not None:
        fail(tx, step.name, ErrorInfo(f"interactive step {step.name!r} {problem}"))
        return
    assert assignee is not None  # _no_item_because found one
    tx.item_seq += 1
    item = WorkItem(
        id=f"{tx.base.id}-{tx.item_seq}",
        run_id=tx.base.id,
        step=step.name,
        name=step.label,
        status=WorkItemStatus.ASSIGNED,
        assignee=assignee,
        record_id=str(record_id),
        created_at=tx.now,
        created_by=tx.actor,
        modified_at=tx.now,
        modified_by=tx.actor,
        flow=step.flow,
        inputs=inputs,
    )
    tx.items[item.id] = item
    tx.steps[step.name] = replace(tx.steps[step.name], work_item=item.id)
    tx.note("work_item", item.id, None, WorkItemStatus.ASSIGNED.value, f"assigned to {assignee}")


def _no_item_because(step: Step, assignee: Principal | None, record_id: Any) -> str | None:
    """Why the work item of `step` cannot be made, if it cannot: no one or nothing to relate it
    to, or a record id or an assignee's name longer than any there can be."""
    if assignee is None or not record_id:
        what = "assignee" if assignee is None else "context record"
        source = (
            step.assignee.value if assignee is None and step.assignee else step.record or "the run"
        )
        return f"has no {what}: {source} resolved to nothing"
    if len(str(record_id)) > RECORD_ID_LENGTH:
        return (
            f"has no context record: {step.record} resolved to {_shown(record_id)}, longer "
            f"than a record id can be ({RECORD_ID_LENGTH} characters)"
        )
    if len(assignee.name) > ASSIGNEE_LENGTH:
        return (
            f"has no assignee: {assignee.kind.value} {_shown(assignee.name)} is longer than "
            f"any name can be ({ASSIGNEE_LENGTH} characters)"
        )
    return None


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 50 else text[:49] + "…")


def _assignee(tx: WorkingRun, step: Step) -> Principal | None:
    a = step.assignee
    if a is None:
        return None
    if a.kind is not AssigneeKind.REF:
        return Principal(a.kind, a.value)
    value = references.resolve(a.value, tx.resolver())
    if not value:
        return None
    try:
        return Principal.parse(str(value))
    except ValueError:
        return None


def _complete_by_criteria(tx: WorkingRun, step: Step) -> None:
    sr = tx.steps[step.name]
    if sr.work_item and tx.items[sr.work_item].status is WorkItemStatus.ASSIGNED:
        tx.set_item(sr.work_item, Action.CANCEL, "its step completed by its completion criteria")
    tx.set_step(step.name, Action.COMPLETE, "completion criteria met",
                outputs=dict(sr.outputs or {}))  # fmt: skip
    tx.new_epoch()


def _complete_stage(tx: WorkingRun, stage: Stage) -> None:
    for step in stage.steps:
        sr = tx.steps[step.name]
        if sr.status in (StepStatus.NOT_STARTED, StepStatus.IN_PROGRESS):
            tx.set_step(step.name, Action.DISCONTINUE, "its stage completed")
    close_items(tx, lambda wi: wi.step in {s.name for s in stage.steps}, Action.CANCEL,
                 "its step was discontinued")  # fmt: skip
    tx.set_stage(stage.name, Action.COMPLETE)
    enter(tx, tx.o.next_after(stage))


def close_items(tx: WorkingRun, which: Any, action: Action, detail: str) -> None:
    for wi in list(tx.items.values()):
        if wi.status is WorkItemStatus.ASSIGNED and which(wi):
            tx.set_item(wi.id, action, detail)


def fail(tx: WorkingRun, step: str | None, error: ErrorInfo) -> None:
    """A flow raised: the step, its stage and the run go to Error; running siblings stop."""
    stage = tx.current
    assert stage is not None
    if step is not None:
        tx.set_step(step, Action.FAIL, error.message, error=error)
    names = stage_step_names(tx, stage)
    for name in names:
        if name != step and tx.steps[name].status in STEP_ACTIVE:
            tx.set_step(name, Action.DISCONTINUE, "its stage failed")
    close_items(tx, lambda wi: wi.step in names, Action.CANCEL, "its stage failed")
    if rules.find("stage", tx.stages[stage].status, Action.FAIL):
        tx.set_stage(stage, Action.FAIL, error.message, error=error)
    tx.set_run(Action.FAIL, error.message)
