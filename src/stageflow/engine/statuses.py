"""One status enum per object, with the SPEC's words (stored values), and named groups."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    NOT_STARTED = "NotStarted"
    IN_PROGRESS = "InProgress"
    SUSPENDED = "Suspended"
    COMPLETED = "Completed"
    CANCELED = "Canceled"
    ERROR = "Error"


class StageStatus(StrEnum):
    NOT_STARTED = "NotStarted"
    IN_PROGRESS = "InProgress"
    SUSPENDED = "Suspended"
    COMPLETED = "Completed"
    DISCONTINUED = "Discontinued"
    CANCELED = "Canceled"
    ERROR = "Error"


class StepStatus(StrEnum):
    NOT_STARTED = "NotStarted"
    IN_PROGRESS = "InProgress"
    SUSPENDED = "Suspended"
    COMPLETED = "Completed"
    DISCONTINUED = "Discontinued"
    CANCELED = "Canceled"
    ERROR = "Error"


class WorkItemStatus(StrEnum):
    ASSIGNED = "Assigned"
    COMPLETED = "Completed"
    CANCELED = "Canceled"


RUN_TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.CANCELED})
STEP_ACTIVE = frozenset({StepStatus.IN_PROGRESS, StepStatus.SUSPENDED})
STAGE_CURRENT = frozenset({StageStatus.IN_PROGRESS, StageStatus.SUSPENDED, StageStatus.ERROR})
