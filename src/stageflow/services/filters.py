"""The filters every list takes, checked once here so that every door (CLI, REST, console,
Python API) refuses the same ones: a status no object has would list nothing, silently."""

from __future__ import annotations

from enum import StrEnum

from stageflow.errors import InvalidInput, Problem


def check_status(status: str | None, statuses: type[StrEnum], what: str) -> None:
    """`status` is one of `statuses` (None or "" is no filter); statuses are case-sensitive,
    as they are stored."""
    if status and status not in {s.value for s in statuses}:
        names = ", ".join(s.value for s in statuses)
        raise InvalidInput(Problem(f"{status!r} is not a {what} status ({names})", field="status"))


def check_limit(limit: int | None) -> None:
    """A page holds at least one row (a negative limit read everything on SQLite and failed
    on PostgreSQL)."""
    if limit is not None and limit < 1:
        raise InvalidInput(Problem(f"limit is at least 1, got {limit}", field="limit"))
