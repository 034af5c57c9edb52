"""Declarative flows, Python flow contracts, evaluation flows and published events, through
deployed definitions on a real database."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from stageflow.app import App
from stageflow.errors import InvalidInput
from stageflow.store import records as records_store

PROJECT = Path(__file__).parent / "project"


def _step(app: App, run_id: str, name: str):  # type: ignore[no-untyped-def]
    return next(s for st in app.run(run_id).stages for s in st.steps if s.name == name)


def test_declarative_flow_small_branch_updates_the_record(flows_app: App) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "tiny", "Size": 3}).id
    run = app.start("Triage_Work", {"ticket": ticket})
    assert run.status == "Completed"
    assert _step(app, run.id, "Run_Triage").outputs == {
        "verdict": "small",
        "child": None,
        "child_run": None,
    }
    assert app.records.get(ticket).fields["Stage"] == "small"


def test_declarative_flow_big_branch_creates_a_record_and_starts_an_orchestration(
    flows_app: App,
) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "huge", "Size": 40}).id
    run = app.start("Triage_Work", {"ticket": ticket})
    outputs = _step(app, run.id, "Run_Triage").outputs
    assert outputs is not None
    assert outputs["verdict"] == "big"
    child = app.records.get(outputs["child"])
    assert (child.fields["Title"], child.fields["Size"]) == ("part of huge", 5)
    child_run = app.run(outputs["child_run"])
    assert child_run.orchestration == "Child_Work"
    assert child_run.created_by.startswith("flow:")
    # The child's async step ran (embedded worker); its stage waits for Stage == done.
    assert app.records.get(child.id).fields["Stage"] == "async ran"
    assert child_run.status == "InProgress" or app.run(child_run.id).status == "InProgress"
    app.records.update(child.id, {"Stage": "done"})
    assert app.reevaluate(child_run.id).status == "Completed"
    assert "Stage" not in app.records.get(ticket).fields  # the big branch never ran `Small`


def test_a_flow_publishing_an_event_makes_another_run_reevaluate(flows_app: App) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    waiting = app.start("Wait_For_Done", {"ticket": ticket})
    assert waiting.status == "InProgress"
    assert app.reevaluate(waiting.id).status == "InProgress"  # the evaluation flow says no
    finisher = app.start("Finisher", {"ticket": ticket, "target": waiting.id})
    assert finisher.status == "Completed"
    view = app.run(waiting.id)
    assert view.status == "Completed"
    assert view.stages[0].steps[0].status == "Discontinued"
    assert any("published by a flow" in e.detail for e in view.log)


def test_every_published_event_is_carried_out_even_at_the_same_instant(flows_app: App) -> None:
    """A clock that stands still (a test's, a host's) must not merge two publishes of
    different transactions into one message: the second would be dropped as a duplicate."""
    app = flows_app
    at = app.rt.now()
    app.rt.now = lambda: at
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    waiting = app.start("Wait_For_Done", {"ticket": ticket})
    for _ in range(3):  # the ticket is not done: each re-evaluation leaves the run waiting
        assert app.start("Publisher", {"target": waiting.id}).status == "Completed"
    assert app.run(waiting.id).status == "InProgress"
    app.records.update(ticket, {"Stage": "done"})
    app.start("Publisher", {"target": waiting.id})
    assert app.run(waiting.id).status == "Completed"


def test_flow_returning_something_else_than_a_dict_fails_its_step(flows_app: App) -> None:
    run = flows_app.start("Bad_Output_Run")
    assert run.status == "Error"
    error = run.stages[0].steps[0].error
    assert error is not None
    assert "returned str" in error.message


def test_failing_evaluation_flow_puts_the_run_in_error_with_its_traceback(flows_app: App) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start("Broken_Things", {"ticket": ticket})
    assert run.status == "Error"
    step = run.stages[0].steps[0]
    assert step.status == "Error"
    assert step.error is not None
    assert "the evaluation flow broke" in step.error.message
    assert "project_flows.py" in step.error.traceback
    assert "Stage" not in app.records.get(ticket).fields  # the step's own flow never ran


def test_suspended_run_parks_its_async_step_until_resumed(app: App) -> None:
    app.rt.embedded_worker = False
    app.deploy(PROJECT)
    parent = app.records.create("Ticket", {"Title": "p", "Size": 50}).id
    run = app.start("Triage_Work", {"ticket": parent})
    outputs = _step(app, run.id, "Run_Triage").outputs
    assert outputs is not None
    child_run = outputs["child_run"]
    app.suspend(child_run, by="sue")
    assert app.drain() == 1  # the queued flow was looked at and parked, not run
    assert "Stage" not in app.records.get(outputs["child"]).fields
    app.resume(child_run, by="sue")
    assert app.drain() == 2  # the flow, then the re-evaluation its record update asked for
    assert app.records.get(outputs["child"]).fields["Stage"] == "async ran"
    assert _step(app, child_run, "Async_Work").status == "Completed"


def test_a_failing_flows_writes_are_undone_and_the_earlier_steps_stay(flows_app: App) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start("Half_Done", {"ticket": ticket})
    assert run.status == "Error"
    failed = _step(app, run.id, "Fails")
    assert failed.status == "Error"
    assert failed.error is not None
    assert "failed after writing" in failed.error.message
    assert app.records.get(ticket).fields["Stage"] == "marked"  # Marks' write, not Fails'
    assert [r.fields["Title"] for r in app.records.list("Ticket")] == ["t"]  # none left over


@pytest.mark.parametrize(
    ("orchestration", "counts_before_resume", "counts_status"),
    [("Sibling_Fails_First", 0, "Discontinued"), ("Sibling_Fails_Second", 1, "Completed")],
)
def test_a_sibling_stopped_by_a_failing_step_never_ran_its_flow_and_runs_once_on_resume(
    flows_app: App, orchestration: str, counts_before_resume: int, counts_status: str
) -> None:
    """Parallel steps run in the order listed. A step discontinued because a sibling failed
    has not run: its writes can't be kept, and a resume runs it for the first time."""
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "t", "Stage": "blocked", "Size": 0}).id
    run = app.start(orchestration, {"ticket": ticket})
    assert run.status == "Error"
    assert _step(app, run.id, "Blocked").status == "Error"
    assert _step(app, run.id, "Counts").status == counts_status
    assert app.records.get(ticket).fields["Size"] == counts_before_resume

    app.records.update(ticket, {"Stage": "clear"})
    assert app.resume(run.id).status == "Completed"
    assert app.records.get(ticket).fields["Size"] == 1


@pytest.mark.parametrize(
    ("orchestration", "error"),
    [
        ("Too_Long", "StringDataRightTruncation"),  # after the flow wrote a record
        ("Publishes_Too_Long", "StringDataRightTruncation"),  # at its first use, a publish
        ("Swallows_Refusal", "caught the error and carried on"),
    ],
)
def test_a_statement_the_database_refuses_in_a_flow_fails_only_that_flow(
    pg_app: App, orchestration: str, error: str
) -> None:
    app = pg_app  # PostgreSQL: a refused statement aborts the transaction but for a savepoint
    app.deploy(PROJECT)
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start(orchestration, {"ticket": ticket})
    assert run.status == "Error"
    refused = _step(app, run.id, "Refused")
    assert refused.error is not None
    assert error in refused.error.message
    assert app.records.get(ticket).fields["Stage"] == "marked"
    assert [r.fields.get("Title") for r in app.records.list("Ticket")] == ["t"]


def test_a_statement_the_database_refuses_in_an_evaluation_flow_fails_its_criterion(
    pg_app: App,
) -> None:
    app = pg_app
    app.deploy(PROJECT)
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start("Evaluates_Refusal", {"ticket": ticket})
    assert run.status == "Error"
    refused = _step(app, run.id, "Refused")
    assert refused.error is not None
    assert "StringDataRightTruncation" in refused.error.message
    assert [r.fields.get("Title") for r in app.records.list("Ticket")] == ["t"]


def test_a_deadlock_a_flow_catches_still_fails_the_whole_transaction(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_app  # to be tried again, as a deadlock the flow does not catch is
    app.deploy(PROJECT)
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    get = records_store.get

    def deadlocked(conn: Connection, record_id: str, lock: bool = False) -> Any:
        if record_id == ticket:  # the flow's read: PostgreSQL picks it as a deadlock's victim
            conn.execute(text(DEADLOCK))
        return get(conn, record_id, lock)

    monkeypatch.setattr(records_store, "get", deadlocked)
    with pytest.raises(DBAPIError, match="deadlock detected"):
        app.start("Catches_All", {"ticket": ticket})
    assert app.runs(orchestration="Catches_All") == []


DEADLOCK = "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"


def test_a_run_started_by_a_flow_of_a_long_named_run_names_it_cut_short(
    flows_app: App,
) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Name": "n" * 200, "Title": "huge", "Size": 40}).id
    run = app.start("Triage_Work", {"ticket": ticket}, record=ticket)
    assert run.status == "Completed"
    outputs = _step(app, run.id, "Run_Triage").outputs
    assert outputs is not None
    child_run = app.run(outputs["child_run"])
    assert len(child_run.created_by) == 150  # the column's length
    assert child_run.created_by.startswith("flow:Triage Work: nnn")


def test_a_flows_dates_and_decimals_are_kept_as_json_and_reach_later_steps(
    flows_app: App,
) -> None:
    run = flows_app.start("Typed_Outputs_Run")
    assert run.status == "Completed"
    assert _step(flows_app, run.id, "Dates").outputs == {
        "due": "2030-01-02",
        "at": "2030-01-02T03:04:00+00:00",
        "amount": 12.5,
        "parts": [1, "2030-01-03"],
    }
    assert _step(flows_app, run.id, "Echo").outputs == {"text": "2030-01-02"}


def test_a_flow_output_json_cannot_keep_fails_its_step_naming_it(flows_app: App) -> None:
    run = flows_app.start("Set_Output_Run")
    assert run.status == "Error"
    error = _step(flows_app, run.id, "Tags").error
    assert error is not None
    assert "returned output 'tags' is a set" in error.message
    assert flows_app.run(run.id).status == "Error"  # the run and its error were committed


def test_a_work_item_completed_with_a_date_object_keeps_it_as_iso_text(flows_app: App) -> None:
    flows_app.people.create_user("alice")
    ticket = flows_app.records.create("Ticket", {"Title": "t"}).id
    item = flows_app.start("Date_Screen_Run", record=ticket).work_items[0]
    with pytest.raises(InvalidInput, match="'anything' is a set") as refused:
        flows_app.complete_work_item(item.id, "alice", {"anything": {1, 2}})
    assert refused.value.problems[0].field == "outputs.anything"
    assert flows_app.work_item(item.id).status == "Assigned"  # nothing changed
    run = flows_app.complete_work_item(item.id, "alice", {"due": date(2030, 1, 2)})
    assert run.status == "Completed"
    assert _step(flows_app, run.id, "Pick").outputs == {"due": "2030-01-02"}
