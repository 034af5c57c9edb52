"""The screen flow runtime: screens, Next / Previous / Finish, typed fields, validation, decisions,
assignments, escaped display text, outputs and record updates. Pure functions, no database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stageflow.definitions.loader import Bundle, Source, load_text
from stageflow.definitions.model import (
    DataType,
    ObjectDef,
    ObjectField,
    Screen,
    ScreenField,
    ScreenFlow,
    Variable,
)
from stageflow.definitions.validate import Known, validate
from stageflow.errors import InvalidInput
from stageflow.flows.screen import check_outputs, record_updates
from stageflow.flows.screen_fields import Bad, parse, text_of
from stageflow.flows.screen_runtime import (
    REQUIRED,
    REQUIRED_CHECKBOX,
    FieldView,
    Finished,
    RecordWrite,
    ScreenView,
    display_html,
    render,
    start,
    submit,
)
from stageflow.flows.screen_state import ScreenFlowState, seal, unseal

CLAIM = dedent(
    """\
    stageflow: 1
    kind: screen_flow
    name: Expense_Claim
    label: Claim an expense
    inputs:
      - {name: recordId, type: text, required: true}
      - {name: employee, type: text}
    outputs:
      - {name: amount, type: currency, required: true}
      - {name: category, type: picklist}
      - {name: route, type: text}
      - {name: confirmed, type: checkbox}
      - {name: spent_on, type: date}
    screens:
      - name: Claim
        label: Your claim
        fields:
          - {name: intro, type: display_text, label: "Hello {!employee}, what did you spend?"}
          - {name: title, label: Title, type: text, required: true}
          - name: amount
            label: Amount
            type: currency
            required: true
            help: In euros.
            validation:
              condition: {rules: [{ref: "{!amount}", op: less_or_equal, value: 5000}]}
              message: Claims above 5000 need a purchase order.
          - name: category
            label: Category
            type: picklist
            choices: [Travel, Meals, Hardware]
            default: Travel
          - {name: spent, label: Spent on, type: date}
        assign:
          route: "{!category} claim of {!amount} for {!title}"
          spent_on: "{!spent}"
        next:
          outcomes:
            - name: Big
              conditions: {rules: [{ref: "{!amount}", op: greater_than, value: 1000}]}
              screen: Justify
          default: Confirm
      - name: Justify
        fields:
          - {name: reason, label: "Why so much?", type: long_text, required: true}
      - name: Confirm
        fields:
          - {name: summary, type: display_text, label: "You claim: {!route}"}
          - {name: agree, label: I confirm, type: checkbox, required: true}
          - {name: note, label: Note, type: long_text, default: "{!title}"}
    assign: {confirmed: agree}
    record_updates:
      - object: Expense
        id: "{!recordId}"
        values: {Amount: "{!amount}", Route: "{!route}", Spent: "{!spent}", Status: Submitted}
    """
)


EXPENSE = ObjectDef(
    "Expense",
    "Expense",
    tuple(
        ObjectField(name, name, kind)
        for name, kind in [
            ("Amount", DataType.CURRENCY),
            ("Route", DataType.TEXT),
            ("Spent", DataType.DATE),
            ("Status", DataType.TEXT),
        ]
    ),
)


def load(text: str) -> ScreenFlow:
    definition, problems = load_text(text, "claim.yaml")
    assert problems == []
    assert isinstance(definition, ScreenFlow)
    bundle = Bundle(sources=[Source(definition, "claim.yaml", text)])
    assert validate(bundle, Known(objects={"Expense": EXPENSE})) == []
    return definition


@pytest.fixture
def claim() -> ScreenFlow:
    return load(CLAIM)


def field(view: ScreenView, name: str) -> FieldView:
    return next(f for f in view.fields if f.name == name)


def state_of(result: ScreenFlowState | Finished) -> ScreenFlowState:
    assert isinstance(result, ScreenFlowState), result
    return result


GOOD_CLAIM = {"title": "Taxi", "amount": "42.50", "category": "Travel", "spent": "2024-03-01"}


# --- screens and navigation ----------------------------------------------------------------------


def test_the_first_screen_shows_fields_defaults_help_and_display_text(claim: ScreenFlow) -> None:
    view = render(claim, start(claim, {"recordId": "E1", "employee": "Ann"}))
    assert (view.screen, view.label, view.flow_label) == ("Claim", "Your claim", "Claim an expense")
    assert [f.name for f in view.fields] == ["intro", "title", "amount", "category", "spent"]
    assert field(view, "intro").html == "Hello Ann, what did you spend?"
    amount = field(view, "amount")
    assert (amount.label, amount.type, amount.required, amount.help) == (
        "Amount",
        DataType.CURRENCY,
        True,
        "In euros.",
    )
    category = field(view, "category")
    assert category.choices == ("Travel", "Meals", "Hardware")
    assert (category.value, category.selected) == ("Travel", ("Travel",))
    assert view.can_go_back is False
    assert view.finishes is False
    assert not view.has_errors


def test_a_bad_first_try_shows_messages_next_to_fields_and_keeps_what_was_typed(
    claim: ScreenFlow,
) -> None:
    s0 = start(claim, {"recordId": "E1"})
    form = {"title": "Hotel", "amount": "12,50", "category": "Meals", "spent": "yesterday"}
    s1 = state_of(submit(claim, s0, form, "next"))
    view = render(claim, s1)
    assert view.screen == "Claim"
    assert {f.name: f.error for f in view.fields if f.error} == {
        "amount": "Enter a number, like 1250 or -3.5.",
        "spent": "Enter a date like 2024-12-31.",
    }
    assert [(f.name, f.text) for f in view.fields if f.type is not DataType.DISPLAY_TEXT] == [
        ("title", "Hotel"),
        ("amount", "12,50"),
        ("category", "Meals"),
        ("spent", "yesterday"),
    ]
    assert field(view, "category").selected == ("Meals",)
    # the second try goes on, and the messages are gone
    s2 = state_of(submit(claim, s1, {**form, "amount": "12.50", "spent": ""}, "next"))
    assert s2.screen == "Confirm"
    assert not s2.has_errors
    assert not render(claim, s2).has_errors


def test_a_validation_rule_shows_its_message_when_its_condition_does_not_hold(
    claim: ScreenFlow,
) -> None:
    s0 = start(claim, {"recordId": "E1"})
    s1 = state_of(submit(claim, s0, {**GOOD_CLAIM, "amount": "5000.01"}, "next"))
    assert s1.errors == {"amount": "Claims above 5000 need a purchase order."}
    assert field(render(claim, s1), "amount").text == "5000.01"
    s2 = state_of(submit(claim, s0, {**GOOD_CLAIM, "amount": "5000"}, "next"))
    assert s2.screen == "Justify"  # 5000 holds (<= 5000), and it is a big claim


def test_previous_keeps_what_was_typed_on_both_screens(claim: ScreenFlow) -> None:
    s0 = start(claim, {"recordId": "E1"})
    s1 = state_of(submit(claim, s0, {**GOOD_CLAIM, "amount": "2000"}, "next"))
    assert (s1.screen, s1.history) == ("Justify", ("Claim",))
    assert render(claim, s1).can_go_back
    # half typed, not valid yet, and Previous checks nothing
    s2 = state_of(submit(claim, s1, {"reason": "  "}, "previous"))
    assert (s2.screen, s2.history, s2.errors) == ("Claim", (), {})
    back = render(claim, s2)
    assert [field(back, n).text for n in ("title", "amount", "category", "spent")] == [
        "Taxi",
        "2000.00",
        "Travel",
        "2024-03-01",
    ]
    assert field(back, "spent").value == date(2024, 3, 1)
    s3 = state_of(submit(claim, s2, {**GOOD_CLAIM, "amount": "2000"}, "next"))
    assert s3.screen == "Justify"
    assert field(render(claim, s3), "reason").text == "  "


def test_previous_on_a_refused_screen_keeps_the_bad_text(claim: ScreenFlow) -> None:
    s1 = state_of(submit(claim, start(claim, {"recordId": "E1"}), GOOD_CLAIM, "next"))
    s2 = state_of(submit(claim, s1, {"note": "n"}, "next"))  # `agree` is required
    assert s2.errors == {"agree": REQUIRED_CHECKBOX}
    s3 = state_of(submit(claim, s2, {"note": "kept"}, "previous"))
    s4 = state_of(submit(claim, s3, GOOD_CLAIM, "next"))
    assert field(render(claim, s4), "note").text == "kept"


def test_previous_on_the_first_screen_and_unknown_actions_are_refused(claim: ScreenFlow) -> None:
    s0 = start(claim, {"recordId": "E1"})
    with pytest.raises(InvalidInput, match="no previous screen"):
        submit(claim, s0, {}, "previous")
    with pytest.raises(InvalidInput, match="unknown action 'skip'"):
        submit(claim, s0, GOOD_CLAIM, "skip")


def test_a_decision_picks_the_screen_by_a_field_value(claim: ScreenFlow) -> None:
    s0 = start(claim, {"recordId": "E1"})
    small = state_of(submit(claim, s0, {**GOOD_CLAIM, "amount": "999.99"}, "next"))
    big = state_of(submit(claim, s0, {**GOOD_CLAIM, "amount": "1000.01"}, "next"))
    assert (small.screen, big.screen) == ("Confirm", "Justify")
    # Justify has no `next`: the next listed screen, then Confirm (the last) finishes
    after = state_of(submit(claim, big, {"reason": "a conference"}, "next"))
    assert after.screen == "Confirm"
    assert after.history == ("Claim", "Justify")
    assert render(claim, after).finishes is True


def test_an_assignment_is_used_in_a_later_display_text_and_a_default(claim: ScreenFlow) -> None:
    s1 = state_of(submit(claim, start(claim, {"recordId": "E1"}), GOOD_CLAIM, "next"))
    assert s1.variables["route"] == "Travel claim of 42.5 for Taxi"
    assert s1.variables["spent_on"] == date(2024, 3, 1)  # a reference keeps its type
    view = render(claim, s1)
    assert field(view, "summary").html == "You claim: Travel claim of 42.5 for Taxi"
    assert field(view, "note").text == "Taxi"  # default: "{!title}"


def test_merged_values_in_display_text_are_html_escaped(claim: ScreenFlow) -> None:
    attack = "<script>alert(1)</script>"
    s0 = start(claim, {"recordId": "E1", "employee": attack})
    assert field(render(claim, s0), "intro").html == (
        "Hello &lt;script&gt;alert(1)&lt;/script&gt;, what did you spend?"
    )
    s1 = state_of(submit(claim, s0, {**GOOD_CLAIM, "title": attack}, "next"))
    html = field(render(claim, s1), "summary").html
    assert html == "You claim: Travel claim of 42.5 for &lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<" not in html


def test_display_text_escapes_its_own_text_and_keeps_line_breaks() -> None:
    text = 'Tom & "Jerry" <b>{!who}</b>\nsecond line'
    assert display_html(text, {"who": "O'Brien & <i>co</i>"}) == (
        "Tom &amp; &quot;Jerry&quot; &lt;b&gt;O&#x27;Brien &amp; &lt;i&gt;co&lt;/i&gt;&lt;/b&gt;"
        "<br>\nsecond line"
    )
    assert display_html("{!missing} and {!d}", {"d": date(2024, 1, 2)}) == " and 2024-01-02"


# --- required fields and defaults ----------------------------------------------------------------


def test_required_fields_must_have_a_value(claim: ScreenFlow) -> None:
    s0 = start(claim, {"recordId": "E1"})
    s1 = state_of(submit(claim, s0, {"title": "   ", "category": "", "spent": ""}, "next"))
    assert s1.errors == {"title": REQUIRED, "amount": REQUIRED}
    assert s1.screen == "Claim"


def test_a_required_field_on_a_screen_not_visited_asks_for_nothing(claim: ScreenFlow) -> None:
    s1 = state_of(submit(claim, start(claim, {"recordId": "E1"}), GOOD_CLAIM, "next"))
    assert s1.screen == "Confirm"  # Justify (with its required `reason`) was skipped
    done = submit(claim, s1, {"agree": "on"}, "finish")
    assert isinstance(done, Finished)
    assert "reason" not in done.variables


def test_defaults_apply_when_a_screen_is_first_shown_and_revisits_keep_the_value(
    claim: ScreenFlow,
) -> None:
    s0 = start(claim, {"recordId": "E1"})
    assert s0.variables["category"] == "Travel"
    assert "note" not in s0.variables  # Confirm is not shown yet: its default waits
    s1 = state_of(submit(claim, s0, {**GOOD_CLAIM, "category": "Hardware"}, "next"))
    assert s1.variables["note"] == "Taxi"
    assert s1.variables["agree"] is False  # a checkbox without a default is unchecked
    s2 = state_of(submit(claim, s1, {"note": ""}, "previous"))
    assert field(render(claim, s2), "category").value == "Hardware"


def test_defaults_of_every_kind_are_typed() -> None:
    flow = one_screen(
        ScreenField("n", "N", DataType.NUMBER, default=3),
        ScreenField("c", "C", DataType.CURRENCY, default=5),
        ScreenField("d", "D", DataType.DATE, default="2024-02-29"),
        ScreenField("b", "B", DataType.CHECKBOX, default=True),
        ScreenField("m", "M", DataType.MULTI_SELECT, choices=("x", "y", "z"), default=["z", "x"]),
        ScreenField("t", "T", DataType.TEXT, default="{!who}"),
    )
    state = start(flow, {"who": "Bo"})
    assert {k: state.variables[k] for k in "ncdbmt"} == {
        "n": 3,
        "c": 5.0,
        "d": date(2024, 2, 29),
        "b": True,
        "m": ["x", "z"],
        "t": "Bo",
    }
    view = render(flow, state)
    assert [field(view, n).text for n in "ncdt"] == ["3", "5.00", "2024-02-29", "Bo"]
    assert field(view, "b").checked is True
    assert field(view, "m").selected == ("x", "z")


# --- finish --------------------------------------------------------------------------------------


def test_finish_returns_the_outputs_and_the_record_updates(claim: ScreenFlow) -> None:
    s1 = state_of(submit(claim, start(claim, {"recordId": "E1"}), GOOD_CLAIM, "next"))
    done = submit(claim, s1, {"agree": "on", "note": "thanks"}, "finish")
    assert isinstance(done, Finished)
    assert done.outputs == {
        "amount": 42.5,
        "category": "Travel",
        "route": "Travel claim of 42.5 for Taxi",  # an assigned variable
        "confirmed": True,  # through the flow's `assign`
        "spent_on": "2024-03-01",  # JSON-ready
    }
    assert check_outputs(claim, done.outputs) == done.outputs  # what completing a step accepts
    assert len(done.record_updates) == 1
    write = done.record_updates[0]
    assert isinstance(write, RecordWrite)
    assert (write.update.object, write.record_id) == ("Expense", "E1")
    assert write.values == {
        "Amount": 42.5,
        "Route": "Travel claim of 42.5 for Taxi",
        "Spent": "2024-03-01",
        "Status": "Submitted",
    }
    json.dumps([done.outputs, done.variables, write.values])  # all of it is JSON


def test_next_on_the_last_screen_finishes_too(claim: ScreenFlow) -> None:
    s1 = state_of(submit(claim, start(claim, {"recordId": "E1"}), GOOD_CLAIM, "next"))
    assert isinstance(submit(claim, s1, {"agree": "on"}, "next"), Finished)


def test_a_required_output_without_a_value_keeps_the_flow_open() -> None:
    flow = load(
        dedent(
            """\
            stageflow: 1
            kind: screen_flow
            name: Pick
            outputs:
              - {name: choice, type: picklist, required: true}
              - {name: other, type: text, required: true}
            screens:
              - name: Ask
                fields:
                  - {name: choice, type: picklist, choices: [A, B]}
                  - {name: other, type: text}
                next:
                  outcomes:
                    - {conditions: {rules: [{ref: "{!choice}", op: is_null}]}, screen: finish}
                  default: More
              - name: More
                fields:
                  - {name: more, type: text}
            """
        )
    )
    s1 = state_of(submit(flow, start(flow), {"other": "x"}, "finish"))
    assert s1.errors == {"choice": REQUIRED}
    assert field(render(flow, s1), "other").text == "x"


def test_record_updates_of_the_api_path_still_work_and_may_see_variables(
    claim: ScreenFlow,
) -> None:
    outputs = {"amount": 10, "route": "r", "confirmed": True}
    (update,) = record_updates(claim, {"recordId": "E9"}, outputs)
    assert (update.record_id, update.values["Amount"], update.values["Spent"]) == ("E9", 10, None)
    _u, record_id, values = record_updates(
        claim, {"recordId": "E9"}, outputs, variables={"spent": "2024-01-01"}
    )[0]
    assert (record_id, values["Spent"]) == ("E9", "2024-01-01")


# --- the state between requests ------------------------------------------------------------------


def test_the_state_round_trips_through_json_with_its_types(claim: ScreenFlow) -> None:
    s0 = start(claim, {"recordId": "E1", "employee": {"name": "Ann"}})
    s1 = state_of(submit(claim, s0, {**GOOD_CLAIM, "amount": "x"}, "next"))
    s1 = ScreenFlowState(
        s1.flow,
        s1.screen,
        s1.history,
        {**s1.variables, "when": datetime(2024, 1, 2, 3, 4), "exact": Decimal("1.10")},
        s1.entered,
        s1.errors,
    )
    again = ScreenFlowState.from_json(claim, s1.to_json())
    assert again == s1
    assert render(claim, again) == render(claim, s1)


def test_a_sealed_state_cannot_be_changed(claim: ScreenFlow) -> None:
    s0 = start(claim, {"recordId": "E1"})
    token = seal(s0, b"secret")
    assert unseal(claim, token, b"secret") == s0
    with pytest.raises(InvalidInput, match="changed"):
        unseal(claim, token, b"other key")
    mac = token.rpartition(".")[2]
    forged = ScreenFlowState(s0.flow, "Confirm", ("Claim",), {"amount": 1.0})
    with pytest.raises(InvalidInput, match="changed"):
        unseal(claim, seal(forged, b"k").rpartition(".")[0] + "." + mac, b"secret")


def test_a_state_from_another_flow_or_garbage_is_refused(claim: ScreenFlow) -> None:
    other = one_screen(ScreenField("x", "X", DataType.TEXT))
    with pytest.raises(InvalidInput, match="belongs to screen flow"):
        render(other, start(claim, {"recordId": "E1"}))
    with pytest.raises(InvalidInput, match="cannot be read"):
        ScreenFlowState.from_json(claim, '{"flow": 3}')
    bad_screen = start(claim, {"recordId": "E1"}).to_json().replace('"Claim"', '"Nope"')
    with pytest.raises(InvalidInput, match="no screen 'Nope'"):
        ScreenFlowState.from_json(claim, bad_screen)


# --- every field type ----------------------------------------------------------------------------


def one_screen(*fields: ScreenField) -> ScreenFlow:
    return ScreenFlow("One", "One", (Screen("Only", "Only", fields),), inputs=(Variable("who"),))


CHOICES = ("Red", "Green", "Blue")


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (DataType.TEXT, (" padded  ",), " padded  "),
        (DataType.TEXT, ("",), None),
        (DataType.LONG_TEXT, ("line 1\r\nline 2",), "line 1\r\nline 2"),
        (DataType.NUMBER, ("42",), 42),
        (DataType.NUMBER, (" -3.25 ",), -3.25),
        (DataType.NUMBER, ("+.5",), 0.5),
        (DataType.NUMBER, ("",), None),
        (DataType.CURRENCY, ("19.99",), 19.99),
        (DataType.CURRENCY, ("7",), 7.0),
        (DataType.DATE, ("2024-02-29",), date(2024, 2, 29)),
        (DataType.DATETIME, ("2024-02-29T17:30",), datetime(2024, 2, 29, 17, 30, tzinfo=UTC)),
        (DataType.DATETIME, ("2024-02-29 17:30:05",), datetime(2024, 2, 29, 17, 30, 5, tzinfo=UTC)),
        (DataType.CHECKBOX, ("on",), True),
        (DataType.CHECKBOX, (), False),
        (DataType.CHECKBOX, ("off", "on"), True),  # a hidden fallback, then the box
        (DataType.CHECKBOX, ("false",), False),
        (DataType.PICKLIST, ("Green",), "Green"),
        (DataType.RADIO, ("Blue",), "Blue"),
        (DataType.RADIO, ("",), None),
        (DataType.MULTI_SELECT, ("Blue", "Red", "Blue"), ["Red", "Blue"]),
        (DataType.MULTI_SELECT, (), None),
        (DataType.EMAIL, (" ann@example.com ",), "ann@example.com"),
        (DataType.URL, ("https://example.com/a?b=c",), "https://example.com/a?b=c"),
        (DataType.URL, ("HTTP://example.com",), "HTTP://example.com"),
    ],
)
def test_good_input_parses_to_a_typed_value(
    kind: DataType, raw: tuple[str, ...], expected: Any
) -> None:
    f = ScreenField("x", "X", kind, choices=CHOICES if kind in CHOICE_KINDS else ())
    got = parse(f, raw)
    assert got == expected
    assert type(got) is type(expected)
    # and through the runtime: the value is accepted and shown again
    flow = one_screen(f)
    done = submit(flow, start(flow), {"x": list(raw)}, "finish")
    assert isinstance(done, Finished)


CHOICE_KINDS = {DataType.PICKLIST, DataType.RADIO, DataType.MULTI_SELECT}


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        (DataType.TEXT, "a\x00b", "NUL"),
        (DataType.NUMBER, "12,5", "Enter a number"),
        (DataType.NUMBER, "1e5", "Enter a number"),
        (DataType.NUMBER, "nan", "Enter a number"),
        (DataType.NUMBER, "1" * 40, "at most 30 digits"),
        (DataType.CURRENCY, "1.999", "at most 2 decimal places"),
        (DataType.CURRENCY, "$5", "Enter a number"),
        (DataType.DATE, "2023-02-29", "Enter a date"),
        (DataType.DATE, "29/02/2024", "Enter a date"),
        (DataType.DATETIME, "2024-02-29", "Enter a date and time"),
        (DataType.DATETIME, "2024-02-29T25:00", "Enter a date and time"),
        (DataType.CHECKBOX, "maybe", "not a checkbox value"),
        (DataType.PICKLIST, "Purple", "'Purple' is not one of the choices"),
        (DataType.RADIO, "red", "'red' is not one of the choices"),
        (DataType.MULTI_SELECT, "Pink", "'Pink' is not one of the choices"),
        (DataType.EMAIL, "ann@", "Enter an email address"),
        (DataType.EMAIL, "ann example@x.org", "Enter an email address"),
        (DataType.EMAIL, "ann@localhost", "Enter an email address"),
        (DataType.URL, "javascript:alert(1)", "http:// or https://"),
        (DataType.URL, "ftp://example.com", "http:// or https://"),
        (DataType.URL, "https://", "http:// or https://"),
        (DataType.URL, "https://exa mple.com", "http:// or https://"),
        (DataType.URL, "http://[::1", "http:// or https://"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_kept(
    kind: DataType, raw: str, message: str
) -> None:
    f = ScreenField("x", "X", kind, choices=CHOICES if kind in CHOICE_KINDS else ())
    got = parse(f, (raw,))
    assert isinstance(got, Bad)
    assert message in got.message
    flow = one_screen(f)
    refused = state_of(submit(flow, start(flow), {"x": raw}, "next"))
    assert message in refused.errors["x"]
    shown = field(render(flow, refused), "x")
    assert shown.text == raw
    assert shown.error == refused.errors["x"]


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(min_size=1).filter(lambda t: "\x00" not in t))
def test_any_text_round_trips_through_a_text_field(text: str) -> None:
    for kind in (DataType.TEXT, DataType.LONG_TEXT):
        flow = one_screen(
            ScreenField("x", "X", kind), ScreenField("y", "Y", DataType.NUMBER, required=True)
        )
        refused = state_of(submit(flow, start(flow), {"x": text, "y": ""}, "next"))
        assert field(render(flow, refused), "x").text == text  # kept as typed
        done = submit(flow, refused, {"x": text, "y": "1"}, "finish")
        assert isinstance(done, Finished)
        assert done.variables["x"] == text


@settings(max_examples=200, deadline=None, database=None)
@given(st.integers(min_value=-(10**25), max_value=10**25))
def test_whole_numbers_parse_to_ints(n: int) -> None:
    f = ScreenField("x", "X", DataType.NUMBER)
    assert parse(f, (str(n),)) == n
    assert text_of(n) == str(n)


@settings(max_examples=300, deadline=None, database=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_a_number_shown_in_an_input_parses_back_to_itself(x: float) -> None:
    f = ScreenField("x", "X", DataType.NUMBER)
    shown = text_of(x, DataType.NUMBER)
    if len(shown) <= 30:
        assert parse(f, (shown,)) == x
        assert "e" not in shown.lower()


@settings(max_examples=300, deadline=None, database=None)
@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_currency_takes_two_decimal_places_and_shows_them(amount: Decimal) -> None:
    f = ScreenField("x", "X", DataType.CURRENCY)
    got = parse(f, (str(amount),))
    assert got == float(amount)
    assert text_of(got, DataType.CURRENCY) == f"{amount:.2f}"


def test_a_date_and_time_is_shown_as_a_browser_input_takes_it_and_read_back_as_utc() -> None:
    """A browser's date-and-time input shows nothing for an offset or microseconds: the value
    stageflow keeps (aware, as ISO text) is written UTC to the second, and the zone-less text it
    sends back is UTC."""
    f = ScreenField("at", "At", DataType.DATETIME)
    kept = datetime(2026, 11, 25, 10, 15, 30, 123456, tzinfo=timezone(timedelta(hours=1)))
    shown = text_of(kept, DataType.DATETIME)
    assert shown == "2026-11-25T09:15:30"
    assert parse(f, (shown,)) == datetime(2026, 11, 25, 9, 15, 30, tzinfo=UTC)
    assert text_of(kept) == kept.isoformat()  # in display text, as kept
