"""The working copy of one run while one event is applied, and the decision it becomes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, assert_never

from stageflow.definitions import references
from stageflow.engine import rules
from stageflow.engine.commands import Command, Evaluate, LogEntry, RunFlow
from stageflow.engine.events import (
    SYSTEM,
)
from stageflow.engine.rules import Action
from stageflow.engine.scope import make_resolver
from stageflow.engine.state import ErrorInfo, Run, StepRun
from stageflow.engine.statuses import (
    STEP_ACTIVE,
    RunStatus,
    StageStatus,
    StepStatus,
    WorkItemStatus,
)
from stageflow.errors import TransitionNotAllowed


@dataclass(frozen=True)
class Decision:
    run: Run
    commands: tuple[Command, ...] = ()
    log: tuple[LogEntry, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.log) or bool(self.commands)


_STEP_ENDED = frozenset(
    {StepStatus.COMPLETED, StepStatus.ERROR, StepStatus.DISCONTINUED, StepStatus.CANCELED}
)


def still_wanted(run: Run, command: Command) -> bool:
    """Whether `run` still wants what `command` asks for. A step's flow is run only while the
    step is active in that attempt, so a flow run before it can end the step (a sibling that
    failed) or an evaluation point it can make stale."""
    return wanted(run.steps, run.epoch, run.evaluations, command)


def wanted(
    steps: Mapping[str, StepRun],
    epoch: int,
    evaluations: Mapping[str, bool | None],
    command: Command,
) -> bool:
    """A flow for a step that stopped later in the same event (its stage completed or
    failed) is not run; an evaluation asked before a later evaluation point is not either."""
    match command:
        case RunFlow():
            sr = steps[command.step]
            return sr.attempt == command.attempt and sr.status in STEP_ACTIVE
        case Evaluate():
            return command.epoch == epoch and (
                command.key in evaluations and evaluations[command.key] is None
            )
        case _:
            assert_never(command)


class WorkingRun:
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
        return wanted(self.steps, self.epoch, self.evaluations, command)

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


def require(tx: WorkingRun, action: Action) -> None:
    if rules.find("run", tx.status, action) is None:
        raise TransitionNotAllowed(
            f"run {tx.base.id} is {tx.status.value}; it cannot {action.value} from there"
        )
