"""A flaky flow: fails on a share of its tries, and writes one side-table record each time it
succeeds (a failing try's writes are rolled back with it)."""

from __future__ import annotations

import random
import time
from typing import Any

from stageflow import FlowContext, flow

FAIL_SHARE = 0.3


@flow("Flaky")
def flaky(ctx: FlowContext, label: str) -> dict[str, Any]:
    assert ctx.run is not None
    ctx.records.create("Executed", {"Run": ctx.run.id, "Step": label, "Attempt": ctx.run.attempt})
    if random.random() < FAIL_SHARE:
        raise RuntimeError(f"injected failure in {label}")
    return {"label": label}


@flow("Slow_Flow")
def slow_flow(ctx: FlowContext, marker: str) -> dict[str, Any]:
    """Notes each start outside the database (a rolled-back try leaves its line), then takes
    a while."""
    with open(marker, "a") as out:
        out.write("started\n")
    time.sleep(1.5)
    return {}
