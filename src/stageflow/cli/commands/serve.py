"""serve: the REST API (and the embedded worker unless --no-worker)."""

from __future__ import annotations

import threading

import typer
import uvicorn

from stageflow.cli import render
from stageflow.cli.state import options
from stageflow.settings import Settings
from stageflow.web.app import create_app
from stageflow.worker.loop import Worker


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    no_worker: bool = typer.Option(
        False, "--no-worker", help="API only: separate `stageflow worker` processes do the work."
    ),
) -> None:
    """Serve the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json)."""
    app = options(ctx).app()
    if app.rt.settings.secret_key == Settings().secret_key:
        render.err.print(
            "[yellow]warning:[/yellow] STAGEFLOW_SECRET_KEY is not set: sessions and screen "
            "flow state are signed with a well-known key. Set it to a long random value."
        )
    stop = threading.Event()
    worker = None
    if not no_worker:
        # Requests leave queued work to this worker instead of doing it before they answer.
        app.rt.embedded_worker = False
        worker = threading.Thread(
            target=Worker(app.rt).run, args=(stop,), name="stageflow-worker", daemon=True
        )
        worker.start()
    render.out.print(f"stageflow API on http://{host}:{port}/api/v1 (docs: /api/v1/docs)")
    try:
        uvicorn.run(create_app(app), host=host, port=port, log_level="info")
    finally:
        stop.set()
        if worker is not None:
            worker.join(10)
