"""Running flows: Python functions and declarative `kind: flow` definitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stageflow.definitions.model import FlowDef
from stageflow.errors import StageflowError
from stageflow.flows.context import FlowContext
from stageflow.flows.declarative import interpret
from stageflow.flows.registry import Registry
from stageflow.flows.values import NotStorable, storable

FlowDefLookup = Callable[[str], FlowDef | None]


class FlowNotFound(StageflowError):
    pass


class FlowContractError(StageflowError):
    """A flow returned something other than what its kind promises."""


def run_autolaunched(
    name: str,
    inputs: Mapping[str, Any],
    ctx: FlowContext,
    registry: Registry,
    lookup: FlowDefLookup,
) -> dict[str, Any]:
    python_flow = registry.get(name)
    if python_flow is not None:
        result = python_flow(ctx, dict(inputs))
        if result is None:
            return {}
        if not isinstance(result, Mapping):
            raise FlowContractError(
                f"flow {name!r} returned {type(result).__name__}; an autolaunched "
                "flow returns a dict of outputs or None"
            )
        try:
            return storable(result)
        except NotStorable as exc:
            raise FlowContractError(
                f"flow {name!r} returned output {exc}: return text, numbers, booleans, "
                "dates, lists or dicts of them"
            ) from None
    definition = lookup(name)
    if definition is None:
        raise FlowNotFound(f"no flow named {name!r}: not registered in Python, not deployed")
    return interpret(definition, inputs, ctx)


def run_evaluation(
    name: str, inputs: Mapping[str, Any], ctx: FlowContext, registry: Registry
) -> bool:
    python_flow = registry.get(name)
    if python_flow is None:
        raise FlowNotFound(f"no evaluation flow named {name!r} is registered")
    result = python_flow(ctx, dict(inputs))
    if isinstance(result, Mapping) and "is_condition_met" in result:
        result = result["is_condition_met"]
    if not isinstance(result, bool):
        raise FlowContractError(
            f"evaluation flow {name!r} returned {result!r}; it must return "
            "True or False (is_condition_met)"
        )
    return result
