"""Validation of one orchestration: graph, steps, flows, inputs, references, conditions."""

from collections.abc import Mapping
from dataclasses import replace

from stageflow.definitions import references
from stageflow.definitions.catalog import FlowKind, FlowSignature
from stageflow.definitions.conditions import check_value
from stageflow.definitions.datatypes import compatible, literal_fits, type_name
from stageflow.definitions.model import (
    AfterSteps,
    AssigneeKind,
    Conditions,
    DataType,
    Decision,
    Loc,
    ObjectDef,
    OnFlowFinish,
    Operator,
    Orchestration,
    OrchestrationType,
    Rule,
    Stage,
    Step,
    StepType,
    WhenConditions,
    WhenEvaluationFlow,
)
from stageflow.definitions.run_order import RunOrder, Scope
from stageflow.definitions.stage_graph import StageGraph
from stageflow.definitions.validate_common import RECORD_SYSTEM_FIELDS, dupes, problem_at, repeated
from stageflow.errors import Problem


class OrchestrationCheck:
    def __init__(
        self, o: Orchestration, flows: Mapping[str, FlowSignature], objects: Mapping[str, ObjectDef]
    ) -> None:
        self.o = o
        self.flows = flows
        self.objects = objects
        self.problems: list[Problem] = []
        self.node_names = {n.name for n in o.nodes}
        self.graph = StageGraph(o)
        self.order = RunOrder(o, self.graph.successors)
        self.scope = Scope(None)  # where the references being checked are read

    def run(self) -> list[Problem]:
        o = self.o
        for n in repeated((n.name, n) for n in o.nodes):
            key = "name" if isinstance(n, Stage) else "decision"
            self._add(
                n.loc.at(key),
                f"duplicate stage or decision name {n.name!r}",
                f"stages[{n.name}].{key}",
            )
        repeated_steps = repeated((s.name, s) for st in o.stages for s in st.steps)
        for st in o.stages:
            for step in st.steps:
                if any(step is r for r in repeated_steps):
                    self._add(
                        step.loc.at("name"),
                        f"duplicate step name {step.name!r}",
                        f"stages[{st.name}].steps[{step.name}].name",
                    )
        self.problems += dupes(((v.name, v.loc) for v in o.inputs), "input", "inputs")
        if o.type is OrchestrationType.RECORD_TRIGGERED:
            self._trigger_inputs()
        if o.trigger is not None:
            if self.objects and o.trigger.object not in self.objects:
                self._add(
                    o.trigger.loc.at("object"),
                    f"unknown object {o.trigger.object!r}",
                    "trigger.object",
                )
            if o.trigger.conditions is not None:
                self.scope = Scope(None)
                self._conditions(o.trigger.conditions, "trigger.conditions")
        for node in o.nodes:
            if isinstance(node, Stage):
                self._stage(node)
            else:
                self._decision(node)
        self.problems += self.graph.problems()
        return self.problems

    def _trigger_inputs(self) -> None:
        """A trigger starts a run with no inputs: a required one without a default would refuse
        every start."""
        for v in self.o.inputs:
            if v.required and v.default is None:
                self._add(
                    v.loc.at("required"),
                    f"input {v.name!r} is required, but a record-triggered orchestration starts "
                    "with no inputs: give it a default or make it optional",
                    f"inputs[{v.name}].required",
                )

    def _add(self, loc: Loc, message: str, field_path: str) -> None:
        self.problems.append(problem_at(loc, message, field_path))

    # --- graph -------------------------------------------------------------------------------
    def _target(self, target: str | None, loc: Loc, field_path: str, what: str) -> None:
        if target is not None and target not in self.node_names:
            self._add(loc, f"{what} goes to unknown stage {target!r}", field_path)

    def _decision(self, d: Decision) -> None:
        where = f"stages[{d.name}]"
        self.scope = Scope(d.name)
        if not d.outcomes:
            self._add(d.loc, f"decision {d.name!r} has no outcomes", f"{where}.outcomes")
        self.problems += dupes(
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

    # --- stages and steps ---------------------------------------------------------------------
    def _stage(self, stage: Stage) -> None:
        where = f"stages[{stage.name}]"
        self._target(stage.next, stage.loc.at("next"), f"{where}.next", f"stage {stage.name!r}")
        exit_ = stage.exit
        self.scope = Scope(stage.name, waits=True)
        if isinstance(exit_, WhenConditions):
            self._conditions(exit_.conditions, f"{where}.exit.conditions")
        elif isinstance(exit_, WhenEvaluationFlow):
            self._evaluation(exit_, f"{where}.exit")
        names = {s.name for s in stage.steps}
        for step in stage.steps:
            self._step(step, names, f"{where}.steps[{step.name}]")
        self._cycles(stage, where)

    def _step(self, step: Step, siblings: set[str], where: str) -> None:
        # what is read once, as the step starts: a step started by conditions or an evaluation
        # flow may start after any sibling completed, so it may read any sibling's outputs
        waits = isinstance(step.start, WhenConditions | WhenEvaluationFlow)
        self.scope = Scope(self.scope.node, step.name, waits)
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
        self.scope = replace(self.scope, waits=True)
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
                return self.order.not_run(head, self.scope)
            return f"use {{!{head}.Outputs.name}} or {{!{head}.Status}}"
        if head in self.node_names:
            return None if rest == (references.STATUS,) else f"use {{!{head}.Status}}"
        return "reference to nothing"

    def _conditions(self, conditions: Conditions, where: str) -> None:
        for i, rule in enumerate(conditions.rules, start=1):
            self._refs(rule.left, rule.loc.at("ref"), f"{where}.rules[{i}]")
            self._refs(rule.value, rule.loc.at("value"), f"{where}.rules[{i}].value")
            path = references.parse(rule.left)
            self._rule_value(rule, path, f"{where}.rules[{i}].value")
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

    def _rule_value(self, rule: Rule, path: references.Path | None, where: str) -> None:
        """A literal the field's type can never compare with: the condition would never hold."""
        kind = None if path is None else self._type_of(path)
        if not isinstance(kind, DataType) or references.paths_in(rule.value):
            return
        field = None
        if path is not None and path[0] in (references.RECORD, references.PRIOR):
            obj = self._record_object()
            field = obj.field_map.get(path[1]) if obj is not None else None
        choices = field.choices if field is not None else ()
        message = check_value(rule.op, kind, choices, rule.value)
        if message:
            self._add(
                rule.loc.at("value"),
                f"{rule.left} is {type_name(kind)}: {message}, so the condition never holds",
                where,
            )
