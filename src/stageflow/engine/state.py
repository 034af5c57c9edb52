"""The frozen snapshot of a run that the engine takes in and gives back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stageflow.definitions.model import AssigneeKind, Orchestration
from stageflow.engine.statuses import RunStatus, StageStatus, StepStatus, WorkItemStatus


@dataclass(frozen=True)
class ErrorInfo:
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class Principal:
    """Who a work item is assigned to: a user (by username), a group or a queue (by name)."""

    kind: AssigneeKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.name}"

    @classmethod
    def parse(cls, text: str) -> Principal:
        """`user:alice`, `group:Roof_Technicians`, `queue:Support`, or a bare username."""
        kind, sep, name = text.partition(":")
        if not sep:
            return cls(AssigneeKind.USER, text.strip())
        try:
            k = AssigneeKind(kind.strip().lower())
        except ValueError:
            raise ValueError(f"{text!r}: expected user:NAME, group:NAME or queue:NAME") from None
        if k is AssigneeKind.REF or not name.strip():
            raise ValueError(f"{text!r}: expected user:NAME, group:NAME or queue:NAME")
        return cls(k, name.strip())


@dataclass(frozen=True)
class WorkItem:
    id: str
    run_id: str
    step: str
    name: str  # the step's label
    status: WorkItemStatus
    assignee: Principal
    record_id: str | None
    created_at: datetime
    created_by: str  # whose action made it: the run's starter, a completer, "system"
    modified_at: datetime
    modified_by: str
    completed_by: str | None = None
    completed_at: datetime | None = None
    flow: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRun:
    name: str
    stage: str
    status: StepStatus = StepStatus.NOT_STARTED
    attempt: int = 0
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] | None = None
    error: ErrorInfo | None = None
    work_item: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class StageRun:
    name: str
    status: StageStatus = StageStatus.NOT_STARTED
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: ErrorInfo | None = None


@dataclass(frozen=True)
class Run:
    id: str
    name: str
    orchestration: Orchestration
    version: int
    status: RunStatus
    stages: Mapping[str, StageRun]
    steps: Mapping[str, StepRun]
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str
    work_items: Mapping[str, WorkItem] = field(default_factory=dict)
    current: str | None = None  # the stage in progress (or suspended, or in error)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    record_id: str | None = None
    record: Mapping[str, Any] | None = None  # the context record's values, loaded by the caller
    prior: Mapping[str, Any] | None = None  # $Record__Prior of a record-triggered start
    epoch: int = 0  # bumped at every evaluation point; evaluation results of older epochs are stale
    # criterion key -> the evaluation flow's answer in this epoch; None: asked, no answer yet
    evaluations: Mapping[str, bool | None] = field(default_factory=dict)
    item_seq: int = 0
    trigger_depth: int = 0  # how many record-triggered starts led to this run

    def open_work_items(self) -> list[WorkItem]:
        return [w for w in self.work_items.values() if w.status is WorkItemStatus.ASSIGNED]
