"""Values as a run's state keeps them: JSON, in the database's JSON column."""

from __future__ import annotations

from collections.abc import Mapping
from math import isfinite
from typing import Any

from stageflow.flows.screen_fields import plain


class NotStorable(ValueError):
    """A value JSON has no form for (a set, an object, NaN)."""

    def __init__(self, name: str, what: str) -> None:
        super().__init__(f"{name!r} is {what}, which a run cannot keep")
        self.name = name


def storable(values: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs as the run keeps them: dates and datetimes as ISO text, Decimals as numbers,
    tuples as lists. A value with no JSON form raises NotStorable naming it: saving it would
    fail the whole transaction, not just the flow that made it."""
    out = {}
    for name, value in values.items():
        value = plain(value)
        bad = _not_json(value)
        if bad is not None:
            raise NotStorable(str(name), bad)
        out[str(name)] = value
    return out


def _not_json(value: Any) -> str | None:
    """What in `value` has no JSON form, or None."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if isfinite(value) else repr(value)  # PostgreSQL's JSON refuses NaN
    if isinstance(value, list):
        return next((b for b in map(_not_json, value) if b is not None), None)
    if isinstance(value, dict):
        return next((b for b in map(_not_json, value.values()) if b is not None), None)
    return f"a {type(value).__name__}"
