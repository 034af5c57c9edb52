"""Screen field values: what a form sent (strings) to typed values, and typed values back to text.

Empty input is `None` for every type but checkbox (unchecked is `False`). Types:

    text, long_text   str, exactly as typed (never stripped)
    number            int when typed without a decimal point, else float
    currency          float, at most 2 decimal places (JSON-native like every other value)
    date, datetime    datetime.date, datetime.datetime (ISO 8601, as HTML date inputs send it)
    checkbox          bool: "on" / "true" / "1" checked; absent, "", "off", "false", "0" not
    picklist, radio   str, one of the choices
    multi_select      list[str] of choices, in the order of the choices
    email, url        str, stripped; a syntax check (url: http or https with a host)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from math import isfinite
from typing import Any
from urllib.parse import urlsplit

from stageflow.definitions.model import DataType, ScreenField

Raw = tuple[str, ...]  # what a form sent for one field; () when the field was absent


@dataclass(frozen=True)
class Bad:
    """What was typed does not fit the field; `message` is shown next to it."""

    message: str


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.(\d*))?|\.(\d+))")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_MAX_DIGITS = 30
_TRUE = frozenset({"on", "true", "1", "yes"})
_FALSE = frozenset({"", "off", "false", "0", "no"})
CHOICE_TYPES = frozenset({DataType.PICKLIST, DataType.RADIO, DataType.MULTI_SELECT})


def raw_of(value: str | Sequence[str] | None) -> Raw:
    """One form entry as a tuple of strings: a missing key is (), a single string is (s,)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse(f: ScreenField, raw: Raw) -> Any:
    """The typed value of what was typed into `f`, or `Bad(message)`.

    A single-valued field takes the last value sent (a hidden "off" before a checkbox works).
    """
    if f.type is DataType.MULTI_SELECT:
        return _multi_select(f, raw)
    text = raw[-1] if raw else ""
    if f.type is DataType.CHECKBOX:
        return _checkbox(text)
    if f.type in (DataType.TEXT, DataType.LONG_TEXT):
        return _text(text)
    if text.strip() == "":
        return None
    return _PARSERS[f.type](f, text.strip())


def _text(text: str) -> Any:
    if "\x00" in text:
        return Bad("Remove the NUL character.")
    return text or None


def _checkbox(text: str) -> bool | Bad:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return Bad(f"{text!r} is not a checkbox value (use 'on' or leave it out).")


def _number(f: ScreenField, text: str) -> int | float | Bad:
    m = _NUMBER.fullmatch(text)
    if m is None:
        return Bad("Enter a number, like 1250 or -3.5.")
    if len(text) > _MAX_DIGITS:
        return Bad(f"Enter a number of at most {_MAX_DIGITS} digits.")
    decimals = m.group(1) if m.group(1) is not None else m.group(2)
    if f.type is DataType.CURRENCY:
        if decimals is not None and len(decimals) > 2:
            return Bad("Enter an amount with at most 2 decimal places, like 19.99.")
        value: int | float = float(text)
    else:
        value = int(text) if decimals is None else float(text)
    if isinstance(value, float) and not isfinite(value):
        return Bad("The number is too large.")
    return value


def _date(_f: ScreenField, text: str) -> date | Bad:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return Bad("Enter a date like 2024-12-31.")


def _datetime(_f: ScreenField, text: str) -> datetime | Bad:
    message = Bad("Enter a date and time like 2024-12-31T17:30.")
    if len(text) <= 10:  # a date alone is no date and time
        return message
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return message
    # A browser's date-and-time input sends no zone: the form's times are UTC (text_of).
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _choice(f: ScreenField, text: str) -> str | Bad:
    return text if text in f.choices else Bad(f"{text!r} is not one of the choices.")


def _multi_select(f: ScreenField, raw: Raw) -> list[str] | Bad | None:
    chosen = {v for v in raw if v != ""}
    bad = sorted(chosen - set(f.choices))
    if bad:
        return Bad(f"{bad[0]!r} is not one of the choices.")
    return [c for c in f.choices if c in chosen] or None


def _email(_f: ScreenField, text: str) -> str | Bad:
    if len(text) > 254 or _EMAIL.fullmatch(text) is None:
        return Bad("Enter an email address like name@example.com.")
    return text


def _url(_f: ScreenField, text: str) -> str | Bad:
    message = Bad("Enter a web address starting with http:// or https://.")
    if any(c.isspace() or ord(c) < 32 for c in text):
        return message
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return message
    if parts.scheme.lower() not in ("http", "https") or not host:
        return message
    return text


_PARSERS: Mapping[DataType, Callable[[ScreenField, str], Any]] = {
    DataType.NUMBER: _number,
    DataType.CURRENCY: _number,
    DataType.DATE: _date,
    DataType.DATETIME: _datetime,
    DataType.PICKLIST: _choice,
    DataType.RADIO: _choice,
    DataType.EMAIL: _email,
    DataType.URL: _url,
}


# --- typed values back to text ------------------------------------------------------------------


def text_of(value: Any, kind: DataType | None = None) -> str:
    """How a typed value is written in an input (and in display text): ISO dates, plain numbers
    (no exponent), currency with 2 decimals, lists joined with ", "."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime) and kind is DataType.DATETIME:
        return _in_form(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, float | Decimal):
        if kind is DataType.CURRENCY:
            return f"{value:.2f}"
        return _plain_number(value)
    if isinstance(value, list | tuple):
        return ", ".join(text_of(v) for v in value)
    return str(value)


def _in_form(value: datetime) -> str:
    """A date and time as a browser's date-and-time input takes it: UTC, to the second, with
    no zone (it shows nothing for `+00:00` or microseconds, and the value was lost)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds")


def _plain_number(value: float | Decimal) -> str:
    if isinstance(value, float) and not isfinite(value):
        return str(value)
    return format(Decimal(repr(value)) if isinstance(value, float) else value, "f")


def raw_from(f: ScreenField, value: Any) -> Raw:
    """The form strings that stand for a typed value (to re-parse values of other types)."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(text_of(v) for v in value)
    if f.type is DataType.CHECKBOX and isinstance(value, bool):
        return ("on",) if value else ()
    if f.type is DataType.DATE and isinstance(value, datetime):
        return (value.date().isoformat(),)
    return (text_of(value),)


def coerce(f: ScreenField, value: Any) -> Any:
    """A value from elsewhere (a default, an input) in the field's type; None when it does not
    fit. A checkbox without a value is unchecked."""
    got = parse(f, raw_from(f, value))
    if isinstance(got, Bad):
        return False if f.type is DataType.CHECKBOX else None
    return got


def plain(value: Any) -> Any:
    """A typed value as JSON stores it: dates as ISO text, Decimals as numbers, tuples as lists."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def is_empty(value: Any) -> bool:
    """Nothing entered: None, blank text, an empty list."""
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []
