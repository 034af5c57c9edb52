"""Validation across definitions: every problem, each with the file, line and field it is about."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

import stageflow
from stageflow.definitions.catalog import FlowKind, FlowSignature, Param
from stageflow.definitions.loader import Bundle, Source, load_text
from stageflow.definitions.model import DataType, ObjectDef, Orchestration, ScreenFlow
from stageflow.definitions.validate import Known, dependents, validate
from stageflow.errors import Problem
from tests.conftest import EXAMPLES

TICKET = dedent(
    """\
    stageflow: 1
    kind: object
    name: Ticket
    fields:
      - {name: Status, type: picklist, choices: [Open, Closed]}
      - {name: Hours, type: number}
      - {name: Owner_Email, type: email}
      - {name: Assignee, type: user}
    """
)

FIX_SCREEN = dedent(
    """\
    stageflow: 1
    kind: screen_flow
    name: Fix_Screen
    inputs:
      - {name: recordId, type: text, required: true}
    outputs:
      - {name: done, type: checkbox}
      - {name: hours, type: number}
    screens:
      - name: Fix
        fields:
          - {name: done, label: Fixed, type: checkbox}
          - {name: hours, label: Hours spent, type: number}
    record_updates:
      - object: Ticket
        id: "{!recordId}"
        values: {Hours: "{!hours}"}
    """
)

LOG_HOURS = dedent(
    """\
    stageflow: 1
    kind: flow
    name: Log_Hours
    inputs:
      - {name: hours, type: number, required: true}
    outputs:
      - {name: logged, type: checkbox}
    elements:
      - name: Check
        decision:
          outcomes:
            - name: Nothing
              conditions: {rules: [{ref: "{!hours}", op: is_null}]}
              next: end
      - name: Done
        assignment: {logged: true}
    """
)

TICKET_FLOW = dedent(
    """\
    stageflow: 1
    kind: orchestration
    name: Ticket_Flow
    type: record_triggered
    trigger:
      object: Ticket
      when: created_or_updated
      conditions: {rules: [{field: Status, op: equals, value: Open}]}
    stages:
      - name: Work
        steps:
          - name: Fix
            type: interactive
            flow: Fix_Screen
            assignee: {queue: Fixers}
            record: "{!$Record.Id}"
            inputs:
              recordId: "{!$Record.Id}"
          - name: Log
            type: background
            flow: Log_Hours
            start:
              after: [Fix]
            inputs:
              hours: "{!Fix.Outputs.hours}"
      - decision: Done
        outcomes:
          - name: Fixed
            conditions:
              rules:
                - {ref: "{!Fix.Outputs.done}", op: equals, value: true}
            next: Close
        default: Work
      - name: Close
        exit:
          conditions: {rules: [{ref: "{!$Record.Status}", op: is_changed}]}
        steps:
          - name: Notify
            type: background
            flow: Send_Mail
            inputs:
              to: "{!$Record.Owner_Email}"
          - name: Check
            type: interactive
            flow: Fix_Screen
            assignee: {ref: "{!$Record.Assignee}"}
            inputs:
              recordId: "{!$Record.Id}"
            start:
              evaluation_flow: Needs_Check
              inputs:
                hours: "{!$Record.Hours}"
    """
)

PYTHON_FLOWS = Known(
    flows={
        "Send_Mail": FlowSignature(
            "Send_Mail", FlowKind.AUTOLAUNCHED, {"to": Param(DataType.TEXT, required=True)}
        ),
        "Needs_Check": FlowSignature(
            "Needs_Check", FlowKind.EVALUATION, {"hours": Param(DataType.NUMBER, required=True)}
        ),
    }
)

ORCH = "orchestrations/ticket_flow.yaml"
FILES = {
    "objects/ticket.yaml": TICKET,
    "screen_flows/fix.yaml": FIX_SCREEN,
    "flows/log_hours.yaml": LOG_HOURS,
    ORCH: TICKET_FLOW,
}


def line(text: str, needle: str) -> int:
    """The 1-based line of the one place `needle` occurs in `text`."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def _bundle(files: dict[str, str]) -> Bundle:
    bundle = Bundle()
    for file, text in files.items():
        definition, problems = load_text(text, file)
        bundle.problems.extend(problems)
        if definition is not None:
            bundle.sources.append(Source(definition, file, text))
    return bundle


def check(files: dict[str, str], known: Known | None = PYTHON_FLOWS) -> list[Problem]:
    return validate(_bundle(files), known)


def changed(file: str, *replacements: tuple[str, str]) -> dict[str, str]:
    files = dict(FILES)
    text = files[file]
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    files[file] = text
    return files


def test_the_project_used_below_is_valid() -> None:
    assert check(FILES) == []


def test_the_examples_validate_with_zero_problems(tmp_path: Path) -> None:
    app = stageflow.connect(f"sqlite:///{tmp_path / 'stageflow.db'}")
    try:
        assert app.validate(EXAMPLES) == []
    finally:
        app.close()


def test_flows_that_are_not_in_the_folder_come_from_what_is_known() -> None:
    problems = check(FILES, known=None)
    assert sorted(p.message for p in problems) == [
        "unknown autolaunched flow 'Send_Mail'",
        "unknown evaluation flow 'Needs_Check'",
    ]


# --- every problem is collected -----------------------------------------------------------------


def test_one_file_with_three_mistakes_reports_all_three() -> None:
    files = changed(
        ORCH,
        ("flow: Log_Hours", "flow: Log_Hour"),
        ("        assignee: {queue: Fixers}\n", ""),
        ('to: "{!$Record.Owner_Email}"', 'to: "{!$Input.to}"'),
    )
    text = files[ORCH]
    found = [(p.file, p.line, p.field) for p in check(files)]
    assert found == [
        (ORCH, line(text, "- name: Fix\n"), "stages[Work].steps[Fix].assignee"),
        (ORCH, line(text, "flow: Log_Hour"), "stages[Work].steps[Log].flow"),
        (ORCH, line(text, "to: "), "stages[Close].steps[Notify].inputs.to"),
    ]


def test_mistakes_in_several_files_and_of_both_phases_are_all_reported() -> None:
    files = changed(ORCH, ("flow: Send_Mail", "flow: Send_Mails"))
    files["flows/log_hours.yaml"] = LOG_HOURS.replace("op: is_null", "op: is_empty")
    files["objects/ticket.yaml"] = TICKET.replace("{name: Hours", "{name: Hours, colour: red")
    problems = check(files)
    assert [(p.file, p.field) for p in problems] == [
        ("flows/log_hours.yaml", "elements[0].decision.outcomes[0].conditions.rules[0].op"),
        ("objects/ticket.yaml", "fields[1].colour"),
        (ORCH, "stages[Close].steps[Notify].flow"),
    ]


# --- orchestration checks -------------------------------------------------------------------------

CASES = [
    # (id, replacements, needle on the reported line, field, message part)
    (
        "decision default to an unknown stage",
        [("default: Work", "default: Wrok")],
        "default: Wrok",
        "stages[Done].default",
        "unknown stage 'Wrok'",
    ),
    (
        "stage next to an unknown stage",
        [("  - name: Close\n", "  - name: Close\n    next: Nowhere\n")],
        "next: Nowhere",
        "stages[Close].next",
        "unknown stage 'Nowhere'",
    ),
    (
        "duplicate stage name",
        [("  - name: Close\n", "  - name: Work\n"), ("next: Close", "next: Work")],
        "  - name: Work\n    exit:",
        "stages[Work].name",
        "duplicate stage or decision name 'Work'",
    ),
    (
        "duplicate step name in another stage",
        [("- name: Check\n", "- name: Fix\n")],
        "- name: Fix\n        type: interactive\n        flow: Fix_Screen\n        assignee: {ref",
        "stages[Close].steps[Fix].name",
        "duplicate step name 'Fix'",
    ),
    (
        "step after itself",
        [("after: [Fix]", "after: [Log]")],
        "after: [Log]",
        "steps[Log].start.after",
        "cannot start after itself",
    ),
    (
        "after a step of another stage",
        [("after: [Fix]", "after: [Notify]")],
        "after: [Notify]",
        "steps[Log].start.after",
        "unknown step 'Notify'",
    ),
    (
        "background step with an assignee",
        [("flow: Send_Mail\n", "flow: Send_Mail\n        assignee: {user: bob}\n")],
        "assignee: {user: bob}",
        "steps[Notify].assignee",
        "only interactive steps have an assignee",
    ),
    (
        "asynchronous interactive step",
        [("flow: Fix_Screen\n", "flow: Fix_Screen\n        async: true\n")],
        "async: true",
        "steps[Fix].async",
        "only background steps can be async",
    ),
    (
        "interactive step running an autolaunched flow",
        [
            (
                "    flow: Fix_Screen\n        assignee: {ref",
                "    flow: Log_Hours\n        assignee: {ref",
            )
        ],
        "flow: Log_Hours\n        assignee",
        "steps[Check].flow",
        "interactive step needs a screen flow",
    ),
    (
        "background step running an evaluation flow",
        [("flow: Send_Mail", "flow: Needs_Check")],
        "    flow: Needs_Check",
        "steps[Notify].flow",
        "'Needs_Check' is evaluation",
    ),
    (
        "unknown evaluation flow",
        [("evaluation_flow: Needs_Check", "evaluation_flow: Needs_Chek")],
        "evaluation_flow: Needs_Chek",
        "steps[Check].start.evaluation_flow",
        "unknown evaluation flow 'Needs_Chek'",
    ),
    (
        "evaluation flow without its required input",
        [('          inputs:\n            hours: "{!$Record.Hours}"\n', "")],
        "evaluation_flow: Needs_Check",
        "steps[Check].start.inputs",
        "requires input 'hours'",
    ),
    (
        "input the flow does not have",
        [('hours: "{!Fix.Outputs.hours}"', 'hours: "{!Fix.Outputs.hours}"\n          minutes: 5')],
        "minutes: 5",
        "steps[Log].inputs.minutes",
        "has no input 'minutes'",
    ),
    (
        "reference of the wrong type",
        [('hours: "{!Fix.Outputs.hours}"', 'hours: "{!Fix.Outputs.done}"')],
        'hours: "{!Fix.Outputs.done}"',
        "steps[Log].inputs.hours",
        "wrong input type",
    ),
    (
        "literal of the wrong type",
        [('hours: "{!$Record.Hours}"', "hours: [1, 2]")],
        "hours: [1, 2]",
        "steps[Check].start.inputs.hours",
        "wrong input type",
    ),
    (
        "record field that does not exist",
        [("{!$Record.Owner_Email}", "{!$Record.Owner_Mail}")],
        "Owner_Mail",
        "steps[Notify].inputs.to",
        "object 'Ticket' has no field 'Owner_Mail'",
    ),
    (
        "step output that does not exist",
        [("{!Fix.Outputs.done}", "{!Fix.Outputs.finished}")],
        "finished",
        "stages[Done].outcomes[Fixed].conditions.rules[1]",
        "has no output 'finished'",
    ),
    (
        "step reference without Outputs or Status",
        [("{!Fix.Outputs.done}", "{!Fix.done}")],
        "{!Fix.done}",
        "stages[Done].outcomes[Fixed].conditions.rules[1]",
        "use {!Fix.Outputs.name} or {!Fix.Status}",
    ),
    (
        "reference to nothing in an assignee",
        [("{!$Record.Assignee}", "{!Reviewer.Outputs.user}")],
        "{!Reviewer.Outputs.user}",
        "steps[Check].assignee.ref",
        "reference to nothing",
    ),
    (
        "is_changed on something else than a record field",
        [("{!$Record.Status}", "{!Fix.Status}")],
        "{!Fix.Status}",
        "stages[Close].exit.conditions.rules[1].op",
        "is_changed applies only to $Record fields",
    ),
    (
        "trigger on an unknown object",
        [("  object: Ticket", "  object: Tickets")],
        "object: Tickets",
        "trigger.object",
        "unknown object 'Tickets'",
    ),
    (
        "output of a step of the same stage the step does not start after",
        [("        start:\n          after: [Fix]\n", "")],
        'hours: "{!Fix.Outputs.hours}"',
        "stages[Work].steps[Log].inputs.hours",
        "{!Fix.Outputs.hours}: step 'Fix' may not have run when 'Log' starts",
    ),
    (
        "output of a step of a later stage",
        [
            (
                'recordId: "{!$Record.Id}"\n      - name: Log',
                'recordId: "{!Notify.Outputs.x}"\n      - name: Log',
            )
        ],
        "{!Notify.Outputs.x}",
        "stages[Work].steps[Fix].inputs.recordId",
        "step 'Notify' is in stage 'Close', which never runs before 'Work'",
    ),
    (
        "decision on the output of a step of a later stage",
        [("{!Fix.Outputs.done}", "{!Notify.Outputs.sent}")],
        "{!Notify.Outputs.sent}",
        "stages[Done].outcomes[Fixed].conditions.rules[1]",
        "step 'Notify' is in stage 'Close', which never runs before 'Done'",
    ),
    (
        "trigger on the output of a step",
        [
            (
                "{field: Status, op: equals, value: Open}",
                '{ref: "{!Fix.Outputs.done}", op: equals, value: true}',
            )
        ],
        '{!Fix.Outputs.done}", op: equals, value: true}]}',
        "trigger.conditions.rules[1]",
        "no step has run when a trigger's conditions are checked",
    ),
    (
        "trigger condition value that is no number, on a number field",
        [("value: Open}", 'value: Open}, {field: Hours, op: greater_than, value: "1,000"}')],
        "1,000",
        "trigger.conditions.rules[2].value",
        "{!$Record.Hours} is number: the value '1,000' is not a number, like 1000.5",
    ),
    (
        "trigger condition value that is not a choice of the picklist",
        [("value: Open}", "value: Opened}")],
        "value: Opened}",
        "trigger.conditions.rules[1].value",
        "the value 'Opened' is not among the choices (Open, Closed)",
    ),
    (
        "decision value that is no checkbox value, on a checkbox output",
        [("op: equals, value: true}", "op: equals, value: yes}")],
        "value: yes}",
        "stages[Done].outcomes[Fixed].conditions.rules[1].value",
        "{!Fix.Outputs.done} is checkbox: the value 'yes' is not true or false",
    ),
    (
        "record-triggered orchestration with a required input",
        [
            (
                "stages:\n  - name: Work",
                "inputs:\n  - {name: reason, type: text, required: true}\nstages:\n  - name: Work",
            )
        ],
        "{name: reason",
        "inputs[reason].required",
        "input 'reason' is required, but a record-triggered orchestration starts with no inputs",
    ),
    (
        "decision without outcomes",
        [
            (
                "    outcomes:\n      - name: Fixed\n        conditions:\n          rules:\n"
                '            - {ref: "{!Fix.Outputs.done}", op: equals, value: true}\n'
                "        next: Close\n",
                "    outcomes: []\n",
            )
        ],
        "- decision: Done",
        "stages[Done].outcomes",
        "has no outcomes",
    ),
]


@pytest.mark.parametrize(
    ("replacements", "needle", "field", "message"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_an_orchestration_mistake_is_reported_where_it_is_written(
    replacements: list[tuple[str, str]], needle: str, field: str, message: str
) -> None:
    files = changed(ORCH, *replacements)
    problems = check(files)
    where = (ORCH, line(files[ORCH], needle))
    matching = [p for p in problems if (p.file, p.line) == where and field in (p.field or "")]
    assert [message in p.message for p in matching] == [True], problems


def test_a_cycle_names_the_steps_that_wait_for_each_other() -> None:
    # Log already starts after Fix; now Fix also waits for Log
    files = changed(
        ORCH,
        (
            "assignee: {queue: Fixers}\n",
            "assignee: {queue: Fixers}\n        start: {after: [Log]}\n",
        ),
    )
    text = files[ORCH]
    problems = check(files)
    assert [(p.line, p.field) for p in problems] == [
        (line(text, "start: {after: [Log]}"), "stages[Work].steps[Fix].start.after")
    ]
    assert "steps wait for each other in a cycle: Fix -> Log -> Fix" in problems[0].message


def test_prior_values_exist_only_in_record_triggered_orchestrations() -> None:
    text = dedent(
        """\
        stageflow: 1
        kind: orchestration
        name: Started_By_Hand
        type: autolaunched
        inputs:
          - {name: to, type: text, required: true}
        stages:
          - name: Only
            steps:
              - name: Mail
                type: background
                flow: Send_Mail
                inputs:
                  to: "{!$Record__Prior.Owner_Email}"
        """
    )
    problems = check({"o.yaml": text})
    assert [(p.line, p.field) for p in problems] == [(14, "stages[Only].steps[Mail].inputs.to")]
    assert "$Record__Prior exists only in record-triggered orchestrations" in problems[0].message


def test_an_unreachable_stage_is_reported_at_its_line() -> None:
    idle = (
        "  - name: Idle\n"
        "    steps: [{name: Wait, type: background, flow: Send_Mail, inputs: {to: x}}]\n"
    )
    # Done goes to Close either way, so nothing ever leads to Idle (listed between them)
    files = changed(
        ORCH, ("default: Work", "default: Close"), ("  - name: Close\n", idle + "  - name: Close\n")
    )
    problems = check(files)
    assert [(p.line, p.field) for p in problems] == [
        (line(files[ORCH], "  - name: Idle"), "stages[Idle]")
    ]
    assert problems[0].message == "stage 'Idle' can never be reached"


# --- screen flows, flows, objects ---------------------------------------------------------------


def test_a_screen_flow_output_must_come_from_a_field_or_an_input() -> None:
    files = dict(FILES)
    files["screen_flows/fix.yaml"] = FIX_SCREEN.replace(
        "  - {name: hours, type: number}\n",
        "  - {name: hours, type: number}\n  - {name: minutes, type: number}\n",
    )
    problems = check(files)
    assert [(p.line, p.field) for p in problems] == [(9, "outputs[minutes]")]
    assert "no screen field or input" in problems[0].message


def test_a_screen_flow_record_update_names_its_own_fields() -> None:
    files = dict(FILES)
    files["screen_flows/fix.yaml"] = FIX_SCREEN.replace('"{!hours}"', '"{!minutes}"')
    problems = check(files)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (15, "record_updates", "{!minutes}: reference to nothing")
    ]


def test_a_screen_flow_record_update_writes_fields_its_object_has() -> None:
    files = dict(FILES)
    files["screen_flows/fix.yaml"] = FIX_SCREEN.replace("{Hours:", "{Hourz:")
    problems = check(files)
    assert [(p.file, p.line, p.field) for p in problems] == [
        ("screen_flows/fix.yaml", 17, "record_updates[0].values.Hourz")
    ]
    assert "object 'Ticket' has no field 'Hourz'" in problems[0].message


def test_a_screen_flow_record_update_writes_to_a_known_object() -> None:
    files = dict(FILES)
    files["screen_flows/fix.yaml"] = FIX_SCREEN.replace("object: Ticket", "object: Tickets")
    problems = check(files)
    assert [(p.file, p.line, p.field) for p in problems] == [
        ("screen_flows/fix.yaml", 15, "record_updates[0].object")
    ]
    assert "unknown object 'Tickets'" in problems[0].message


def test_a_record_update_may_set_name_and_owner_but_no_other_system_field() -> None:
    files = dict(FILES)
    files["screen_flows/fix.yaml"] = FIX_SCREEN.replace(
        '{Hours: "{!hours}"}', '{Hours: "{!hours}", Name: x, Owner: bob, CreatedBy: bob}'
    )
    problems = check(files)
    assert [(p.line, p.field) for p in problems] == [(17, "record_updates[0].values.CreatedBy")]
    assert "'CreatedBy' is a system field" in problems[0].message


def test_flow_elements_create_and_update_records_of_known_objects_and_fields() -> None:
    files = dict(FILES)
    files["flows/log_hours.yaml"] = LOG_HOURS + (
        "  - name: Note\n"
        "    create_record:\n"
        "      object: Notes\n"
        "      values: {Text: logged}\n"
        "  - name: Save\n"
        "    update_record:\n"
        "      object: Ticket\n"
        '      id: "{!hours}"\n'
        "      values:\n"
        "        Status: Closed\n"
        '        Hour: "{!hours}"\n'
    )
    text = files["flows/log_hours.yaml"]
    problems = check(files)
    assert [(p.line, p.field) for p in problems] == [
        (line(text, "object: Notes"), "elements[Note].create_record.object"),
        (line(text, "Hour: "), "elements[Save].update_record.values.Hour"),
    ]
    assert "unknown object 'Notes'" in problems[0].message
    assert "object 'Ticket' has no field 'Hour'" in problems[1].message


def test_a_flow_may_get_a_record_of_an_object_no_definition_declares() -> None:
    # a host application's own records (docs/definitions.md): only writes are checked
    files = dict(FILES)
    files["flows/log_hours.yaml"] = LOG_HOURS.replace(
        "  - name: Done\n",
        '  - {name: Load, get_record: {object: Invoice, id: "{!hours}", into: invoice}}\n'
        "  - name: Done\n",
    )
    assert check(files) == []


def test_a_flow_element_goes_only_to_elements_of_its_flow() -> None:
    files = dict(FILES)
    files["flows/log_hours.yaml"] = LOG_HOURS.replace("next: end", "next: Finish")
    files["flows/log_hours.yaml"] += "    next: Nowhere\n"
    text = files["flows/log_hours.yaml"]
    problems = check(files)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (
            line(text, "next: Finish"),
            "elements[Check].decision.outcomes[Nothing].next",
            "goes to unknown element 'Finish'",
        ),
        (line(text, "next: Nowhere"), "elements[Done].next", "goes to unknown element 'Nowhere'"),
    ]


def test_a_flow_decision_default_goes_to_an_element_of_its_flow() -> None:
    files = dict(FILES)
    files["flows/log_hours.yaml"] = LOG_HOURS.replace(
        "          next: end\n", "          next: end\n      default: Later\n"
    )
    problems = check(files)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (
            line(files["flows/log_hours.yaml"], "default: Later"),
            "elements[Check].decision.default",
            "goes to unknown element 'Later'",
        )
    ]


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "message"),
    [
        (
            "flows/log_hours.yaml",
            "next: end",
            "next: [end]",
            "elements[0].decision.outcomes[0].next",
            "'next' must be an element name or 'end', got ['end']",
        ),
        (
            "flows/log_hours.yaml",
            "    assignment: {logged: true}\n",
            "    start_orchestration: {name: [Ticket_Flow]}\n",
            "elements[1].start_orchestration.name",
            "'name' must be an orchestration name, got ['Ticket_Flow']",
        ),
        (
            ORCH,
            "next: Close",
            "next: [Close]",
            "stages[1].outcomes[0].next",
            "'next' must be a stage or decision name, got ['Close']",
        ),
        (
            ORCH,
            "default: Work",
            "default: {stage: Work}",
            "stages[1].default",
            "'default' must be a stage or decision name, got {'stage': 'Work'}",
        ),
    ],
)
def test_a_list_or_a_mapping_where_a_name_is_expected_is_a_problem_at_its_line(
    file: str, old: str, new: str, field: str, message: str
) -> None:
    files = dict(FILES)
    files[file] = files[file].replace(old, new)
    found = [(p.file, p.line, p.field, p.message) for p in check(files)]
    assert (file, line(files[file], new.strip()), field, message) in found


def test_an_object_lookup_names_a_known_object() -> None:
    files = dict(FILES)
    files["objects/ticket.yaml"] = TICKET + "  - {name: Parent, type: lookup, lookup: Tickt}\n"
    problems = check(files)
    assert [(p.line, p.field, p.message) for p in problems] == [
        (9, "fields[Parent].lookup", "lookup to unknown object 'Tickt'")
    ]


def test_two_definitions_with_one_name_point_at_the_second_name() -> None:
    files = dict(FILES)
    files["screen_flows/fix_again.yaml"] = FIX_SCREEN.replace("name: Fix\n", "name: Fix_It\n")
    problems = check(files)
    assert [(p.file, p.line, p.field) for p in problems] == [
        ("screen_flows/fix_again.yaml", 3, "name")
    ]
    assert "duplicate name 'Fix_Screen': also defined in screen_flows/fix.yaml" in str(problems[0])


def test_a_screen_flow_and_a_flow_share_one_name_space() -> None:
    files = dict(FILES)
    files["screen_flows/fix.yaml"] = FIX_SCREEN.replace("name: Fix_Screen", "name: Log_Hours")
    problems = check(files)
    assert any(
        p.file == "flows/log_hours.yaml" and p.line == 3 and "duplicate flow name" in p.message
        for p in problems
    ), problems


def _validated(text: str, file: str) -> list[Problem]:
    """The problems of one orchestration file that parses, validated on its own."""
    definition, problems = load_text(text, file)
    assert definition is not None
    assert problems == []
    bundle = Bundle()
    bundle.sources.append(Source(definition, file, text))
    return validate(bundle)


def test_decisions_that_lead_only_to_each_other_are_refused() -> None:
    text = """stageflow: 1
kind: orchestration
name: Spin
type: autolaunched
stages:
  - name: Start
    steps: [{name: X, type: background, flow: Nope}]
  - decision: A
    outcomes:
      - name: Go
        conditions: {rules: [{ref: "{!X.Status}", op: equals, value: Completed}]}
        next: B
    default: B
  - decision: B
    outcomes:
      - name: Back
        conditions: {rules: [{ref: "{!X.Status}", op: equals, value: Completed}]}
        next: A
    default: A
"""
    found = [p for p in _validated(text, "spin.yaml") if "lead only to each other" in p.message]
    assert [(p.file, p.line, p.field) for p in found] == [("spin.yaml", 8, "stages[A]")]
    assert "A -> B -> A" in found[0].message


@pytest.mark.parametrize(
    ("stages", "cycle"),
    [
        ("  - {name: A, next: A, steps: [{name: X, type: background, flow: Nope}]}\n", "A -> A"),
        (
            "  - {name: A, next: B, steps: [{name: X, type: background, flow: Nope}]}\n"
            "  - {name: B, next: A, steps: [{name: Y, type: background, flow: Nope}]}\n",
            "A -> B -> A",
        ),
        (  # a decision inside the loop whose every way leads back into it
            "  - {name: A, steps: [{name: X, type: background, flow: Nope}]}\n"
            "  - decision: D\n"
            "    outcomes: [{name: Again, conditions: {rules: [{ref: '{!X.Status}', op: equals,"
            " value: Error}]}, next: A}]\n"
            "    default: A\n",
            "A -> D -> A",
        ),
    ],
)
def test_stages_that_lead_only_to_each_other_are_refused_where_the_loop_begins(
    stages: str, cycle: str
) -> None:
    text = "stageflow: 1\nkind: orchestration\nname: Round\ntype: autolaunched\nstages:\n" + stages
    found = [p for p in _validated(text, "round.yaml") if "never ends" in p.message]
    assert [(p.file, p.line, p.field) for p in found] == [("round.yaml", 6, "stages[A]")]
    assert f"{cycle} loops with no way out" in found[0].message


def test_a_loop_with_a_way_out_is_allowed() -> None:
    text = """\
stageflow: 1
kind: orchestration
name: Retry_Loop
type: autolaunched
stages:
  - {name: A, steps: [{name: X, type: background, flow: Nope}]}
  - decision: D
    outcomes:
      - name: Again
        conditions: {rules: [{ref: "{!X.Status}", op: equals, value: Error}]}
        next: A
  - {name: Done, steps: [{name: Y, type: background, flow: Nope}]}
"""
    assert [p for p in _validated(text, "retry.yaml") if "never ends" in p.message] == []


def test_a_deployed_orchestration_is_held_only_to_what_the_new_definitions_break() -> None:
    orchestration, _ = load_text(TICKET_FLOW, ORCH)
    assert isinstance(orchestration, Orchestration)
    deployed = [(orchestration, 4)]
    # deployed with a flow it no longer finds (Send_Mail): not this deploy's doing
    known = Known(flows={"Needs_Check": PYTHON_FLOWS.flows["Needs_Check"]})
    unrelated = {"flows/log_hours.yaml": LOG_HOURS.replace("logged: true", "logged: false")}
    assert dependents(_bundle(unrelated), known, deployed) == []
    # Fix_Screen loses its `hours` output, which Log takes as its input
    fix = FIX_SCREEN.replace("  - {name: hours, type: number}\n", "", 1)
    files = {"screen_flows/fix.yaml": fix, "flows/log_hours.yaml": LOG_HOURS}
    problems = dependents(_bundle(files), known, deployed)
    at = line(TICKET_FLOW, 'hours: "{!Fix.Outputs.hours}"')
    assert problems == [
        Problem(
            f"deployed orchestration 'Ticket_Flow' v4 (line {at}) would break: "
            "{!Fix.Outputs.hours}: reference to nothing: flow 'Fix_Screen' has no output 'hours'",
            field="stages[Work].steps[Log].inputs.hours",
        )
    ]


def test_an_object_that_would_break_a_deployed_screen_flows_record_updates_is_reported() -> None:
    screen, _ = load_text(FIX_SCREEN, "screen_flows/fix.yaml")
    ticket, _ = load_text(TICKET, "objects/ticket.yaml")
    assert isinstance(screen, ScreenFlow)
    assert isinstance(ticket, ObjectDef)
    known = Known(objects={"Ticket": ticket})
    without_hours = TICKET.replace("  - {name: Hours, type: number}\n", "")
    problems = dependents(_bundle({"objects/ticket.yaml": without_hours}), known, [(screen, 3)])
    at = line(FIX_SCREEN, "values: {Hours:")
    assert problems == [
        Problem(
            f"deployed screen flow 'Fix_Screen' v3 (line {at}) would break: object 'Ticket' "
            "has no field 'Hours' (its fields: Assignee, Owner_Email, Status)",
            field="record_updates[0].values.Hours",
        )
    ]
    # deployed again with the object, changed to fit, it breaks nothing
    files = {"objects/ticket.yaml": without_hours, "screen_flows/fix.yaml": FIX_SCREEN}
    assert dependents(_bundle(files), known, [(screen, 3)]) == []


def test_a_problem_a_deployed_orchestration_had_is_not_new_when_only_its_wording_changes() -> None:
    # deployed before values were checked: "" is no choice of Status, and the problem lists them
    text = TICKET_FLOW.replace("op: equals, value: Open}", 'op: equals, value: ""}')
    orchestration, _ = load_text(text, ORCH)
    assert isinstance(orchestration, Orchestration)
    ticket, _ = load_text(TICKET, "objects/ticket.yaml")
    assert isinstance(ticket, ObjectDef)
    known = Known(flows=PYTHON_FLOWS.flows, objects={"Ticket": ticket})
    more_choices = TICKET.replace("[Open, Closed]", "[Open, Pending, Closed]")
    bundle = _bundle({"objects/ticket.yaml": more_choices})
    assert dependents(bundle, known, [(orchestration, 2)]) == []


def test_outputs_of_a_step_a_decision_may_skip_and_of_a_sibling_a_condition_waits_for() -> None:
    text = """\
stageflow: 1
kind: orchestration
name: Branches
type: autolaunched
stages:
  - {name: A, steps: [{name: X, type: background, flow: Nope}]}
  - decision: D
    outcomes:
      - name: Big
        conditions: {rules: [{ref: "{!X.Outputs.size}", op: greater_than, value: 10}]}
        next: B
    default: C
  - {name: B, steps: [{name: Y, type: background, flow: Nope}]}
  - name: C
    exit:
      conditions: {rules: [{ref: "{!W.Outputs.ok}", op: equals, value: true}]}
    steps:
      - {name: W, type: background, flow: Nope, inputs: {size: "{!X.Outputs.size}"}}
      - name: Z
        type: background
        flow: Nope
        inputs: {review: "{!Y.Outputs.review}"}
        start:
          conditions: {rules: [{ref: "{!W.Outputs.ok}", op: equals, value: true}]}
"""
    # Y may have been skipped (D went straight to C): its outputs are null, as SPEC allows for
    # a step that did not run; Z's start and C's exit wait for W, being checked again as it ends
    problems = _validated(text, "branches.yaml")
    assert [p.message for p in problems if "Nope" not in p.message] == []


def test_condition_values_written_as_text_compare_as_the_field_type() -> None:
    files = changed(
        ORCH,
        (
            "value: Open}",
            'value: Open}, {field: Hours, op: greater_than, value: "10.5"},'
            " {field: Status, op: in, value: [Open, Closed]}",
        ),
        ("op: equals, value: true}", 'op: equals, value: "true"}'),
    )
    assert check(files) == []


def test_condition_values_that_compare_as_meant_at_run_time_are_accepted() -> None:
    # `compare` takes 1 for true on a checkbox; not_equals "" holds for every choice
    files = changed(
        ORCH,
        (
            "value: Open}",
            "value: Open}, {field: Urgent, op: equals, value: 1},"
            ' {field: Status, op: not_equals, value: ""}',
        ),
    )
    files["objects/ticket.yaml"] = TICKET + "  - {name: Urgent, type: checkbox}\n"
    assert check(files) == []


def test_a_record_triggered_orchestration_may_have_a_required_input_with_a_default() -> None:
    inputs = "inputs:\n  - {name: reason, type: text, required: true, default: Opened}\n"
    files = changed(ORCH, ("stages:\n  - name: Work", inputs + "stages:\n  - name: Work"))
    assert check(files) == []


def test_a_yaml_flow_named_as_a_python_flow_is_reported_at_its_name() -> None:
    known = Known(
        flows={
            **PYTHON_FLOWS.flows,
            "Log_Hours": FlowSignature("Log_Hours", FlowKind.AUTOLAUNCHED),
        },
        python_flows={"Log_Hours": "team_flows.log_hours"},
    )
    problems = check(FILES, known)
    assert [(p.file, p.line, p.field, p.message) for p in problems] == [
        (
            "flows/log_hours.yaml",
            3,
            "name",
            "duplicate flow name 'Log_Hours': also the Python flow team_flows.log_hours",
        )
    ]


@pytest.mark.parametrize(
    "start",
    [
        '{conditions: {rules: [{ref: "{!Fix.Status}", op: equals, value: Completed}]}}',
        '{evaluation_flow: Needs_Check, inputs: {hours: "{!$Record.Hours}"}}',
    ],
    ids=["conditions", "evaluation flow"],
)
def test_a_step_started_by_conditions_or_an_evaluation_flow_may_read_a_siblings_outputs(
    start: str,
) -> None:
    # Log starts once its start criterion holds, which may be after Fix completed: Fix's
    # outputs are there then, or null (as for a step that did not run)
    files = changed(ORCH, ("start:\n          after: [Fix]\n", f"start: {start}\n"))
    assert check(files) == []
