"""The interpreter of declarative autolaunched flows (`kind: flow`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageflow.definitions import conditions, references
from stageflow.definitions.model import ElementKind, FlowDef, FlowElement
from stageflow.errors import StageflowError
from stageflow.flows.context import FlowContext

MAX_ELEMENTS_RUN = 10_000


class FlowRuntimeError(StageflowError):
    pass


def interpret(definition: FlowDef, inputs: Mapping[str, Any], ctx: FlowContext) -> dict[str, Any]:
    variables: dict[str, Any] = {
        v.name: v.default for v in [*definition.inputs, *definition.outputs]
    }
    variables.update(inputs)
    for v in definition.inputs:
        if v.required and variables.get(v.name) is None:
            raise FlowRuntimeError(f"flow {definition.name!r} needs input {v.name!r}")
    index = {e.name: i for i, e in enumerate(definition.elements)}
    i, ran = 0, 0
    while 0 <= i < len(definition.elements):
        ran += 1
        if ran > MAX_ELEMENTS_RUN:
            raise FlowRuntimeError(
                f"flow {definition.name!r} ran {MAX_ELEMENTS_RUN} elements: a loop?"
            )
        element = definition.elements[i]
        target = _run(element, variables, ctx) or element.next
        if target == "end":
            break
        i = index[target] if target is not None else i + 1
    return {v.name: variables.get(v.name) for v in definition.outputs}


def _resolver(variables: dict[str, Any]) -> references.Resolver:
    def resolve(path: references.Path) -> Any:
        value = variables.get(path[0])
        for part in path[1:]:
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    return resolve


def _run(e: FlowElement, variables: dict[str, Any], ctx: FlowContext) -> str | None:
    """Run one element; returns the element to jump to, if it says."""
    resolve = _resolver(variables)
    cfg = e.config

    def value(key: str) -> Any:
        return references.resolve(cfg.get(key), resolve)

    def values(key: str) -> dict[str, Any]:
        return {k: references.resolve(v, resolve) for k, v in (cfg.get(key) or {}).items()}

    match e.kind:
        case ElementKind.ASSIGNMENT:
            variables.update({k: references.resolve(v, resolve) for k, v in cfg.items()})
        case ElementKind.DECISION:
            return _decide(cfg, resolve)
        case ElementKind.GET_RECORD:
            variables[cfg["into"]] = ctx.records.get(cfg["object"], str(value("id")))
        case ElementKind.CREATE_RECORD:
            _into(variables, cfg, ctx.records.create(cfg["object"], values("values")))
        case ElementKind.UPDATE_RECORD:
            ctx.records.update(cfg["object"], str(value("id")), values("values"))
        case ElementKind.START_ORCHESTRATION:
            record = value("record")
            run_id = ctx.start_orchestration(
                cfg["name"], values("inputs"), None if record is None else str(record)
            )
            _into(variables, cfg, run_id)
    return None


def _decide(cfg: Mapping[str, Any], resolve: references.Resolver) -> str | None:
    for outcome in cfg["outcomes"]:
        if conditions.holds(outcome["conditions"], resolve):
            return outcome.get("next")  # type: ignore[no-any-return]
    return cfg.get("default")


def _into(variables: dict[str, Any], cfg: Mapping[str, Any], value: Any) -> None:
    if cfg.get("into"):
        variables[cfg["into"]] = value
