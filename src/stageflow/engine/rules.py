"""The transition table: from status, action, to status, who may. The engine, the front doors'
buttons and the all-pairs test read this one table."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stageflow.engine.statuses import RunStatus, StageStatus, StepStatus, WorkItemStatus

Status = RunStatus | StageStatus | StepStatus | WorkItemStatus


class Action(StrEnum):
    START = "start"
    COMPLETE = "complete"
    FAIL = "fail"
    CANCEL = "cancel"
    SUSPEND = "suspend"
    RESUME = "resume"
    DISCONTINUE = "discontinue"
    RESTART = "restart"  # a stage re-entered through a decision, or a step retried on resume
    REASSIGN = "reassign"


class Who(StrEnum):
    SYSTEM = "system"
    SUPERVISOR = "supervisor"
    ASSIGNEE = "assignee"


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    target: Status
    who: Who = Who.SYSTEM


R, G, S, W = RunStatus, StageStatus, StepStatus, WorkItemStatus
A = Action

RUN: tuple[Transition, ...] = (
    Transition(R.NOT_STARTED, A.START, R.IN_PROGRESS),
    Transition(R.IN_PROGRESS, A.COMPLETE, R.COMPLETED),
    Transition(R.IN_PROGRESS, A.FAIL, R.ERROR),
    Transition(R.SUSPENDED, A.FAIL, R.ERROR),  # an async flow already running when suspended
    Transition(R.NOT_STARTED, A.CANCEL, R.CANCELED, Who.SUPERVISOR),
    Transition(R.IN_PROGRESS, A.CANCEL, R.CANCELED, Who.SUPERVISOR),
    Transition(R.SUSPENDED, A.CANCEL, R.CANCELED, Who.SUPERVISOR),
    Transition(R.ERROR, A.CANCEL, R.CANCELED, Who.SUPERVISOR),
    Transition(R.IN_PROGRESS, A.SUSPEND, R.SUSPENDED, Who.SUPERVISOR),
    Transition(R.SUSPENDED, A.RESUME, R.IN_PROGRESS, Who.SUPERVISOR),
    Transition(R.ERROR, A.RESUME, R.IN_PROGRESS, Who.SUPERVISOR),
)

STAGE: tuple[Transition, ...] = (
    Transition(G.NOT_STARTED, A.START, G.IN_PROGRESS),
    Transition(G.IN_PROGRESS, A.COMPLETE, G.COMPLETED),
    Transition(G.IN_PROGRESS, A.FAIL, G.ERROR),
    Transition(G.SUSPENDED, A.FAIL, G.ERROR),
    Transition(G.IN_PROGRESS, A.CANCEL, G.CANCELED),
    Transition(G.SUSPENDED, A.CANCEL, G.CANCELED),
    Transition(G.ERROR, A.CANCEL, G.CANCELED),
    Transition(G.IN_PROGRESS, A.SUSPEND, G.SUSPENDED),
    Transition(G.SUSPENDED, A.RESUME, G.IN_PROGRESS),
    Transition(G.ERROR, A.RESUME, G.IN_PROGRESS),
    Transition(G.COMPLETED, A.RESTART, G.IN_PROGRESS),
    Transition(G.DISCONTINUED, A.RESTART, G.IN_PROGRESS),
)

STEP: tuple[Transition, ...] = (
    Transition(S.NOT_STARTED, A.START, S.IN_PROGRESS),
    Transition(S.IN_PROGRESS, A.COMPLETE, S.COMPLETED),
    Transition(S.SUSPENDED, A.COMPLETE, S.COMPLETED),  # an async flow that was already running
    Transition(S.IN_PROGRESS, A.FAIL, S.ERROR),
    Transition(S.SUSPENDED, A.FAIL, S.ERROR),
    Transition(S.NOT_STARTED, A.DISCONTINUE, S.DISCONTINUED),
    Transition(S.IN_PROGRESS, A.DISCONTINUE, S.DISCONTINUED),
    Transition(S.SUSPENDED, A.DISCONTINUE, S.DISCONTINUED),
    Transition(S.IN_PROGRESS, A.CANCEL, S.CANCELED),
    Transition(S.SUSPENDED, A.CANCEL, S.CANCELED),
    Transition(S.IN_PROGRESS, A.SUSPEND, S.SUSPENDED),
    Transition(S.SUSPENDED, A.RESUME, S.IN_PROGRESS),
    Transition(S.ERROR, A.RESTART, S.NOT_STARTED),
    Transition(S.DISCONTINUED, A.RESTART, S.NOT_STARTED),
    Transition(S.COMPLETED, A.RESTART, S.NOT_STARTED),
    Transition(S.CANCELED, A.RESTART, S.NOT_STARTED),
)

WORK_ITEM: tuple[Transition, ...] = (
    Transition(W.ASSIGNED, A.COMPLETE, W.COMPLETED, Who.ASSIGNEE),
    Transition(W.ASSIGNED, A.CANCEL, W.CANCELED),
    Transition(W.ASSIGNED, A.REASSIGN, W.ASSIGNED, Who.SUPERVISOR),
)

TABLES: dict[str, tuple[Transition, ...]] = {
    "run": RUN,
    "stage": STAGE,
    "step": STEP,
    "work_item": WORK_ITEM,
}
_INDEX = {(name, t.source, t.action): t for name, table in TABLES.items() for t in table}


def find(obj: str, source: Status, action: Action) -> Transition | None:
    return _INDEX.get((obj, source, action))


def target(obj: str, source: Status, action: Action) -> Status:
    """The status `action` leads to; AssertionError when the table forbids it (an engine bug)."""
    t = _INDEX.get((obj, source, action))
    assert t is not None, f"{obj} cannot {action.value} from {source.value}"
    return t.target


def run_actions(status: RunStatus, who: Who = Who.SUPERVISOR) -> list[Action]:
    """The actions a person in role `who` may take on a run in `status` (the UI's buttons)."""
    return [t.action for t in RUN if t.source == status and t.who == who]
