"""What the engine asks the outside world to do after it has decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RunFlow:
    """Run a background step's autolaunched flow; asynchronous ones go to a worker."""

    run_id: str
    step: str
    attempt: int
    flow: str
    inputs: Mapping[str, Any]
    is_async: bool


@dataclass(frozen=True)
class Evaluate:
    """Run an evaluation flow for a criterion; the answer comes back as EvaluationResult."""

    run_id: str
    key: str
    epoch: int
    flow: str
    inputs: Mapping[str, Any] = field(default_factory=dict)


Command = RunFlow | Evaluate


@dataclass(frozen=True)
class LogEntry:
    """One line of the run log: every transition, with who and when."""

    at: datetime
    actor: str
    object_type: str  # run | stage | step | work_item | decision | flow
    object_name: str
    from_status: str | None
    to_status: str | None
    detail: str = ""
