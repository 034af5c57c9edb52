"""worker, workers: carry out queued asynchronous steps and events; see who does."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

import typer

from stageflow.cli import render
from stageflow.cli.state import options
from stageflow.services import workers as workers_service
from stageflow.worker.loop import Worker


def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(1, "--concurrency", "-c", help="Loops in this process."),
    until_idle: bool = typer.Option(False, "--until-idle", help="Stop when nothing is left to do."),
    lease: float = typer.Option(30.0, "--lease", help="Seconds a claimed message stays ours."),
    heartbeat: float = typer.Option(5.0, "--heartbeat", help="Seconds between heartbeats."),
    retry_base: float = typer.Option(1.0, "--retry-base", help="First retry delay (seconds)."),
) -> None:
    """Run a worker (Ctrl-C stops it)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = options(ctx).app()
    app.rt.retry_base = timedelta(seconds=retry_base)
    w = Worker(app.rt, concurrency, timedelta(seconds=lease), heartbeat)
    render.out.print(
        f"worker {w.id} started" + (" (until idle)" if until_idle else "; Ctrl-C stops it")
    )
    with contextlib.suppress(KeyboardInterrupt):
        w.run(until_idle=until_idle)
    render.out.print(f"worker {w.id} stopped after {w.processed} message(s)")


def workers(ctx: typer.Context) -> None:
    """Live workers: last heartbeat and the messages each holds."""
    rows = workers_service.live(options(ctx).app().rt)
    render.table(
        ["Worker", "Host", "PID", "Loops", "Started", "Last Heartbeat", "Holding"],
        (
            [
                w.worker.id,
                w.worker.hostname,
                w.worker.pid,
                w.worker.concurrency,
                render.when(w.worker.started_at),
                render.when(w.worker.heartbeat_at),
                ", ".join(f"{m.kind} {m.key}" for m in w.holding),
            ]
            for w in rows
        ),
        title="Workers",
    )
