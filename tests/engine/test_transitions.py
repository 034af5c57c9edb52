"""Every status transition of SPEC section 4, at run, stage, step and work item level, driven
through the pure engine with real events. The driver (builders.Driver) also checks, after each
event, the named invariants, that the input snapshot was not mutated, and that each status
change is in the decision's log."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from stageflow.definitions.model import Assignee, AssigneeKind, Operator, Orchestration
from stageflow.engine.commands import Evaluate, RunFlow
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
from stageflow.engine.state import ErrorInfo, Principal
from stageflow.engine.transitions import apply
from stageflow.errors import InvalidInput, TransitionNotAllowed
from tests.engine.builders import (
    RECORD_ID,
    RUN_ID,
    Driver,
    background,
    conds,
    decision,
    evaluation,
    interactive,
    orchestration,
    outcome,
    rule,
    snapshot,
    stage,
    status_is,
    transitions,
    when,
)

SUPERVISOR = "sam"

# One stage with two steps at stage start (background and interactive), one after the first.
REVIEW = orchestration(
    stage(
        "Review",
        background("Fetch", inputs={"caseId": "{!$Record.Id}"}),
        interactive("Approve", inputs={"recordId": "{!$Record.Id}"}),
        background("Notify", after=["Fetch"], inputs={"email": "{!Fetch.Outputs.email}"}),
    ),
    stage("Close", background("Archive")),
)


def started(orch: Orchestration = REVIEW, **kwargs: Any) -> Driver:
    d = Driver(orch, **kwargs)
    d.start()
    return d


def refused(d: Driver, event: Event, error: type[Exception] = TransitionNotAllowed) -> None:
    """`event` is refused with `error` and the run is unchanged."""
    before = snapshot(d.run)
    with pytest.raises(error):
        apply(d.run, event, d.now)
    assert snapshot(d.run) == before


def ignored(d: Driver, event: Event) -> None:
    """`event` is accepted but changes nothing: no log, no command, the same snapshot back."""
    result = d.apply(event)
    assert (result.log, result.commands) == ((), ())
    assert result.run is d.run


# --- start ------------------------------------------------------------------------------------


def test_start_puts_run_first_stage_and_stage_start_steps_in_progress() -> None:
    d = Driver(REVIEW)
    assert d.run.status == "NotStarted"
    assert {s.status for s in d.run.steps.values()} == {"NotStarted"}

    result = d.start()

    assert d.run.status == "InProgress"
    assert d.run.current == "Review"
    assert [(n, s.status.value) for n, s in d.run.stages.items()] == [
        ("Review", "InProgress"),
        ("Close", "NotStarted"),
    ]
    assert d.step_statuses() == {
        "Fetch": "InProgress",
        "Approve": "InProgress",
        "Notify": "NotStarted",  # waits for Fetch
        "Archive": "NotStarted",
    }
    assert d.step("Fetch").attempt == 1
    assert d.step("Fetch").started_at == d.now
    moves = transitions(result.log)
    assert moves[:2] == [
        ("run", d.run.name, "NotStarted", "InProgress"),
        ("stage", "Review", "NotStarted", "InProgress"),
    ]
    assert ("step", "Fetch", "NotStarted", "InProgress") in moves
    assert ("step", "Approve", "NotStarted", "InProgress") in moves
    assert {e.actor for e in result.log} == {"admin"}
    assert {e.at for e in result.log} == {d.now}


def test_start_asks_to_run_the_background_flow_with_its_inputs() -> None:
    d = Driver(REVIEW)
    result = d.start()
    assert result.commands == (
        RunFlow(RUN_ID, "Fetch", 1, "Fetch_Flow", {"caseId": RECORD_ID}, is_async=False),
    )


def test_start_assigns_a_work_item_for_an_interactive_step() -> None:
    d = started()
    item = d.item("Approve")
    assert item.status == "Assigned"
    assert item.assignee == Principal(AssigneeKind.USER, "alice")
    assert item.name == "Approve"  # the step's label
    assert (item.step, item.run_id, item.record_id) == ("Approve", RUN_ID, RECORD_ID)
    assert item.flow == "Approve_Screen"
    assert dict(item.inputs) == {"recordId": RECORD_ID}
    assert d.run.open_work_items() == [item]
    assert ("work_item", item.id, None, "Assigned") in transitions(d.last.log)


def test_an_assignee_reference_resolves_to_a_group_or_a_user() -> None:
    orch = orchestration(
        stage(
            "S",
            interactive("ToGroup", assignee=Assignee(AssigneeKind.REF, "{!$Input.team}")),
            interactive("ToUser", assignee=Assignee(AssigneeKind.REF, "{!$Record.Owner}")),
        )
    )
    d = started(orch, inputs={"team": "group:Roofers"}, record={"Owner": "bob"})
    assert d.item("ToGroup").assignee == Principal(AssigneeKind.GROUP, "Roofers")
    assert d.item("ToUser").assignee == Principal(AssigneeKind.USER, "bob")


def test_an_assignee_reference_that_resolves_to_nothing_puts_the_step_in_error() -> None:
    orch = orchestration(
        stage("S", interactive("Nobody", assignee=Assignee(AssigneeKind.REF, "{!$Input.who}")))
    )
    d = started(orch)
    assert (d.run.status, d.stage("S").status, d.step("Nobody").status) == ("Error",) * 3
    assert d.step("Nobody").error is not None
    error = d.step("Nobody").error
    assert error is not None
    assert "{!$Input.who} resolved to nothing" in error.message
    assert d.run.work_items == {}


def test_a_record_id_or_an_assignee_longer_than_any_can_be_puts_the_step_in_error() -> None:
    """No record has such an id and no one such a name, and no column could keep them."""
    orch = orchestration(
        stage(
            "S",
            interactive("On", record="{!$Input.rec}"),
            interactive("For", assignee=Assignee(AssigneeKind.REF, "{!$Input.who}")),
        )
    )
    fits = started(orch, inputs={"rec": "r" * 40, "who": "queue:" + "q" * 150})
    assert (fits.run.status, len(fits.run.work_items)) == ("InProgress", 2)
    for inputs, step, message in (
        ({"rec": "r" * 41, "who": "bob"}, "On",
         "has no context record: {!$Input.rec} resolved to 'rrrr"),
        ({"rec": "r", "who": "queue:" + "q" * 151}, "For",
         "has no assignee: queue 'qqqq"),
    ):  # fmt: skip
        d = started(orch, inputs=inputs)
        assert (d.run.status, d.step(step).status) == ("Error", "Error")
        error = d.step(step).error
        assert error is not None
        assert error.message.startswith(f"interactive step {step!r} {message}")
        assert error.message.endswith("characters)")
        assert len(error.message) < 200  # a long value is shown cut
        # no item that no column could keep; a sibling's is canceled with the stage
        assert [w.step for w in d.run.work_items.values() if w.step == step] == []
        assert all(w.status == "Canceled" for w in d.run.work_items.values())


def test_a_run_starts_only_once() -> None:
    d = started()
    refused(d, StartRun(by="admin"))


# --- background steps -------------------------------------------------------------------------


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_background_step_completes_when_its_flow_returns(is_async: bool) -> None:
    orch = orchestration(stage("S", background("B", is_async=is_async), background("Other")))
    d = started(orch)
    assert d.run_flow("B").is_async is is_async

    result = d.apply(StepFinished("B", 1, {"total": 42}, messages=("fetched 3 rows",)))

    assert d.step("B").status == "Completed"
    assert dict(d.step("B").outputs or {}) == {"total": 42}
    assert d.step("B").ended_at == d.now
    assert ("step", "B", "InProgress", "Completed") in transitions(result.log)
    assert ("flow", "B", "fetched 3 rows") in [
        (e.object_type, e.object_name, e.detail) for e in result.log
    ]
    assert d.stage("S").status == "InProgress"  # Other still runs


def test_after_steps_start_only_when_all_their_steps_complete() -> None:
    orch = orchestration(
        stage(
            "S",
            background("A"),
            background("B"),
            background("C", after=["A", "B"], inputs={"sum": "{!A.Outputs.n}"}),
        )
    )
    d = started(orch)
    d.finish("A", n=7)
    assert d.step("C").status == "NotStarted"
    assert d.last.commands == ()

    d.finish("B")

    assert d.step("C").status == "InProgress"
    assert list(d.last.commands) == [RunFlow(RUN_ID, "C", 1, "C_Flow", {"sum": 7}, False)]


# --- start criteria ---------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "starts"), [(50, False), (100, False), (101, True)])
def test_a_step_starts_when_its_conditions_on_step_outputs_hold(amount: int, starts: bool) -> None:
    big = when(rule("{!Quote.Outputs.amount}", Operator.GREATER_THAN, 100))
    orch = orchestration(
        stage("S", background("Quote"), interactive("Sign_Off", start=big), background("Keep"))
    )
    d = started(orch)
    assert d.step("Sign_Off").status == "NotStarted"

    d.finish("Quote", amount=amount)

    assert d.step("Sign_Off").status == ("InProgress" if starts else "NotStarted")
    assert bool(d.run.open_work_items()) is starts


def test_reevaluate_rechecks_conditions_on_the_record() -> None:
    escalated = when(rule("{!$Record.Status}", Operator.EQUALS, "Escalated"))
    orch = orchestration(stage("S", background("Escalate", start=escalated), background("Keep")))
    d = started(orch, record={"Status": "New"})
    assert d.step("Escalate").status == "NotStarted"
    result = d.apply(Reevaluate(by="api", reason="nightly re-check"))
    assert d.step("Escalate").status == "NotStarted"
    assert transitions(result.log) == []  # nothing moved; who asked is still in the log
    assert [(e.actor, e.detail) for e in result.log] == [("api", "nightly re-check")]

    d.run = replace(d.run, record={"Status": "Escalated"})  # the caller reloads the record
    result = d.apply(Reevaluate(by="api", reason="record changed"))

    assert d.step("Escalate").status == "InProgress"
    assert d.run_flow("Escalate").attempt == 1
    assert (result.log[0].actor, result.log[0].detail) == ("api", "record changed")


def test_a_step_with_an_evaluation_flow_start_asks_for_it_and_waits() -> None:
    orch = orchestration(
        stage(
            "S",
            interactive("Check", start=evaluation("Needs_Check", caseId="{!$Record.Id}")),
            background("Keep"),
        )
    )
    d = started(orch)
    assert d.step("Check").status == "NotStarted"
    assert (
        Evaluate(RUN_ID, "start:Check", d.run.epoch, "Needs_Check", {"caseId": RECORD_ID})
        in d.last.commands
    )
    return_d = d.answer("start:Check", True)
    assert d.step("Check").status == "InProgress"
    assert d.item("Check").status == "Assigned"
    assert ("step", "Check", "NotStarted", "InProgress") in transitions(return_d.log)


def test_an_evaluation_flow_saying_no_leaves_the_step_waiting_until_asked_again() -> None:
    orch = orchestration(
        stage("S", background("Gate", start=evaluation("Is_Ready")), background("Keep"))
    )
    d = started(orch)
    first = d.evaluate("start:Gate")
    d.answer("start:Gate", False)
    assert d.step("Gate").status == "NotStarted"
    assert d.last.log == ()

    d.apply(Reevaluate())  # a new evaluation point asks again

    again = d.evaluate("start:Gate")
    assert again.epoch > first.epoch
    d.answer("start:Gate", True)
    assert d.step("Gate").status == "InProgress"


def test_an_evaluation_result_of_an_older_epoch_is_ignored() -> None:
    orch = orchestration(
        stage("S", background("Gate", start=evaluation("Is_Ready")), background("Other"))
    )
    d = started(orch)
    stale = d.evaluate("start:Gate")
    d.finish("Other")  # an evaluation point: the question is asked again
    fresh = d.evaluate("start:Gate")
    assert fresh.epoch > stale.epoch

    ignored(d, EvaluationResult("start:Gate", stale.epoch, True))
    assert d.step("Gate").status == "NotStarted"
    ignored(d, EvaluationResult("start:Nothing", fresh.epoch, True))  # never asked

    d.apply(EvaluationResult("start:Gate", fresh.epoch, True))
    assert d.step("Gate").status == "InProgress"
    ignored(d, EvaluationResult("start:Gate", fresh.epoch, False))  # answered already


def test_a_failing_evaluation_flow_puts_the_step_and_run_in_error() -> None:
    orch = orchestration(
        stage("S", background("Gate", start=evaluation("Is_Ready")), background("Other"))
    )
    d = started(orch)
    ask = d.evaluate("start:Gate")
    d.apply(EvaluationFailed(ask.key, ask.epoch, ErrorInfo("no such field", "Traceback...")))
    assert (d.run.status, d.stage("S").status, d.step("Gate").status) == ("Error",) * 3
    assert d.step("Other").status == "Discontinued"
    error = d.step("Gate").error
    assert error is not None
    assert "no such field" in error.message
    assert error.traceback == "Traceback..."


# --- interactive steps ------------------------------------------------------------------------


def test_completing_the_work_item_completes_the_interactive_step() -> None:
    d = started()
    item = d.item("Approve")

    result = d.apply(CompleteWorkItem(item.id, "alice", {"approved": True, "comments": "ok"}))

    done = d.run.work_items[item.id]
    assert (done.status, done.completed_by, done.completed_at) == ("Completed", "alice", d.now)
    assert d.step("Approve").status == "Completed"
    assert dict(d.step("Approve").outputs or {}) == {"approved": True, "comments": "ok"}
    moves = transitions(result.log)
    assert ("work_item", item.id, "Assigned", "Completed") in moves
    assert ("step", "Approve", "InProgress", "Completed") in moves
    assert "comments: ok" in [e.detail for e in result.log]  # SPEC 5: comments to the run log
    assert {e.actor for e in result.log} == {"alice"}


def test_an_interactive_step_completes_by_conditions_and_its_work_item_is_canceled() -> None:
    orch = orchestration(
        stage(
            "S",
            background("Auto_Check"),
            interactive("Manual_Check", completion=when(status_is("Auto_Check", "Completed"))),
            background("Keep"),
        )
    )
    d = started(orch)
    item = d.item("Manual_Check")

    result = d.finish("Auto_Check")

    assert d.step("Manual_Check").status == "Completed"
    assert d.run.work_items[item.id].status == "Canceled"
    assert ("work_item", item.id, "Assigned", "Canceled") in transitions(result.log)
    refused(d, CompleteWorkItem(item.id, "alice"))


def test_an_interactive_step_completes_by_conditions_on_its_own_outputs() -> None:
    approved = when(rule("{!Approve.Outputs.approved}", Operator.EQUALS, True))
    orch = orchestration(stage("S", interactive("Approve", completion=approved), background("K")))
    d = started(orch)
    d.complete("Approve", approved=False)
    assert d.item("Approve").status == "Completed"
    assert d.step("Approve").status == "InProgress"  # the criteria decide, not the screen flow

    d.apply(Reevaluate())
    assert d.step("Approve").status == "InProgress"


def test_an_interactive_step_completed_by_its_own_outputs_completes_at_once() -> None:
    approved = when(rule("{!Approve.Outputs.approved}", Operator.EQUALS, True))
    orch = orchestration(stage("S", interactive("Approve", completion=approved), background("K")))
    d = started(orch)
    d.complete("Approve", approved=True)
    assert (d.item("Approve").status, d.step("Approve").status) == ("Completed", "Completed")
    assert dict(d.step("Approve").outputs or {}) == {"approved": True}


def test_an_interactive_step_completes_by_evaluation_flow_and_its_work_item_is_canceled() -> None:
    orch = orchestration(
        stage("S", interactive("Review", completion=evaluation("Is_Reviewed")), background("K"))
    )
    d = started(orch)
    item = d.item("Review")
    d.answer("complete:Review", False)
    assert d.step("Review").status == "InProgress"

    d.apply(Reevaluate())
    d.answer("complete:Review", True)

    assert d.step("Review").status == "Completed"
    assert d.run.work_items[item.id].status == "Canceled"


def test_a_work_item_can_be_reassigned_while_open() -> None:
    d = started()
    item = d.item("Approve")
    bob = Principal(AssigneeKind.USER, "bob")
    result = d.apply(ReassignWorkItem(item.id, bob, by=SUPERVISOR))
    assert (d.item("Approve").status, d.item("Approve").assignee) == ("Assigned", bob)
    assert ("work_item", item.id, "Assigned", "Assigned") in transitions(result.log)
    d.complete("Approve", by="bob")
    refused(d, ReassignWorkItem(item.id, bob, by=SUPERVISOR))


@pytest.mark.parametrize("how", ["completed", "canceled"])
def test_completing_a_work_item_that_is_not_assigned_is_refused(how: str) -> None:
    d = started()
    item = d.item("Approve")
    if how == "completed":
        d.complete("Approve")
    else:
        d.apply(CancelRun(by=SUPERVISOR))
    assert d.run.work_items[item.id].status == how.capitalize()
    refused(d, CompleteWorkItem(item.id, "alice"))


def test_completing_an_unknown_work_item_is_invalid() -> None:
    d = started()
    refused(d, CompleteWorkItem("no-such-item", "alice"), InvalidInput)


# --- stage exit -------------------------------------------------------------------------------


def test_a_stage_completes_when_all_its_steps_complete_and_the_next_stage_starts() -> None:
    d = started()
    d.finish("Fetch", email="pat@example.com")
    d.complete("Approve")
    assert d.stage("Review").status == "InProgress"
    assert d.run_flow("Notify").inputs == {"email": "pat@example.com"}

    result = d.finish("Notify")

    assert d.stage("Review").status == "Completed"
    assert d.stage("Review").ended_at == d.now
    assert (d.run.current, d.stage("Close").status) == ("Close", "InProgress")
    assert d.step("Archive").status == "InProgress"
    moves = transitions(result.log)
    assert moves.index(("stage", "Review", "InProgress", "Completed")) < moves.index(
        ("stage", "Close", "NotStarted", "InProgress")
    )


def test_a_stage_exits_by_conditions_discontinuing_open_steps_and_canceling_items() -> None:
    orch = orchestration(
        stage(
            "S",
            background("Must"),
            interactive("Optional"),
            background("Later", after=["Optional"]),
            exit=when(status_is("Must", "Completed")),
        ),
        stage("Next", background("N")),
    )
    d = started(orch)
    item = d.item("Optional")

    result = d.finish("Must")

    assert d.stage("S").status == "Completed"
    assert d.step_statuses() == {
        "Must": "Completed",
        "Optional": "Discontinued",
        "Later": "Discontinued",
        "N": "InProgress",
    }
    assert d.run.work_items[item.id].status == "Canceled"
    moves = transitions(result.log)
    assert ("step", "Optional", "InProgress", "Discontinued") in moves
    assert ("step", "Later", "NotStarted", "Discontinued") in moves
    assert ("work_item", item.id, "Assigned", "Canceled") in moves


def test_a_stage_exits_by_evaluation_flow() -> None:
    orch = orchestration(
        stage("S", background("A"), interactive("H"), exit=evaluation("Stage_Done")),
        stage("Next", background("N")),
    )
    d = started(orch)
    assert d.evaluate("exit:S").epoch == d.run.epoch
    d.answer("exit:S", False)
    assert d.stage("S").status == "InProgress"

    d.finish("A")
    d.answer("exit:S", True)

    assert d.stage("S").status == "Completed"
    assert (d.step("A").status, d.step("H").status) == ("Completed", "Discontinued")
    assert d.run.open_work_items() == []
    assert d.run.current == "Next"


def test_no_flow_runs_for_a_step_its_stage_discontinued_in_the_same_event() -> None:
    orch = orchestration(
        stage("S", background("Pointless"), exit=when(status_is("S", "InProgress"))),
        stage("Next", background("N")),
    )
    d = Driver(orch)
    result = d.start()
    assert d.step("Pointless").status == "Discontinued"
    assert [c.step for c in result.commands if isinstance(c, RunFlow)] == ["N"]


# --- decisions and the end of a run -----------------------------------------------------------

ROUTED = orchestration(
    stage("Triage", interactive("Triage_Case")),
    decision(
        "Route",
        outcome(
            "Urgent", conds(rule("{!Triage_Case.Outputs.priority}", Operator.EQUALS, "High")), "Fix"
        ),
        outcome(
            "Big",
            conds(rule("{!Triage_Case.Outputs.cost}", Operator.GREATER_THAN, 1000)),
            "Quote",
        ),
        outcome("Spam", conds(rule("{!Triage_Case.Outputs.spam}", Operator.EQUALS, True)), None),
        default="Close",
    ),
    stage("Fix", background("Repair")),
    stage("Quote", background("Estimate")),
    stage("Close", background("Archive")),
)


@pytest.mark.parametrize(
    ("outputs", "taken", "current"),
    [
        ({"priority": "High", "cost": 5000}, "outcome Urgent -> Fix", "Fix"),  # first wins
        ({"priority": "Low", "cost": 5000}, "outcome Big -> Quote", "Quote"),
        ({"priority": "Low", "cost": 10}, "default outcome -> Close", "Close"),
    ],
)
def test_decision_outcomes_are_tried_in_order_then_the_default(
    outputs: dict[str, Any], taken: str, current: str
) -> None:
    d = started(ROUTED)
    result = d.complete("Triage_Case", **outputs)
    assert ("decision", "Route", taken) in [
        (e.object_type, e.object_name, e.detail) for e in result.log
    ]
    assert d.run.current == current
    assert {n: s.status.value for n, s in d.run.stages.items() if n != "Triage"} == {
        n: ("InProgress" if n == current else "NotStarted") for n in ("Fix", "Quote", "Close")
    }


def test_a_decision_outcome_without_target_completes_the_run() -> None:
    d = started(ROUTED)
    result = d.complete("Triage_Case", spam=True)
    assert d.run.status == "Completed"
    assert d.run.current is None
    assert ("run", d.run.name, "InProgress", "Completed") in transitions(result.log)
    assert {d.stage(n).status for n in ("Fix", "Quote", "Close")} == {"NotStarted"}


def test_a_default_without_target_completes_the_run() -> None:
    orch = orchestration(
        stage("S", background("A")),
        decision("More", outcome("Yes", conds(rule("{!A.Outputs.more}", "equals", True)), "T")),
        stage("T", background("B")),
    )
    d = started(orch)
    d.finish("A", more=False)
    assert (d.run.status, d.stage("T").status) == ("Completed", "NotStarted")


def test_when_the_last_stage_completes_the_run_completes() -> None:
    d = started()
    d.finish("Fetch")
    d.complete("Approve")
    d.finish("Notify")
    result = d.finish("Archive")
    assert d.run.status == "Completed"
    assert d.run.current is None
    assert [s.status for s in d.run.stages.values()] == ["Completed", "Completed"]
    assert transitions(result.log)[-1] == ("run", d.run.name, "InProgress", "Completed")
    ignored(d, Reevaluate())
    ignored(d, StepFinished("Archive", 1))
    for action in (CancelRun(SUPERVISOR), SuspendRun(SUPERVISOR), ResumeRun(SUPERVISOR)):
        refused(d, action)


def test_a_decision_looping_back_runs_the_earlier_stage_again_afresh() -> None:
    orch = orchestration(
        stage("Draft", interactive("Write"), background("Check", after=["Write"])),
        decision(
            "Good",
            outcome("No", conds(rule("{!Check.Outputs.ok}", "equals", False)), "Draft"),
            default="Publish",
        ),
        stage("Publish", background("Post")),
    )
    d = started(orch)
    first_item = d.item("Write").id
    d.complete("Write", text="v1")
    result = d.finish("Check", ok=False)

    assert d.run.current == "Draft"
    assert d.stage("Draft").status == "InProgress"
    assert (d.step("Write").status, d.step("Write").attempt) == ("InProgress", 2)
    assert d.step("Write").outputs is None
    assert d.step("Check").status == "NotStarted"
    assert d.item("Write").id != first_item
    moves = transitions(result.log)
    assert ("stage", "Draft", "Completed", "InProgress") in moves
    assert ("step", "Write", "Completed", "NotStarted") in moves
    ignored(d, StepFinished("Check", 1, {"ok": True}))  # the first pass's answer, redelivered

    d.complete("Write", text="v2")
    d.finish("Check", ok=True)
    assert (d.run.current, d.step("Check").attempt) == ("Publish", 2)


def test_decisions_that_loop_without_waiting_stop_the_run_in_error_at_a_stage() -> None:
    orch = orchestration(
        stage("Spin", background("A"), exit=when(rule("{!$Record.Status}", "equals", "New"))),
        decision("Again", default="Spin"),
    )
    d = Driver(orch)
    result = d.start()
    assert (d.run.status, d.run.current, d.stage("Spin").status) == ("Error", "Spin", "Error")
    error = d.stage("Spin").error
    assert error is not None
    assert error.message.endswith("the decisions loop")
    assert result.commands == ()  # none of the thousand passes' flows is run

    d.run = replace(d.run, record={"Status": "Fixed"})  # the supervisor fixes the data
    d.apply(ResumeRun(by=SUPERVISOR))
    assert (d.run.status, d.stage("Spin").status, d.step("A").status) == ("InProgress",) * 3
    assert d.last.commands == (RunFlow(RUN_ID, "A", d.step("A").attempt, "A_Flow", {}, False),)


def test_decisions_that_only_lead_to_each_other_stop_the_run_in_error() -> None:
    orch = orchestration(
        stage("S", background("A")),
        decision("Ping", default="Pong"),
        decision("Pong", default="Ping"),
    )
    d = started(orch)
    d.finish("A")
    assert (d.run.status, d.run.current, d.stage("S").status) == ("Error", "S", "Error")
    assert d.step("A").status == "NotStarted"

    no_stage_first = orchestration(
        decision("Ping", default="Pong"), decision("Pong", default="Ping")
    )
    refused(Driver(no_stage_first), StartRun(by="admin"), InvalidInput)


# --- failure and resume -----------------------------------------------------------------------

WIDE = orchestration(
    stage(
        "Work",
        background("Done_Early"),
        background("Crash", inputs={"mode": "{!$Record.Mode}"}),
        background("Slow", is_async=True),
        interactive("Human"),
        background("Waiting", after=["Slow"]),
    ),
    stage("After", background("Final")),
)


def test_a_failing_step_puts_its_stage_and_the_run_in_error_and_stops_its_siblings() -> None:
    d = started(WIDE)
    d.finish("Done_Early")
    item = d.item("Human")

    result = d.fail("Crash", "division by zero")

    assert d.step_statuses() == {
        "Done_Early": "Completed",
        "Crash": "Error",
        "Slow": "Discontinued",
        "Human": "Discontinued",
        "Waiting": "NotStarted",
        "Final": "NotStarted",
    }
    assert (d.stage("Work").status, d.run.status) == ("Error", "Error")
    assert d.run.work_items[item.id].status == "Canceled"
    error = d.step("Crash").error
    assert error is not None
    assert error.message == "division by zero"
    assert "RuntimeError: division by zero" in error.traceback
    assert d.stage("Work").error == error
    moves = transitions(result.log)
    assert ("step", "Crash", "InProgress", "Error") in moves
    assert ("stage", "Work", "InProgress", "Error") in moves
    assert ("run", d.run.name, "InProgress", "Error") in moves
    assert ("work_item", item.id, "Assigned", "Canceled") in moves
    ignored(d, StepFinished("Slow", 1, {}))  # the discontinued async flow returns late
    refused(d, CompleteWorkItem(item.id, "alice"))
    refused(d, SuspendRun(SUPERVISOR))


def test_resume_after_error_restarts_the_failed_step_with_inputs_reread() -> None:
    d = started(WIDE, record={"Mode": "strict"})
    d.finish("Done_Early", n=1)
    assert d.run_flow("Crash").inputs == {"mode": "strict"}
    d.fail("Crash")
    d.run = replace(d.run, record={"Mode": "lenient"})  # the supervisor fixed the record

    result = d.apply(ResumeRun(by=SUPERVISOR))

    assert (d.run.status, d.stage("Work").status) == ("InProgress", "InProgress")
    crash = d.step("Crash")
    assert (crash.status, crash.attempt, crash.error) == ("InProgress", 2, None)
    assert d.run_flow("Crash") == RunFlow(
        RUN_ID, "Crash", 2, "Crash_Flow", {"mode": "lenient"}, False
    )
    # Completed steps are not re-run; the steps the failure interrupted start again.
    assert (d.step("Done_Early").status, d.step("Done_Early").attempt) == ("Completed", 1)
    assert dict(d.step("Done_Early").outputs or {}) == {"n": 1}
    assert sorted(c.step for c in result.commands if isinstance(c, RunFlow)) == ["Crash", "Slow"]
    assert d.item("Human").status == "Assigned"
    moves = transitions(result.log)
    assert ("run", d.run.name, "Error", "InProgress") in moves
    assert ("stage", "Work", "Error", "InProgress") in moves
    assert ("step", "Crash", "Error", "NotStarted") in moves
    assert result.log[0].actor == SUPERVISOR

    ignored(d, StepFinished("Crash", 1, {}))  # the failed attempt's late answer
    ignored(d, StepFailed("Crash", 1, ErrorInfo("late")))
    d.finish("Crash")
    assert d.step("Crash").status == "Completed"


def test_a_failure_while_suspended_still_puts_the_run_in_error() -> None:
    d = started(WIDE)
    d.apply(SuspendRun(SUPERVISOR))
    d.fail("Slow")  # an async flow already running when the run was suspended
    assert (d.run.status, d.stage("Work").status, d.step("Slow").status) == ("Error",) * 3
    assert d.step("Crash").status == "Discontinued"
    assert d.run.open_work_items() == []


# --- suspend and resume -----------------------------------------------------------------------


def test_suspend_holds_the_run_its_stage_and_open_steps_and_resume_releases_them() -> None:
    d = started()
    item = d.item("Approve")

    result = d.apply(SuspendRun(by=SUPERVISOR))

    assert (d.run.status, d.stage("Review").status) == ("Suspended", "Suspended")
    assert d.step_statuses() == {
        "Fetch": "Suspended",
        "Approve": "Suspended",
        "Notify": "NotStarted",
        "Archive": "NotStarted",
    }
    assert d.run.work_items[item.id].status == "Assigned"
    assert ("run", d.run.name, "InProgress", "Suspended") in transitions(result.log)
    refused(d, CompleteWorkItem(item.id, "alice"))
    refused(d, SuspendRun(SUPERVISOR))
    ignored(d, Reevaluate())

    result = d.apply(ResumeRun(by=SUPERVISOR))

    assert (d.run.status, d.stage("Review").status) == ("InProgress", "InProgress")
    assert (d.step("Fetch").status, d.step("Approve").status) == ("InProgress", "InProgress")
    assert ("step", "Approve", "Suspended", "InProgress") in transitions(result.log)
    assert result.commands == ()  # Fetch's flow is not asked for twice
    d.complete("Approve")
    assert d.step("Approve").status == "Completed"


def test_a_flow_finishing_while_suspended_completes_its_step_but_nothing_starts() -> None:
    d = started()
    d.apply(SuspendRun(by=SUPERVISOR))

    d.finish("Fetch", email="x@example.com")

    assert d.step("Fetch").status == "Completed"
    assert d.step("Notify").status == "NotStarted"
    assert d.last.commands == ()

    d.apply(ResumeRun(by=SUPERVISOR))
    assert d.step("Notify").status == "InProgress"
    assert d.run_flow("Notify").inputs == {"email": "x@example.com"}


def test_an_evaluation_answered_while_suspended_starts_nothing() -> None:
    orch = orchestration(stage("S", background("Gate", start=evaluation("Ok")), background("K")))
    d = started(orch)
    ask = d.evaluate("start:Gate")
    d.apply(SuspendRun(by=SUPERVISOR))
    d.apply(EvaluationResult(ask.key, ask.epoch, True))
    assert d.step("Gate").status == "NotStarted"
    d.apply(ResumeRun(by=SUPERVISOR))
    assert d.evaluate("start:Gate").epoch > ask.epoch  # asked again after the pause


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_cancels_the_run_its_stage_open_steps_and_work_items() -> None:
    d = started()
    d.finish("Fetch")
    item = d.item("Approve")

    result = d.apply(CancelRun(by=SUPERVISOR))

    assert (d.run.status, d.stage("Review").status, d.run.current) == ("Canceled", "Canceled", None)
    assert d.step_statuses() == {
        "Fetch": "Completed",
        "Approve": "Canceled",
        "Notify": "Canceled",
        "Archive": "NotStarted",
    }
    assert d.run.work_items[item.id].status == "Canceled"
    assert d.stage("Close").status == "NotStarted"
    assert result.commands == ()
    assert {e.actor for e in result.log} == {SUPERVISOR}


def test_nothing_runs_after_a_cancel() -> None:
    d = started()
    d.apply(CancelRun(by=SUPERVISOR))
    for event in (
        StepFinished("Fetch", 1, {"email": "x"}),
        StepFailed("Fetch", 1, ErrorInfo("boom")),
        Reevaluate(),
    ):
        ignored(d, event)
    refusals: tuple[Event, ...] = (
        CancelRun(SUPERVISOR),
        SuspendRun(SUPERVISOR),
        ResumeRun(SUPERVISOR),
        StartRun(),
        CompleteWorkItem(d.item("Approve").id, "alice"),
    )
    for refusal in refusals:
        refused(d, refusal)


def test_cancel_a_run_that_never_started_or_that_failed() -> None:
    d = Driver(REVIEW)
    d.apply(CancelRun(by=SUPERVISOR))
    assert d.run.status == "Canceled"
    assert {s.status for s in d.run.stages.values()} == {"NotStarted"}

    d = started()
    d.fail("Fetch")
    d.apply(CancelRun(by=SUPERVISOR))
    assert (d.run.status, d.stage("Review").status) == ("Canceled", "Canceled")
    assert d.step("Fetch").status == "Error"  # what went wrong stays visible


# --- duplicates and stale events --------------------------------------------------------------


def test_duplicate_and_stale_step_results_change_nothing() -> None:
    d = started()
    d.finish("Fetch", email="first")
    before = d.run

    for event in (
        StepFinished("Fetch", 1, {"email": "second"}),  # redelivered
        StepFinished("Fetch", 2, {}),  # an attempt that never was
        StepFailed("Fetch", 1, ErrorInfo("late")),
        StepFinished("Notify", 0, {}),  # NotStarted: nothing asked yet
        StepFinished("No_Such_Step", 1, {}),
    ):
        ignored(d, event)
    assert d.run is before
    assert dict(d.step("Fetch").outputs or {}) == {"email": "first"}


def test_a_flow_result_for_an_interactive_step_changes_nothing() -> None:
    d = started()
    ignored(d, StepFinished("Approve", d.step("Approve").attempt, {"approved": True}))
    assert (d.step("Approve").status, d.item("Approve").status) == ("InProgress", "Assigned")


# --- the run log ------------------------------------------------------------------------------


def test_every_status_change_of_a_whole_run_is_in_the_log_in_order() -> None:
    high = conds(rule("{!Triage_Case.Outputs.priority}", Operator.EQUALS, "High"))
    d = started(
        orchestration(
            stage("Triage", interactive("Triage_Case")),
            decision("Route", outcome("Urgent", high, "Fix")),
            stage("Fix", background("Repair")),
        )
    )
    log = list(d.last.log)
    for event in (
        CompleteWorkItem(d.item("Triage_Case").id, "alice", {"priority": "High"}),
        SuspendRun(SUPERVISOR),
        ResumeRun(SUPERVISOR),
        StepFinished("Repair", 1, {}),
    ):
        log += d.apply(event).log
    assert d.run.status == "Completed"
    assert [m for m in transitions(log) if m[0] in ("run", "stage")] == [
        ("run", d.run.name, "NotStarted", "InProgress"),
        ("stage", "Triage", "NotStarted", "InProgress"),
        ("stage", "Triage", "InProgress", "Completed"),
        ("stage", "Fix", "NotStarted", "InProgress"),
        ("run", d.run.name, "InProgress", "Suspended"),
        ("stage", "Fix", "InProgress", "Suspended"),
        ("run", d.run.name, "Suspended", "InProgress"),
        ("stage", "Fix", "Suspended", "InProgress"),
        ("stage", "Fix", "InProgress", "Completed"),
        ("run", d.run.name, "InProgress", "Completed"),
    ]
    assert [e.at for e in log] == sorted(e.at for e in log)
    assert log[-1].at == d.now
    assert d.run.modified_at == d.now
    assert d.now - log[0].at == timedelta(seconds=4)
