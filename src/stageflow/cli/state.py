"""What every command shares: the database option, the connection, value parsing."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from math import isfinite
from typing import Any

import typer

from stageflow.app import App, connect
from stageflow.definitions.model import DataType
from stageflow.errors import InvalidInput, Problem


@dataclass
class Options:
    db: str | None = None
    _app: App | None = field(default=None, repr=False)

    def app(self) -> App:
        if self._app is None:
            self._app = connect(self.db)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def options(ctx: typer.Context) -> Options:
    found = ctx.find_root().obj
    assert isinstance(found, Options)
    return found


# Types whose values are text: a command-line value for them is kept exactly as typed.
_VERBATIM = frozenset(
    {
        DataType.TEXT, DataType.LONG_TEXT, DataType.DISPLAY_TEXT, DataType.EMAIL, DataType.URL,
        DataType.PICKLIST, DataType.RADIO, DataType.LOOKUP, DataType.USER,
    }
)  # fmt: skip
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def parse_value(text: str, declared: DataType | None = None) -> Any:
    """A command-line value as the same value sent through REST would be.

    For a text-like target it is the text as typed; for a date or datetime, its ISO text (or
    null). Otherwise, and where the target's type is unknown, JSON's rules: true, false, null,
    numbers as JSON writes them, [..] and {..}; anything else is text. Never YAML's: 0044 is
    not octal 36, 12:30 not 750 (base 60), 2024-01-05 not a date object. The service checks
    the value against the type and names the field when it does not fit.
    """
    if declared in _VERBATIM:
        return text
    value = _json(text)
    if declared in (DataType.DATE, DataType.DATETIME) and value is not None:
        return text
    return value


def _json(text: str) -> Any:
    stripped = text.strip()
    if stripped in _LITERALS:
        return _LITERALS[stripped]
    try:
        if _JSON_NUMBER.fullmatch(stripped):
            number = float(stripped) if any(c in stripped for c in ".eE") else int(stripped)
            if isinstance(number, float) and not isfinite(number):
                return text  # 1e999 has no JSON form
            return number
        if stripped.startswith(("[", "{")):
            return json.loads(stripped, parse_constant=_no_constant)
    except ValueError:  # not JSON after all (or an integer of thousands of digits): text
        return text
    return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # json.loads accepts NaN and Infinity otherwise


def pairs(
    items: list[str] | None, option: str, types: Mapping[str, DataType] | None = None
) -> dict[str, Any]:
    """NAME=VALUE options as a dict, each value parsed by the declared type of NAME in `types`
    (the target's fields, inputs or outputs) when the command knows it."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(Problem(f"{item!r}: expected {option} NAME=VALUE", field=option))
        out[key.strip()] = parse_value(value, (types or {}).get(key.strip()))
    return out
