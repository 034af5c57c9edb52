"""Deploying a folder: all or nothing, checked against what is deployed already."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from stageflow.app import App
from stageflow.errors import DefinitionError, InvalidInput, Problem
from tests.conftest import EXAMPLES

NOTE_FLOW = dedent(
    """\
    stageflow: 1
    kind: flow
    name: Write_Note
    inputs:
      - {name: note, type: text}
    outputs:
      - {name: written, type: checkbox}
    elements:
      - {name: Done, assignment: {written: true}}
    """
)

NOTE_ORCHESTRATION = dedent(
    """\
    stageflow: 1
    kind: orchestration
    name: Noting
    type: autolaunched
    stages:
      - name: Only
        steps:
          - name: Note_It
            type: background
            flow: Write_Note
            inputs: {note: hello}
    """
)

# the flow now requires an input the deployed orchestration does not give
NOTE_FLOW_WITH_A_REQUIRED_INPUT = NOTE_FLOW.replace(
    "  - {name: note, type: text}\n",
    "  - {name: note, type: text}\n  - {name: channel, type: text, required: true}\n",
)


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def noting(app: App, tmp_path: Path) -> App:
    app.deploy(_folder(tmp_path / "v1", {"flow.yaml": NOTE_FLOW, "orch.yaml": NOTE_ORCHESTRATION}))
    return app


def test_a_changed_flow_that_would_break_a_deployed_orchestration_is_refused(
    noting: App, tmp_path: Path
) -> None:
    folder = _folder(tmp_path / "v2", {"flow.yaml": NOTE_FLOW_WITH_A_REQUIRED_INPUT})
    before = noting.versions()

    with pytest.raises(DefinitionError) as refused:
        noting.deploy(folder)

    [problem] = refused.value.problems
    assert problem.field == "stages[Only].steps[Note_It].inputs"
    # named by its version, at the line of its deployed text (the step's inputs): the file it
    # was deployed from is no file of this folder, and may be gone
    assert problem.message == (
        "deployed orchestration 'Noting' v1 (line 11) would break: "
        "flow 'Write_Note' requires input 'channel'"
    )
    assert (problem.file, problem.line) == (None, None)
    assert noting.validate(folder) == [problem]  # validate says so too
    assert noting.versions() == before  # nothing deployed
    assert noting.start("Noting").status == "Completed"  # and the orchestration still runs


def test_the_flow_deploys_with_the_orchestration_that_gives_the_new_input(
    noting: App, tmp_path: Path
) -> None:
    orchestration = NOTE_ORCHESTRATION.replace("{note: hello}", "{note: hello, channel: mail}")
    folder = _folder(
        tmp_path / "v2",
        {"flow.yaml": NOTE_FLOW_WITH_A_REQUIRED_INPUT, "orch.yaml": orchestration},
    )

    deployed = noting.deploy(folder)

    assert sorted((d.name, d.version) for d in deployed) == [("Noting", 2), ("Write_Note", 2)]
    assert noting.start("Noting").status == "Completed"


def test_an_object_that_would_break_a_deployed_flows_record_writes_is_refused(
    app: App, tmp_path: Path
) -> None:
    app.deploy(EXAMPLES)
    case = (EXAMPLES / "definitions" / "objects" / "case.yaml").read_text(encoding="utf-8")
    without_resolution = case.replace("  - {name: Resolution, type: long_text}\n", "")
    folder = _folder(tmp_path / "v2", {"case.yaml": without_resolution})
    before = app.versions()

    with pytest.raises(DefinitionError) as refused:
        app.deploy(folder)

    # Close_Case (deployed with the examples) writes the Case's Resolution
    flow = (EXAMPLES / "definitions" / "flows" / "close_case.yaml").read_text(encoding="utf-8")
    line = flow[: flow.index("Resolution:")].count("\n") + 1
    fields = "Category, Contact_Email, Contact_Name, Priority, Status, Subject"
    assert list(refused.value.problems) == [
        Problem(
            f"deployed flow 'Close_Case' v1 (line {line}) would break: "
            f"object 'Case' has no field 'Resolution' (its fields: {fields})",
            field="elements[Close].update_record.values.Resolution",
        )
    ]
    assert app.validate(folder) == list(refused.value.problems)
    assert app.versions() == before


def test_activating_a_kind_that_does_not_exist_names_the_kind(app: App) -> None:
    """It said "[version]: bogus 'Case_Management' has no version 1"."""
    app.deploy(EXAMPLES)
    kinds = "orchestration, object, screen_flow, flow"
    with pytest.raises(
        InvalidInput, match=rf"\[kind\]: 'bogus' is not a kind of definition \({kinds}\)"
    ):
        app.activate("bogus", "Case_Management", 1)
    with pytest.raises(InvalidInput, match=r"\[kind\]"):
        app.deactivate("orchestrations", "Case_Management")
    assert [v.active for v in app.versions("orchestration", "Case_Management")] == [True]
    with pytest.raises(DefinitionError, match=r"\[version\]: orchestration 'Case_Management' has"):
        app.activate("orchestration", "Case_Management", 2)


def test_deactivating_a_screen_flow_an_active_orchestration_uses_is_refused(app: App) -> None:
    app.deploy(EXAMPLES)
    with pytest.raises(DefinitionError) as refused:
        app.deactivate("screen_flow", "Triage_Case_Screen")
    assert str(refused.value) == (
        "[stages[Triage].steps[Triage_Case].flow]: deployed orchestration 'Case_Management' v1 "
        "(line 20) would break: unknown screen flow 'Triage_Case_Screen'"
    )
    [screen] = app.versions("screen_flow", "Triage_Case_Screen")
    assert screen.active  # nothing changed
    app.deactivate("orchestration", "Case_Management")  # once nothing active uses it, it may go
    app.deactivate("screen_flow", "Triage_Case_Screen")
    assert not app.versions("screen_flow", "Triage_Case_Screen")[0].active
