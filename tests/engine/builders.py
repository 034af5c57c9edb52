"""Small builders for orchestrations and a driver that feeds events to the pure engine.

Orchestrations are built straight from the definition model's dataclasses; the driver keeps the
current snapshot, a ticking clock and every command the engine has asked for, and checks after
each event that the named invariants hold, that the input snapshot was not mutated and that every
status change is in the decision's log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from stageflow.definitions.model import (
    AfterSteps,
    Assignee,
    AssigneeKind,
    CompletionCriterion,
    Conditions,
    Decision,
    ExitCriterion,
    Node,
    OnFlowFinish,
    OnStageStart,
    Operator,
    Orchestration,
    OrchestrationType,
    Outcome,
    Rule,
    Stage,
    StartCriterion,
    Step,
    StepType,
    WhenConditions,
    WhenEvaluationFlow,
)
from stageflow.engine import invariants, rules
from stageflow.engine.commands import Command, Evaluate, LogEntry, RunFlow
from stageflow.engine.events import (
    CompleteWorkItem,
    EvaluationResult,
    Event,
    StartRun,
    StepFailed,
    StepFinished,
)
from stageflow.engine.state import ErrorInfo, Run, StageRun, StepRun, WorkItem
from stageflow.engine.transitions import Decision as EngineDecision
from stageflow.engine.transitions import apply, new_run

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
RUN_ID = "run-1"
RECORD_ID = "case-1"
ALICE = Assignee(AssigneeKind.USER, "alice")

# --- definitions ------------------------------------------------------------------------------


def rule(left: str, op: Operator | str, value: Any = None) -> Rule:
    return Rule(left, Operator(op), value)


def conds(*rows: Rule, logic: str = "and") -> Conditions:
    return Conditions(tuple(rows), logic)


def when(*rows: Rule, logic: str = "and") -> WhenConditions:
    return WhenConditions(conds(*rows, logic=logic))


def status_is(step: str, status: str) -> Rule:
    return rule("{!" + step + ".Status}", Operator.EQUALS, status)


def evaluation(flow: str, **inputs: Any) -> WhenEvaluationFlow:
    return WhenEvaluationFlow(flow, inputs)


def background(
    name: str,
    *,
    after: Iterable[str] = (),
    start: StartCriterion | None = None,
    is_async: bool = False,
    inputs: Mapping[str, Any] | None = None,
    flow: str | None = None,
) -> Step:
    after = tuple(after)
    return Step(
        name=name,
        label=name.replace("_", " "),
        type=StepType.BACKGROUND,
        flow=flow or f"{name}_Flow",
        is_async=is_async,
        inputs=dict(inputs or {}),
        start=start or (AfterSteps(after) if after else OnStageStart()),
    )


def interactive(
    name: str,
    *,
    assignee: Assignee | None = ALICE,
    after: Iterable[str] = (),
    start: StartCriterion | None = None,
    completion: CompletionCriterion | None = None,
    record: str | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> Step:
    after = tuple(after)
    return Step(
        name=name,
        label=name.replace("_", " "),
        type=StepType.INTERACTIVE,
        flow=f"{name}_Screen",
        inputs=dict(inputs or {}),
        start=start or (AfterSteps(after) if after else OnStageStart()),
        completion=completion or OnFlowFinish(),
        assignee=assignee,
        record=record,
    )


def stage(
    name: str, *steps: Step, exit: ExitCriterion | None = None, next: str | None = None
) -> Stage:
    if exit is None:
        return Stage(name, name.replace("_", " "), tuple(steps), next=next)
    return Stage(name, name.replace("_", " "), tuple(steps), exit=exit, next=next)


def outcome(name: str, conditions: Conditions, next: str | None) -> Outcome:
    return Outcome(name, conditions, next)


def decision(name: str, *outcomes: Outcome, default: str | None = None) -> Decision:
    return Decision(name, tuple(outcomes), default)


def orchestration(*nodes: Node, name: str = "Test_Orchestration") -> Orchestration:
    return Orchestration(name, name.replace("_", " "), OrchestrationType.AUTOLAUNCHED, nodes)


def fresh(
    orch: Orchestration,
    *,
    record: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> Run:
    return new_run(
        run_id=RUN_ID,
        name=f"{orch.name}-1",
        orchestration=orch,
        version=1,
        now=T0,
        by="admin",
        inputs=inputs,
        record_id=RECORD_ID,
        record=dict(record) if record is not None else {"Status": "New"},
    )


# --- checking a decision ----------------------------------------------------------------------


def snapshot(value: Any) -> Any:
    """A plain, comparable copy of a run (its definition left out): equal before and after
    `apply` exactly when `apply` did not mutate it."""
    if isinstance(value, Run):
        return {
            f.name: snapshot(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "orchestration"
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: snapshot(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [snapshot(v) for v in value]
    return value


def statuses(run: Run) -> dict[tuple[str, str], str]:
    """(object type, name) -> status of the run, every stage, step and work item."""
    out = {("run", run.name): run.status.value}
    out.update({("stage", n): s.status.value for n, s in run.stages.items()})
    out.update({("step", n): s.status.value for n, s in run.steps.items()})
    out.update({("work_item", i): w.status.value for i, w in run.work_items.items()})
    return out


def transitions(log: Iterable[LogEntry]) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (e.object_type, e.object_name, e.from_status, e.to_status)
        for e in log
        if e.object_type in rules.TABLES and e.to_status is not None
    ]


def log_problems(before: Run, decision: EngineDecision) -> list[str]:
    """Each status change between `before` and the decision's run must be a chain of log
    entries from the old status to the new one, and each logged move must be in the table."""
    problems = []
    chains: dict[tuple[str, str], list[tuple[str | None, str | None]]] = {}
    for kind, name, old, new in transitions(decision.log):
        chains.setdefault((kind, name), []).append((old, new))
        if old is not None and not any(
            t.source.value == old and t.target.value == new for t in rules.TABLES[kind]
        ):
            problems.append(f"{kind} {name}: {old} -> {new} is not in the transition table")
    was, now = statuses(before), statuses(decision.run)
    for key, status in now.items():
        chain = chains.get(key, [])
        old = was.get(key)
        if old == status and not chain:
            continue
        if not chain:
            problems.append(f"{key}: {old} -> {status} is not in the log")
            continue
        path = [chain[0][0]] + [b for _, b in chain]
        if any(chain[i][1] != chain[i + 1][0] for i in range(len(chain) - 1)):
            problems.append(f"{key}: the log's moves do not follow each other: {chain}")
        if path[0] != old or path[-1] != status:
            problems.append(f"{key}: logged {path[0]} .. {path[-1]}, but was {old}, is {status}")
    return problems


# --- driving a run ----------------------------------------------------------------------------


class Driver:
    """Feeds events to `apply`, one second apart, checking every decision."""

    def __init__(self, orch: Orchestration, **kwargs: Any) -> None:
        self.run = fresh(orch, **kwargs)
        self.now = T0
        self.commands: list[Command] = []
        self.log: list[LogEntry] = []  # every decision's log, in order
        self.last = EngineDecision(self.run)

    def apply(self, event: Event) -> EngineDecision:
        self.now += timedelta(seconds=1)
        before = snapshot(self.run)
        decision = apply(self.run, event, self.now)
        assert snapshot(self.run) == before, "apply mutated the run it was given"
        assert invariants.violations(decision.run) == []
        assert log_problems(self.run, decision) == []
        self.run, self.last = decision.run, decision
        self.commands += decision.commands
        self.log += decision.log
        return decision

    # shortcuts for the events tests send most
    def start(self) -> EngineDecision:
        return self.apply(StartRun(by="admin"))

    def finish(self, step: str, **outputs: Any) -> EngineDecision:
        return self.apply(StepFinished(step, self.run.steps[step].attempt, outputs))

    def fail(self, step: str, message: str = "boom") -> EngineDecision:
        error = ErrorInfo(message, f'Traceback:\n  File "flows.py"\nRuntimeError: {message}')
        return self.apply(StepFailed(step, self.run.steps[step].attempt, error))

    def complete(self, step: str, by: str = "alice", **outputs: Any) -> EngineDecision:
        return self.apply(CompleteWorkItem(self.item(step).id, by, outputs))

    def answer(self, key: str, value: bool) -> EngineDecision:
        return self.apply(EvaluationResult(key, self.evaluate(key).epoch, value))

    # looking at the run
    def step(self, name: str) -> StepRun:
        return self.run.steps[name]

    def stage(self, name: str) -> StageRun:
        return self.run.stages[name]

    def item(self, step: str) -> WorkItem:
        item_id = self.run.steps[step].work_item
        assert item_id is not None, f"{step} has no work item"
        return self.run.work_items[item_id]

    def step_statuses(self) -> dict[str, str]:
        return {n: s.status.value for n, s in self.run.steps.items()}

    def run_flow(self, step: str) -> RunFlow:
        """The latest RunFlow asked for `step`."""
        found = [c for c in self.commands if isinstance(c, RunFlow) and c.step == step]
        assert found, f"no RunFlow for {step}"
        return found[-1]

    def evaluate(self, key: str) -> Evaluate:
        """The latest Evaluate asked for `key`."""
        found = [c for c in self.commands if isinstance(c, Evaluate) and c.key == key]
        assert found, f"no Evaluate for {key}"
        return found[-1]
