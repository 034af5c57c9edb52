"""What validation needs to know about flows that are not YAML in the folder being checked:
Python flows from the registry and definitions deployed earlier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from stageflow.definitions.model import DataType, FlowDef, ScreenFlow, Variable


class FlowKind(StrEnum):
    AUTOLAUNCHED = "autolaunched"
    EVALUATION = "evaluation"
    SCREEN = "screen"


@dataclass(frozen=True)
class Param:
    type: DataType = DataType.ANY
    required: bool = False


@dataclass(frozen=True)
class FlowSignature:
    name: str
    kind: FlowKind
    inputs: Mapping[str, Param] = field(default_factory=dict)
    accepts_any_input: bool = False  # a Python flow with **kwargs
    outputs: Mapping[str, DataType] | None = None  # None: not declared, any name accepted


def _params(variables: tuple[Variable, ...]) -> dict[str, Param]:
    return {v.name: Param(v.type, v.required) for v in variables}


def signature_of(definition: ScreenFlow | FlowDef) -> FlowSignature:
    kind = FlowKind.SCREEN if isinstance(definition, ScreenFlow) else FlowKind.AUTOLAUNCHED
    return FlowSignature(
        definition.name,
        kind,
        _params(definition.inputs),
        outputs={v.name: v.type for v in definition.outputs},
    )
