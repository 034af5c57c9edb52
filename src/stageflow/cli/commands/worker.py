"""worker: carry out queued asynchronous steps and published events."""

from __future__ import annotations

import logging

import typer

from stageflow.cli import render
from stageflow.cli.state import options
from stageflow.worker import loop


def worker(
    ctx: typer.Context,
    until_idle: bool = typer.Option(False, "--until-idle", help="Stop when nothing is left to do."),
    idle_sleep: float = typer.Option(0.5, "--idle-sleep", help="Seconds to wait when idle."),
) -> None:
    """Run the worker loop (Ctrl-C stops it)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = options(ctx).app()
    render.out.print("worker started" + (" (until idle)" if until_idle else "; Ctrl-C stops it"))
    try:
        done = loop.run(app.rt, idle_sleep=idle_sleep, until_idle=until_idle)
    except KeyboardInterrupt:
        done = None
    render.out.print(f"worker stopped{'' if done is None else f' after {done} message(s)'}")
