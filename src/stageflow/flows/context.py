"""What a flow can reach while it runs: records, its run, a log, other orchestrations.

The services layer supplies the implementations, inside the transaction of the step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class Records(Protocol):
    def get(self, object: str, id: str) -> dict[str, Any] | None: ...

    def create(self, object: str, values: Mapping[str, Any]) -> str: ...

    def update(self, object: str, id: str, values: Mapping[str, Any]) -> None: ...

    def find(self, object: str, **equals: Any) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class RunInfo:
    id: str
    name: str
    orchestration: str
    step: str | None
    attempt: int
    record_id: str | None
    inputs: Mapping[str, Any] = field(default_factory=dict)


class FlowLog:
    """Messages a flow writes; they go to the run log with the step's outcome."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def info(self, message: str, *args: Any) -> None:
        self.messages.append(message % args if args else message)

    warning = info
    error = info


StartOrchestration = Callable[[str, Mapping[str, Any], str | None], str]
PublishEvent = Callable[[str], None]


@dataclass
class FlowContext:
    """Passed as the first argument to every Python flow."""

    records: Records
    run: RunInfo | None
    start: StartOrchestration
    publish: PublishEvent
    log: FlowLog = field(default_factory=FlowLog)

    def start_orchestration(
        self, name: str, inputs: Mapping[str, Any] | None = None, record: str | None = None
    ) -> str:
        """Start an autolaunched orchestration (or a record-triggered one for `record`)."""
        return self.start(name, dict(inputs or {}), record)

    def reevaluate(self, run_id: str | None = None) -> None:
        """Publish an orchestration event: the run re-checks its current stage's criteria."""
        target = run_id or (self.run.id if self.run else None)
        if target is None:
            raise ValueError("reevaluate() needs a run id outside a run")
        self.publish(target)
