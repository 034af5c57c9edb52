"""The transition table is the one truth: for every run status and every supervisor action the
engine accepts exactly what the table allows (and lands where it says), the UI's buttons
(`rules.run_actions`) offer exactly that, and every status change the engine makes is a row of
the table. Runs reach each status by real events, never by building a snapshot by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stageflow.engine import rules
from stageflow.engine.events import (
    CancelRun,
    CompleteWorkItem,
    EvaluationFailed,
    Event,
    ReassignWorkItem,
    ResumeRun,
    StartRun,
    SuspendRun,
)
from stageflow.engine.rules import Action, Who
from stageflow.engine.state import ErrorInfo, Principal
from stageflow.engine.statuses import RunStatus
from stageflow.engine.transitions import apply
from stageflow.errors import TransitionNotAllowed
from tests.engine.builders import (
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
ONE_STAGE = orchestration(stage("Only", background("Job", is_async=True), interactive("Task")))


def _in_progress(d: Driver) -> None:
    d.start()


def _suspended(d: Driver) -> None:
    d.start()
    d.apply(SuspendRun(SUPERVISOR))


def _error(d: Driver) -> None:
    d.start()
    d.fail("Job")


def _completed(d: Driver) -> None:
    d.start()
    d.finish("Job")
    d.complete("Task")


def _canceled(d: Driver) -> None:
    d.start()
    d.apply(CancelRun(SUPERVISOR))


REACH: dict[RunStatus, Callable[[Driver], None]] = {
    RunStatus.NOT_STARTED: lambda d: None,
    RunStatus.IN_PROGRESS: _in_progress,
    RunStatus.SUSPENDED: _suspended,
    RunStatus.ERROR: _error,
    RunStatus.COMPLETED: _completed,
    RunStatus.CANCELED: _canceled,
}

EVENTS: dict[Action, Event] = {
    Action.START: StartRun(by=SUPERVISOR),
    Action.CANCEL: CancelRun(by=SUPERVISOR),
    Action.SUSPEND: SuspendRun(by=SUPERVISOR),
    Action.RESUME: ResumeRun(by=SUPERVISOR),
}


def run_in(status: RunStatus) -> Driver:
    d = Driver(ONE_STAGE)
    REACH[status](d)
    assert d.run.status is status
    return d


def test_every_run_status_is_reached() -> None:
    assert set(REACH) == set(RunStatus)


@pytest.mark.parametrize("action", list(EVENTS), ids=str)
@pytest.mark.parametrize("status", list(RunStatus), ids=str)
def test_the_engine_accepts_a_run_action_exactly_when_the_table_allows_it(
    status: RunStatus, action: Action
) -> None:
    d = run_in(status)
    allowed = rules.find("run", status, action)
    if allowed is None:
        before = snapshot(d.run)
        with pytest.raises(TransitionNotAllowed):
            apply(d.run, EVENTS[action], d.now)
        assert snapshot(d.run) == before
        return
    result = d.apply(EVENTS[action])  # also checks invariants and that the log is complete
    assert d.run.status is allowed.target
    assert transitions(result.log)[0] == ("run", d.run.name, status.value, allowed.target.value)
    assert result.log[0].actor == SUPERVISOR


@pytest.mark.parametrize("status", list(RunStatus), ids=str)
def test_the_buttons_offered_are_the_actions_the_engine_accepts(status: RunStatus) -> None:
    accepted = set()
    for action in (Action.CANCEL, Action.SUSPEND, Action.RESUME):
        d = run_in(status)
        try:
            apply(d.run, EVENTS[action], d.now)
        except TransitionNotAllowed:
            continue
        accepted.add(action)
    assert set(rules.run_actions(status, Who.SUPERVISOR)) == accepted
    assert rules.run_actions(status, Who.ASSIGNEE) == []


def test_run_actions_of_a_terminal_run_are_none() -> None:
    assert rules.run_actions(RunStatus.COMPLETED) == []
    assert rules.run_actions(RunStatus.CANCELED) == []
    assert set(rules.run_actions(RunStatus.ERROR)) == {Action.CANCEL, Action.RESUME}


# --- every row of the tables, walked by scenarios ---------------------------------------------

# Rows the engine never takes: a stage is never Discontinued (a stage that is left Completes),
# and a Canceled step belongs to a Canceled run, which is terminal.
NEVER_TAKEN = {
    ("stage", "Discontinued", "InProgress"),
    ("step", "Canceled", "NotStarted"),
}

LOOP = orchestration(
    stage(
        "Draft",
        background("Prepare"),
        interactive("Write", after=["Prepare"]),
        background("Extra", start=evaluation("Wants_Extra")),
        exit=when(status_is("Write", "Completed")),
    ),
    decision(
        "Again",
        outcome("Redo", conds(rule("{!Write.Outputs.redo}", "equals", True)), "Draft"),
        default="Last",
    ),
    stage("Last", background("Slow", is_async=True), background("Sibling")),
)


def _scenarios() -> list[Driver]:
    """Runs driven through every kind of event."""
    seen = []

    d = Driver(LOOP)  # start, complete, discontinue, restart through a decision, reassign
    d.start()
    d.finish("Prepare")
    d.apply(ReassignWorkItem(d.item("Write").id, Principal.parse("group:Editors"), SUPERVISOR))
    d.complete("Write", redo=True)  # Extra never started: discontinued from NotStarted
    d.answer("start:Extra", True)
    d.finish("Prepare")
    d.complete("Write", redo=False)  # Extra in progress: discontinued from InProgress
    # Last: suspend, a flow returns and one fails while suspended, resume from Error, cancel
    d.apply(SuspendRun(SUPERVISOR))
    d.finish("Slow")
    d.fail("Sibling")
    d.apply(ResumeRun(SUPERVISOR))
    d.fail("Sibling")
    d.apply(CancelRun(SUPERVISOR))
    seen.append(d)

    d = Driver(LOOP)  # a suspended run whose async flow fails: suspended siblings discontinued
    d.start()
    d.finish("Prepare")
    d.complete("Write", redo=False)
    d.apply(SuspendRun(SUPERVISOR))
    d.fail("Slow")
    d.apply(ResumeRun(SUPERVISOR))
    d.finish("Slow")
    d.finish("Sibling")
    seen.append(d)

    d = Driver(LOOP)  # an evaluation flow that fails, then cancel
    d.start()
    d.apply(EvaluationFailed("start:Extra", d.evaluate("start:Extra").epoch, ErrorInfo("no")))
    d.apply(CancelRun(SUPERVISOR))
    seen.append(d)

    d = Driver(LOOP)  # suspend, resume, suspend, cancel
    d.start()
    d.apply(SuspendRun(SUPERVISOR))
    d.apply(ResumeRun(SUPERVISOR))
    d.apply(SuspendRun(SUPERVISOR))
    d.apply(CancelRun(SUPERVISOR))
    seen.append(d)

    d = Driver(LOOP)  # cancel while a step and its work item are open
    d.start()
    d.finish("Prepare")
    d.apply(CancelRun(SUPERVISOR))
    seen.append(d)

    d = Driver(LOOP)  # cancel before the start
    d.apply(CancelRun(SUPERVISOR))
    seen.append(d)
    return seen


def test_the_scenarios_end_where_they_mean_to() -> None:
    assert [d.run.status.value for d in _scenarios()] == [
        "Canceled",
        "Completed",
        "Canceled",
        "Canceled",
        "Canceled",
        "Canceled",
    ]


def test_every_row_of_every_table_is_taken_and_nothing_else() -> None:
    logged = {
        (kind, old, new)
        for d in _scenarios()
        for kind, _name, old, new in transitions(d.log)
        if old is not None  # a work item's creation
    }
    rows = {
        (kind, t.source.value, t.target.value)
        for kind, table in rules.TABLES.items()
        for t in table
    }
    assert logged <= rows, "the engine made a move the table does not have"
    assert rows - logged == NEVER_TAKEN


def test_the_table_has_no_duplicate_source_action_pairs() -> None:
    for kind, table in rules.TABLES.items():
        pairs = [(t.source, t.action) for t in table]
        assert len(pairs) == len(set(pairs)), kind


def test_completing_a_work_item_is_refused_unless_the_table_allows_it() -> None:
    d = run_in(RunStatus.IN_PROGRESS)
    item = d.item("Task")
    d.complete("Task")
    assert rules.find("work_item", d.run.work_items[item.id].status, Action.COMPLETE) is None
    with pytest.raises(TransitionNotAllowed):
        apply(d.run, CompleteWorkItem(item.id, "alice"), d.now)
