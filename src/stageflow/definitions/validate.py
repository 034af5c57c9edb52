"""Semantic validation across definitions: collects every problem, with file, line and field."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stageflow.definitions.catalog import FlowSignature, signature_of
from stageflow.definitions.loader import Bundle
from stageflow.definitions.model import (
    FlowDef,
    ObjectDef,
    Orchestration,
    ScreenFlow,
)
from stageflow.definitions.validate_common import RECORD_SYSTEM_FIELDS, problem_at
from stageflow.definitions.validate_flows import flow, object_def, screen_flow
from stageflow.definitions.validate_orchestration import OrchestrationCheck
from stageflow.errors import Problem

__all__ = [
    "RECORD_SYSTEM_FIELDS",
    "Dependent",
    "Known",
    "dependents",
    "deployed_problems",
    "validate",
]


@dataclass
class Known:
    """What exists outside the folder being validated."""

    flows: Mapping[str, FlowSignature] = field(default_factory=dict)
    objects: Mapping[str, ObjectDef] = field(default_factory=dict)
    orchestrations: frozenset[str] = frozenset()
    # the Python flows among `flows`, with the function each is (`module.function`)
    python_flows: Mapping[str, str] = field(default_factory=dict)


def validate(bundle: Bundle, known: Known | None = None) -> list[Problem]:
    known = known or Known()
    problems = list(bundle.problems)
    problems += _duplicates(bundle)
    problems += _python_twins(bundle, known)
    flows, objects = _after(bundle, known)
    orchestrations = known.orchestrations | {o.name for o in bundle.orchestrations}
    for o in bundle.orchestrations:
        problems += OrchestrationCheck(o, flows, objects).run()
    for sf in bundle.screen_flows:
        problems += screen_flow(sf, objects)
    for fd in bundle.flows:
        problems += flow(fd, orchestrations, objects)
    for obj in bundle.objects:
        problems += object_def(obj, objects)
    return sorted(set(problems), key=lambda p: (p.file or "", p.line or 0, p.message))


def _after(bundle: Bundle, known: Known) -> tuple[dict[str, FlowSignature], dict[str, ObjectDef]]:
    """The flows and objects there are once the bundle is deployed: its own replace the known."""
    flows: dict[str, FlowSignature] = dict(known.flows)
    flow_defs: list[ScreenFlow | FlowDef] = [*bundle.screen_flows, *bundle.flows]
    for d in flow_defs:
        flows[d.name] = signature_of(d)
    return flows, {**known.objects, **{o.name: o for o in bundle.objects}}


# The deployed definitions a deploy can break; not objects: their lookups name objects, and a
# deploy takes none away
Dependent = Orchestration | ScreenFlow | FlowDef


def dependents(
    bundle: Bundle, known: Known, deployed: Sequence[tuple[Dependent, int]]
) -> list[Problem]:
    """What deploying the bundle would break in the deployed orchestrations and flows (with
    their version) it does not replace: a flow given a new required input, an output taken
    away, a field an orchestration reads or a flow writes taken away...

    Only problems the bundle brings are reported: one a definition has against what is
    deployed already (a check added since it was deployed) is not this deploy's doing, even when
    its wording changes with the bundle (a picklist's choices it lists), so problems are told
    apart by where they are, not by their message.
    """
    flows, objects = _after(bundle, known)
    if flows == known.flows and objects == known.objects:
        return []
    orchestrations = known.orchestrations | {o.name for o in bundle.orchestrations}
    replaced = _replaced(bundle, known)
    out = []
    for d, version in deployed:
        if (isinstance(d, Orchestration), d.name) in replaced:
            continue
        before = {_where(p) for p in _check(d, known.flows, known.objects, orchestrations)}
        for p in _check(d, flows, objects, orchestrations):
            if _where(p) not in before:
                out.append(_blamed(d, version, p))
    return out


Where = tuple[str, str, int, str | None, int | None, str | None]


def deployed_problems(
    known: Known, deployed: Sequence[tuple[Dependent, int]]
) -> dict[Where, Problem]:
    """Every problem of the deployed definitions (with their version) against `known`, blamed on
    each, by where it is: an activation compares them before and after, and refuses what is
    new (as a deploy refuses what it would break)."""
    out: dict[Where, Problem] = {}
    for d, version in deployed:
        for p in _check(d, known.flows, known.objects, known.orchestrations):
            out[(type(d).__name__, d.name, version, *_where(p))] = _blamed(d, version, p)
    return out


def _replaced(bundle: Bundle, known: Known) -> set[tuple[bool, str]]:
    """(is an orchestration, name) of the deployed definitions that will not be used: those the
    bundle deploys again, and YAML flows a Python flow of the same name runs in place of."""
    out = {(True, o.name) for o in bundle.orchestrations}
    flow_defs: list[ScreenFlow | FlowDef] = [*bundle.screen_flows, *bundle.flows]
    out |= {(False, d.name) for d in flow_defs}
    return out | {(False, name) for name in known.python_flows}


def _check(
    d: Dependent,
    flows: Mapping[str, FlowSignature],
    objects: Mapping[str, ObjectDef],
    orchestrations: frozenset[str],
) -> list[Problem]:
    if isinstance(d, Orchestration):
        return OrchestrationCheck(d, flows, objects).run()
    if isinstance(d, ScreenFlow):
        return screen_flow(d, objects)
    return flow(d, orchestrations, objects)


def _blamed(d: Dependent, version: int, p: Problem) -> Problem:
    """A problem of a deployed definition, named by its version: the file it was deployed from
    is no file of the folder being deployed (and may be gone); its line is one of that
    version's text."""
    kind = {Orchestration: "orchestration", ScreenFlow: "screen flow", FlowDef: "flow"}[type(d)]
    at = f" (line {p.line})" if p.line else ""
    message = f"deployed {kind} {d.name!r} v{version}{at} would break: {p.message}"
    return Problem(message, field=p.field)


def _where(p: Problem) -> tuple[str | None, int | None, str | None]:
    return p.file, p.line, p.field


def _python_twins(bundle: Bundle, known: Known) -> list[Problem]:
    """A YAML flow named as a Python flow: the Python one would run, the YAML one never."""
    flow_defs: list[ScreenFlow | FlowDef] = [*bundle.screen_flows, *bundle.flows]
    return [
        problem_at(
            d.loc.at("name"),
            f"duplicate flow name {d.name!r}: also the Python flow {known.python_flows[d.name]}",
            "name",
        )
        for d in flow_defs
        if d.name in known.python_flows
    ]


def _duplicates(bundle: Bundle) -> list[Problem]:
    seen: dict[tuple[str, str], str] = {}
    flow_like: dict[str, str] = {}
    out = []
    for src in bundle.sources:
        d = src.definition
        key = (type(d).__name__, d.name)
        if key in seen:
            out.append(
                problem_at(
                    d.loc.at("name"),
                    f"duplicate name {d.name!r}: also defined in {seen[key]}",
                    "name",
                )
            )
        else:
            seen[key] = src.file
        if isinstance(d, ScreenFlow | FlowDef):
            if d.name in flow_like and seen.get(key) == src.file:
                message = f"duplicate flow name {d.name!r}: also defined in {flow_like[d.name]}"
                out.append(problem_at(d.loc.at("name"), message, "name"))
            flow_like.setdefault(d.name, src.file)
    return out
