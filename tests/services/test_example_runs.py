"""The example orchestrations driven through the Python API, as an application would."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageflow.app import App
from stageflow.errors import InvalidInput, NotFound, PermissionDenied, TransitionNotAllowed
from tests.conftest import EXAMPLES


def _case(app: App, **values: object) -> str:
    base: dict[str, object] = {"Subject": "Leaking roof", "Status": "New", "Category": "Roof"}
    base.update(values)
    return app.records.create("Case", base).id


def _statuses(app: App, run_id: str) -> dict[str, str]:
    view = app.run(run_id)
    return {step.name: step.status for stage in view.stages for step in stage.steps}


def test_case_management_runs_to_completed(example_app: App) -> None:
    app = example_app
    case_id = _case(app, Category="Roof_and_Electrical", Contact_Email="pat@example.com")
    run = app.start("Case_Management", record=case_id)
    assert run.status == "InProgress"
    assert run.current_stage == "Triage"
    [triage] = app.work_items(user="alice")
    assert (triage.assigned_to, triage.record_id, triage.name) == (
        "queue:Support_Triage",
        case_id,
        "Triage Case",
    )

    run = app.complete_work_item(triage.id, "alice", {"priority": "High", "comments": "urgent"})
    assert run.current_stage == "Customer_QA_Survey"
    steps = _statuses(app, run.id)
    # The async survey step was queued and carried out by the embedded worker.
    assert steps["Get_Customer_Email"] == "Completed"
    assert steps["Notify_Customer"] == "Completed"
    assert steps["Technical_Electro_Review"] == "InProgress"  # the evaluation flow said yes
    assert app.records.get(case_id).fields["Priority"] == "High"  # the screen flow's update

    [roof] = app.work_items(user="bob")
    [electro] = app.work_items(user="carol")
    app.complete_work_item(roof.id, "bob", {"approved": True, "comments": "fine"})
    run = app.complete_work_item(electro.id, "carol", {"approved": True, "comments": "safe"})
    assert run.status == "Completed"
    assert [s.status for s in run.stages] == ["Completed", "Completed", "Completed"]
    record = app.records.get(case_id)
    assert record.fields["Status"] == "Closed"
    assert record.fields["Resolution"] == "urgent"
    assert app.work_items(user="bob") == []
    survey = app.records.list("QA_Survey")
    assert [s.fields["Email"] for s in survey] == ["pat@example.com"]
    transitions = [(e.object_type, e.object_name, e.to_status) for e in run.log]
    assert ("run", run.name, "Completed") in transitions
    assert any(e.object_type == "decision" and "Needs_Survey" in e.detail for e in run.log)


def test_roof_only_case_skips_the_electro_review_and_low_priority_goes_to_close(
    example_app: App,
) -> None:
    app = example_app
    roof = app.start("Case_Management", record=_case(app, Contact_Email="a@b.c"))
    app.complete_work_item(app.work_items(run=roof.id)[0].id, "alice", {"priority": "Medium"})
    [item] = app.work_items(run=roof.id)
    run = app.complete_work_item(item.id, "bob", {"comments": "ok"})
    assert run.status == "Completed"
    assert _statuses(app, run.id)["Technical_Electro_Review"] == "Discontinued"

    low = app.start("Case_Management", record=_case(app))
    run = app.complete_work_item(app.work_items(run=low.id)[0].id, "alice", {"priority": "Low"})
    assert run.status == "Completed"
    assert [s.status for s in run.stages] == ["Completed", "NotStarted", "Completed"]


def test_failing_background_flow_puts_the_run_in_error_and_resume_finishes_it(
    example_app: App,
) -> None:
    app = example_app
    case_id = _case(app)  # no Contact_Email: Get_Customer_Email raises
    run = app.start("Case_Management", record=case_id)
    run = app.complete_work_item(run.work_items[0].id, "alice", {"priority": "High"})
    assert run.status == "Error"
    stage = next(s for s in run.stages if s.name == "Customer_QA_Survey")
    assert stage.status == "Error"
    step = stage.steps[0]
    assert step.status == "Error"
    assert step.error is not None
    assert "has no Contact_Email" in step.error.message
    assert "Traceback (most recent call last)" in step.error.traceback
    assert "example_flows.py" in step.error.traceback
    assert stage.steps[2].status == "Discontinued"  # the roof review was running
    assert app.work_items(user="bob") == []  # its work item was canceled
    assert run.actions == ("cancel", "resume")

    with pytest.raises(TransitionNotAllowed):
        app.suspend(run.id)
    app.records.update(case_id, {"Contact_Email": "pat@example.com"})
    run = app.resume(run.id, by="sue")
    assert run.status == "InProgress"
    steps = {s.name: s for stage in run.stages for s in stage.steps}
    assert steps["Get_Customer_Email"].status == "Completed"
    assert steps["Get_Customer_Email"].attempt == 2
    assert steps["Triage_Case"].attempt == 1  # completed steps are not run again
    assert steps["Technical_Roof_Review"].status == "InProgress"
    [item] = app.work_items(user="bob")
    run = app.complete_work_item(item.id, "bob", {"comments": "ok"})
    assert run.status == "Completed"


def test_expense_approval_autolaunched_with_reference_assignee(example_app: App) -> None:
    app = example_app
    expense = app.records.create("Expense", {"Title": "Ladder", "Amount": 249.0})
    with pytest.raises(InvalidInput) as bad:
        app.start("Expense_Approval", {"recordId": expense.id, "amount": "a lot"})
    fields = {p.field for p in bad.value.problems}
    assert fields == {"inputs.amount", "inputs.approver"}
    run = app.start("Expense_Approval", {"recordId": expense.id, "approver": "dave", "amount": 249})
    [item] = app.work_items(user="dave")
    assert item.assigned_to == "user:dave"
    with pytest.raises(PermissionDenied):
        app.complete_work_item(item.id, "eve", {"decision": "Approved"})
    with pytest.raises(InvalidInput) as wrong:
        app.complete_work_item(item.id, "dave", {"decision": "Approved", "colour": "red"})
    assert wrong.value.problems[0].field == "outputs.colour"
    assert app.work_item(item.id).status == "Assigned"  # refused: nothing changed
    run = app.complete_work_item(item.id, "dave", {"decision": "Approved"})
    assert run.status == "Completed"
    assert app.records.get(expense.id).fields["Status"] == "Paid"
    assert run.stages[1].steps[0].outputs == {"payment_id": f"PAY-{expense.id}"}


def test_cancel_and_reassign(example_app: App) -> None:
    app = example_app
    run = app.start("Case_Management", record=_case(app))
    item = run.work_items[0]
    app.reassign_work_item(item.id, "user:eve", by="sue")
    assert app.work_items(user="alice") == []
    [mine] = app.work_items(user="eve")
    assert mine.modified_by == "sue"
    with pytest.raises(NotFound):
        app.reassign_work_item(item.id, "group:Nobody")
    run = app.cancel(run.id, by="sue")
    assert run.status == "Canceled"
    assert run.stages[0].status == "Canceled"
    assert run.stages[0].steps[0].status == "Canceled"
    assert app.work_item(item.id).status == "Canceled"
    with pytest.raises(TransitionNotAllowed):
        app.complete_work_item(item.id, "eve", {"priority": "High"})
    with pytest.raises(TransitionNotAllowed):
        app.cancel(run.id)


def test_suspend_holds_work_until_resume(example_app: App) -> None:
    app = example_app
    run = app.start("Case_Management", record=_case(app))
    item = run.work_items[0]
    run = app.suspend(run.id, by="sue")
    assert (run.status, run.stages[0].status, run.stages[0].steps[0].status) == (
        "Suspended",
        "Suspended",
        "Suspended",
    )
    with pytest.raises(TransitionNotAllowed):
        app.complete_work_item(item.id, "alice", {"priority": "Low"})
    app.resume(run.id, by="sue")
    run = app.complete_work_item(item.id, "alice", {"priority": "Low"})
    assert run.status == "Completed"


def test_a_changed_orchestration_deploys_as_a_new_version_and_runs_keep_theirs(
    example_app: App, tmp_path: Path
) -> None:
    app = example_app
    old_run = app.start("Case_Management", record=_case(app))
    project = tmp_path / "examples"
    import shutil

    shutil.copytree(EXAMPLES, project)
    path = project / "definitions/orchestrations/case_management.yaml"
    path.write_text(path.read_text().replace("label: Triage Case", "label: Triage The Case"))
    deployed = {d.name: d for d in app.deploy(project)}
    assert (deployed["Case_Management"].version, deployed["Case_Management"].changed) == (2, True)
    assert deployed["Expense_Approval"].changed is False
    versions = [(v.version, v.active) for v in app.versions("orchestration", "Case_Management")]
    assert versions == [(1, False), (2, True)]
    new_run = app.start("Case_Management", record=_case(app))
    assert (app.run(old_run.id).version, new_run.version) == (1, 2)
    assert app.run(old_run.id).work_items[0].name == "Triage Case"
    assert new_run.work_items[0].name == "Triage The Case"
    # The old run still finishes on version 1.
    run = app.complete_work_item(old_run.work_items[0].id, "alice", {"priority": "Low"})
    assert (run.status, run.version) == ("Completed", 1)


def test_a_repeated_event_id_changes_nothing(example_app: App) -> None:
    app = example_app
    run = app.start("Case_Management", record=_case(app))
    item = run.work_items[0].id
    first = app.complete_work_item(item, "alice", {"priority": "Low"}, event_id="req-1")
    assert first.status == "Completed"
    again = app.complete_work_item(item, "alice", {"priority": "Low"}, event_id="req-1")
    assert again.status == "Completed"
    assert len(again.log) == len(first.log)  # nothing applied the second time
    with pytest.raises(TransitionNotAllowed):  # without the id it is a second completion
        app.complete_work_item(item, "alice", {"priority": "Low"})
    other = app.start("Case_Management", record=_case(app))
    app.cancel(other.id, by="sue", event_id="cancel-9")
    assert app.cancel(other.id, by="sue", event_id="cancel-9").status == "Canceled"


def test_an_event_id_used_for_one_action_is_refused_for_another_on_the_same_run(
    example_app: App,
) -> None:
    app = example_app
    run = app.start("Case_Management", record=_case(app))
    app.suspend(run.id, by="sue", event_id="req-7")
    with pytest.raises(InvalidInput, match="used for another action on this run") as refused:
        app.resume(run.id, by="sue", event_id="req-7")
    assert refused.value.problems[0].field == "event_id"
    assert app.run(run.id).status == "Suspended"  # not taken for a repeat of the suspend
    assert app.suspend(run.id, by="sue", event_id="req-7").status == "Suspended"  # a repeat
    assert app.resume(run.id, by="sue", event_id="req-8").status == "InProgress"
    item = app.run(run.id).work_items[-1].id
    with pytest.raises(InvalidInput, match=r"another action on this run \(suspend\)"):
        app.complete_work_item(item, "alice", {"priority": "Low"}, event_id="req-7")
    assert app.work_item(item).status == "Assigned"
