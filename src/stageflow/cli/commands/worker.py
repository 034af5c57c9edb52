"""worker, workers: carry out queued asynchronous steps and events; see who does."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from types import FrameType

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
    """Run a worker (Ctrl-C or SIGTERM stops it once what it holds is done)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = options(ctx).app()
    app.rt.retry_base = timedelta(seconds=retry_base)
    w = Worker(app.rt, concurrency, timedelta(seconds=lease), heartbeat)
    render.out.print(
        f"worker {w.id} started" + (" (until idle)" if until_idle else "; Ctrl-C stops it")
    )
    stop = threading.Event()
    with contextlib.suppress(KeyboardInterrupt), _stopping_on_signals(stop):
        w.run(stop, until_idle=until_idle)
    render.out.print(f"worker {w.id} stopped after {w.processed} message(s)")


@contextlib.contextmanager
def _stopping_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT (Ctrl-C) and SIGTERM (systemd, Kubernetes) set `stop`: every loop finishes the
    message it holds, commits, and the worker exits. A message cut off midway would wait for
    its lease to run out and run again. A second signal stops at once (KeyboardInterrupt)."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        render.out.print(
            f"{signal.Signals(signum).name}: finishing the messages held, then stopping "
            "(again to stop at once)"
        )
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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
