"""Condition requirements: operators, custom logic (`1 AND (2 OR NOT 3)`), evaluation.

Pure functions; the caller supplies a resolver for references.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stageflow.definitions import references
from stageflow.definitions.datatypes import literal_fits
from stageflow.definitions.model import Conditions, DataType, Operator, Rule

# --- custom logic -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(\d+|AND\b|OR\b|NOT\b|\(|\))", re.IGNORECASE)


@dataclass(frozen=True)
class _Ref:
    index: int  # 1-based


@dataclass(frozen=True)
class _Not:
    operand: _Expr


@dataclass(frozen=True)
class _BinOp:
    op: str  # "AND" | "OR"
    left: _Expr
    right: _Expr


_Expr = _Ref | _Not | _BinOp


class LogicError(ValueError):
    pass


def _tokens(logic: str) -> list[str]:
    pos, out = 0, []
    text = logic.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise LogicError(f"unexpected {text[pos:].strip()[:10]!r} in custom logic {logic!r}")
        out.append(m.group(1).upper())
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, logic: str) -> None:
        self.logic = logic
        self.toks = _tokens(logic)
        self.i = 0

    def parse(self) -> _Expr:
        if not self.toks:
            raise LogicError("custom logic is empty")
        expr = self._or()
        if self.i != len(self.toks):
            raise LogicError(f"unexpected {self.toks[self.i]!r} in custom logic {self.logic!r}")
        return expr

    def _peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _or(self) -> _Expr:
        left = self._and()
        while self._peek() == "OR":
            self.i += 1
            left = _BinOp("OR", left, self._and())
        return left

    def _and(self) -> _Expr:
        left = self._not()
        while self._peek() == "AND":
            self.i += 1
            left = _BinOp("AND", left, self._not())
        return left

    def _not(self) -> _Expr:
        if self._peek() == "NOT":
            self.i += 1
            return _Not(self._not())
        return self._atom()

    def _atom(self) -> _Expr:
        tok = self._peek()
        if tok is None:
            raise LogicError(f"custom logic {self.logic!r} ends too early")
        self.i += 1
        if tok == "(":
            inner = self._or()
            if self._peek() != ")":
                raise LogicError(f"missing ')' in custom logic {self.logic!r}")
            self.i += 1
            return inner
        if tok.isdigit():
            return _Ref(int(tok))
        raise LogicError(f"unexpected {tok!r} in custom logic {self.logic!r}")


def _indexes(expr: _Expr) -> set[int]:
    match expr:
        case _Ref(index):
            return {index}
        case _Not(operand):
            return _indexes(operand)
        case _BinOp(_, left, right):
            return _indexes(left) | _indexes(right)


def check_logic(logic: str, rule_count: int) -> str | None:
    """A message when `logic` is not `and`, `or`, or valid custom logic over the rules."""
    if logic.lower() in ("and", "or"):
        return None
    try:
        expr = _Parser(logic).parse()
    except LogicError as exc:
        return str(exc)
    bad = sorted(i for i in _indexes(expr) if not 1 <= i <= rule_count)
    if bad:
        return f"custom logic {logic!r} names condition {bad[0]}, but there are {rule_count}"
    return None


def _combine(expr: _Expr, results: Sequence[bool]) -> bool:
    match expr:
        case _Ref(index):
            return results[index - 1]
        case _Not(operand):
            return not _combine(operand, results)
        case _BinOp("AND", left, right):
            return _combine(left, results) and _combine(right, results)
        case _BinOp(_, left, right):
            return _combine(left, results) or _combine(right, results)


_parsed: dict[str, _Expr] = {}


def combine(logic: str, results: Sequence[bool]) -> bool:
    low = logic.lower()
    if low == "and":
        return all(results)
    if low == "or":
        return any(results)
    expr = _parsed.get(logic)
    if expr is None:
        expr = _parsed[logic] = _Parser(logic).parse()
    return _combine(expr, results)


# --- values a field's type can be compared with -------------------------------------------------

# not_equals is not checked: a value the field never equals makes it hold every time, which may
# be meant (`not_equals: ""`)
_CHECKED = {
    Operator.EQUALS, Operator.GREATER_THAN, Operator.LESS_THAN, Operator.GREATER_OR_EQUAL,
    Operator.LESS_OR_EQUAL, Operator.IN,
}  # fmt: skip
_LIKE = {
    DataType.NUMBER: "a number, like 1000.5",
    DataType.CURRENCY: "a number, like 1000.5",
    DataType.CHECKBOX: "true or false",
    DataType.DATE: "a date, like 2024-12-31",
    DataType.DATETIME: "a date and time, like 2024-12-31T17:30",
}
_WORDS = {
    Operator.GREATER_THAN: "greater than",
    Operator.LESS_THAN: "less than",
    Operator.GREATER_OR_EQUAL: "greater than or equal to",
    Operator.LESS_OR_EQUAL: "less than or equal to",
}


def check_value(op: Operator, kind: DataType, choices: Sequence[str], value: Any) -> str | None:
    """A message when no value a field of `kind` holds could ever meet a condition's literal
    `value` as `compare` sees it: `"1,000"` against a number makes it false every time. What
    `compare` lets match at least once is accepted; each item of `in` must be able to match."""
    if op not in _CHECKED or value is None:
        return None  # text operators compare text; is_null and is_changed take true/false
    items = [value]
    if op is Operator.IN:
        op, items = Operator.EQUALS, value if isinstance(value, list) else [value]
    for item in items:
        if choices and kind in (DataType.PICKLIST, DataType.RADIO):
            if not any(compare(op, choice, item) for choice in choices):
                return _not_a_choice(op, choices, item)
        elif kind in _LIKE and not _may_meet(op, kind, item):
            return f"the value {item!r} is not {_LIKE[kind]}"
    return None


def _not_a_choice(op: Operator, choices: Sequence[str], item: Any) -> str:
    if op is Operator.EQUALS:
        return f"the value {item!r} is not among the choices ({', '.join(choices)})"
    return f"no choice ({', '.join(choices)}) is {_WORDS[op]} {item!r}"


def _may_meet(op: Operator, kind: DataType, item: Any) -> bool:
    """Whether some value of `kind`, as kept at run time (JSON), meets `op` against `item`."""
    if kind is DataType.CHECKBOX:
        return any(compare(op, held, item) for held in (True, False))
    if kind in (DataType.NUMBER, DataType.CURRENCY):
        return isinstance(item, bool) or _number(item) is not None  # true and false: 1 and 0
    # dates and datetimes are kept as ISO text: equal only to one, ordered against any text
    if op is Operator.EQUALS:
        return literal_fits(kind, item)
    return isinstance(item, str | date)


# --- operators --------------------------------------------------------------------------------


def _number(v: Any) -> Decimal | None:
    """`v` as a number, or None. A NaN ("NaN", "sNaN", float('nan')) is none: it compares as
    text that is not a number does (equal to no number, ordered against none), where a
    Decimal NaN would raise InvalidOperation at the first ordering."""
    if isinstance(v, bool) or v is None:
        return None
    number = None
    if isinstance(v, int | float | Decimal):
        number = Decimal(str(v))
    elif isinstance(v, str):
        try:
            number = Decimal(v.strip())
        except InvalidOperation:
            return None
    return None if number is None or number.is_nan() else number


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    """Bring two values to one type so that `5 == "5"` and `true == "true"` hold."""
    if isinstance(a, bool) or isinstance(b, bool):
        return _bool(a), _bool(b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and (not isinstance(a, str) or not isinstance(b, str)):
        return na, nb
    if isinstance(a, date | datetime) or isinstance(b, date | datetime):
        return _iso(a), _iso(b)
    return a, b


def _bool(v: Any) -> Any:
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    return v


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date | datetime) else v


def _order(a: Any, b: Any, test: Callable[[Any, Any], bool]) -> bool:
    if a is None or b is None:
        return False
    x, y = _comparable(a, b)
    try:
        return test(x, y)
    except (TypeError, ArithmeticError):  # text against a number; a Decimal NaN given as is
        return False


def _equal(a: Any, b: Any) -> bool:
    x, y = _comparable(a, b)
    try:
        return bool(x == y)
    except ArithmeticError:  # a signalling Decimal NaN given as is equals nothing
        return False


def _is_empty(v: Any) -> bool:
    return v is None or v == "" or v == [] or v == {}


def compare(op: Operator, left: Any, right: Any, changed: bool = False) -> bool:
    """Apply one operator. `changed` says whether the left field changed (for is_changed)."""
    if op is Operator.EQUALS:
        return _equal(left, right)
    if op is Operator.NOT_EQUALS:
        return not _equal(left, right)
    if op is Operator.GREATER_THAN:
        return _order(left, right, lambda x, y: x > y)
    if op is Operator.LESS_THAN:
        return _order(left, right, lambda x, y: x < y)
    if op is Operator.GREATER_OR_EQUAL:
        return _order(left, right, lambda x, y: x >= y)
    if op is Operator.LESS_OR_EQUAL:
        return _order(left, right, lambda x, y: x <= y)
    if op is Operator.IS_NULL:
        return _is_empty(left) == bool(_bool(right) if right is not None else True)
    if op is Operator.IS_CHANGED:
        return changed == bool(_bool(right) if right is not None else True)
    if op is Operator.IN:
        items = right if isinstance(right, list | tuple) else [right]
        return any(compare(Operator.EQUALS, left, item) for item in items)
    return _text_op(op, left, right)


def _text_op(op: Operator, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if op is Operator.CONTAINS:
        if isinstance(left, list | tuple):
            return any(compare(Operator.EQUALS, item, right) for item in left)
        return str(right) in str(left)
    if op is Operator.STARTS_WITH:
        return str(left).startswith(str(right))
    if op is Operator.ENDS_WITH:
        return str(left).endswith(str(right))
    raise AssertionError(f"unhandled operator {op}")  # pragma: no cover


# --- evaluation -------------------------------------------------------------------------------


def rule_holds(rule: Rule, resolve: references.Resolver) -> bool:
    path = references.parse(rule.left)
    assert path is not None, "the loader makes every left side a reference"
    left = resolve(path)
    right = references.resolve(rule.value, resolve)
    changed = False
    if rule.op is Operator.IS_CHANGED and path[0] == references.RECORD and len(path) == 2:
        prior = resolve((references.PRIOR,))  # None on create: nothing has changed yet
        changed = isinstance(prior, dict) and prior.get(path[1]) != left
    return compare(rule.op, left, right, changed)


def holds(conditions: Conditions, resolve: references.Resolver) -> bool:
    """Whether the condition requirements are met; no rows means met."""
    if not conditions.rules:
        return True
    results = [rule_holds(r, resolve) for r in conditions.rules]
    return combine(conditions.logic, results)
