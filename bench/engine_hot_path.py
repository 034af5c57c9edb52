"""Events applied per second by the pure engine, for runs of the example shape."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bench.shapes import EXAMPLE_SHAPE
from stageflow.engine import apply, new_run
from stageflow.engine.commands import RunFlow
from stageflow.engine.events import CompleteWorkItem, Event, StartRun, StepFinished
from stageflow.engine.statuses import RunStatus

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def one_run(i: int) -> int:
    """Drive one run to Completed; returns the number of events applied."""
    run = new_run(run_id=f"r{i}", name="bench", orchestration=EXAMPLE_SHAPE, version=1, now=NOW,
                  by="bench", inputs={"n": i}, record_id="rec")  # fmt: skip
    pending: list[Event] = [StartRun()]
    events = 0
    while pending:
        decision = apply(run, pending.pop(0), NOW)
        events += 1
        run = decision.run
        pending += [StepFinished(c.step, c.attempt, {"ok": True}) for c in decision.commands
                    if isinstance(c, RunFlow)]  # fmt: skip
        if not pending:
            pending += [CompleteWorkItem(w.id, "u", {}) for w in run.open_work_items()]
    assert run.status is RunStatus.COMPLETED
    return events


def measure(seconds: float = 3.0) -> dict[str, Any]:
    one_run(0)  # warm up
    events = runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        events += one_run(runs)
        runs += 1
    elapsed = time.perf_counter() - start
    return {
        "engine_events_per_s": round(events / elapsed),
        "engine_runs_per_s": round(runs / elapsed),
        "engine_events_per_run": events // runs,
        "engine_us_per_event": round(elapsed / events * 1e6, 1),
    }
