"""Flows that kill their own process the first time they run (the marker file says so)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from stageflow import FlowContext, flow


def _crash_once(marker: str) -> None:
    path = Path(marker)
    if not path.exists():
        path.write_text("crashed once\n")
        os.kill(os.getpid(), signal.SIGKILL)


@flow("Write_Then_Crash_Once", outputs={"note": "text"})
def write_then_crash_once(ctx: FlowContext, marker: str, ticket: str) -> dict[str, str]:
    note = ctx.records.create("Note", {"Text": f"written by {ctx.run.id if ctx.run else '?'}"})
    ctx.records.update("Ticket", ticket, {"Stage": "working"})
    _crash_once(marker)
    return {"note": note}


@flow("Finish")
def finish(ctx: FlowContext, ticket: str) -> dict[str, str]:
    ctx.records.update("Ticket", ticket, {"Stage": "done"})
    return {}


@flow("Crash_Every_Time")
def crash_every_time(ctx: FlowContext, marker: str) -> dict[str, str]:
    """Notes each start outside the database, then kills its process (as an OOM kill would)."""
    with open(marker, "a") as out:
        out.write("started\n")
    os.kill(os.getpid(), signal.SIGKILL)
    return {}
