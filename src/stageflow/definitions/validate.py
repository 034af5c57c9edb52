"""Semantic validation across definitions: collects every problem, with file, line and field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from stageflow.definitions import references
from stageflow.definitions.catalog import FlowKind, FlowSignature, signature_of
from stageflow.definitions.datatypes import compatible, literal_fits, type_name
from stageflow.definitions.loader import Bundle
from stageflow.definitions.model import (
    FINISH,
    AfterSteps,
    AssigneeKind,
    Conditions,
    DataType,
    Decision,
    FlowDef,
    Loc,
    ObjectDef,
    OnFlowFinish,
    Operator,
    Orchestration,
    OrchestrationType,
    Screen,
    ScreenFlow,
    Stage,
    Step,
    StepType,
    WhenConditions,
    WhenEvaluationFlow,
)
from stageflow.errors import Problem

T = TypeVar("T")

RECORD_SYSTEM_FIELDS = frozenset(
    {
        "Id",
        "Name",
        "Object",
        "Owner",
        "CreatedBy",
        "CreatedDate",
        "LastModifiedBy",
        "LastModifiedDate",
    }
)


@dataclass
class Known:
    """What exists outside the folder being validated."""

    flows: Mapping[str, FlowSignature] = field(default_factory=dict)
    objects: Mapping[str, ObjectDef] = field(default_factory=dict)
    orchestrations: frozenset[str] = frozenset()


def validate(bundle: Bundle, known: Known | None = None) -> list[Problem]:
    known = known or Known()
    problems = list(bundle.problems)
    problems += _duplicates(bundle)
    flows: dict[str, FlowSignature] = dict(known.flows)
    flow_defs: list[ScreenFlow | FlowDef] = [*bundle.screen_flows, *bundle.flows]
    for d in flow_defs:
        flows[d.name] = signature_of(d)
    objects = {**known.objects, **{o.name: o for o in bundle.objects}}
    orchestrations = known.orchestrations | {o.name for o in bundle.orchestrations}
    for o in bundle.orchestrations:
        problems += _OrchestrationCheck(o, flows, objects).run()
    for sf in bundle.screen_flows:
        problems += _screen_flow(sf)
    for fd in bundle.flows:
        problems += _flow(fd, orchestrations)
    for obj in bundle.objects:
        problems += _object(obj, objects)
    return sorted(set(problems), key=lambda p: (p.file or "", p.line or 0, p.message))


def _at(loc: Loc, message: str, field_path: str) -> Problem:
    return Problem(message, loc.file, loc.line or None, field_path)


def _duplicates(bundle: Bundle) -> list[Problem]:
    seen: dict[tuple[str, str], str] = {}
    flow_like: dict[str, str] = {}
    out = []
    for src in bundle.sources:
        d = src.definition
        key = (type(d).__name__, d.name)
        if key in seen:
            out.append(
                _at(
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
                out.append(_at(d.loc.at("name"), message, "name"))
            flow_like.setdefault(d.name, src.file)
    return out


def _dupes(names: Iterable[tuple[str, Loc]], what: str, field_name: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for name, loc in names:
        if name in seen:
            out.append(_at(loc, f"duplicate {what} name {name!r}", field_name))
        seen.add(name)
    return out


def _repeated(items: Iterable[tuple[str, T]]) -> list[T]:
    """The items whose name was already seen earlier, in order."""
    seen: set[str] = set()
    out = []
    for name, item in items:
        if name in seen:
            out.append(item)
        seen.add(name)
    return out


class _OrchestrationCheck:
    def __init__(
        self, o: Orchestration, flows: Mapping[str, FlowSignature], objects: Mapping[str, ObjectDef]
    ) -> None:
        self.o = o
        self.flows = flows
        self.objects = objects
        self.problems: list[Problem] = []
        self.node_names = {n.name for n in o.nodes}

    def run(self) -> list[Problem]:
        o = self.o
        for n in _repeated((n.name, n) for n in o.nodes):
            key = "name" if isinstance(n, Stage) else "decision"
            self._add(
                n.loc.at(key),
                f"duplicate stage or decision name {n.name!r}",
                f"stages[{n.name}].{key}",
            )
        repeated_steps = _repeated((s.name, s) for st in o.stages for s in st.steps)
        for st in o.stages:
            for step in st.steps:
                if any(step is r for r in repeated_steps):
                    self._add(
                        step.loc.at("name"),
                        f"duplicate step name {step.name!r}",
                        f"stages[{st.name}].steps[{step.name}].name",
                    )
        self.problems += _dupes(((v.name, v.loc) for v in o.inputs), "input", "inputs")
        if o.trigger is not None:
            if self.objects and o.trigger.object not in self.objects:
                self._add(
                    o.trigger.loc.at("object"),
                    f"unknown object {o.trigger.object!r}",
                    "trigger.object",
                )
            if o.trigger.conditions is not None:
                self._conditions(o.trigger.conditions, "trigger.conditions")
        for node in o.nodes:
            if isinstance(node, Stage):
                self._stage(node)
            else:
                self._decision(node)
        self._reachability()
        return self.problems

    def _add(self, loc: Loc, message: str, field_path: str) -> None:
        self.problems.append(_at(loc, message, field_path))

    # --- graph -------------------------------------------------------------------------------
    def _target(self, target: str | None, loc: Loc, field_path: str, what: str) -> None:
        if target is not None and target not in self.node_names:
            self._add(loc, f"{what} goes to unknown stage {target!r}", field_path)

    def _decision(self, d: Decision) -> None:
        where = f"stages[{d.name}]"
        if not d.outcomes:
            self._add(d.loc, f"decision {d.name!r} has no outcomes", f"{where}.outcomes")
        self.problems += _dupes(
            ((x.name, x.loc) for x in d.outcomes), "outcome", f"{where}.outcomes"
        )
        for out in d.outcomes:
            self._target(
                out.next,
                out.loc.at("next"),
                f"{where}.outcomes[{out.name}].next",
                f"outcome {out.name!r}",
            )
            self._conditions(out.conditions, f"{where}.outcomes[{out.name}].conditions")
        self._target(
            d.default,
            d.loc.at("default"),
            f"{where}.default",
            f"the default of decision {d.name!r}",
        )

    def _successors(self, name: str) -> list[str]:
        node = self.o.node(name)
        if isinstance(node, Decision):
            targets = [x.next for x in node.outcomes] + [node.default]
            return [t for t in targets if t is not None and t in self.node_names]
        nxt = self.o.next_after(node)
        return [nxt] if nxt is not None and nxt in self.node_names else []

    def _reachability(self) -> None:
        if not self.o.nodes:
            return
        seen = {self.o.nodes[0].name}
        todo = [self.o.nodes[0].name]
        while todo:
            for succ in self._successors(todo.pop()):
                if succ not in seen:
                    seen.add(succ)
                    todo.append(succ)
        for node in self.o.nodes:
            if node.name not in seen:
                kind = "stage" if isinstance(node, Stage) else "decision"
                self._add(
                    node.loc, f"{kind} {node.name!r} can never be reached", f"stages[{node.name}]"
                )
        self._decision_loops()

    def _decision_loops(self) -> None:
        """Decisions that lead only to each other would loop forever without a stage between."""
        decisions = {n.name for n in self.o.nodes if isinstance(n, Decision)}
        for start in sorted(decisions):
            trail, node = [start], start
            while True:
                nexts = [s for s in self._successors(node) if s in decisions]
                if len(nexts) != len(self._successors(node)) or not nexts:
                    break  # some way out reaches a stage (or the end)
                node = nexts[0]
                if node in trail:
                    cycle = " -> ".join([*trail[trail.index(node) :], node])
                    first = self.o.node(start)
                    self._add(first.loc, f"decisions lead only to each other: {cycle}",
                              f"stages[{start}]")  # fmt: skip
                    return
                trail.append(node)

    # --- stages and steps ---------------------------------------------------------------------
    def _stage(self, stage: Stage) -> None:
        where = f"stages[{stage.name}]"
        self._target(stage.next, stage.loc.at("next"), f"{where}.next", f"stage {stage.name!r}")
        exit_ = stage.exit
        if isinstance(exit_, WhenConditions):
            self._conditions(exit_.conditions, f"{where}.exit.conditions")
        elif isinstance(exit_, WhenEvaluationFlow):
            self._evaluation(exit_, f"{where}.exit")
        names = {s.name for s in stage.steps}
        for step in stage.steps:
            self._step(step, names, f"{where}.steps[{step.name}]")
        self._cycles(stage, where)

    def _step(self, step: Step, siblings: set[str], where: str) -> None:
        self._step_kind(step, where)
        if step.record is not None:
            self._refs(step.record, step.loc.at("record"), f"{where}.record")
        if step.email.subject:
            self._refs(step.email.subject, step.loc.at("email.subject"), f"{where}.email.subject")
        if step.email.body:
            self._refs(step.email.body, step.loc.at("email.body"), f"{where}.email.body")
        self._step_flow(step, where)
        start = step.start
        if isinstance(start, AfterSteps):
            self._after(step, start, siblings, where)
        for crit, part in ((start, "start"), (step.completion, "completion")):
            if isinstance(crit, WhenConditions):
                self._conditions(crit.conditions, f"{where}.{part}.conditions")
            elif isinstance(crit, WhenEvaluationFlow):
                self._evaluation(crit, f"{where}.{part}")

    def _step_flow(self, step: Step, where: str) -> None:
        """The step's flow exists, is of the kind the step runs, and gets fitting inputs."""
        sig = self.flows.get(step.flow)
        wanted = FlowKind.SCREEN if step.type is StepType.INTERACTIVE else FlowKind.AUTOLAUNCHED
        if sig is None:
            kind = "screen flow" if wanted is FlowKind.SCREEN else "autolaunched flow"
            self._add(step.loc.at("flow"), f"unknown {kind} {step.flow!r}", f"{where}.flow")
        elif sig.kind is not wanted:
            self._add(
                step.loc.at("flow"),
                f"{step.type.value} step needs a {wanted.value} flow; "
                f"{step.flow!r} is {sig.kind.value}",
                f"{where}.flow",
            )
        if sig is not None and sig.kind is wanted:
            self._inputs(step.inputs, sig, step.loc, f"{where}.inputs")
        else:
            for key, value in step.inputs.items():
                self._refs(value, step.loc.at(f"inputs.{key}"), f"{where}.inputs.{key}")

    def _step_kind(self, step: Step, where: str) -> None:
        """What only interactive (assignee) or only background steps (async) have."""
        if step.type is StepType.INTERACTIVE:
            if step.assignee is None:
                self._add(
                    step.loc, f"interactive step {step.name!r} has no assignee", f"{where}.assignee"
                )
            elif step.assignee.kind is AssigneeKind.REF:
                self._refs(step.assignee.value, step.loc.at("assignee"), f"{where}.assignee.ref")
            if step.is_async:
                self._add(
                    step.loc.at("async"), "only background steps can be async", f"{where}.async"
                )
        else:
            if step.assignee is not None:
                self._add(
                    step.loc.at("assignee"),
                    "only interactive steps have an assignee",
                    f"{where}.assignee",
                )
            if not isinstance(step.completion, OnFlowFinish):
                self._add(
                    step.loc.at("completion"),
                    "a background step completes when its flow returns; "
                    "'completion' is for interactive steps",
                    f"{where}.completion",
                )

    def _after(self, step: Step, start: AfterSteps, siblings: set[str], where: str) -> None:
        after = step.loc.at("start.after")
        for dep in start.steps:
            if dep == step.name:
                self._add(
                    after,
                    f"step {step.name!r} cannot start after itself",
                    f"{where}.start.after",
                )
            elif dep not in siblings:
                self._add(
                    after,
                    f"unknown step {dep!r} in 'after' (it must be in the same stage)",
                    f"{where}.start.after",
                )

    def _cycles(self, stage: Stage, where: str) -> None:
        deps = {s.name: s.start.steps for s in stage.steps if isinstance(s.start, AfterSteps)}
        state: dict[str, int] = {}

        def visit(name: str, trail: list[str]) -> list[str] | None:
            if state.get(name) == 1:
                return [*trail[trail.index(name) :], name]
            if state.get(name) == 2 or name not in deps:
                return None
            state[name] = 1
            for dep in deps[name]:
                if dep != name and (cycle := visit(dep, [*trail, name])):
                    return cycle
            state[name] = 2
            return None

        for step in stage.steps:
            cycle = visit(step.name, [])
            if cycle:
                self._add(
                    step.loc.at("start.after"),
                    "steps wait for each other in a cycle: " + " -> ".join(cycle),
                    f"{where}.steps[{step.name}].start.after",
                )
                return

    def _evaluation(self, crit: WhenEvaluationFlow, where: str) -> None:
        sig = self.flows.get(crit.flow)
        if sig is None:
            self._add(
                crit.loc.at("evaluation_flow"),
                f"unknown evaluation flow {crit.flow!r}",
                f"{where}.evaluation_flow",
            )
        elif sig.kind is not FlowKind.EVALUATION:
            self._add(
                crit.loc.at("evaluation_flow"),
                f"{crit.flow!r} is a {sig.kind.value} flow, not an evaluation flow",
                f"{where}.evaluation_flow",
            )
        else:
            self._inputs(crit.inputs, sig, crit.loc, f"{where}.inputs")

    def _inputs(
        self, given: Mapping[str, object], sig: FlowSignature, owner: Loc, where: str
    ) -> None:
        """Check the inputs given to a flow; `owner` is the node holding the `inputs` key."""
        for name, value in given.items():
            loc = owner.at(f"inputs.{name}")
            self._refs(value, loc, f"{where}.{name}")
            param = sig.inputs.get(name)
            if param is None:
                if not sig.accepts_any_input:
                    known = ", ".join(sorted(sig.inputs)) or "none"
                    self._add(
                        loc,
                        f"flow {sig.name!r} has no input {name!r} (its inputs: {known})",
                        f"{where}.{name}",
                    )
                continue
            path = references.parse(value)
            if path is None:
                if not literal_fits(param.type, value):
                    self._add(
                        loc,
                        f"wrong input type: {name!r} of flow {sig.name!r} is "
                        f"{type_name(param.type)}, got {value!r}",
                        f"{where}.{name}",
                    )
            else:
                source = self._type_of(path)
                if source is not None and not compatible(param.type, source):
                    self._add(
                        loc,
                        f"wrong input type: {name!r} of flow {sig.name!r} is "
                        f"{type_name(param.type)}, but {value} is {type_name(source)}",
                        f"{where}.{name}",
                    )
        for name, param in sig.inputs.items():
            if param.required and name not in given:
                self._add(owner.at("inputs"), f"flow {sig.name!r} requires input {name!r}", where)

    # --- references ---------------------------------------------------------------------------
    def _type_of(self, path: references.Path) -> object | None:
        head = path[0]
        if head == references.INPUT and len(path) == 2:
            for v in self.o.inputs:
                if v.name == path[1]:
                    return v.type
        if len(path) == 3 and path[1] == references.OUTPUTS and head in self.o.steps:
            sig = self.flows.get(self.o.steps[head].flow)
            if sig is not None and sig.outputs is not None:
                return sig.outputs.get(path[2])
        if head in (references.RECORD, references.PRIOR) and len(path) == 2:
            obj = self._record_object()
            if obj is not None and path[1] in obj.field_map:
                return obj.field_map[path[1]].type
        return None

    def _record_object(self) -> ObjectDef | None:
        if self.o.trigger is None:
            return None
        return self.objects.get(self.o.trigger.object)

    def _refs(self, value: object, loc: Loc, where: str) -> None:
        for path in references.paths_in(value):
            message = self._ref_problem(path)
            if message:
                self._add(loc, f"{references.text(path)}: {message}", where)

    def _ref_problem(self, path: references.Path) -> str | None:  # noqa: C901
        if not references.well_formed(path):
            return "not a valid reference"
        head, rest = path[0], path[1:]
        o = self.o
        if head in (references.RECORD, references.PRIOR):
            if head == references.PRIOR and o.type is not OrchestrationType.RECORD_TRIGGERED:
                return "$Record__Prior exists only in record-triggered orchestrations"
            if len(rest) != 1:
                return "name one field, like {!$Record.Status}"
            obj = self._record_object()
            if (
                obj is not None
                and rest[0] not in obj.field_map
                and rest[0] not in RECORD_SYSTEM_FIELDS
            ):
                return f"object {obj.name!r} has no field {rest[0]!r}"
            return None
        if head == references.INPUT:
            if len(rest) != 1 or rest[0] not in {v.name for v in o.inputs}:
                return "reference to nothing: no such orchestration input"
            return None
        if head == "$Run":
            return None if rest in (("Id",), ("Name",)) else "use {!$Run.Id} or {!$Run.Name}"
        if head in o.steps:
            if rest == (references.STATUS,):
                return None
            if len(rest) == 2 and rest[0] == references.OUTPUTS:
                sig = self.flows.get(o.steps[head].flow)
                if sig is not None and sig.outputs is not None and rest[1] not in sig.outputs:
                    return f"reference to nothing: flow {sig.name!r} has no output {rest[1]!r}"
                return None
            return f"use {{!{head}.Outputs.name}} or {{!{head}.Status}}"
        if head in self.node_names:
            return None if rest == (references.STATUS,) else f"use {{!{head}.Status}}"
        return "reference to nothing"

    def _conditions(self, conditions: Conditions, where: str) -> None:
        for i, rule in enumerate(conditions.rules, start=1):
            self._refs(rule.left, rule.loc.at("ref"), f"{where}.rules[{i}]")
            self._refs(rule.value, rule.loc.at("value"), f"{where}.rules[{i}].value")
            path = references.parse(rule.left)
            if rule.op is Operator.IS_CHANGED and (
                self.o.type is not OrchestrationType.RECORD_TRIGGERED
                or path is None
                or path[0] != references.RECORD
            ):
                self._add(
                    rule.loc.at("op"),
                    "is_changed applies only to $Record fields of a record-triggered orchestration",
                    f"{where}.rules[{i}].op",
                )


def _screen_flow(sf: ScreenFlow) -> list[Problem]:
    out = _dupes(((f.name, f.loc) for s in sf.screens for f in s.fields), "field", "screens.fields")
    out += _dupes(((s.name, s.loc) for s in sf.screens), "screen", "screens")
    out += _screen_flow_names(sf)
    known = set(sf.variable_names)
    for output in sf.outputs:
        source = sf.assign.get(output.name, output.name)
        if source not in known:
            out.append(
                _at(
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
                _at(
                    sf.loc.at(f"assign.{key}"),
                    f"'assign' names {key!r}, which is not an output",
                    f"assign.{key}",
                )
            )
    out += _validation_refs(sf, known)
    for up in sf.record_updates:
        out += _flow_refs(sf, [up.id, up.values], up.loc, "record_updates")
    out += _screen_paths(sf)
    for screen in sf.screens:
        out += _screen_values(sf, screen)
    return out


def _flow_refs(sf: ScreenFlow, value: object, loc: Loc, where: str) -> list[Problem]:
    """References inside a screen flow name its variables: inputs, fields, assigned variables."""
    out = []
    for path in references.paths_in(value):
        if not references.well_formed(path):
            out.append(_at(loc, f"{references.text(path)}: not a valid reference", where))
        elif path[0] not in sf.variable_names:
            out.append(_at(loc, f"{references.text(path)}: reference to nothing", where))
    return out


def _screen_flow_names(sf: ScreenFlow) -> list[Problem]:
    """One name space for a flow's variables; `finish` is no screen name."""
    out = []
    inputs = {v.name for v in sf.inputs}
    for screen in sf.screens:
        where = f"screens[{screen.name}]"
        if screen.name == FINISH:
            out.append(_at(screen.loc.at("name"), "'finish' is not a screen name", where))
        for f in screen.fields:
            if f.name in inputs:
                out.append(
                    _at(
                        f.loc.at("name"),
                        f"duplicate name {f.name!r}: a field and an input of the flow "
                        "(give the field a default of {!" + f.name + "} instead)",
                        f"{where}.fields[{f.name}].name",
                    )
                )
        for var in screen.assign:
            if var in sf.fields:
                out.append(
                    _at(
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
            out.append(_at(screen.loc, message, f"screens[{screen.name}]"))
    if FINISH not in seen:
        out.append(_at(sf.loc.at("screens"), "the flow can never finish", "screens"))
    return out


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
                _at(o.loc.at("screen"), f"goes to unknown screen {o.screen!r}", f"{at}.screen")
            )
        rules = [[r.left, r.value] for r in o.conditions.rules]
        out += _flow_refs(sf, rules, o.loc.at("conditions"), f"{at}.conditions")
    if nxt.default not in (None, FINISH, *sf.screen_map):
        # `next: Name` keeps no key lines of its own; `next: {default: Name}` does
        field_path = f"{where}.default" if nxt.loc.keys else where
        out.append(
            _at(nxt.loc.at("default"), f"goes to unknown screen {nxt.default!r}", field_path)
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
                out.append(_at(f.loc.at("default"), message, f"{at}.default"))
    outputs = {v.name: v for v in sf.outputs if v.name not in sf.assign}
    for var, value in screen.assign.items():
        loc = screen.loc.at(f"assign.{var}")
        out += _flow_refs(sf, value, loc, f"{where}.assign.{var}")
        output = outputs.get(var)
        literal = references.resolve(value, lambda _path: "")  # a template renders to text
        if output and not references.is_reference(value) and not literal_fits(output.type, literal):
            message = f"output {var!r} is {type_name(output.type)}, but 'assign' gives it {value!r}"
            out.append(_at(loc, message, f"{where}.assign.{var}"))
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
                            _at(
                                rule.loc,
                                f"{references.text(path)}: reference to nothing",
                                f"fields[{f.name}].validation",
                            )
                        )
    return out


def _flow(fd: FlowDef, orchestrations: frozenset[str]) -> list[Problem]:
    out = _dupes(((e.name, e.loc) for e in fd.elements), "element", "elements")
    names = {e.name for e in fd.elements} | {"end"}
    variables = {v.name for v in [*fd.inputs, *fd.outputs]}
    for e in fd.elements:
        cfg = e.config
        variables |= set(cfg) if e.kind.value == "assignment" else set()
        if isinstance(cfg.get("into"), str):
            variables.add(cfg["into"])
    for e in fd.elements:
        where = f"elements[{e.name}]"
        targets = [e.next] + [o.get("next") for o in e.config.get("outcomes", [])]
        targets.append(e.config.get("default") if e.kind.value == "decision" else None)
        for target in targets:
            if target is not None and target not in names:
                out.append(_at(e.loc, f"goes to unknown element {target!r}", f"{where}.next"))
        if e.kind.value == "start_orchestration" and e.config.get("name") not in orchestrations:
            name_loc = e.loc.at("start_orchestration.name")
            out.append(
                _at(name_loc, f"unknown orchestration {e.config.get('name')!r}", f"{where}.name")
            )
        values: list[object] = [v for k, v in e.config.items() if k not in ("outcomes", "into")]
        for o in e.config.get("outcomes", []):
            values += [[r.left, r.value] for r in o["conditions"].rules]
        for path in references.paths_in(values):
            if path[0] not in variables:
                out.append(
                    _at(
                        e.loc,
                        f"{references.text(path)}: reference to nothing (no such variable)",
                        where,
                    )
                )
    return out


def _object(obj: ObjectDef, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    out = _dupes(((f.name, f.loc) for f in obj.fields), "field", "fields")
    for f in obj.fields:
        if f.name in RECORD_SYSTEM_FIELDS:
            out.append(
                _at(f.loc, f"{f.name!r} is a system field of every record", f"fields[{f.name}]")
            )
        if f.lookup is not None and f.lookup not in objects:
            out.append(
                _at(
                    f.loc.at("lookup"),
                    f"lookup to unknown object {f.lookup!r}",
                    f"fields[{f.name}].lookup",
                )
            )
    return out
