"""Screen flows: checking the outputs a finished screen flow hands back to its step.

The screens themselves run in `screen_runtime` (state in `screen_state`, values in
`screen_fields`); this module serves completing a work item with its outputs directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stageflow.definitions.datatypes import literal_fits, type_name
from stageflow.definitions.model import ScreenFlow
from stageflow.errors import InvalidInput, Problem
from stageflow.flows.screen_runtime import RecordWrite, resolve_updates
from stageflow.flows.values import NotStorable, storable


def check_outputs(flow: ScreenFlow, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs as the run keeps them (flows.values), after checking names and types; every
    problem is reported."""
    declared = {v.name: v for v in flow.outputs}
    problems = []
    for name, value in outputs.items():
        var = declared.get(name)
        if var is None:
            known = ", ".join(sorted(declared)) or "none"
            problems.append(
                Problem(
                    f"screen flow {flow.name!r} has no output {name!r} (its outputs: {known})",
                    field=f"outputs.{name}",
                )
            )
        elif value is not None and not literal_fits(var.type, value):
            problems.append(
                Problem(
                    f"output {name!r} is {type_name(var.type)}, got {value!r}",
                    field=f"outputs.{name}",
                )
            )
    problems += _choice_problems(flow, outputs)
    for var in flow.outputs:
        if var.required and outputs.get(var.name) in (None, ""):
            problems.append(
                Problem(f"output {var.name!r} is required", field=f"outputs.{var.name}")
            )
    if problems:
        raise InvalidInput(problems)
    try:
        return storable(outputs)
    except NotStorable as exc:
        raise InvalidInput(Problem(f"output {exc}", field=f"outputs.{exc.name}")) from None


def record_updates(
    flow: ScreenFlow,
    inputs: Mapping[str, Any],
    outputs: Mapping[str, Any],
    variables: Mapping[str, Any] | None = None,
) -> list[RecordWrite]:
    """The record writes a finished screen flow makes: (update, record id, values).

    Completing a work item with outputs only (the API) knows the inputs and the outputs: each
    output stands for its variable (`assign`) too. With `variables` (`Finished.variables` of the
    screen flow runtime) the updates see every flow variable, assigned ones included.
    """
    known: dict[str, Any] = dict(inputs)
    for output, source in flow.assign.items():
        if output in outputs:
            known[source] = outputs[output]
    known.update(outputs)
    if variables is not None:
        known.update(variables)
    return list(resolve_updates(flow, known))


def _choice_problems(flow: ScreenFlow, outputs: Mapping[str, Any]) -> list[Problem]:
    """An output fed by a picklist, radio or multi-select field takes only its choices."""
    out = []
    for var in flow.outputs:
        source = flow.fields.get(flow.assign.get(var.name, var.name))
        value = outputs.get(var.name)
        if source is None or not source.choices or value in (None, ""):
            continue
        chosen = value if isinstance(value, list) else [value]
        bad = [v for v in chosen if v not in source.choices]
        if bad:
            choices = ", ".join(source.choices)
            out.append(
                Problem(
                    f"{bad[0]!r} is not a choice of {var.name!r} ({choices})",
                    field=f"outputs.{var.name}",
                )
            )
    return out
