"""Validation of screen flows, declarative flows and objects."""

from collections.abc import Mapping

from stageflow.definitions import references
from stageflow.definitions.datatypes import literal_fits, type_name
from stageflow.definitions.model import (
    FINISH,
    DataType,
    ElementKind,
    FlowDef,
    FlowElement,
    Loc,
    ObjectDef,
    Screen,
    ScreenFlow,
)
from stageflow.definitions.validate_common import RECORD_SYSTEM_FIELDS, dupes, problem_at
from stageflow.definitions.validate_records import flow_element, screen_flow_updates
from stageflow.errors import Problem


def screen_flow(sf: ScreenFlow, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    out = dupes(((f.name, f.loc) for s in sf.screens for f in s.fields), "field", "screens.fields")
    out += dupes(((s.name, s.loc) for s in sf.screens), "screen", "screens")
    out += _screen_flow_names(sf)
    known = set(sf.variable_names)
    for output in sf.outputs:
        source = sf.assign.get(output.name, output.name)
        if source not in known:
            out.append(
                problem_at(
                    output.loc,
                    f"output {output.name!r} takes its value from {source!r}, "
                    "which is no screen field or input, nor a variable set by 'assign'",
                    f"outputs[{output.name}]",
                )
            )
    outputs = {v.name for v in sf.outputs}
    for key in sf.assign:
        if key not in outputs:
            out.append(
                problem_at(
                    sf.loc.at(f"assign.{key}"),
                    f"'assign' names {key!r}, which is not an output",
                    f"assign.{key}",
                )
            )
    out += _validation_refs(sf, known)
    for up in sf.record_updates:
        out += _flow_refs(sf, [up.id, up.values], up.loc, "record_updates")
    out += screen_flow_updates(sf, objects)
    out += _screen_paths(sf)
    out += _unset_outputs(sf)
    for screen in sf.screens:
        out += _screen_values(sf, screen)
    return out


def _flow_refs(sf: ScreenFlow, value: object, loc: Loc, where: str) -> list[Problem]:
    """References inside a screen flow name its variables: inputs, fields, assigned variables."""
    out = []
    for path in references.paths_in(value):
        if not references.well_formed(path):
            out.append(problem_at(loc, f"{references.text(path)}: not a valid reference", where))
        elif path[0] not in sf.variable_names:
            out.append(problem_at(loc, f"{references.text(path)}: reference to nothing", where))
    return out


def _screen_flow_names(sf: ScreenFlow) -> list[Problem]:
    """One name space for a flow's variables; `finish` is no screen name."""
    out = []
    inputs = {v.name for v in sf.inputs}
    for screen in sf.screens:
        where = f"screens[{screen.name}]"
        if screen.name == FINISH:
            out.append(problem_at(screen.loc.at("name"), "'finish' is not a screen name", where))
        for f in screen.fields:
            if f.name in inputs:
                out.append(
                    problem_at(
                        f.loc.at("name"),
                        f"duplicate name {f.name!r}: a field and an input of the flow "
                        "(give the field a default of {!" + f.name + "} instead)",
                        f"{where}.fields[{f.name}].name",
                    )
                )
        for var in screen.assign:
            if var in sf.fields:
                out.append(
                    problem_at(
                        screen.loc.at(f"assign.{var}"),
                        f"'assign' sets {var!r}, which is a screen field; "
                        "assign to an input or a variable of its own",
                        f"{where}.assign.{var}",
                    )
                )
    return out


def _screen_paths(sf: ScreenFlow) -> list[Problem]:
    """Where screens go: known screens only; every screen reachable; the flow can finish."""
    out = [p for screen in sf.screens for p in _screen_next(sf, screen)]
    if not sf.screens:
        return out
    seen = {sf.screens[0].name}
    todo = [sf.screens[0]]
    while todo:
        for target in sf.targets(todo.pop()):
            if target not in seen:
                seen.add(target)
                if target in sf.screen_map:
                    todo.append(sf.screen_map[target])
    for screen in sf.screens:
        if screen.name not in seen:
            message = f"screen {screen.name!r} can never be reached"
            out.append(problem_at(screen.loc, message, f"screens[{screen.name}]"))
    if FINISH not in seen:
        out.append(problem_at(sf.loc.at("screens"), "the flow can never finish", "screens"))
    return out


def _unset_outputs(sf: ScreenFlow) -> list[Problem]:
    """A required output must get its value on every way to finish: on a way that shows no
    field of that name and assigns none, the assignee could never finish (the flow would say
    the output has no value, with nothing on screen to give it)."""
    inputs = {v.name for v in sf.inputs}
    out = []
    for output in sf.outputs:
        source = sf.assign.get(output.name, output.name)
        if not output.required or source in inputs or not sf.screens:
            continue
        way = _way_to_finish_without(sf, source)
        if way is not None:
            message = (
                f"required output {output.name!r} gets no value on the way "
                f"{' -> '.join([*way, FINISH])}: no screen on it has a field {source!r} "
                "or assigns it, so the flow could not finish that way"
            )
            out.append(problem_at(output.loc, message, f"outputs[{output.name}]"))
    return out


def _way_to_finish_without(sf: ScreenFlow, variable: str) -> list[str] | None:
    """Screens from the first to finish none of which sets `variable`; None if there is none."""

    def sets(screen: Screen) -> bool:
        return variable in screen.assign or any(f.name == variable for f in screen.input_fields)

    first = sf.screens[0]
    if sets(first):
        return None
    came_from: dict[str, str | None] = {first.name: None}
    todo = [first]
    while todo:
        screen = todo.pop(0)
        for target in sf.targets(screen):
            if target in came_from:
                continue
            if target == FINISH:
                way: list[str] = []
                at: str | None = screen.name
                while at is not None:
                    way.append(at)
                    at = came_from[at]
                return way[::-1]
            nxt = sf.screen_map.get(target)
            if nxt is not None and not sets(nxt):
                came_from[target] = screen.name
                todo.append(nxt)
    return None


def _screen_next(sf: ScreenFlow, screen: Screen) -> list[Problem]:
    nxt = screen.next
    if nxt is None:
        return []
    out = []
    where = f"screens[{screen.name}].next"
    for i, o in enumerate(nxt.outcomes):
        at = f"{where}.outcomes[{o.name or i}]"
        if o.screen != FINISH and o.screen not in sf.screen_map:
            out.append(
                problem_at(
                    o.loc.at("screen"), f"goes to unknown screen {o.screen!r}", f"{at}.screen"
                )
            )
        rules = [[r.left, r.value] for r in o.conditions.rules]
        out += _flow_refs(sf, rules, o.loc.at("conditions"), f"{at}.conditions")
    if nxt.default not in (None, FINISH, *sf.screen_map):
        # `next: Name` keeps no key lines of its own; `next: {default: Name}` does
        field_path = f"{where}.default" if nxt.loc.keys else where
        out.append(
            problem_at(nxt.loc.at("default"), f"goes to unknown screen {nxt.default!r}", field_path)
        )
    return out


def _screen_values(sf: ScreenFlow, screen: Screen) -> list[Problem]:
    """References and literals of one screen: display text, defaults, assignments."""
    out = []
    where = f"screens[{screen.name}]"
    for f in screen.fields:
        at = f"{where}.fields[{f.name}]"
        if f.type is DataType.DISPLAY_TEXT:
            out += _flow_refs(sf, f.label, f.loc.at("label"), f"{at}.label")
        elif references.paths_in(f.default):
            out += _flow_refs(sf, f.default, f.loc.at("default"), f"{at}.default")
        elif f.default is not None:
            message = _default_problem(f.type, f.choices, f.default)
            if message:
                out.append(problem_at(f.loc.at("default"), message, f"{at}.default"))
    outputs = {v.name: v for v in sf.outputs if v.name not in sf.assign}
    for var, value in screen.assign.items():
        loc = screen.loc.at(f"assign.{var}")
        out += _flow_refs(sf, value, loc, f"{where}.assign.{var}")
        output = outputs.get(var)
        literal = references.resolve(value, lambda _path: "")  # a template renders to text
        if output and not references.is_reference(value) and not literal_fits(output.type, literal):
            message = f"output {var!r} is {type_name(output.type)}, but 'assign' gives it {value!r}"
            out.append(problem_at(loc, message, f"{where}.assign.{var}"))
    return out


def _default_problem(kind: DataType, choices: tuple[str, ...], default: object) -> str | None:
    if not literal_fits(kind, default):
        return f"default {default!r} does not fit a {type_name(kind)} field"
    chosen = default if isinstance(default, list) else [default]
    if choices and any(str(c) not in choices for c in chosen):
        return f"default {default!r} is not among the choices ({', '.join(choices)})"
    return None


def _validation_refs(sf: ScreenFlow, known: set[str]) -> list[Problem]:
    """References in field validations name inputs or screen fields of the flow."""
    out = []
    for f in sf.fields.values():
        if f.validation is not None:
            for rule in f.validation.condition.rules:
                for path in references.paths_in([rule.left, rule.value]):
                    if path[0] not in known:
                        out.append(
                            problem_at(
                                rule.loc,
                                f"{references.text(path)}: reference to nothing",
                                f"fields[{f.name}].validation",
                            )
                        )
    return out


def flow(
    fd: FlowDef, orchestrations: frozenset[str], objects: Mapping[str, ObjectDef]
) -> list[Problem]:
    out = dupes(((e.name, e.loc) for e in fd.elements), "element", "elements")
    names = {e.name for e in fd.elements} | {"end"}
    variables = {v.name for v in [*fd.inputs, *fd.outputs]}
    for e in fd.elements:
        cfg = e.config
        variables |= set(cfg) if e.kind.value == "assignment" else set()
        if isinstance(cfg.get("into"), str):
            variables.add(cfg["into"])
    for e in fd.elements:
        where = f"elements[{e.name}]"
        out += flow_element(e, objects)
        for target, loc, at in _targets(e):
            if target is not None and target not in names:
                out.append(problem_at(loc, f"goes to unknown element {target!r}", at))
        name = e.config.get("name")  # None when the loader refused it
        if (
            e.kind.value == "start_orchestration"
            and name is not None
            and name not in orchestrations
        ):
            name_loc = e.loc.at("start_orchestration.name")
            out.append(
                problem_at(
                    name_loc, f"unknown orchestration {e.config.get('name')!r}", f"{where}.name"
                )
            )
        values: list[object] = [v for k, v in e.config.items() if k not in ("outcomes", "into")]
        for o in e.config.get("outcomes", []):
            values += [[r.left, r.value] for r in o["conditions"].rules]
        for path in references.paths_in(values):
            if path[0] not in variables:
                out.append(
                    problem_at(
                        e.loc,
                        f"{references.text(path)}: reference to nothing (no such variable)",
                        where,
                    )
                )
    return out


def _targets(e: FlowElement) -> list[tuple[str | None, Loc, str]]:
    """Where an element can go: (element name, where that is written, field)."""
    where = f"elements[{e.name}]"
    out = [(e.next, e.loc.at("next"), f"{where}.next")]
    for o in e.config.get("outcomes", []) if e.kind is ElementKind.DECISION else []:
        at = f"{where}.decision.outcomes[{o['name']}].next"
        out.append((o["next"], o["loc"].at("next"), at))
    if e.kind is ElementKind.DECISION:
        out.append(
            (e.config.get("default"), e.loc.at("decision.default"), f"{where}.decision.default")
        )
    return out


def object_def(obj: ObjectDef, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    out = dupes(((f.name, f.loc) for f in obj.fields), "field", "fields")
    for f in obj.fields:
        if f.name in RECORD_SYSTEM_FIELDS:
            out.append(
                problem_at(
                    f.loc, f"{f.name!r} is a system field of every record", f"fields[{f.name}]"
                )
            )
        if f.lookup is not None and f.lookup not in objects:
            out.append(
                problem_at(
                    f.loc.at("lookup"),
                    f"lookup to unknown object {f.lookup!r}",
                    f"fields[{f.name}].lookup",
                )
            )
    return out
