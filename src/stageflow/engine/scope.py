"""Resolving references against a run: `$Record`, `$Input`, step outputs and statuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageflow.definitions import references
from stageflow.engine.state import StageRun, StepRun


def make_resolver(
    *,
    run_id: str,
    run_name: str,
    record_id: str | None,
    record: Mapping[str, Any] | None,
    prior: Mapping[str, Any] | None,
    inputs: Mapping[str, Any],
    steps: Mapping[str, StepRun],
    stages: Mapping[str, StageRun],
) -> references.Resolver:
    def resolve(path: references.Path) -> Any:
        head = path[0]
        if head == references.RECORD:
            if len(path) == 1:
                return record
            if path[1] == "Id":
                return record_id
            return None if record is None else record.get(path[1])
        if head == references.PRIOR:
            if len(path) == 1:
                return prior
            return None if prior is None else prior.get(path[1])
        if head == references.INPUT:
            return inputs.get(path[1]) if len(path) > 1 else None
        if head == "$Run":
            return run_id if path[1:] == ("Id",) else run_name
        step = steps.get(head)
        if step is not None:
            if path[1:] == (references.STATUS,):
                return step.status.value
            if len(path) == 3 and step.outputs is not None:
                return step.outputs.get(path[2])
            return None
        stage = stages.get(head)
        if stage is not None and path[1:] == (references.STATUS,):
            return stage.status.value
        return None

    return resolve
