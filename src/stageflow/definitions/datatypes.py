"""Which Python values fit which data type, and which data types can feed each other."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from stageflow.definitions.model import DataType

_FAMILY = {
    DataType.TEXT: "text", DataType.LONG_TEXT: "text", DataType.EMAIL: "text", DataType.URL: "text",
    DataType.PICKLIST: "text", DataType.RADIO: "text", DataType.DISPLAY_TEXT: "text",
    DataType.LOOKUP: "text", DataType.USER: "text",
    DataType.NUMBER: "number", DataType.CURRENCY: "number",
    DataType.CHECKBOX: "checkbox", DataType.DATE: "date", DataType.DATETIME: "datetime",
    DataType.MULTI_SELECT: "list", DataType.ANY: "any",
}  # fmt: skip


def type_name(t: object) -> str:
    return t.value if isinstance(t, DataType) else str(t)


def compatible(target: DataType, source: object) -> bool:
    if not isinstance(source, DataType):
        return True
    a, b = _FAMILY[target], _FAMILY[source]
    return a == b or "any" in (a, b) or a == "text"  # anything renders to text


def literal_fits(t: DataType, value: Any) -> bool:
    family = _FAMILY[t]
    if value is None or (family in ("any", "text") and not isinstance(value, dict | list)):
        return family != "text" or not isinstance(value, bool) or value is None
    if family == "number":
        return isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if family == "checkbox":
        return isinstance(value, bool)
    if family == "date":
        return (isinstance(value, date) and not isinstance(value, datetime)) or _iso(value, date)
    if family == "datetime":
        return isinstance(value, datetime | date) or _iso(value, datetime)
    if family == "list":
        return isinstance(value, list)
    return False


def _iso(value: Any, kind: type[date]) -> bool:
    if not isinstance(value, str):
        return False
    try:
        kind.fromisoformat(value)
    except ValueError:
        return False
    return True
