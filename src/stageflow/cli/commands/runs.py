"""run start; runs list|show|cancel|suspend|resume|reevaluate."""

from __future__ import annotations

import typer

from stageflow.app import App
from stageflow.cli import render
from stageflow.cli.state import options, pairs
from stageflow.services import runs as runs_service

run_app = typer.Typer(help="Start runs.", no_args_is_help=True)
runs_app = typer.Typer(
    help="Orchestration runs: list, show, cancel, suspend, resume, re-evaluate.",
    no_args_is_help=True,
)


RUN_ID = typer.Argument(..., help="A run id (or a unique prefix).")


def _app_and_run(ctx: typer.Context, run_id: str) -> tuple[App, str]:
    """The app and the whole id of the run `run_id` names: a unique prefix will do here, at a
    terminal; the REST API and the Python API take whole ids only."""
    app = options(ctx).app()
    return app, runs_service.resolve_id(app.rt, run_id)


@run_app.command("start")
def start(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The orchestration's API name."),
    inputs: list[str] = typer.Option(
        None, "--input", "-i", help="An input: NAME=VALUE (repeatable)."
    ),
    record: str | None = typer.Option(None, "--record", "-r", help="The context record's id."),
    by: str = typer.Option("system", "--by"),
) -> None:
    """Start a run of the active version of orchestration NAME."""
    app = options(ctx).app()
    types = runs_service.input_types(app.rt, name)
    view = app.start(name, pairs(inputs, "--input", types), record, by)
    render.run(view, show_log=False)


@runs_app.command("list")
def list_runs(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", "-s"),
    orchestration: str | None = typer.Option(None, "--orchestration", "-o"),
    record: str | None = typer.Option(None, "--record", "-r"),
    limit: int = typer.Option(50, "--limit", "-n"),
) -> None:
    """Orchestration Runs, newest first."""
    rows = options(ctx).app().runs(status, orchestration, record, limit)
    render.table(
        [
            "Id",
            "Name",
            "Status",
            "Stage",
            "Created By",
            "Created Date",
            "Last Modified By",
            "Last Modified Date",
        ],
        (
            [
                r.id,
                r.name,
                render.status(r.status),
                r.current_stage or "",
                r.created_by,
                render.when(r.created_at),
                r.modified_by,
                render.when(r.modified_at),
            ]
            for r in rows
        ),
        title="Orchestration Runs",
    )


@runs_app.command("show")
def show(ctx: typer.Context, run_id: str = RUN_ID) -> None:
    """The run's stages and steps with statuses, outputs and errors, and its timeline."""
    app, whole = _app_and_run(ctx, run_id)
    render.run(app.run(whole))


@runs_app.command("cancel")
def cancel(
    ctx: typer.Context, run_id: str = RUN_ID, by: str = typer.Option("supervisor", "--by")
) -> None:
    """Cancel a run: its stage, steps and open work items become Canceled."""
    app, whole = _app_and_run(ctx, run_id)
    render.run(app.cancel(whole, by), show_log=False)


@runs_app.command("suspend")
def suspend(
    ctx: typer.Context, run_id: str = RUN_ID, by: str = typer.Option("supervisor", "--by")
) -> None:
    """Suspend a run: nothing starts and its work items wait until it is resumed."""
    app, whole = _app_and_run(ctx, run_id)
    render.run(app.suspend(whole, by), show_log=False)


@runs_app.command("resume")
def resume(
    ctx: typer.Context, run_id: str = RUN_ID, by: str = typer.Option("supervisor", "--by")
) -> None:
    """Resume a suspended run, or a run in Error (its failed step starts again)."""
    app, whole = _app_and_run(ctx, run_id)
    render.run(app.resume(whole, by), show_log=False)


@runs_app.command("reevaluate")
def reevaluate(
    ctx: typer.Context, run_id: str = RUN_ID, by: str = typer.Option("supervisor", "--by")
) -> None:
    """Publish an orchestration event: the run re-checks its current stage's criteria."""
    app, whole = _app_and_run(ctx, run_id)
    render.run(app.reevaluate(whole, by), show_log=False)
