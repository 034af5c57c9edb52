"""Pieces shared by every kind of definition: names, variables, conditions."""

from __future__ import annotations

import re
from typing import Any

from stageflow.definitions import references
from stageflow.definitions.conditions import check_logic
from stageflow.definitions.model import Conditions, DataType, Operator, Rule, Variable
from stageflow.definitions.source import LocDict, LocList, Reader

_API_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)$")


def api_name(r: Reader, node: LocDict, key: str = "name") -> str:
    name = r.text(node, key, required=True)
    if name and not _API_NAME.match(name):
        r.problem(
            f"{name!r} is not a valid API name: start with a letter, then letters, digits and"
            " single underscores, not ending with an underscore",
            node,
            key,
        )
    return name


def target(r: Reader, node: LocDict, key: str, what: str) -> str | None:
    """A name another part of the definition goes to (`next`, `default`...); None when absent.

    A list or a mapping is refused here: validation looks names up in sets, and `[Close]` is a
    likely slip for `Close`.
    """
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, bool | dict | list):
        r.problem(f"{key!r} must be {what}, got {value!r}", node, key)
        return None
    return str(value)


def label(r: Reader, node: LocDict, name: str) -> str:
    return r.text(node, "label", default=name.replace("_", " "))


def variables(r: Reader, parent: LocDict, key: str) -> tuple[Variable, ...]:
    out: list[Variable] = []
    with r.at(key):
        for i, raw in enumerate(r.sequence(parent, key)):
            with r.at(i):
                node = r.mapping(raw, "a variable")
                if node is None:
                    continue
                r.only_keys(node, {"name", "type", "required", "default", "label"})
                out.append(
                    Variable(
                        name=api_name(r, node),
                        type=r.choice(node, "type", DataType, DataType.TEXT),
                        required=r.flag(node, "required"),
                        default=node.get("default"),
                        loc=r.loc(node),
                    )
                )
    return tuple(out)


def reference_text(r: Reader, node: LocDict, key: str, value: Any) -> str | None:
    """Check that `value` is exactly one well-formed merge field and return it."""
    path = references.parse(value)
    if path is None or not references.well_formed(path):
        r.problem(
            f"{key!r} must be one reference like {{!$Record.Status}}, got {value!r}", node, key
        )
        return None
    return str(value)


def conditions(r: Reader, raw: Any, *, field_means_record: bool = True) -> Conditions:
    """`{logic: and|or|"1 AND (2 OR 3)", rules: [{ref|field, op, value}]}`."""
    node = r.mapping(raw, "conditions")
    if node is None:
        return Conditions(())
    r.only_keys(node, {"logic", "rules"})
    rules: list[Rule] = []
    with r.at("rules"):
        raw_rules = r.sequence(node, "rules", required=True)
        for i, raw_rule in enumerate(raw_rules):
            with r.at(i):
                rule = _rule(r, raw_rule, field_means_record)
                if rule is not None:
                    rules.append(rule)
    logic = r.text(node, "logic", default="and")
    if len(rules) == len(raw_rules):
        message = check_logic(logic, len(rules))
        if message:
            r.problem(message, node, "logic")
    return Conditions(tuple(rules), logic, r.loc(node))


def _rule(r: Reader, raw: Any, field_means_record: bool) -> Rule | None:
    node = r.mapping(raw, "a condition")
    if node is None:
        return None
    r.only_keys(node, {"ref", "field", "op", "value"})
    left: str | None = None
    if "ref" in node:
        left = reference_text(r, node, "ref", node["ref"])
    elif "field" in node and field_means_record:
        left = references.text((references.RECORD, r.text(node, "field")))
    else:
        r.problem(
            "a condition needs 'ref' (a reference)" + (" or 'field'" if field_means_record else ""),
            node,
            "ref",
        )
    op_text = node.get("op")
    if op_text is None:
        r.problem("missing required key 'op'", node, "op")
        return None
    try:
        op = Operator(str(op_text))
    except ValueError:
        options = ", ".join(o.value for o in Operator)
        r.problem(f"unknown operator {op_text!r}; expected one of: {options}", node, "op")
        return None
    value = node.get("value")
    if op is Operator.IN and not isinstance(value, LocList):
        r.problem("operator 'in' needs a list as 'value'", node, "value")
    if left is None:
        return None
    return Rule(left, op, value, r.loc(node))
