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
