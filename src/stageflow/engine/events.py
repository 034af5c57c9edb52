"""What can happen to a run. Each event kind has one handler in transitions.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stageflow.engine.state import ErrorInfo, Principal

SYSTEM = "system"


@dataclass(frozen=True)
class StartRun:
    by: str = SYSTEM


@dataclass(frozen=True)
class StepFinished:
    """A background step's flow returned its outputs."""

    step: str
    attempt: int
    outputs: Mapping[str, Any] = field(default_factory=dict)
    messages: tuple[str, ...] = ()  # lines the flow logged, copied to the run log
    by: str = SYSTEM


@dataclass(frozen=True)
class StepFailed:
    step: str
    attempt: int
    error: ErrorInfo
    by: str = SYSTEM


@dataclass(frozen=True)
class EvaluationResult:
    key: str
    epoch: int
    value: bool


@dataclass(frozen=True)
class EvaluationFailed:
    key: str
    epoch: int
    error: ErrorInfo


@dataclass(frozen=True)
class CompleteWorkItem:
    work_item: str
    by: str
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReassignWorkItem:
    work_item: str
    to: Principal
    by: str


@dataclass(frozen=True)
class Reevaluate:
    """An orchestration event: re-check the current stage's criteria (API, CLI, flow, record)."""

    by: str = SYSTEM
    reason: str = "re-evaluation requested"


@dataclass(frozen=True)
class CancelRun:
    by: str


@dataclass(frozen=True)
class SuspendRun:
    by: str


@dataclass(frozen=True)
class ResumeRun:
    by: str


Event = (
    StartRun
    | StepFinished
    | StepFailed
    | EvaluationResult
    | EvaluationFailed
    | CompleteWorkItem
    | ReassignWorkItem
    | Reevaluate
    | CancelRun
    | SuspendRun
    | ResumeRun
)
