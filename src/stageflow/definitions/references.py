"""Merge-field references: `{!$Record.Field}`, `{!Step.Outputs.name}`, `{!$Input.name}`...

A value that is exactly one merge field is a reference and resolves to a typed value; a string
with merge fields inside text is a template and renders to a string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_EXACT = re.compile(r"^\{!\s*([^{}]+?)\s*\}$")
_ANY = re.compile(r"\{!\s*([^{}]+?)\s*\}")
_PART = re.compile(r"^\$?[A-Za-z][A-Za-z0-9_]*$")

RECORD = "$Record"
PRIOR = "$Record__Prior"
INPUT = "$Input"
OUTPUTS = "Outputs"
STATUS = "Status"

Path = tuple[str, ...]
Resolver = Callable[[Path], Any]


def parse(value: Any) -> Path | None:
    """The path of a reference, or None when `value` is not exactly one merge field."""
    if not isinstance(value, str):
        return None
    m = _EXACT.match(value)
    if m is None:
        return None
    return tuple(p.strip() for p in m.group(1).split("."))


def is_reference(value: Any) -> bool:
    return parse(value) is not None


def paths_in(value: Any) -> list[Path]:
    """Every reference inside a literal, a template string, a list or a mapping."""
    if isinstance(value, str):
        return [tuple(p.strip() for p in m.group(1).split(".")) for m in _ANY.finditer(value)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in paths_in(v)]
    if isinstance(value, dict):
        return [p for v in value.values() for p in paths_in(v)]
    return []


def well_formed(path: Path) -> bool:
    return bool(path) and all(_PART.match(p) for p in path)


def resolve(value: Any, resolver: Resolver) -> Any:
    """A reference resolves to its value; a template renders; other literals pass through."""
    path = parse(value)
    if path is not None:
        return resolver(path)
    if isinstance(value, str) and "{!" in value:
        return render(value, resolver)
    if isinstance(value, list):
        return [resolve(v, resolver) for v in value]
    return value


def render(template: str, resolver: Resolver) -> str:
    def one(m: re.Match[str]) -> str:
        got = resolver(tuple(p.strip() for p in m.group(1).split(".")))
        return "" if got is None else str(got)

    return _ANY.sub(one, template)


def text(path: Path) -> str:
    return "{!" + ".".join(path) + "}"
