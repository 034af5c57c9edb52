"""Resolving references against a run: `$Record`, `$Input`, step outputs and statuses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageflow.definitions import references
from stageflow.engine.state import Run, StageRun, StepRun


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
            return record_id if path[1:2] == ("Id",) else _field(record, path)
        if head == references.PRIOR:
            return _field(prior, path)
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


def _field(values: Mapping[str, Any] | None, path: references.Path) -> Any:
    """`{!$Record}` is the whole record, `{!$Record.Field}` one field (None without a record)."""
    if len(path) == 1:
        return values
    return None if values is None else values.get(path[1])


def run_resolver(run: Run) -> references.Resolver:
    """References resolved against a run snapshot (outside the engine's working copy)."""
    return make_resolver(
        run_id=run.id,
        run_name=run.name,
        record_id=run.record_id,
        record=run.record,
        prior=run.prior,
        inputs=run.inputs,
        steps=run.steps,
        stages=run.stages,
    )
