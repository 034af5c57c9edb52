"""The screen flow format: per-screen `assign` and `next`, read with file, line and field, and
validated (unknown screens, references to nothing, duplicate names, unreachable screens)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from stageflow.definitions.loader import Bundle, Source, load_path, load_text
from stageflow.definitions.model import FINISH, DataType, ObjectDef, ObjectField, ScreenFlow
from stageflow.definitions.validate import Known, validate
from stageflow.errors import Problem
from tests.conftest import EXAMPLES

FILE = "screen_flows/survey.yaml"

SURVEY = dedent(
    """\
    stageflow: 1
    kind: screen_flow
    name: Survey
    inputs:
      - {name: customer, type: text}
    outputs:
      - {name: score, type: number, required: true}
      - {name: verdict, type: text}
      - {name: follow_up, type: checkbox}
    screens:
      - name: Rate
        fields:
          - {name: hello, type: display_text, label: "Dear {!customer}, rate us."}
          - {name: score, label: Score, type: number, required: true, default: 5}
          - {name: mood, label: Mood, type: picklist, choices: [Happy, Sad], default: Happy}
        assign:
          verdict: "{!mood} customer"
          follow_up: false
        next:
          outcomes:
            - name: Unhappy
              conditions: {rules: [{ref: "{!score}", op: less_than, value: 3}]}
              screen: Why
            - conditions: {rules: [{ref: "{!mood}", op: equals, value: Happy}]}
              screen: finish
          default: Thanks
      - name: Why
        fields:
          - {name: reason, label: Why, type: long_text}
        assign: {follow_up: true}
        next: Thanks
      - name: Thanks
        fields:
          - {name: bye, type: display_text, label: "Thanks! {!verdict}"}
    """
)


# the object the documented example's record update writes to
CASE = ObjectDef("Case", "Case", (ObjectField("Priority", "Priority", DataType.PICKLIST),))


def load(text: str) -> tuple[ScreenFlow | None, list[Problem]]:
    definition, problems = load_text(text, FILE)
    assert definition is None or isinstance(definition, ScreenFlow)
    return definition, problems


def check(text: str) -> list[Problem]:
    definition, problems = load(text)
    assert problems == []
    assert definition is not None
    return validate(Bundle(sources=[Source(definition, FILE, text)]), Known(objects={"Case": CASE}))


def line(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def changed(*replacements: tuple[str, str]) -> str:
    text = SURVEY
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def where(problems: list[Problem]) -> list[tuple[str | None, int | None, str | None]]:
    return [(p.file, p.line, p.field) for p in problems]


# --- reading -------------------------------------------------------------------------------------


def test_assign_and_next_are_read_into_the_model() -> None:
    sf, problems = load(SURVEY)
    assert problems == []
    assert sf is not None
    rate, why, thanks = sf.screens
    assert rate.assign == {"verdict": "{!mood} customer", "follow_up": False}
    assert rate.next is not None
    assert [(o.name, o.screen) for o in rate.next.outcomes] == [("Unhappy", "Why"), ("", FINISH)]
    assert rate.next.outcomes[0].conditions.rules[0].left == "{!score}"
    assert rate.next.default == "Thanks"
    assert why.next is not None
    assert (why.next.outcomes, why.next.default) == ((), "Thanks")
    assert thanks.next is None
    assert sf.targets(rate) == ("Why", FINISH, "Thanks")
    assert sf.targets(thanks) == (FINISH,)
    assert sf.variable_names == {"customer", "hello", "score", "mood", "reason", "bye"} | {
        "verdict",
        "follow_up",
    }
    assert check(SURVEY) == []


def test_next_may_be_a_list_of_outcomes_without_a_default() -> None:
    text = dedent(
        """\
        stageflow: 1
        kind: screen_flow
        name: Branch
        screens:
          - name: Ask
            fields:
              - {name: big, label: Big, type: checkbox}
            next:
              - {conditions: {rules: [{ref: "{!big}", op: equals, value: true}]}, screen: Big}
          - name: Small
            fields: []
            next: finish
          - name: Big
            fields: []
        """
    )
    sf, problems = load(text)
    assert problems == []
    assert sf is not None
    ask = sf.screens[0]
    assert ask.next is not None
    assert [o.screen for o in ask.next.outcomes] == ["Big"]
    assert ask.next.default is None
    assert sf.targets(ask) == ("Big", "Small")  # no default: the next listed screen
    assert check(text) == []


def test_the_examples_still_load_and_validate() -> None:
    bundle = load_path(EXAMPLES / "definitions" / "screen_flows", display_root=EXAMPLES)
    assert bundle.problems == []
    assert len(bundle.screen_flows) >= 4
    objects = load_path(EXAMPLES / "definitions" / "objects", display_root=EXAMPLES).objects
    # their record updates write to the examples' objects
    assert validate(bundle, Known(objects={o.name: o for o in objects})) == []
    for sf in bundle.screen_flows:
        assert all(s.assign == {} and s.next is None for s in sf.screens)


def test_the_documented_example_validates() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "definitions.md").read_text()
    section = docs[docs.index("## Screen flow") :]
    text = section[section.index("```yaml\n") + 8 : section.index("```\n", 10)]
    assert check(text) == []


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        (
            "    next: Thanks\n",
            "    next: 3\n",
            "next: 3",
            "screens[1].next",
            "'next' is a screen name, 'finish', a list of outcomes",
        ),
        (
            "    next: Thanks\n",
            "    next: Thank_\n",
            "next: Thank_",
            "screens[1].next",
            "not a valid API name",
        ),
        (
            "          screen: Why\n",
            "          screen: Why\n          colour: red\n",
            "colour: red",
            "screens[0].next.outcomes[0].colour",
            "unknown key 'colour'",
        ),
        (
            "          screen: finish\n",
            "          screen: finish\n          when: now\n",
            "when: now",
            "screens[0].next.outcomes[1].when",
            "unknown key 'when'",
        ),
        (
            '{ref: "{!mood}", op: equals,',
            '{ref: "{!mood}", op: same,',
            "op: same",
            "screens[0].next.outcomes[1].conditions.rules[0].op",
            "unknown operator 'same'",
        ),
        (
            "      default: Thanks\n",
            "      default: Thanks\n      otherwise: Why\n",
            "otherwise: Why",
            "screens[0].next.otherwise",
            "unknown key 'otherwise'",
        ),
        (
            "    assign: {follow_up: true}\n",
            "    assign: [follow_up]\n",
            "assign: [follow_up]",
            "screens[1].assign",
            "'assign' must map flow variable names to values",
        ),
        (
            "    assign: {follow_up: true}\n",
            "    assign: {follow up: true}\n",
            "assign: {follow up",
            "screens[1].assign.follow up",
            "not a valid API name",
        ),
        (
            "      follow_up: false\n",
            "      follow_up: {a: 1}\n",
            "follow_up: {a: 1}",
            "screens[0].assign.follow_up",
            "a value to assign is a literal, a list or a reference",
        ),
    ],
)
def test_format_problems_point_at_file_line_and_field(
    old: str, new: str, needle: str, field: str, message: str
) -> None:
    text = changed((old, new))
    _, problems = load(text)
    assert [(p.file, p.line, p.field) for p in problems] == [(FILE, line(text, needle), field)]
    assert message in problems[0].message


def test_an_outcome_needs_conditions_and_a_screen() -> None:
    text = changed(
        (
            '          conditions: {rules: [{ref: "{!score}", op: less_than, value: 3}]}\n'
            "          screen: Why\n",
            "          label: Nothing\n",
        )
    )
    _, problems = load(text)
    assert sorted((p.line, p.field, p.message) for p in problems) == [
        (line(text, "- name: Unhappy"), "screens[0].next.outcomes[0].conditions",
         "missing required key 'conditions'"),
        (line(text, "- name: Unhappy"), "screens[0].next.outcomes[0].screen",
         "missing required key 'screen'"),
    ]  # fmt: skip


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        (
            "          screen: Why\n",
            "          screen: Whyy\n",
            "screen: Whyy",
            "screens[Rate].next.outcomes[Unhappy].screen",
            "goes to unknown screen 'Whyy'",
        ),
        (
            "          screen: finish\n",
            "          screen: Finish\n",
            "screen: Finish",
            "screens[Rate].next.outcomes[1].screen",
            "goes to unknown screen 'Finish'",
        ),
        (
            "      default: Thanks\n",
            "      default: Thank\n",
            "default: Thank",
            "screens[Rate].next.default",
            "goes to unknown screen 'Thank'",
        ),
        (
            "    next: Thanks\n",
            "    next: Thank\n",
            "next: Thank",
            "screens[Why].next",
            "goes to unknown screen 'Thank'",
        ),
        (
            '{ref: "{!score}", op: less_than, value: 3}',
            '{ref: "{!scor}", op: less_than, value: 3}',
            "{!scor}",
            "screens[Rate].next.outcomes[Unhappy].conditions",
            "{!scor}: reference to nothing",
        ),
        (
            "{!mood} customer",
            "{!moood} customer",
            "{!moood} customer",
            "screens[Rate].assign.verdict",
            "{!moood}: reference to nothing",
        ),
        (
            "Thanks! {!verdict}",
            "Thanks! {!verdikt}",
            "{!verdikt}",
            "screens[Thanks].fields[bye].label",
            "{!verdikt}: reference to nothing",
        ),
        (
            "Dear {!customer}",
            "Dear {!$Record.Name}",
            "{!$Record.Name}",
            "screens[Rate].fields[hello].label",
            "{!$Record.Name}: reference to nothing",
        ),
        (
            "      - {name: reason, label: Why, type: long_text}\n",
            '      - {name: reason, label: Why, type: long_text, default: "{!why}"}\n',
            "{!why}",
            "screens[Why].fields[reason].default",
            "{!why}: reference to nothing",
        ),
        (
            "default: 5}",
            "default: five}",
            "default: five",
            "screens[Rate].fields[score].default",
            "default 'five' does not fit a number field",
        ),
        (
            "default: Happy}",
            "default: Glad}",
            "default: Glad",
            "screens[Rate].fields[mood].default",
            "default 'Glad' is not among the choices (Happy, Sad)",
        ),
        (
            "      follow_up: false\n",
            "      follow_up: maybe\n",
            "follow_up: maybe",
            "screens[Rate].assign.follow_up",
            "output 'follow_up' is checkbox, but 'assign' gives it 'maybe'",
        ),
        (
            "      - {name: reason, label: Why, type: long_text}\n",
            "      - {name: customer, label: Why, type: long_text}\n",
            "name: customer, label: Why",
            "screens[Why].fields[customer].name",
            "duplicate name 'customer': a field and an input of the flow",
        ),
        (
            "    assign: {follow_up: true}\n",
            "    assign: {score: 1}\n",
            "assign: {score: 1}",
            "screens[Why].assign.score",
            "'assign' sets 'score', which is a screen field",
        ),
        (
            "  - name: Thanks\n",
            "  - name: Rate\n",
            "  - name: Rate\n    fields:\n      - {name: bye",
            "screens",
            "duplicate screen name 'Rate'",
        ),
    ],
)
def test_validation_problems_point_at_file_line_and_field(
    old: str, new: str, needle: str, field: str, message: str
) -> None:
    text = changed((old, new))
    problems = [p for p in check(text) if message in p.message]
    assert where(problems) == [(FILE, line(text, needle), field)], check(text)


def test_an_unreachable_screen_and_a_flow_that_never_finishes_are_problems() -> None:
    text = changed(
        ("          screen: finish\n", "          screen: Why\n"),
        ("      default: Thanks\n", "      default: Why\n"),
        ("    next: Thanks\n", "    next: Why\n"),
    )
    problems = check(text)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (line(text, "screens:"), "screens", "the flow can never finish"),
        (line(text, "- name: Thanks"), "screens[Thanks]", "screen 'Thanks' can never be reached"),
    ]


def test_a_required_output_no_way_to_finish_may_skip_is_a_problem() -> None:
    """`reason` is set on screen Why only: Rate's Happy outcome finishes without it."""
    text = changed(("  - {name: verdict, type: text}\n",
                    "  - {name: verdict, type: text}\n  - {name: reason, type: text, "
                    "required: true}\n"))  # fmt: skip
    problems = check(text)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (
            line(text, "- {name: reason, type: text"),
            "outputs[reason]",
            "required output 'reason' gets no value on the way Rate -> finish: no screen on it "
            "has a field 'reason' or assigns it, so the flow could not finish that way",
        )
    ]
    assert check(changed(("  - {name: verdict, type: text}", "  - {name: verdict, type: text, "
                          "required: true}"))) == []  # fmt: skip  # Rate assigns it


def test_no_screen_is_named_finish() -> None:
    text = changed(
        ("  - name: Thanks\n", "  - name: finish\n"),
        ("      default: Thanks\n", "      default: finish\n"),
        ("    next: Thanks\n", "    next: finish\n"),
    )
    problems = check(text)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (line(text, "- name: finish"), "screens[finish]", "'finish' is not a screen name"),
    ]


def test_an_output_may_come_from_an_assigned_variable_but_not_from_nothing() -> None:
    text = changed(
        (
            "  - {name: verdict, type: text}\n",
            "  - {name: verdict, type: text}\n  - {name: ghost, type: text}\n",
        )
    )
    problems = check(text)
    assert [(p.line, p.field) for p in problems] == [(line(text, "name: ghost"), "outputs[ghost]")]
    assert "nor a variable set by 'assign'" in problems[0].message
