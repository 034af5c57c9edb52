"""Whether a record change starts a record-triggered orchestration (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from stageflow.definitions import conditions, references
from stageflow.definitions.model import Trigger, TriggerWhen


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"


def _resolver(record: Mapping[str, Any], prior: Mapping[str, Any] | None) -> references.Resolver:
    def resolve(path: references.Path) -> Any:
        if path[0] == references.RECORD:
            return record if len(path) == 1 else record.get(path[1])
        if path[0] == references.PRIOR:
            return prior if len(path) == 1 or prior is None else prior.get(path[1])
        return None

    return resolve


def starts(
    trigger: Trigger, change: Change, record: Mapping[str, Any], prior: Mapping[str, Any] | None
) -> bool:
    """The trigger's decision for one change: the kind of change, the entry conditions, and
    "only when a record is updated to meet the conditions"."""
    if trigger.when is TriggerWhen.CREATED and change is not Change.CREATED:
        return False
    if trigger.when is TriggerWhen.UPDATED and change is not Change.UPDATED:
        return False
    if trigger.conditions is None:
        return True
    if not conditions.holds(trigger.conditions, _resolver(record, prior)):
        return False
    if change is Change.UPDATED and trigger.only_when_changed_to_meet and prior is not None:
        # Did the record meet them before? Judge the prior values as the record then was.
        return not conditions.holds(trigger.conditions, _resolver(prior, None))
    return True
