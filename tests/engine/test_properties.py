"""Property tests: random event sequences, drawn from what is currently possible, driven through
`apply` on a few orchestration shapes. After every event the named invariants hold, the run given
to `apply` is unchanged, every status change is a logged row of the transition table, stale and
duplicate answers change nothing, and nothing runs after a run has finished."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from stageflow.definitions.model import Assignee, AssigneeKind, Operator, Orchestration
from stageflow.engine import invariants
from stageflow.engine.commands import Command, Evaluate, RunFlow
from stageflow.engine.events import (
    CancelRun,
    CompleteWorkItem,
    EvaluationFailed,
    EvaluationResult,
    Event,
    ReassignWorkItem,
    Reevaluate,
    ResumeRun,
    StartRun,
    StepFailed,
    StepFinished,
    SuspendRun,
)
from stageflow.engine.state import ErrorInfo, Principal, Run
from stageflow.engine.statuses import RUN_TERMINAL, STEP_ACTIVE, RunStatus, WorkItemStatus
from stageflow.engine.transitions import apply
from stageflow.errors import InvalidInput, TransitionNotAllowed
from tests.engine.builders import (
    T0,
    background,
    conds,
    decision,
    evaluation,
    fresh,
    interactive,
    log_problems,
    orchestration,
    outcome,
    rule,
    snapshot,
    stage,
    status_is,
    when,
)

# The example's shape: triage, a decision, a stage of concurrent, `after` and evaluation-flow
# steps with custom-logic exit conditions, and a closing stage.
CASE = orchestration(
    stage(
        "Triage",
        interactive(
            "Triage_Case",
            assignee=Assignee(AssigneeKind.QUEUE, "Support_Triage"),
            record="{!$Record.Id}",
            inputs={"recordId": "{!$Record.Id}"},
        ),
    ),
    decision(
        "Route",
        outcome(
            "Needs_Survey",
            conds(
                rule("{!Triage_Case.Outputs.priority}", Operator.EQUALS, "High"),
                rule("{!Triage_Case.Outputs.priority}", Operator.EQUALS, "Medium"),
                logic="or",
            ),
            "Customer_QA_Survey",
        ),
        default="Close",
    ),
    stage(
        "Customer_QA_Survey",
        background("Get_Customer_Email", inputs={"caseId": "{!$Record.Id}"}),
        background(
            "Notify_Customer",
            is_async=True,
            after=["Get_Customer_Email"],
            inputs={"email": "{!Get_Customer_Email.Outputs.email}"},
        ),
        interactive("Technical_Roof_Review", assignee=Assignee(AssigneeKind.GROUP, "Roofers")),
        interactive(
            "Technical_Electro_Review",
            assignee=Assignee(AssigneeKind.GROUP, "Electricians"),
            start=evaluation("Needs_Electro_Review", caseId="{!$Record.Id}"),
        ),
        exit=when(
            status_is("Notify_Customer", "Completed"),
            status_is("Technical_Roof_Review", "Completed"),
            status_is("Technical_Electro_Review", "Completed"),
            rule("{!$Record.Category}", Operator.EQUALS, "Roof"),
            logic="1 AND 2 AND (3 OR 4)",
        ),
    ),
    stage("Close", background("Close_Case", inputs={"summary": "{!Triage_Case.Outputs.comments}"})),
)

# Decisions that loop back to earlier stages; completion and exit by evaluation flow; an
# assignee taken from a step's outputs (which may resolve to nothing).
LOOPING = orchestration(
    stage(
        "Draft",
        interactive("Write"),
        background("Check", after=["Write"], inputs={"text": "{!Write.Outputs.text}"}),
    ),
    decision(
        "Review",
        outcome("Again", conds(rule("{!Check.Outputs.redo}", Operator.EQUALS, True)), "Draft"),
        outcome("Big", conds(rule("{!Check.Outputs.amount}", Operator.GREATER_THAN, 1000)), "Sign"),
        default="Publish",
    ),
    stage(
        "Sign",
        interactive("Sign_Off", completion=evaluation("Is_Signed")),
        background("Audit", start=when(rule("{!Check.Outputs.amount}", "greater_than", 1500))),
        exit=evaluation("Is_Approved"),
    ),
    stage(
        "Publish",
        background("Post", is_async=True),
        interactive(
            "Confirm",
            assignee=Assignee(AssigneeKind.REF, "{!Check.Outputs.owner}"),
            completion=when(status_is("Post", "Completed")),
        ),
    ),
    decision(
        "Reopen", outcome("Yes", conds(rule("{!Post.Outputs.redo}", "equals", True)), "Draft")
    ),
)

# Start conditions on outputs and on the record, completion by conditions, exit conditions.
GATES = orchestration(
    stage(
        "Gate",
        background("Quote"),
        interactive(
            "Sign_Off",
            start=when(rule("{!Quote.Outputs.amount}", Operator.GREATER_THAN, 1000)),
            completion=when(status_is("Verify", "Completed")),
        ),
        background("Verify", after=["Quote"]),
        background("Escalate", start=when(rule("{!$Record.Status}", "equals", "Escalated"))),
        exit=when(
            status_is("Verify", "Completed"),
            status_is("Sign_Off", "Completed"),
            rule("{!Quote.Outputs.amount}", Operator.LESS_OR_EQUAL, 1000),
            logic="1 AND (2 OR 3)",
        ),
    ),
    stage("Wrap", background("Archive")),
)

SHAPES = {"case": CASE, "looping": LOOPING, "gates": GATES}

OUTPUTS = st.fixed_dictionaries(
    {
        "priority": st.sampled_from(["High", "Medium", "Low"]),
        "amount": st.integers(0, 2000),
        "redo": st.booleans(),
        "owner": st.sampled_from(["user:bob", "group:Roofers", "", "boss:x"]),
        "email": st.just("pat@example.com"),
    },
    optional={"comments": st.sampled_from(["fine", ""]), "text": st.text(max_size=3)},
)
RECORDS = st.fixed_dictionaries(
    {
        "Category": st.sampled_from(["Roof", "Roof_and_Electrical"]),
        "Status": st.sampled_from(["New", "Escalated"]),
    }
)
ERROR = ErrorInfo("flow raised", "Traceback (most recent call last): ...")
SUPERVISOR = "sam"
Draw = Callable[..., Any]  # st.DataObject.draw or a composite's draw


def _live_flows(run: Run, commands: list[Command]) -> list[RunFlow]:
    return [
        c
        for c in commands
        if isinstance(c, RunFlow)
        and run.steps[c.step].attempt == c.attempt
        and run.steps[c.step].status in STEP_ACTIVE
    ]


def _live_evaluations(run: Run, commands: list[Command]) -> list[Evaluate]:
    return [
        c
        for c in commands
        if isinstance(c, Evaluate)
        and c.epoch == run.epoch
        and run.evaluations.get(c.key, 0) is None
    ]


def _draw_event(draw: Draw, run: Run, commands: list[Command]) -> tuple[Run, Event]:
    """What could happen next: mostly answers to what the engine asked for and work done by
    people; sometimes a supervisor's action, a record change, or a stale or duplicate answer.
    Returns the run as the caller would pass it (a record change is loaded first)."""
    flows, evals = _live_flows(run, commands), _live_evaluations(run, commands)
    items = run.open_work_items()
    kinds = ["stale_flow", "stale_eval", "closed_item", "reevaluate", "record", "reassign"]
    kinds += ["cancel", "suspend", "resume", "resume", "start"]
    kinds += ["start"] * 10 if run.status is RunStatus.NOT_STARTED else []
    kinds += ["finish"] * 6 + ["fail"] if flows else []
    kinds += ["answer"] * 6 + ["eval_fail"] if evals else []
    kinds += ["complete"] * 6 if items else []
    kind = draw(st.sampled_from(kinds), label="kind")
    match kind:
        case "finish" | "fail":
            c = draw(st.sampled_from(flows), label="flow")
            if kind == "fail":
                return run, StepFailed(c.step, c.attempt, ERROR)
            return run, StepFinished(c.step, c.attempt, draw(OUTPUTS, label="outputs"))
        case "answer" | "eval_fail":
            e = draw(st.sampled_from(evals), label="evaluation")
            if kind == "eval_fail":
                return run, EvaluationFailed(e.key, e.epoch, ERROR)
            return run, EvaluationResult(e.key, e.epoch, draw(st.booleans(), label="value"))
        case "complete":
            item = draw(st.sampled_from(items), label="item")
            outputs = draw(OUTPUTS, label="outputs")
            return run, CompleteWorkItem(item.id, "alice", outputs)
        case "stale_flow":
            step = draw(st.sampled_from(sorted(run.steps)), label="step")
            attempt = draw(st.integers(0, 4), label="attempt")
            if draw(st.booleans(), label="fails"):
                return run, StepFailed(step, attempt, ERROR)
            return run, StepFinished(step, attempt, draw(OUTPUTS, label="outputs"))
        case "stale_eval":
            asked = [c for c in commands if isinstance(c, Evaluate)]
            key = draw(st.sampled_from([c.key for c in asked] or ["exit:Nowhere"]), label="key")
            epoch = draw(st.integers(0, run.epoch + 1), label="epoch")
            return run, EvaluationResult(key, epoch, draw(st.booleans(), label="value"))
        case "closed_item" | "reassign":
            ids = [*sorted(run.work_items), "no-such-item"]
            item_id = draw(st.sampled_from(ids), label="item")
            if kind == "reassign":
                return run, ReassignWorkItem(item_id, Principal.parse("user:carol"), SUPERVISOR)
            return run, CompleteWorkItem(item_id, "alice", {})
        case "record":
            return replace(run, record=draw(RECORDS, label="record")), Reevaluate()
        case "reevaluate":
            return run, Reevaluate()
        case "cancel":
            return run, CancelRun(SUPERVISOR)
        case "suspend":
            return run, SuspendRun(SUPERVISOR)
        case "resume":
            return run, ResumeRun(SUPERVISOR)
        case _:
            return run, StartRun()


def _is_stale(run: Run, event: Event) -> bool:
    """An answer to a question no longer asked: it must change nothing."""
    match event:
        case StepFinished() | StepFailed():
            step = run.steps.get(event.step)
            if step is None or step.attempt != event.attempt or step.status not in STEP_ACTIVE:
                return True
            # No flow result completes an interactive step: its work item does.
            return isinstance(event, StepFinished) and step.work_item is not None
        case EvaluationResult() | EvaluationFailed():
            return event.epoch != run.epoch or run.evaluations.get(event.key, 0) is not None
        case _:
            return False


# What the store writes of a work item once it exists (store.runs `_item_changes`): the rest
# must never change, or the stored row would no longer match the run.
_ITEM_FIELDS_AN_EVENT_CHANGES = {
    "status", "assignee", "modified_at", "modified_by", "completed_by", "completed_at",
}  # fmt: skip


def _fixed_item_fields_changed(before: Run, after: Run) -> list[str]:
    return [
        f"{item_id}.{f.name}"
        for item_id, old in before.work_items.items()
        for f in fields(old)
        if f.name not in _ITEM_FIELDS_AN_EVENT_CHANGES
        and getattr(old, f.name) != getattr(after.work_items[item_id], f.name)
    ]


def _check_one_event(run: Run, event: Event, now: datetime) -> tuple[Run, tuple[Command, ...]]:
    before = snapshot(run)
    try:
        result = apply(run, event, now)
    except (TransitionNotAllowed, InvalidInput):
        assert snapshot(run) == before, "a refused event changed the run"
        return run, ()
    assert snapshot(run) == before, "apply mutated the run it was given"
    assert invariants.violations(result.run) == [], event
    assert log_problems(run, result) == [], event
    assert _fixed_item_fields_changed(run, result.run) == [], event
    if _is_stale(run, event):
        assert result.run is run
        assert (result.log, result.commands) == ((), ())
    if run.status in RUN_TERMINAL:  # nothing runs after a run has finished
        assert (result.log, result.commands) == ((), ())
        assert result.run.status is run.status
    if isinstance(event, CompleteWorkItem):  # only while the run is in progress (not suspended)
        assert run.status is RunStatus.IN_PROGRESS
        assert result.run.work_items[event.work_item].status is WorkItemStatus.COMPLETED
    for c in result.commands:
        if isinstance(c, RunFlow):  # only flows of steps that are running, at their attempt
            assert result.run.steps[c.step].attempt == c.attempt
            assert result.run.steps[c.step].status in STEP_ACTIVE
    return result.run, result.commands


def _drive(orch: Orchestration, draw: Draw) -> Run:
    """A run of `orch` through up to 40 random events, each checked."""
    run = fresh(orch, record=draw(RECORDS, label="record"))
    commands: list[Command] = []
    now = T0
    for _ in range(draw(st.integers(1, 40), label="length")):
        run, event = _draw_event(draw, run, commands)
        now += timedelta(seconds=1)
        run, asked = _check_one_event(run, event, now)
        commands += asked
    return run


@st.composite
def driven_runs(draw: Draw, orch: Orchestration) -> Run:
    return _drive(orch, draw)


@pytest.mark.parametrize("shape", list(SHAPES))
@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_events_keep_every_invariant(shape: str, data: st.DataObject) -> None:
    _drive(SHAPES[shape], data.draw)


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("end", [RunStatus.COMPLETED, RunStatus.ERROR, RunStatus.CANCELED])
def test_the_random_runs_reach_every_end(shape: str, end: RunStatus) -> None:
    """A guard on the generator: the property above sees runs finish, fail and be canceled."""
    found = find(
        driven_runs(SHAPES[shape]),
        lambda run: run.status is end,
        settings=settings(
            max_examples=1000,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            derandomize=True,  # the same runs each time: a guard must not be flaky
        ),
    )
    assert found.status is end
