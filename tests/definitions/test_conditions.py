"""Condition requirements: every operator of SPEC section 3, custom logic, evaluation."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stageflow.definitions.conditions import check_logic, check_value, combine, compare, holds
from stageflow.definitions.model import Conditions, DataType, Operator, Rule
from stageflow.definitions.references import Path

EQUALS = Operator.EQUALS
NOT_EQUALS = Operator.NOT_EQUALS
GREATER_THAN = Operator.GREATER_THAN
LESS_THAN = Operator.LESS_THAN
GREATER_OR_EQUAL = Operator.GREATER_OR_EQUAL
LESS_OR_EQUAL = Operator.LESS_OR_EQUAL
CONTAINS = Operator.CONTAINS
STARTS_WITH = Operator.STARTS_WITH
ENDS_WITH = Operator.ENDS_WITH
IS_NULL = Operator.IS_NULL
IS_CHANGED = Operator.IS_CHANGED
IN = Operator.IN


def test_every_operator_of_the_spec_exists() -> None:
    assert {o.value for o in Operator} == {
        "equals", "not_equals", "greater_than", "less_than", "greater_or_equal",
        "less_or_equal", "contains", "starts_with", "ends_with", "is_null", "is_changed", "in",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("op", "left", "right", "expected"),
    [
        # equals / not_equals, with number and text brought to one type
        (EQUALS, "High", "High", True),
        (EQUALS, "High", "high", False),
        (EQUALS, 5, "5", True),
        (EQUALS, "5", 5.0, True),
        (EQUALS, Decimal("1.50"), 1.5, True),
        (EQUALS, True, "true", True),
        (EQUALS, "TRUE", True, True),
        (EQUALS, False, "true", False),
        (EQUALS, date(2024, 1, 2), "2024-01-02", True),
        (EQUALS, None, None, True),
        (EQUALS, None, "High", False),
        (EQUALS, "High", None, False),
        (NOT_EQUALS, "High", "Low", True),
        (NOT_EQUALS, 5, "5", False),
        (NOT_EQUALS, None, "High", True),
        (NOT_EQUALS, None, None, False),
        # ordering, numbers coerced from text; None never compares
        (GREATER_THAN, 10, 9, True),
        (GREATER_THAN, "10", 9, True),
        (GREATER_THAN, 9, "10", False),
        (GREATER_THAN, 5, 5, False),
        (GREATER_THAN, "b", "a", True),
        (GREATER_THAN, date(2024, 1, 3), "2024-01-02", True),
        (GREATER_THAN, None, 1, False),
        (GREATER_THAN, 1, None, False),
        (GREATER_THAN, "many", 1, False),
        (LESS_THAN, 1.5, 2, True),
        (LESS_THAN, "2", 10, True),
        (LESS_THAN, 2, 2, False),
        (LESS_THAN, None, 1, False),
        (LESS_THAN, datetime(2024, 1, 1, 9, 0), datetime(2024, 1, 1, 10, 0), True),
        (GREATER_OR_EQUAL, 5, "5", True),
        (GREATER_OR_EQUAL, 4, 5, False),
        (GREATER_OR_EQUAL, None, None, False),
        (LESS_OR_EQUAL, 5, 5, True),
        (LESS_OR_EQUAL, "6", 5, False),
        (LESS_OR_EQUAL, 1, None, False),
        # text operators; a list contains its items
        (CONTAINS, "Roof and Electrical", "Electrical", True),
        (CONTAINS, "Roof", "Electrical", False),
        (CONTAINS, ["Roof", "Electrical"], "Roof", True),
        (CONTAINS, [1, 2], "2", True),
        (CONTAINS, ["Roof"], "Ro", False),
        (CONTAINS, 12345, 23, True),
        (CONTAINS, None, "x", False),
        (CONTAINS, "x", None, False),
        (STARTS_WITH, "INV-2024-7", "INV-", True),
        (STARTS_WITH, "PO-2024-7", "INV-", False),
        (STARTS_WITH, None, "INV-", False),
        (ENDS_WITH, "report.pdf", ".pdf", True),
        (ENDS_WITH, "report.doc", ".pdf", False),
        (ENDS_WITH, "report.pdf", None, False),
        # is_null: value true (or none) asks for empty, false for filled
        (IS_NULL, None, True, True),
        (IS_NULL, "", True, True),
        (IS_NULL, [], None, True),
        (IS_NULL, "x", True, False),
        (IS_NULL, 0, True, False),
        (IS_NULL, False, True, False),
        (IS_NULL, "x", False, True),
        (IS_NULL, None, False, False),
        (IS_NULL, None, "false", False),
        # in: membership, with the same coercion as equals
        (IN, "High", ["Medium", "High"], True),
        (IN, "Low", ["Medium", "High"], False),
        (IN, 5, ["5", "6"], True),
        (IN, "5", [5, 6], True),
        (IN, None, ["High"], False),
        (IN, "High", [], False),
    ],
)
def test_operator(op: Operator, left: Any, right: Any, expected: bool) -> None:
    assert compare(op, left, right) is expected


# a NaN reaches a condition at run time through a reference (text "NaN" in a field or input, a
# Python value); deploy refuses a literal one against a number
NANS: list[Any] = ["NaN", " nan ", "sNaN", "-NaN", float("nan"), Decimal("NaN"), Decimal("sNaN")]
NUMBERS: list[Any] = [5, -2.5, Decimal("5"), float("inf"), True]  # text against text is text
ORDERINGS = [GREATER_THAN, LESS_THAN, GREATER_OR_EQUAL, LESS_OR_EQUAL]


@pytest.mark.parametrize("nan", NANS, ids=repr)
def test_a_nan_is_no_number_a_condition_compares(nan: Any) -> None:
    """It orders against no number and equals none, on either side (as text that is not a
    number does), rather than failing the run with decimal's InvalidOperation."""
    for number in NUMBERS:
        for op in ORDERINGS:
            assert compare(op, nan, number) is False, (op.value, nan, number)
            assert compare(op, number, nan) is False, (op.value, number, nan)
        assert compare(EQUALS, nan, number) is False
        assert compare(NOT_EQUALS, number, nan) is True
        assert compare(IN, nan, [number, "x"]) is False
        assert compare(IN, number, [nan]) is False
        assert compare(CONTAINS, [nan], number) is False


def test_nan_as_text_is_still_text() -> None:
    assert compare(EQUALS, "NaN", "NaN") is True
    assert compare(GREATER_THAN, "NaN", "M") is True
    assert compare(STARTS_WITH, "NaN", "Na") is True


@pytest.mark.parametrize(
    ("changed", "value", "expected"),
    [(True, None, True), (False, None, False), (True, True, True), (False, False, True)],
)
def test_is_changed_uses_whether_the_field_changed(
    changed: bool, value: Any, expected: bool
) -> None:
    assert compare(IS_CHANGED, "Escalated", value, changed=changed) is expected


# --- the deploy check of a condition's value agrees with compare ----------------------------------

CHOICES = ("Open", "Closed")
# what a field of each type holds at run time (kept as JSON: dates as ISO text)
HELD: dict[DataType, list[Any]] = {
    DataType.NUMBER: [0, 1, 10, -2.5, 1000.5],
    DataType.CHECKBOX: [True, False],
    DataType.DATE: ["2024-12-31", "2025-06-01"],
    DataType.DATETIME: ["2024-12-31T17:30:00", "2025-06-01T08:00:00+00:00"],
    DataType.PICKLIST: list(CHOICES),
}
LITERALS: list[Any] = [
    0, 1, 2, 10, -2.5, 1000.5, Decimal("10.5"), True, False, "true", "False", "1", "10.5", " 10 ",
    "1,000", "yes", "", "Open", "Closed", "Opened", "2024-12-31", "2024", "31/12/2024",
    date(2024, 12, 31), datetime(2024, 12, 31, 17, 30), [1, 2],
]  # fmt: skip
SCALAR_OPS = [EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN, GREATER_OR_EQUAL, LESS_OR_EQUAL]


def _choices(kind: DataType) -> tuple[str, ...]:
    return CHOICES if kind is DataType.PICKLIST else ()


@pytest.mark.parametrize("kind", list(HELD), ids=[k.value for k in HELD])
def test_a_condition_value_is_refused_only_when_no_value_of_the_field_meets_it(
    kind: DataType,
) -> None:
    for op in SCALAR_OPS:
        for literal in LITERALS:
            message = check_value(op, kind, _choices(kind), literal)
            meeting = [v for v in HELD[kind] if compare(op, v, literal)]
            assert message is None or not meeting, (op.value, literal, meeting, message)
    # `in`: an item no value equals is refused, though others may match
    for item in LITERALS:
        message = check_value(IN, kind, _choices(kind), [item])
        meeting = [v for v in HELD[kind] if compare(IN, v, [item])]
        assert message is None or not meeting, ("in", item, meeting, message)


@pytest.mark.parametrize(
    ("op", "kind", "value", "message"),
    [
        (EQUALS, DataType.NUMBER, "1,000", "the value '1,000' is not a number, like 1000.5"),
        (GREATER_THAN, DataType.NUMBER, "1,000", "the value '1,000' is not a number"),
        (LESS_THAN, DataType.NUMBER, "NaN", "the value 'NaN' is not a number"),
        (EQUALS, DataType.NUMBER, [1, 2], "the value [1, 2] is not a number"),
        (EQUALS, DataType.CHECKBOX, "yes", "the value 'yes' is not true or false"),
        (EQUALS, DataType.CHECKBOX, 2, "the value 2 is not true or false"),
        (EQUALS, DataType.DATE, "31/12/2024", "the value '31/12/2024' is not a date"),
        (GREATER_THAN, DataType.DATE, 2024, "the value 2024 is not a date"),
        (EQUALS, DataType.PICKLIST, "", "the value '' is not among the choices (Open, Closed)"),
        (IN, DataType.PICKLIST, ["Open", "Opened"], "the value 'Opened' is not among the choices"),
        (GREATER_THAN, DataType.PICKLIST, "Zzz", "no choice (Open, Closed) is greater than 'Zzz'"),
    ],
)
def test_a_condition_value_no_value_of_the_field_meets_is_refused(
    op: Operator, kind: DataType, value: Any, message: str
) -> None:
    assert message in (check_value(op, kind, _choices(kind), value) or "")


# --- evaluation with references -------------------------------------------------------------------


def resolver(values: dict[Path, Any]) -> Any:
    return lambda path: values.get(path)


def rule(left: str, op: Operator, value: Any = None) -> Rule:
    return Rule(left, op, value)


def test_rules_resolve_references_on_both_sides() -> None:
    values: dict[Path, Any] = {
        ("$Record", "Amount"): 1200,
        ("$Input", "limit"): "1000",
        ("Triage", "Outputs", "priority"): "High",
    }
    conditions = Conditions(
        (
            rule("{!$Record.Amount}", GREATER_THAN, "{!$Input.limit}"),
            rule("{!Triage.Outputs.priority}", IN, ["High", "Medium"]),
        )
    )
    assert holds(conditions, resolver(values))
    values[("$Input", "limit")] = 5000
    assert not holds(conditions, resolver(values))


def test_is_changed_compares_the_record_with_its_prior_values() -> None:
    conditions = Conditions((rule("{!$Record.Status}", IS_CHANGED),))
    record: dict[Path, Any] = {("$Record", "Status"): "Escalated"}
    updated: dict[Path, Any] = {**record, ("$Record__Prior",): {"Status": "New"}}
    unchanged: dict[Path, Any] = {**record, ("$Record__Prior",): {"Status": "Escalated"}}
    assert holds(conditions, resolver(updated))
    assert not holds(conditions, resolver(unchanged))
    assert not holds(conditions, resolver(record))  # created: nothing changed yet


def test_no_rules_means_met() -> None:
    assert holds(Conditions(()), resolver({}))


def test_and_or_and_custom_logic_combine_the_rules() -> None:
    values: dict[Path, Any] = {("$Record", "A"): 1, ("$Record", "B"): 2, ("$Record", "C"): 3}
    rules = (
        rule("{!$Record.A}", EQUALS, 1),  # true
        rule("{!$Record.B}", EQUALS, 0),  # false
        rule("{!$Record.C}", EQUALS, 3),  # true
    )
    resolve = resolver(values)
    assert not holds(Conditions(rules, "and"), resolve)
    assert holds(Conditions(rules, "or"), resolve)
    assert holds(Conditions(rules, "1 AND (2 OR 3)"), resolve)
    assert not holds(Conditions(rules, "(1 AND 2) OR NOT 3"), resolve)
    assert holds(Conditions(rules, "1 and not 2"), resolve)


# --- custom logic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "results", "expected"),
    [
        ("1 AND (2 OR 3)", [True, False, True], True),
        ("1 AND (2 OR 3)", [True, False, False], False),
        ("1 AND (2 OR 3)", [False, True, True], False),
        ("NOT 1", [False], True),
        ("NOT (1 OR 2)", [False, True], False),
        ("NOT NOT 1", [True], True),
        # NOT binds tighter than AND, AND tighter than OR
        ("1 OR 2 AND 3", [True, False, False], True),
        ("(1 OR 2) AND 3", [True, False, False], False),
        ("NOT 1 AND 2", [True, True], False),
        ("NOT (1 AND 2)", [True, False], True),
        ("1 or 2 and not 3", [False, True, False], True),
        ("AND", [True, True], True),
        ("Or", [False, True], True),
        ("  2  ", [False, True], True),
    ],
)
def test_custom_logic(logic: str, results: list[bool], expected: bool) -> None:
    assert check_logic(logic, len(results)) is None
    assert combine(logic, results) is expected


@pytest.mark.parametrize(
    ("logic", "count", "message"),
    [
        ("1 AND (2", 2, "missing ')' in custom logic '1 AND (2'"),
        ("(1 OR 2))", 2, "unexpected ')'"),
        ("1 AND", 2, "custom logic '1 AND' ends too early"),
        ("NOT", 1, "ends too early"),
        ("1 XOR 2", 2, "unexpected 'XOR 2'"),
        ("1 2", 2, "unexpected '2'"),
        ("()", 1, "unexpected ')'"),
        ("", 1, "custom logic is empty"),
        ("1 AND 5", 2, "custom logic '1 AND 5' names condition 5, but there are 2"),
        ("0 OR 1", 2, "names condition 0, but there are 2"),
        ("1 AND -2", 2, "unexpected '-2'"),
    ],
)
def test_bad_custom_logic_is_explained(logic: str, count: int, message: str) -> None:
    found = check_logic(logic, count)
    assert found is not None
    assert message in found


# --- custom logic behaves like Python's and/or/not ------------------------------------------------

Tree = tuple[Any, ...]  # ("ref", i) | ("not", tree) | ("and" | "or", tree, tree)


def trees(count: int) -> st.SearchStrategy[Tree]:
    leaves = st.integers(1, count).map(lambda i: ("ref", i))
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.tuples(st.just("not"), kids),
            st.tuples(st.sampled_from(["and", "or"]), kids, kids),
        ),
        max_leaves=12,
    )


def render(tree: Tree, upper: bool) -> str:
    kind = tree[0]
    if kind == "ref":
        return str(tree[1])
    word = kind.upper() if upper else kind
    if kind == "not":
        return f"{word} {render(tree[1], upper)}"
    return f"({render(tree[1], upper)} {word} {render(tree[2], upper)})"


def python_value(tree: Tree, results: list[bool]) -> bool:
    kind = tree[0]
    if kind == "ref":
        return bool(results[tree[1] - 1])
    if kind == "not":
        return not python_value(tree[1], results)
    if kind == "and":
        return python_value(tree[1], results) and python_value(tree[2], results)
    return python_value(tree[1], results) or python_value(tree[2], results)


@st.composite
def logic_cases(draw: st.DrawFn) -> tuple[Tree, list[bool], bool]:
    results = draw(st.lists(st.booleans(), min_size=1, max_size=6))
    return draw(trees(len(results))), results, draw(st.booleans())


@settings(max_examples=300, deadline=None, database=None)
@given(logic_cases())
def test_custom_logic_trees_evaluate_like_python(case: tuple[Tree, list[bool], bool]) -> None:
    tree, results, upper = case
    logic = render(tree, upper)
    assert check_logic(logic, len(results)) is None
    assert combine(logic, results) is python_value(tree, results)


@st.composite
def flat_logic(draw: st.DrawFn) -> tuple[str, str, list[bool]]:
    """`1 AND NOT 2 OR 3` without parentheses, and the same in Python: precedence decides."""
    results = draw(st.lists(st.booleans(), min_size=1, max_size=6))
    size = draw(st.integers(1, 6))
    logic: list[str] = []
    python: list[str] = []
    for n in range(size):
        if n:
            op = draw(st.sampled_from(["AND", "OR"]))
            logic.append(op)
            python.append(op.lower())
        if draw(st.booleans()):
            logic.append("NOT")
            python.append("not")
        index = draw(st.integers(1, len(results)))
        logic.append(str(index))
        python.append(f"r[{index - 1}]")
    return " ".join(logic), " ".join(python), results


@settings(max_examples=300, deadline=None, database=None)
@given(flat_logic())
def test_precedence_without_parentheses_is_pythons(case: tuple[str, str, list[bool]]) -> None:
    logic, python, results = case
    assert check_logic(logic, len(results)) is None
    assert combine(logic, results) is bool(eval(python, {"r": results}))
