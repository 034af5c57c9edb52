"""The `stageflow` command: every subcommand calls the same services as the Python API."""

from __future__ import annotations

import sys

import typer

from stageflow.cli import render
from stageflow.cli.commands import (
    definitions,
    demo,
    people,
    records,
    runs,
    serve,
    work_items,
    worker,
)
from stageflow.cli.state import Options
from stageflow.errors import StageflowError

app = typer.Typer(
    name="stageflow",
    help="Multi-stage, multi-user flow orchestration on your own database.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="STAGEFLOW_DATABASE_URL",
        help="Database URL or SQLite file (default ./stageflow.db).",
    ),
) -> None:
    ctx.obj = Options(db)
    ctx.call_on_close(ctx.obj.close)


app.command()(definitions.init)
app.command()(definitions.validate)
app.command()(definitions.deploy)
app.command()(definitions.versions)
app.command()(definitions.activate)
app.command()(worker.worker)
app.command()(worker.workers)
app.command()(serve.serve)
app.command()(demo.demo)
app.add_typer(definitions.db_app, name="db")
app.add_typer(runs.run_app, name="run")
app.add_typer(runs.runs_app, name="runs")
app.add_typer(work_items.app, name="work-items")
app.add_typer(records.app, name="records")
app.add_typer(people.users_app, name="users")
app.add_typer(people.groups_app, name="groups")
app.add_typer(people.queues_app, name="queues")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; StageflowError becomes its problems on stderr and the error's exit code."""
    try:
        app(args=argv, prog_name="stageflow")
    except StageflowError as exc:
        render.problems(exc.problems)
        return exc.exit_code
    except SystemExit as exc:  # usage errors, --help and normal ends
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def entry() -> None:
    sys.exit(main())
