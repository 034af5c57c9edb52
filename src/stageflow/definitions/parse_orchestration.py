"""`kind: orchestration` YAML -> Orchestration."""

from __future__ import annotations

from typing import Any

from stageflow.definitions.model import (
    AfterSteps,
    AllStepsComplete,
    Assignee,
    AssigneeKind,
    CompletionCriterion,
    Conditions,
    Decision,
    EmailSettings,
    ExitCriterion,
    Node,
    OnFlowFinish,
    OnStageStart,
    Orchestration,
    OrchestrationType,
    Outcome,
    Stage,
    StartCriterion,
    Step,
    StepType,
    Trigger,
    TriggerWhen,
    WhenConditions,
    WhenEvaluationFlow,
)
from stageflow.definitions.parse_common import (
    api_name,
    conditions,
    label,
    reference_text,
    target,
    variables,
)
from stageflow.definitions.source import LocDict, Reader

_TOP = {"stageflow", "kind", "name", "label", "description", "type", "trigger", "inputs", "stages"}
_STAGE = {"name", "label", "steps", "exit", "next", "description"}
_DECISION = {"decision", "label", "outcomes", "default", "description"}
_STEP = {
    "name", "label", "type", "flow", "async", "inputs", "start", "completion", "assignee",
    "record", "email", "description", "retries",
}  # fmt: skip


def parse(r: Reader, doc: LocDict) -> Orchestration:
    r.only_keys(doc, _TOP)
    name = api_name(r, doc)
    kind = r.choice(doc, "type", OrchestrationType, OrchestrationType.AUTOLAUNCHED)
    if "type" not in doc:
        r.problem("missing required key 'type' (record_triggered or autolaunched)", doc, "type")
    trigger = None
    if kind is OrchestrationType.RECORD_TRIGGERED:
        with r.at("trigger"):
            trigger = _trigger(r, doc)
    elif "trigger" in doc:
        r.problem("only a record_triggered orchestration has a 'trigger'", doc, "trigger")
    nodes: list[Node] = []
    with r.at("stages"):
        raw_nodes = r.sequence(doc, "stages", required=True)
        if "stages" in doc and not raw_nodes:
            r.problem("an orchestration needs at least one stage", doc, "stages")
        for i, raw in enumerate(raw_nodes):
            with r.at(i):
                node = r.mapping(raw, "a stage or decision")
                if node is not None:
                    nodes.append(_decision(r, node) if "decision" in node else _stage(r, node))
    return Orchestration(
        name=name,
        label=label(r, doc, name),
        type=kind,
        nodes=tuple(nodes),
        inputs=variables(r, doc, "inputs"),
        trigger=trigger,
        description=r.text(doc, "description"),
        loc=r.loc(doc),
    )


def _trigger(r: Reader, doc: LocDict) -> Trigger | None:
    if "trigger" not in doc:
        r.problem("a record_triggered orchestration needs a 'trigger'", doc, "trigger")
        return None
    node = r.mapping(doc["trigger"], "trigger")
    if node is None:
        return None
    r.only_keys(node, {"object", "when", "conditions", "only_when_changed_to_meet"})
    conds = None
    if "conditions" in node:
        with r.at("conditions"):
            conds = conditions(r, node["conditions"])
    return Trigger(
        object=r.text(node, "object", required=True),
        when=r.choice(node, "when", TriggerWhen, TriggerWhen.CREATED_OR_UPDATED),
        conditions=conds,
        only_when_changed_to_meet=r.flag(node, "only_when_changed_to_meet"),
        loc=r.loc(node),
    )


def _stage(r: Reader, node: LocDict) -> Stage:
    r.only_keys(node, _STAGE)
    name = api_name(r, node)
    steps: list[Step] = []
    with r.at("steps"):
        raw_steps = r.sequence(node, "steps", required=True)
        if "steps" in node and not raw_steps:
            r.problem(f"stage {name!r} has no steps", node, "steps")
        for i, raw in enumerate(raw_steps):
            with r.at(i):
                step_node = r.mapping(raw, "a step")
                if step_node is not None:
                    steps.append(_step(r, step_node))
    exit_: ExitCriterion = AllStepsComplete()
    if "exit" in node:
        with r.at("exit"):
            exit_ = _criterion(r, node["exit"], "all_steps_complete", AllStepsComplete())
    nxt = target(r, node, "next", "a stage or decision name")
    return Stage(
        name=name,
        label=label(r, node, name),
        steps=tuple(steps),
        exit=exit_,
        next=nxt,
        loc=r.loc(node),
    )


def _step(r: Reader, node: LocDict) -> Step:
    r.only_keys(node, _STEP)
    name = api_name(r, node)
    kind = r.choice(node, "type", StepType, StepType.BACKGROUND)
    if "type" not in node:
        r.problem("missing required key 'type' (background or interactive)", node, "type")
    start: StartCriterion = OnStageStart()
    if "start" in node:
        with r.at("start"):
            start = _criterion(r, node["start"], "stage_start", OnStageStart(), allow_after=True)
    completion: CompletionCriterion = OnFlowFinish()
    if "completion" in node:
        with r.at("completion"):
            completion = _criterion(r, node["completion"], "flow_finish", OnFlowFinish())
    inputs = node.get("inputs") or {}
    if not isinstance(inputs, dict):
        r.problem("'inputs' must be a mapping of flow input name to value", node, "inputs")
        inputs = {}
    record = node.get("record")
    if record is not None:
        record = reference_text(r, node, "record", record)
    return Step(
        name=name,
        label=label(r, node, name),
        type=kind,
        flow=r.text(node, "flow", required=True),
        is_async=r.flag(node, "async"),
        inputs=dict(inputs),
        start=start,
        completion=completion,
        assignee=_assignee(r, node),
        record=record,
        email=_email(r, node),
        retries=_retries(r, node),
        loc=r.loc(node),
    )


def _retries(r: Reader, node: LocDict) -> int:
    value = node.get("retries", 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        r.problem("'retries' must be a whole number from 0 to 100", node, "retries")
        return 0
    if value and not node.get("async"):
        r.problem(
            "'retries' applies to asynchronous background steps (async: true)", node, "retries"
        )
        return 0
    return value


def _criterion(
    r: Reader, raw: Any, default_word: str, default: Any, allow_after: bool = False
) -> Any:
    node = r.mapping(raw, "a criterion")
    if node is None:
        return default
    allowed = {"when", "conditions", "evaluation_flow", "inputs"} | (
        {"after"} if allow_after else set()
    )
    r.only_keys(node, allowed)
    chosen = [k for k in ("when", "after", "conditions", "evaluation_flow") if k in node]
    if len(chosen) != 1:
        options = ", ".join(sorted(allowed - {"inputs"}))
        r.problem(f"give exactly one of: {options}", node)
        return default
    key = chosen[0]
    if key == "when":
        if node["when"] != default_word:
            r.problem(f"'when' can only be {default_word!r} here", node, "when")
        return default
    if key == "after":
        after = node["after"]
        if isinstance(after, str):
            after = [after]
        if not isinstance(after, list) or not after:
            r.problem("'after' must list one or more step names", node, "after")
            return default
        return AfterSteps(tuple(str(a) for a in after))
    if key == "conditions":
        with r.at("conditions"):
            return WhenConditions(conditions(r, node["conditions"]))
    inputs = node.get("inputs") or {}
    if not isinstance(inputs, dict):
        r.problem("'inputs' must be a mapping", node, "inputs")
        inputs = {}
    return WhenEvaluationFlow(str(node["evaluation_flow"]), dict(inputs), r.loc(node))


def _assignee(r: Reader, node: LocDict) -> Assignee | None:
    raw = node.get("assignee")
    if raw is None:
        return None
    with r.at("assignee"):
        a = r.mapping(raw, "an assignee ({user: u} | {group: g} | {queue: q} | {ref: ...})")
        if a is None:
            return None
        if len(a) != 1 or next(iter(a)) not in {k.value for k in AssigneeKind}:
            r.problem("an assignee is exactly one of: user, group, queue, ref", a)
            return None
        kind, value = next(iter(a.items()))
        if kind == "ref" and reference_text(r, a, "ref", value) is None:
            return None
        return Assignee(AssigneeKind(kind), str(value))


def _email(r: Reader, node: LocDict) -> EmailSettings:
    raw = node.get("email")
    if raw is None:
        return EmailSettings()
    with r.at("email"):
        e = r.mapping(raw, "email settings")
        if e is None:
            return EmailSettings()
        r.only_keys(e, {"send", "subject", "body"})
        subject = r.text(e, "subject") or None
        body = r.text(e, "body") or None
        return EmailSettings(r.flag(e, "send", True), subject, body)


def _decision(r: Reader, node: LocDict) -> Decision:
    r.only_keys(node, _DECISION)
    name = api_name(r, node, "decision")
    outcomes: list[Outcome] = []
    with r.at("outcomes"):
        raw_outcomes = r.sequence(node, "outcomes", required=True)
        for i, raw in enumerate(raw_outcomes):
            with r.at(i):
                o = r.mapping(raw, "an outcome")
                if o is None:
                    continue
                r.only_keys(o, {"name", "label", "conditions", "next"})
                oname = api_name(r, o)
                conds = Conditions(())
                if "conditions" not in o:
                    r.problem("an outcome needs 'conditions'", o, "conditions")
                else:
                    with r.at("conditions"):
                        conds = conditions(r, o["conditions"])
                nxt = target(r, o, "next", "a stage or decision name")
                outcomes.append(
                    Outcome(
                        oname,
                        conds,
                        nxt,
                        label(r, o, oname),
                        r.loc(o),
                    )
                )
    return Decision(
        name=name,
        outcomes=tuple(outcomes),
        default=target(r, node, "default", "a stage or decision name"),
        label=label(r, node, name),
        loc=r.loc(node),
    )
