"""Run use cases that the doors build on."""

from __future__ import annotations

from pathlib import Path

from stageflow.app import App
from stageflow.services import runs

CHOSEN = """stageflow: 1
kind: orchestration
name: Chosen_Records
type: autolaunched
inputs:
  - {name: account, type: lookup}
  - {name: n, type: text, default: "T-1"}
  - {name: other, type: text}
  - {name: note, type: text}
stages:
  - name: S
    steps:
      - {name: By_Template, type: interactive, flow: Note_Screen, assignee: {user: alice},
         record: "{!$Input.n}", inputs: {recordId: "{!$Input.note}"}}
      - {name: By_Input, type: interactive, flow: Note_Screen, assignee: {user: alice},
         record: "{!$Input.other}"}
"""


def test_the_records_a_runs_inputs_choose_are_its_work_items_records_and_its_lookups(
    flows_app: App, tmp_path: Path
) -> None:
    (tmp_path / "chosen.yaml").write_text(CHOSEN)
    flows_app.deploy(tmp_path / "chosen.yaml")
    chosen = runs.records_chosen_by(
        flows_app.rt, "Chosen_Records",
        {"account": "A1", "n": "7", "other": "O1", "note": "just text"},
    )  # fmt: skip
    assert chosen == {"A1": "inputs.account", "7": "inputs.n", "O1": "inputs.other"}
    # n's default is the orchestration author's choice, not the starter's
    assert runs.records_chosen_by(flows_app.rt, "Chosen_Records", {"other": ""}) == {}
    assert runs.records_chosen_by(flows_app.rt, "No_Such_Orchestration", {"other": "x"}) == {}


def test_a_record_id_or_approver_too_long_fails_the_step_and_long_actors_are_cut(
    example_app: App,
) -> None:
    """On PostgreSQL these failed the whole call with a DataError (a 500 through REST)."""
    app = example_app
    expense = app.records.create("Expense", {"Title": "Tent", "Amount": 1}).id
    inputs = {"recordId": expense, "approver": "alice", "amount": 1}
    for bad in ({"recordId": "r" * 41}, {"approver": "a" * 151}):
        run = app.start("Expense_Approval", {**inputs, **bad})
        assert run.status == "Error"
        [step] = run.stages[0].steps
        assert step.error is not None
        assert step.error.message.startswith("interactive step 'Manager_Approval' has no ")
        assert run.work_items == ()
    long = "someone " * 30  # 240 characters
    for act in (app.cancel, app.suspend, app.reevaluate):
        run = app.start("Expense_Approval", inputs)
        done = act(run.id, by=long)
        assert done.modified_by == long[:149] + "…"
        assert done.log[-1].actor == long[:149] + "…"
    run = app.start("Expense_Approval", inputs)
    moved = app.reassign_work_item(run.work_items[0].id, "user:bob", by=long)
    assert moved.work_items[0].modified_by == long[:149] + "…"


NAN_ROUTE = """stageflow: 1
kind: orchestration
name: Nan_Route
type: autolaunched
inputs: [{name: x, type: text}]
stages:
  - decision: Route
    outcomes:
      - name: Big
        conditions: {logic: or, rules: [{ref: "{!$Input.x}", op: greater_than, value: 5},
                                         {ref: "{!$Input.x}", op: less_or_equal, value: 5}]}
        next: Big
    default: Other
  - {name: Big, steps: [{name: B, type: background, flow: Echo_Text, inputs: {text: big}}]}
  - {name: Other, steps: [{name: O, type: background, flow: Echo_Text, inputs: {text: other}}]}
"""


def test_a_nan_a_reference_brings_to_an_ordering_makes_it_not_hold(
    flows_app: App, tmp_path: Path
) -> None:
    """The decision raised decimal's InvalidOperation out of the start."""
    (tmp_path / "nan.yaml").write_text(NAN_ROUTE)
    flows_app.deploy(tmp_path / "nan.yaml")
    for x, ways in (("7", ["Completed", "Completed"]), ("NaN", ["NotStarted", "Completed"])):
        run = flows_app.start("Nan_Route", {"x": x})
        assert run.status == "Completed"
        assert [stage.status for stage in run.stages] == ways
