"""Pieces every validation module shares: problems at a location, duplicate names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from stageflow.definitions.model import Loc
from stageflow.errors import Problem

T = TypeVar("T")

RECORD_SYSTEM_FIELDS = frozenset(
    {
        "Id",
        "Name",
        "Object",
        "Owner",
        "CreatedBy",
        "CreatedDate",
        "LastModifiedBy",
        "LastModifiedDate",
    }
)


def problem_at(loc: Loc, message: str, field_path: str) -> Problem:
    return Problem(message, loc.file, loc.line or None, field_path)


def dupes(names: Iterable[tuple[str, Loc]], what: str, field_name: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for name, loc in names:
        if name in seen:
            out.append(problem_at(loc, f"duplicate {what} name {name!r}", field_name))
        seen.add(name)
    return out


def repeated(items: Iterable[tuple[str, T]]) -> list[T]:
    """The items whose name was already seen earlier, in order."""
    seen: set[str] = set()
    out = []
    for name, item in items:
        if name in seen:
            out.append(item)
        seen.add(name)
    return out
