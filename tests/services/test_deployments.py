"""Deploying a folder: all or nothing, checked against what is deployed already."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from stageflow.app import App
from stageflow.errors import DefinitionError, InvalidInput
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
    assert problem.message == (
        "deployed orchestration 'Noting' (version 1) would break: "
        "flow 'Write_Note' requires input 'channel'"
    )
    assert problem.file == str(tmp_path / "v1" / "orch.yaml")  # as it was deployed
    assert problem.line == 11  # the step's inputs
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
