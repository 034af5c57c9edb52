"""records create|update|show|list."""

from __future__ import annotations

import json

import typer

from stageflow.app import App
from stageflow.cli import render
from stageflow.cli.state import options, pairs
from stageflow.services import records as records_service
from stageflow.store.records import RecordRow

app = typer.Typer(help="Records of deployed objects.", no_args_is_help=True)


def _show(row: RecordRow) -> None:
    render.out.print(f"[bold]{row.name}[/bold]  {row.object} {row.id}")
    render.table(
        ["field", "value"],
        ([k, json.dumps(v, default=str)] for k, v in sorted(row.fields.items())),
        title="Fields",
    )


def _runs_on(client: App, record_id: str) -> None:
    """The runs about this record (a create or update may have started one)."""
    runs = client.runs(record=record_id)
    if runs:
        render.table(
            ["Id", "Name", "Status", "Stage"],
            ([r.id, r.name, render.status(r.status), r.current_stage or ""] for r in runs),
            title="Runs on this record",
        )


@app.command("create")
def create(
    ctx: typer.Context,
    obj: str = typer.Argument(..., metavar="OBJECT"),
    values: list[str] = typer.Option(
        None, "--set", help="A field value: FIELD=VALUE (repeatable)."
    ),
    by: str = typer.Option("system", "--by"),
) -> None:
    """Create a record; prints its id."""
    client = options(ctx).app()
    types = records_service.field_types(client.rt, obj)
    row = client.records.create(obj, pairs(values, "--set", types), by)
    _show(row)
    _runs_on(client, row.id)


@app.command("update")
def update(
    ctx: typer.Context,
    record_id: str,
    values: list[str] = typer.Option(
        None, "--set", help="A field value: FIELD=VALUE (repeatable)."
    ),
    by: str = typer.Option("system", "--by"),
) -> None:
    """Change fields of a record."""
    client = options(ctx).app()
    types = records_service.field_types(client.rt, client.records.get(record_id).object)
    _show(client.records.update(record_id, pairs(values, "--set", types), by))
    _runs_on(client, record_id)


@app.command("show")
def show(ctx: typer.Context, record_id: str) -> None:
    """A record's fields."""
    _show(options(ctx).app().records.get(record_id))


@app.command("list")
def list_records(ctx: typer.Context, obj: str = typer.Argument(..., metavar="OBJECT")) -> None:
    """Records of an object, newest first."""
    rows = options(ctx).app().records.list(obj)
    render.table(
        ["id", "name", "modified"],
        ([r.id, r.name, render.when(r.modified_at)] for r in rows),
        title=f"{obj} records",
    )
