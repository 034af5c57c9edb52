"""Python flows, registered with decorators in the modules a project names in stageflow.toml."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from stageflow.definitions.catalog import FlowKind, FlowSignature, Param
from stageflow.definitions.model import DataType
from stageflow.errors import ConfigurationError, Problem

F = TypeVar("F", bound=Callable[..., Any])

_TYPES: dict[Any, DataType] = {
    str: DataType.TEXT,
    int: DataType.NUMBER,
    float: DataType.NUMBER,
    Decimal: DataType.NUMBER,
    bool: DataType.CHECKBOX,
    date: DataType.DATE,
    datetime: DataType.DATETIME,
    list: DataType.MULTI_SELECT,
}


@dataclass(frozen=True)
class PythonFlow:
    name: str
    kind: FlowKind
    func: Callable[..., Any]
    signature: FlowSignature

    def __call__(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        return self.func(ctx, **inputs)


class Registry:
    def __init__(self) -> None:
        self._flows: dict[str, PythonFlow] = {}

    def add(self, flow: PythonFlow) -> None:
        old = self._flows.get(flow.name)
        if old is not None and _origin(old.func) != _origin(flow.func):
            raise ConfigurationError(
                Problem(
                    f"two Python flows are named {flow.name!r}: "
                    f"{_origin(old.func)} and {_origin(flow.func)}"
                )
            )
        self._flows[flow.name] = flow

    def get(self, name: str) -> PythonFlow | None:
        return self._flows.get(name)

    def signatures(self) -> dict[str, FlowSignature]:
        return {name: f.signature for name, f in self._flows.items()}

    def origins(self) -> dict[str, str]:
        """Each flow's name and the function that is it (`module.function`)."""
        return {name: _origin(f.func) for name, f in self._flows.items()}

    def names(self) -> list[str]:
        return sorted(self._flows)


REGISTRY = Registry()


def _origin(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _signature(
    name: str, kind: FlowKind, func: Callable[..., Any], outputs: dict[str, str] | None
) -> FlowSignature:
    params = list(inspect.signature(func).parameters.values())
    if not params:
        raise ConfigurationError(
            Problem(f"flow {name!r} must take the flow context as first argument")
        )
    hints = get_type_hints(func)
    inputs: dict[str, Param] = {}
    accepts_any = False
    for p in params[1:]:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_any = True
            continue
        inputs[p.name] = Param(
            _TYPES.get(hints.get(p.name), DataType.ANY), p.default is inspect.Parameter.empty
        )
    declared = None
    if outputs is not None:
        declared = {k: DataType(v) for k, v in outputs.items()}
    return FlowSignature(name, kind, inputs, accepts_any, declared)


def flow(
    name: str | None = None,
    *,
    outputs: dict[str, str] | None = None,
    registry: Registry | None = None,
) -> Callable[[F], F]:
    """Register an autolaunched flow: `def f(ctx, **inputs) -> dict | None` (its outputs).

    `outputs` optionally declares output names and types, so deploy can check references.
    """

    def register(func: F) -> F:
        flow_name = name or func.__name__
        sig = _signature(flow_name, FlowKind.AUTOLAUNCHED, func, outputs)
        (registry or REGISTRY).add(PythonFlow(flow_name, FlowKind.AUTOLAUNCHED, func, sig))
        return func

    return register


def evaluation_flow(
    name: str | None = None, *, registry: Registry | None = None
) -> Callable[[F], F]:
    """Register an evaluation flow: `def f(ctx, **inputs) -> bool` (is_condition_met)."""

    def register(func: F) -> F:
        flow_name = name or func.__name__
        sig = _signature(flow_name, FlowKind.EVALUATION, func, None)
        (registry or REGISTRY).add(PythonFlow(flow_name, FlowKind.EVALUATION, func, sig))
        return func

    return register


def import_modules(root: Path | str | None, modules: Iterable[str]) -> None:
    """Import the flow modules of a project (their decorators fill the registry)."""
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:  # an import error in user code: report which module and why
            raise ConfigurationError(
                Problem(
                    f"cannot import flow module {module!r} (from {root}): "
                    f"{type(exc).__name__}: {exc}"
                )
            ) from exc
