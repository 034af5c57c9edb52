"""Deploying a folder: all or nothing, checked against what is deployed already."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from stageflow.app import App
from stageflow.errors import DefinitionError

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
