"""`apply(run, event, now)`: the one place a run changes. Pure: a snapshot in, a decision out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, assert_never

from stageflow.definitions import conditions, references
from stageflow.definitions.model import (
    AfterSteps,
    AllStepsComplete,
    AssigneeKind,
    OnFlowFinish,
    OnStageStart,
    Orchestration,
    Stage,
    Step,
    StepType,
    WhenConditions,
    WhenEvaluationFlow,
)
from stageflow.definitions.model import Decision as DecisionNode
from stageflow.engine import rules
from stageflow.engine.commands import Command, Evaluate, LogEntry, RunFlow
from stageflow.engine.events import (
    SYSTEM,
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
from stageflow.engine.rules import Action
from stageflow.engine.scope import make_resolver
from stageflow.engine.state import ErrorInfo, Principal, Run, StageRun, StepRun, WorkItem
from stageflow.engine.statuses import (
    STEP_ACTIVE,
    RunStatus,
    StageStatus,
    StepStatus,
    WorkItemStatus,
)
from stageflow.errors import InvalidInput, TransitionNotAllowed

# A run whose decisions loop through stages that finish at once could spin forever.
MAX_ADVANCES_PER_EVENT = 1000


@dataclass(frozen=True)
class Decision:
    run: Run
    commands: tuple[Command, ...] = ()
    log: tuple[LogEntry, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.log) or bool(self.commands)


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
    tx = _Tx(run, now)
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


_STEP_ENDED = frozenset(
    {StepStatus.COMPLETED, StepStatus.ERROR, StepStatus.DISCONTINUED, StepStatus.CANCELED}
)


class _Tx:
    """A working copy of one run while one event is applied; frozen again by decision()."""

    def __init__(self, run: Run, now: datetime) -> None:
        self.base = run
        self.o = run.orchestration
        self.now = now
        self.status = run.status
        self.current = run.current
        self.stages = dict(run.stages)
        self.steps = dict(run.steps)
        self.items = dict(run.work_items)
        self.epoch = run.epoch
        self.evaluations = dict(run.evaluations)
        self.item_seq = run.item_seq
        self.commands: list[Command] = []
        self.log: list[LogEntry] = []
        self.actor = SYSTEM
        self.advances = 0

    def decision(self) -> Decision:
        commands = tuple(c for c in self.commands if self.still_wanted(c))
        if not self.log and not commands and self.evaluations == self.base.evaluations:
            return Decision(self.base)
        run = replace(
            self.base,
            status=self.status,
            current=self.current,
            stages=MappingProxyType(self.stages),
            steps=MappingProxyType(self.steps),
            work_items=MappingProxyType(self.items),
            epoch=self.epoch,
            evaluations=MappingProxyType(self.evaluations),
            item_seq=self.item_seq,
            modified_at=self.now if self.log else self.base.modified_at,
            modified_by=self.actor if self.log else self.base.modified_by,
        )
        return Decision(run, commands, tuple(self.log))

    def still_wanted(self, command: Command) -> bool:
        """A flow for a step that stopped later in the same event (its stage completed or
        failed) is not run; an evaluation asked before a later evaluation point is not either."""
        match command:
            case RunFlow():
                sr = self.steps[command.step]
                return sr.attempt == command.attempt and sr.status in STEP_ACTIVE
            case Evaluate():
                return command.epoch == self.epoch and (
                    command.key in self.evaluations and self.evaluations[command.key] is None
                )
            case _:
                assert_never(command)

    # --- status changes, each checked against the transition table and logged ----------------
    def note(
        self, kind: str, name: str, old: str | None, new: str | None, detail: str = ""
    ) -> None:
        self.log.append(LogEntry(self.now, self.actor, kind, name, old, new, detail))

    def set_run(self, action: Action, detail: str = "") -> None:
        new = rules.target("run", self.status, action)
        assert isinstance(new, RunStatus)
        self.note("run", self.base.name, self.status.value, new.value, detail)
        self.status = new

    def set_stage(
        self, name: str, action: Action, detail: str = "", error: ErrorInfo | None = None
    ) -> None:
        sr = self.stages[name]
        new = rules.target("stage", sr.status, action)
        assert isinstance(new, StageStatus)
        started = self.now if action in (Action.START, Action.RESTART) else sr.started_at
        ended = None if new is StageStatus.IN_PROGRESS else self.now
        self.stages[name] = replace(sr, status=new, started_at=started, ended_at=ended, error=error)
        self.note("stage", name, sr.status.value, new.value, detail)

    def set_step(self, name: str, action: Action, detail: str = "", **changes: Any) -> None:
        sr = self.steps[name]
        new = rules.target("step", sr.status, action)
        assert isinstance(new, StepStatus)
        if new in _STEP_ENDED:
            changes.setdefault("ended_at", self.now)
        self.steps[name] = replace(sr, status=new, **changes)
        self.note("step", name, sr.status.value, new.value, detail)

    def set_item(self, item_id: str, action: Action, detail: str = "", **changes: Any) -> None:
        wi = self.items[item_id]
        new = rules.target("work_item", wi.status, action)
        assert isinstance(new, WorkItemStatus)
        self.items[item_id] = replace(
            wi, status=new, modified_at=self.now, modified_by=self.actor, **changes
        )
        self.note("work_item", wi.id, wi.status.value, new.value, detail)

    def running(self) -> bool:
        """A method, not a comparison, so that mypy does not keep a narrowed status across
        the calls that change it."""
        return self.status is RunStatus.IN_PROGRESS

    def new_epoch(self) -> None:
        self.epoch += 1
        self.evaluations = {}

    def resolver(self) -> references.Resolver:
        return make_resolver(
            run_id=self.base.id,
            run_name=self.base.name,
            record_id=self.base.record_id,
            record=self.base.record,
            prior=self.base.prior,
            inputs=self.base.inputs,
            steps=self.steps,
            stages=self.stages,
        )


def _require(tx: _Tx, action: Action) -> None:
    if rules.find("run", tx.status, action) is None:
        raise TransitionNotAllowed(
            f"run {tx.base.id} is {tx.status.value}; it cannot {action.value} from there"
        )


# --- event handlers ---------------------------------------------------------------------------


def _on_start(tx: _Tx, event: StartRun) -> None:
    _require(tx, Action.START)
    tx.actor = event.by
    tx.set_run(Action.START)
    _enter(tx, tx.o.nodes[0].name)
    _settle(tx)


def _on_step_finished(tx: _Tx, event: StepFinished) -> None:
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
    _comments(tx, event.step, event.outputs)
    if tx.status is RunStatus.IN_PROGRESS:
        tx.new_epoch()
        _settle(tx)


def _on_step_failed(tx: _Tx, event: StepFailed) -> None:
    sr = tx.steps.get(event.step)
    if sr is None or sr.attempt != event.attempt:
        return
    if sr.status not in (StepStatus.IN_PROGRESS, StepStatus.SUSPENDED):
        return
    tx.actor = event.by
    _fail(tx, event.step, event.error)


def _on_evaluation_result(tx: _Tx, event: EvaluationResult) -> None:
    if event.epoch != tx.epoch or tx.evaluations.get(event.key, False) is not None:
        return
    if event.key not in tx.evaluations:
        return
    tx.evaluations[event.key] = event.value
    if tx.status is RunStatus.IN_PROGRESS:
        _settle(tx)


def _on_evaluation_failed(tx: _Tx, event: EvaluationFailed) -> None:
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
    _fail(tx, step, error)


def _on_complete_work_item(tx: _Tx, event: CompleteWorkItem) -> None:
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
    _comments(tx, step.name, outputs)
    tx.new_epoch()
    _settle(tx)


def _on_reassign(tx: _Tx, event: ReassignWorkItem) -> None:
    wi = tx.items.get(event.work_item)
    if wi is None:
        raise InvalidInput(f"run {tx.base.id} has no work item {event.work_item}")
    if wi.status is not WorkItemStatus.ASSIGNED:
        raise TransitionNotAllowed(f"work item {wi.id} is {wi.status.value}; only an Assigned "
                                   "work item can be reassigned")  # fmt: skip
    tx.actor = event.by
    tx.set_item(wi.id, Action.REASSIGN, f"reassigned from {wi.assignee} to {event.to}",
                assignee=event.to)  # fmt: skip


def _on_reevaluate(tx: _Tx, event: Reevaluate) -> None:
    if tx.status is not RunStatus.IN_PROGRESS:
        return  # nothing to re-check: only a run in progress waits on criteria
    tx.actor = event.by
    tx.new_epoch()
    # Logged even when nothing moves: who asked for a re-check, and why, is part of the audit.
    tx.note("run", tx.base.name, None, None, event.reason)
    _settle(tx)


def _on_cancel(tx: _Tx, event: CancelRun) -> None:
    _require(tx, Action.CANCEL)
    tx.actor = event.by
    stage = tx.current
    tx.set_run(Action.CANCEL, f"canceled by {event.by}")
    if stage is not None and tx.stages[stage].status is not StageStatus.NOT_STARTED:
        for name in _stage_step_names(tx, stage):
            if rules.find("step", tx.steps[name].status, Action.CANCEL):
                tx.set_step(name, Action.CANCEL)
        tx.set_stage(stage, Action.CANCEL)
    _close_items(tx, lambda _wi: True, Action.CANCEL, "run canceled")
    tx.current = None


def _on_suspend(tx: _Tx, event: SuspendRun) -> None:
    _require(tx, Action.SUSPEND)
    tx.actor = event.by
    tx.set_run(Action.SUSPEND, f"suspended by {event.by}")
    assert tx.current is not None
    for name in _stage_step_names(tx, tx.current):
        if tx.steps[name].status is StepStatus.IN_PROGRESS:
            tx.set_step(name, Action.SUSPEND)
    tx.set_stage(tx.current, Action.SUSPEND)


def _on_resume(tx: _Tx, event: ResumeRun) -> None:
    _require(tx, Action.RESUME)
    tx.actor = event.by
    was = tx.status
    tx.set_run(Action.RESUME, f"resumed by {event.by}")
    assert tx.current is not None
    stage = tx.current
    if rules.find("stage", tx.stages[stage].status, Action.RESUME):
        tx.set_stage(stage, Action.RESUME)
    for name in _stage_step_names(tx, stage):
        status = tx.steps[name].status
        if was is RunStatus.SUSPENDED and status is StepStatus.SUSPENDED:
            tx.set_step(name, Action.RESUME)
        elif was is RunStatus.ERROR and status in (StepStatus.ERROR, StepStatus.DISCONTINUED):
            # The failed step and the steps the failure interrupted start again, inputs re-read.
            tx.set_step(name, Action.RESTART, "restarted on resume", error=None)
    tx.new_epoch()
    _settle(tx)


# --- the run's progress -----------------------------------------------------------------------


def _stage_step_names(tx: _Tx, stage: str) -> list[str]:
    return [s.name for s in tx.o.stage(stage).steps]


def _comments(tx: _Tx, step: str, outputs: Mapping[str, Any]) -> None:
    comments = outputs.get("comments")
    if comments:
        tx.note("step", step, None, None, f"comments: {comments}")


def _enter(tx: _Tx, name: str | None) -> None:
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
            _fail(tx, None, _LOOP_ERROR)
        return
    tx.set_run(Action.COMPLETE)
    tx.current = None


_LOOP_ERROR = ErrorInfo(
    f"more than {MAX_ADVANCES_PER_EVENT} stages or decisions passed in one event: "
    "the decisions loop"
)


def _decisions_loop(tx: _Tx) -> None:
    """Decisions that only lead to each other: the stage they follow goes back in progress and
    into Error, so the run stops where a supervisor can resume it; at the start there is none."""
    if tx.current is None:
        raise InvalidInput(f"orchestration {tx.o.name}: its first decisions lead only to each "
                           "other, never to a stage")  # fmt: skip
    _start_stage(tx, tx.o.stage(tx.current))
    _fail(tx, None, _LOOP_ERROR)


def _decide(tx: _Tx, node: DecisionNode) -> str | None:
    resolve = tx.resolver()
    for outcome in node.outcomes:
        if conditions.holds(outcome.conditions, resolve):
            detail = f"outcome {outcome.name} -> {outcome.next or 'end'}"
            tx.note("decision", node.name, None, None, detail)
            return outcome.next
    tx.note("decision", node.name, None, None, f"default outcome -> {node.default or 'end'}")
    return node.default


def _start_stage(tx: _Tx, stage: Stage) -> None:
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


def _settle(tx: _Tx) -> None:
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


def _start_holds(tx: _Tx, step: Step) -> bool:
    start = step.start
    if isinstance(start, OnStageStart):
        return True
    if isinstance(start, AfterSteps):
        return all(tx.steps[d].status is StepStatus.COMPLETED for d in start.steps)
    return _holds(tx, f"start:{step.name}", start)


def _exit_holds(tx: _Tx, stage: Stage) -> bool:
    if isinstance(stage.exit, AllStepsComplete):
        return all(tx.steps[s.name].status is StepStatus.COMPLETED for s in stage.steps)
    return _holds(tx, f"exit:{stage.name}", stage.exit)


def _holds(tx: _Tx, key: str, criterion: WhenConditions | WhenEvaluationFlow) -> bool:
    if isinstance(criterion, WhenConditions):
        return conditions.holds(criterion.conditions, tx.resolver())
    if key not in tx.evaluations:
        tx.evaluations[key] = None
        inputs = {k: references.resolve(v, tx.resolver()) for k, v in criterion.inputs.items()}
        tx.commands.append(Evaluate(tx.base.id, key, tx.epoch, criterion.flow, inputs))
        return False
    return tx.evaluations[key] is True


def _start_step(tx: _Tx, step: Step) -> None:
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
    if assignee is None or not record_id:
        what = "an assignee" if assignee is None else "a context record"
        source = (
            step.assignee.value if assignee is None and step.assignee else step.record or "the run"
        )
        _fail(tx, step.name, ErrorInfo(f"interactive step {step.name!r} has no {what}: "
                                       f"{source} resolved to nothing"))  # fmt: skip
        return
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
        modified_at=tx.now,
        modified_by=tx.actor,
        flow=step.flow,
        inputs=inputs,
    )
    tx.items[item.id] = item
    tx.steps[step.name] = replace(tx.steps[step.name], work_item=item.id)
    tx.note("work_item", item.id, None, WorkItemStatus.ASSIGNED.value, f"assigned to {assignee}")


def _assignee(tx: _Tx, step: Step) -> Principal | None:
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


def _complete_by_criteria(tx: _Tx, step: Step) -> None:
    sr = tx.steps[step.name]
    if sr.work_item and tx.items[sr.work_item].status is WorkItemStatus.ASSIGNED:
        tx.set_item(sr.work_item, Action.CANCEL, "its step completed by its completion criteria")
    tx.set_step(step.name, Action.COMPLETE, "completion criteria met",
                outputs=dict(sr.outputs or {}))  # fmt: skip
    tx.new_epoch()


def _complete_stage(tx: _Tx, stage: Stage) -> None:
    for step in stage.steps:
        sr = tx.steps[step.name]
        if sr.status in (StepStatus.NOT_STARTED, StepStatus.IN_PROGRESS):
            tx.set_step(step.name, Action.DISCONTINUE, "its stage completed")
    _close_items(tx, lambda wi: wi.step in {s.name for s in stage.steps}, Action.CANCEL,
                 "its step was discontinued")  # fmt: skip
    tx.set_stage(stage.name, Action.COMPLETE)
    _enter(tx, tx.o.next_after(stage))


def _close_items(tx: _Tx, which: Any, action: Action, detail: str) -> None:
    for wi in list(tx.items.values()):
        if wi.status is WorkItemStatus.ASSIGNED and which(wi):
            tx.set_item(wi.id, action, detail)


def _fail(tx: _Tx, step: str | None, error: ErrorInfo) -> None:
    """A flow raised: the step, its stage and the run go to Error; running siblings stop."""
    stage = tx.current
    assert stage is not None
    if step is not None:
        tx.set_step(step, Action.FAIL, error.message, error=error)
    names = _stage_step_names(tx, stage)
    for name in names:
        if name != step and tx.steps[name].status in STEP_ACTIVE:
            tx.set_step(name, Action.DISCONTINUE, "its stage failed")
    _close_items(tx, lambda wi: wi.step in names, Action.CANCEL, "its stage failed")
    if rules.find("stage", tx.stages[stage].status, Action.FAIL):
        tx.set_stage(stage, Action.FAIL, error.message, error=error)
    tx.set_run(Action.FAIL, error.message)
