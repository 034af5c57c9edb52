"""Validation of the record writes flows make: the objects and fields they name.

A write to an unknown object or field is refused at run time, every time (services/records.py);
finding it on deploy turns a step that would fail for good into a problem with file and line.
"""

from collections.abc import Mapping
from typing import Any

from stageflow.definitions.model import ElementKind, FlowElement, Loc, ObjectDef, ScreenFlow
from stageflow.definitions.validate_common import RECORD_SYSTEM_FIELDS, problem_at
from stageflow.errors import Problem

# The system fields a write may set (services/records.py keeps them out of the field values)
WRITABLE_SYSTEM_FIELDS = frozenset({"Name", "Owner"})


def screen_flow_updates(sf: ScreenFlow, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    out = []
    for i, up in enumerate(sf.record_updates):
        out += _write(up.object, up.values, objects, up.loc, "", f"record_updates[{i}]")
    return out


def flow_element(e: FlowElement, objects: Mapping[str, ObjectDef]) -> list[Problem]:
    """The object and the fields of a create or update element. A get is not checked: it may
    read a host application's record of an object no definition declares."""
    kind = e.kind
    if kind not in (ElementKind.CREATE_RECORD, ElementKind.UPDATE_RECORD):
        return []
    obj = e.config.get("object")
    if not isinstance(obj, str):
        return []  # missing or not a name: the loader reports it
    prefix = f"{kind.value}."
    where = f"elements[{e.name}].{kind.value}"
    return _write(obj, e.config.get("values"), objects, e.loc, prefix, where)


def _write(
    obj: str, values: Any, objects: Mapping[str, ObjectDef], loc: Loc, prefix: str, where: str
) -> list[Problem]:
    """`loc` is the node holding the keys `{prefix}object` and `{prefix}values`."""
    schema = objects.get(obj)
    if schema is None:
        message = f"unknown object {obj!r}: no `kind: object` definition names it"
        return [problem_at(loc.at(f"{prefix}object"), message, f"{where}.object")]
    if not isinstance(values, Mapping):
        return []  # the loader reports values that are no mapping
    out = []
    for name in values:
        if problem := _field_problem(schema, str(name)):
            at = loc.at(f"{prefix}values.{name}")
            out.append(problem_at(at, problem, f"{where}.values.{name}"))
    return out


def _field_problem(schema: ObjectDef, name: str) -> str | None:
    if name in schema.field_map or name in WRITABLE_SYSTEM_FIELDS:
        return None
    if name in RECORD_SYSTEM_FIELDS:
        return f"{name!r} is a system field of {schema.name!r}: a write may set only Name and Owner"
    known = ", ".join(sorted(schema.field_map)) or "none"
    return f"object {schema.name!r} has no field {name!r} (its fields: {known})"
