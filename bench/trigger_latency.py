"""Item 6: record change -> first background step started. A record-triggered orchestration
(Bench_On_Ticket: created Bench_Ticket -> stage Handle, background step T1) on SQLite with the
embedded worker: `app.records.create` commits the record and queues the start in the outbox,
then drains it in the same call (claim, then start the run, which starts T1).

Two measures per record, both from the moment `app.records.create` is called:
- to T1's `started_at` (the time stageflow stamps on the step, taken as its transaction
  begins; the clock is the wall clock, so the call start is read from the same clock);
- to the return of `app.records.create` (T1 started, finished and committed: perf_counter)."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import PROJECT, connect, percentile
from stageflow.app import App


def _first_step_started(app: App, record_id: str) -> datetime:
    runs = app.runs(record=record_id, orchestration="Bench_On_Ticket", limit=2)
    assert len(runs) == 1, f"record {record_id}: {len(runs)} runs"
    view = app.run(runs[0].id)
    started = view.stages[0].steps[0].started_at
    assert started is not None
    return started


def measure(samples: int = 1000) -> dict[str, Any]:
    to_start: list[float] = []
    to_return: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = connect(Path(tmp) / "trigger.db", embedded_worker=True)
        app.deploy(PROJECT)
        for i in range(20):  # warm up
            app.records.create("Bench_Ticket", {"Title": f"warm {i}"})
        created: list[tuple[str, datetime]] = []
        for i in range(samples):
            wall = datetime.now(UTC)
            start = time.perf_counter()
            row = app.records.create("Bench_Ticket", {"Title": f"t {i}"})
            to_return.append((time.perf_counter() - start) * 1000)
            created.append((row.id, wall))
        for record_id, wall in created:
            started = _first_step_started(app, record_id)
            to_start.append((started - wall).total_seconds() * 1000)
        app.close()
    return {
        "trigger_latency_p50_ms": round(percentile(to_start, 50), 2),
        "trigger_latency_p99_ms": round(percentile(to_start, 99), 2),
        "trigger_latency_max_ms": round(max(to_start), 2),
        "trigger_create_return_p50_ms": round(percentile(to_return, 50), 2),
        "trigger_create_return_p99_ms": round(percentile(to_return, 99), 2),
        "trigger_samples": samples,
    }
