"""Reading definition files: lines are kept, YAML 1.2 rules, every problem is collected."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from stageflow.definitions.loader import load_one, load_path, load_text
from stageflow.definitions.model import (
    AfterSteps,
    Decision,
    Loc,
    Orchestration,
    ScreenFlow,
    Stage,
    WhenEvaluationFlow,
)
from stageflow.errors import Problem
from tests.conftest import EXAMPLES

ORCHESTRATION = dedent(
    """\
    stageflow: 1
    kind: orchestration
    name: Onboarding
    type: autolaunched
    inputs:
      - {name: employee, type: text, required: true}
    stages:
      - name: Paperwork
        steps:
          - name: Sign_Contract
            type: interactive
            flow: Contract_Screen
            assignee: {user: hr}
            inputs:
              employee: "{!$Input.employee}"
          - name: File_Contract
            type: background
            flow: File_It
            start:
              after: [Sign_Contract]
      - decision: Signed
        outcomes:
          - name: Yes
            conditions: {rules: [{ref: "{!Sign_Contract.Status}", op: equals, value: Completed}]}
            next: Welcome
        default: Welcome
      - name: Welcome
        steps:
          - name: Say_Hello
            type: background
            flow: Say_Hello
            start: {evaluation_flow: Is_Monday, inputs: {employee: "{!$Input.employee}"}}
    """
)


def line(text: str, needle: str) -> int:
    """The 1-based line of the one place `needle` occurs in `text`."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def load(text: str, file: str = "onboarding.yaml") -> tuple[object, list[Problem]]:
    return load_text(text, file)


def parsed() -> Orchestration:
    definition, problems = load(ORCHESTRATION)
    assert problems == []
    assert isinstance(definition, Orchestration)
    return definition


# --- file and line ------------------------------------------------------------------------------


def test_every_node_keeps_its_file_and_line() -> None:
    o = parsed()
    text = ORCHESTRATION
    assert o.loc == Loc("onboarding.yaml", 1)
    paperwork, signed, welcome = o.nodes
    assert isinstance(paperwork, Stage)
    assert isinstance(signed, Decision)
    assert isinstance(welcome, Stage)
    assert paperwork.loc.line == line(text, "- name: Paperwork")
    assert signed.loc.line == line(text, "- decision: Signed")
    assert signed.outcomes[0].loc.line == line(text, "- name: Yes")
    assert signed.outcomes[0].conditions.rules[0].loc.line == line(text, "{ref: ")
    assert o.steps["Sign_Contract"].loc.line == line(text, "- name: Sign_Contract")
    assert o.steps["File_Contract"].loc.line == line(text, "- name: File_Contract")
    assert o.inputs[0].loc.line == line(text, "{name: employee")
    assert all(n.loc.file == "onboarding.yaml" for n in o.nodes)


def test_a_node_knows_the_line_of_each_of_its_keys() -> None:
    o = parsed()
    text = ORCHESTRATION
    step = o.steps["Sign_Contract"]
    assert step.loc.at("flow").line == line(text, "flow: Contract_Screen")
    assert step.loc.at("inputs.employee").line == line(text, 'employee: "{!$Input.employee}"\n')
    assert o.steps["File_Contract"].loc.at("start.after").line == line(text, "after: [")
    signed = o.nodes[1]
    assert isinstance(signed, Decision)
    assert signed.loc.at("default").line == line(text, "default: Welcome")
    assert signed.outcomes[0].loc.at("next").line == line(text, "next: Welcome")
    assert o.loc.at("name").line == 3


def test_an_unwritten_key_falls_back_to_the_nearest_written_one() -> None:
    step = parsed().steps["Sign_Contract"]
    assert step.loc.at("inputs.nobody").line == line(ORCHESTRATION, "    inputs:\n")
    assert step.loc.at("completion").line == step.loc.line
    assert step.loc.at("completion").file == "onboarding.yaml"


def test_an_evaluation_flow_criterion_keeps_the_line_of_its_inputs() -> None:
    start = parsed().steps["Say_Hello"].start
    assert isinstance(start, WhenEvaluationFlow)
    assert start.flow == "Is_Monday"
    assert start.loc.line == line(ORCHESTRATION, "start: {evaluation_flow")
    assert start.loc.at("inputs.employee").line == start.loc.line


def test_criteria_are_read_into_their_types() -> None:
    o = parsed()
    assert o.steps["File_Contract"].start == AfterSteps(("Sign_Contract",))


def test_load_path_reads_a_folder_and_shows_files_relative_to_the_root(tmp_path: Path) -> None:
    (tmp_path / "orchestrations").mkdir()
    (tmp_path / "orchestrations" / "onboarding.yaml").write_text(ORCHESTRATION, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a definition", encoding="utf-8")
    bundle = load_path(tmp_path, display_root=tmp_path)
    assert bundle.problems == []
    assert [s.file for s in bundle.sources] == ["orchestrations/onboarding.yaml"]
    assert bundle.sources[0].text == ORCHESTRATION
    assert bundle.orchestrations[0].steps["Say_Hello"].loc.file == "orchestrations/onboarding.yaml"


def test_a_folder_without_definitions_is_a_problem(tmp_path: Path) -> None:
    bundle = load_path(tmp_path)
    assert bundle.sources == []
    assert ["no definition files" in p.message for p in bundle.problems] == [True]


# --- YAML rules ---------------------------------------------------------------------------------


def test_yes_no_on_off_stay_text_as_in_yaml_1_2() -> None:
    o = parsed()
    signed = o.nodes[1]
    assert isinstance(signed, Decision)
    assert signed.outcomes[0].name == "Yes"
    text = dedent(
        """\
        stageflow: 1
        kind: screen_flow
        name: Answer
        screens:
          - name: Ask
            fields:
              - {name: No, type: text, default: on}
              - {name: Agree, type: checkbox, default: true}
              - {name: Later, type: checkbox, default: False}
        """
    )
    sf, problems = load(text)
    assert problems == []
    assert isinstance(sf, ScreenFlow)
    assert sf.fields["No"].default == "on"
    assert sf.fields["Agree"].default is True
    assert sf.fields["Later"].default is False


def test_a_duplicate_yaml_key_is_reported_at_its_second_line() -> None:
    text = ORCHESTRATION.replace(
        "flow: Contract_Screen\n", "flow: Contract_Screen\n        flow: Other_Screen\n"
    )
    _, problems = load(text)
    assert [(p.message, p.line, p.field) for p in problems] == [
        ("duplicate key 'flow'", line(text, "flow: Other_Screen"), "flow")
    ]


def test_invalid_yaml_is_reported_at_its_line() -> None:
    text = ORCHESTRATION.replace("name: Onboarding", "name: Onboarding: new")
    definition, problems = load(text)
    assert definition is None
    assert len(problems) == 1
    assert problems[0].file == "onboarding.yaml"
    assert problems[0].line == 3
    assert "not valid YAML" in problems[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("- stageflow: 1\n", "must be a mapping"),
        ("just words\n", "must be a mapping"),
    ],
)
def test_a_file_that_is_not_a_mapping_is_a_problem(text: str, message: str) -> None:
    definition, problems = load(text)
    assert definition is None
    assert [message in p.message for p in problems] == [True]


@pytest.mark.parametrize("version", ["2", "true", "1.0", "'1'"])
def test_only_format_version_1_is_read(version: str) -> None:
    text = ORCHESTRATION.replace("stageflow: 1", f"stageflow: {version}")
    _, problems = load(text)
    assert [(p.line, p.field) for p in problems] == [(1, "stageflow")]


def test_a_missing_version_or_kind_names_the_key() -> None:
    _, problems = load("name: Onboarding\n")
    assert {p.field for p in problems} == {"stageflow", "kind"}


# --- every problem is collected -----------------------------------------------------------------


def test_a_file_with_three_mistakes_reports_all_three() -> None:
    text = (
        ORCHESTRATION.replace("name: Sign_Contract", "name: Sign-Contract")
        .replace("op: equals", "op: equal")
        .replace(
            "    steps:\n      - name: Say_Hello",
            "    stepz: []\n    steps:\n      - name: Say_Hello",
        )
    )
    _, problems = load(text)
    found = sorted((p.line or 0, p.field or "") for p in problems)
    assert found == [
        (line(text, "Sign-Contract"), "stages[0].steps[0].name"),
        (line(text, "op: equal"), "stages[1].outcomes[0].conditions.rules[0].op"),
        (line(text, "stepz"), "stages[2].stepz"),
    ]
    messages = " | ".join(p.message for p in problems)
    assert "not a valid API name" in messages
    assert "unknown operator 'equal'" in messages
    assert "unknown key 'stepz'" in messages


def test_a_missing_required_key_names_the_key_at_the_node_line() -> None:
    text = ORCHESTRATION.replace("        type: background\n        flow: File_It\n", "")
    _, problems = load(text)
    assert [(p.line, p.field) for p in problems] == [
        (line(text, "- name: File_Contract"), "stages[0].steps[1].type"),
        (line(text, "- name: File_Contract"), "stages[0].steps[1].flow"),
    ]


def test_load_one_refuses_a_definition_with_problems() -> None:
    assert isinstance(load_one(ORCHESTRATION, "ok.yaml"), Orchestration)
    with pytest.raises(ValueError, match="no longer parses"):
        load_one(ORCHESTRATION.replace("op: equals", "op: equal"), "bad.yaml")


def test_control_characters_are_a_problem_not_a_crash() -> None:
    from stageflow.definitions.loader import load_text

    definition, problems = load_text("\x1f", "odd.yaml")
    assert definition is None
    assert [p.file for p in problems] == ["odd.yaml"]
    assert "not allowed" in problems[0].message


@pytest.mark.parametrize(
    "file",
    [
        "orchestrations/case_management.yaml",
        "screen_flows/triage_case.yaml",
        "flows/close_case.yaml",
        "objects/case.yaml",
    ],
)
def test_a_nul_written_through_a_yaml_escape_is_a_problem_at_its_line(file: str) -> None:
    # PostgreSQL stores no NUL in text: deployed, it made every run start fail
    text = (EXAMPLES / "definitions" / file).read_text(encoding="utf-8")
    label = text.split("label: ", 1)[1].split("\n", 1)[0]
    text = text.replace(f"label: {label}\n", f'label: "Review\\0{label}"\n', 1)
    _, problems = load_text(text, file)
    assert [(p.file, p.line, p.field, p.message) for p in problems] == [
        (
            file,
            line(text, "Review\\0"),
            "label",
            f"{'Review' + chr(0) + label!r} contains a NUL character (\\0), "
            "which text may not hold",
        )
    ]


def test_a_nul_in_a_key_or_a_list_item_is_a_problem_at_its_line() -> None:
    text = ORCHESTRATION.replace(
        'employee: "{!$Input.employee}"', '"employee\\0": "{!$Input.employee}"', 1
    ).replace("assignee: {user: hr}", 'assignee: {user: hr}\n        start: {after: ["a\\0"]}')
    _, problems = load(text)
    nul = [(p.line, p.field, p.message) for p in problems if "NUL" in p.message]
    assert nul == [
        (
            line(text, '["a\\0"]'),
            None,
            "'a\\x00' contains a NUL character (\\0), which text may not hold",
        ),
        (
            line(text, '"employee\\0"'),
            None,
            "'employee\\x00' contains a NUL character (\\0), which text may not hold",
        ),
    ]
