"""init, validate, deploy, versions, activate, db upgrade."""

from __future__ import annotations

from pathlib import Path

import typer

from stageflow.cli import render
from stageflow.cli.scaffold import write_project
from stageflow.cli.state import options
from stageflow.errors import DefinitionError
from stageflow.store import schema
from stageflow.store.db import database_url, make_engine, opening

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def init(folder: Path = typer.Argument(Path("."), help="Where to create the project.")) -> None:
    """Create stageflow.toml, a definitions folder with an example orchestration, and flows.py."""
    for path in write_project(folder):
        render.out.print(f"created {path}")
    render.out.print(f"next: stageflow validate {folder} && stageflow deploy {folder}")


def validate(
    ctx: typer.Context, path: Path = typer.Argument(..., help="A folder, file or stageflow.toml.")
) -> None:
    """Check definitions (against what is deployed) without deploying anything."""
    problems = options(ctx).app().validate(path)
    if problems:
        raise DefinitionError(problems)
    render.out.print(f"[green]valid[/green]: {path}")


def deploy(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="A folder, file or stageflow.toml."),
    inactive: bool = typer.Option(
        False, "--inactive", help="Store new versions without activating them."
    ),
    by: str = typer.Option("admin", "--by", help="Who deploys."),
) -> None:
    """Validate, then deploy every definition at PATH (all or nothing)."""
    deployed = options(ctx).app().deploy(path, by=by, activate=not inactive)
    render.table(
        ["kind", "name", "version", ""],
        (
            [d.kind, d.name, d.version, "new version" if d.changed else "unchanged"]
            for d in deployed
        ),
        title="Deployed",
    )


def versions(
    ctx: typer.Context, name: str | None = typer.Argument(None, help="Only this definition.")
) -> None:
    """Deployed definitions with their versions; the active one is marked."""
    rows = options(ctx).app().versions(name=name)
    render.table(
        ["kind", "name", "version", "active", "deployed", "by", "file"],
        (
            [
                v.kind,
                v.name,
                v.version,
                "✓" if v.active else "",
                render.when(v.deployed_at),
                v.deployed_by,
                v.source_file,
            ]
            for v in rows
        ),
        title="Versions",
    )


def activate(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="orchestration, screen_flow, flow or object."),
    name: str = typer.Argument(...),
    version: int = typer.Argument(...),
) -> None:
    """Make VERSION the active version of a definition (new runs use it)."""
    options(ctx).app().activate(kind, name, version)
    render.out.print(f"{kind} {name} v{version} is active")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database to the current schema (Alembic)."""
    url = database_url(options(ctx).db)
    with opening(url):
        engine = make_engine(url)
        before = schema.current(engine)
        schema.upgrade(engine)
        after = schema.current(engine)
    render.out.print(
        f"schema {before or 'empty'} -> {after}"
        if before != after
        else f"schema is current ({after})"
    )
