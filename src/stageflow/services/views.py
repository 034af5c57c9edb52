"""What the front doors show of a run: plain, read-only views with the SPEC's field names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stageflow.definitions.model import Stage
from stageflow.engine.commands import LogEntry
from stageflow.engine.rules import run_actions
from stageflow.engine.state import ErrorInfo, Run, WorkItem


@dataclass(frozen=True)
class StepView:
    name: str
    label: str
    type: str
    status: str
    attempt: int
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] | None
    error: ErrorInfo | None
    work_item: str | None
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class StageView:
    name: str
    label: str
    status: str
    steps: tuple[StepView, ...]
    error: ErrorInfo | None
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True)
class RunView:
    id: str
    name: str
    orchestration: str
    version: int
    status: str
    current_stage: str | None
    record_id: str | None
    inputs: Mapping[str, Any]
    created_at: datetime
    created_by: str
    modified_at: datetime
    modified_by: str
    stages: tuple[StageView, ...]
    work_items: tuple[WorkItem, ...]
    log: tuple[LogEntry, ...]
    actions: tuple[str, ...]  # what a supervisor may do now (from the transition table)

    @property
    def error(self) -> ErrorInfo | None:
        for stage in self.stages:
            for step in stage.steps:
                if step.error is not None:
                    return step.error
            if stage.error is not None:
                return stage.error
        return None


def _stage_view(run: Run, stage: Stage) -> StageView:
    sr = run.stages[stage.name]
    steps = []
    for step in stage.steps:
        s = run.steps[step.name]
        steps.append(
            StepView(
                step.name,
                step.label,
                step.type.value,
                s.status.value,
                s.attempt,
                s.inputs,
                s.outputs,
                s.error,
                s.work_item,
                s.started_at,
                s.ended_at,
            )
        )
    return StageView(
        stage.name, stage.label, sr.status.value, tuple(steps), sr.error, sr.started_at, sr.ended_at
    )


def run_view(run: Run, log: list[LogEntry]) -> RunView:
    return RunView(
        id=run.id,
        name=run.name,
        orchestration=run.orchestration.name,
        version=run.version,
        status=run.status.value,
        current_stage=run.current,
        record_id=run.record_id,
        inputs=run.inputs,
        created_at=run.created_at,
        created_by=run.created_by,
        modified_at=run.modified_at,
        modified_by=run.modified_by,
        stages=tuple(_stage_view(run, s) for s in run.orchestration.stages),
        work_items=tuple(sorted(run.work_items.values(), key=lambda w: w.created_at)),
        log=tuple(log),
        actions=tuple(a.value for a in run_actions(run.status)),
    )
