"""One base class for every error stageflow raises on purpose.

Each front door maps these once: the CLI to an exit code, the web layer to a status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition or a request: where it is and what it is."""

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        if self.field:
            where = f"{where} [{self.field}]" if where else f"[{self.field}]"
        return f"{where}: {self.message}" if where else self.message


class StageflowError(Exception):
    """Base of every expected error; carries one or more problems."""

    exit_code = 1

    def __init__(self, problems: Problem | str | Sequence[Problem]) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DefinitionError(StageflowError):
    """A definition file (or a folder of them) is invalid; nothing was deployed."""

    exit_code = 2


class NotFound(StageflowError):
    exit_code = 3


class TransitionNotAllowed(StageflowError):
    """The transition table does not allow this action from the current status."""

    exit_code = 4


class InvalidInput(StageflowError):
    """A request's values are wrong (unknown input, wrong type, unknown output...)."""

    exit_code = 2


class PermissionDenied(StageflowError):
    exit_code = 5


class ConfigurationError(StageflowError):
    exit_code = 2
