"""work-items list|show|complete|accept|reassign."""

from __future__ import annotations

import typer

from stageflow.cli import render
from stageflow.cli.state import options, pairs
from stageflow.services import work_items as work_items_service

app = typer.Typer(help="Work items of interactive steps.", no_args_is_help=True)


@app.command("list")
def list_items(
    ctx: typer.Context,
    user: str | None = typer.Option(
        None, "--user", "-u", help="Only the items USER may work on (mine)."
    ),
    status: str = typer.Option(
        "Assigned", "--status", "-s", help="Assigned, Completed, Canceled or all."
    ),
    run: str | None = typer.Option(None, "--run"),
    record: str | None = typer.Option(None, "--record", "-r"),
    limit: int = typer.Option(50, "--limit", "-n"),
) -> None:
    """Work items, newest first (default: every Assigned one)."""
    rows = (
        options(ctx).app().work_items(user, None if status == "all" else status, run, record, limit)
    )
    render.table(
        [
            "Id",
            "Created Date",
            "Last Modified Date",
            "Name",
            "Last Modified By",
            "Status",
            "Context Record",
            "Step",
            "Assigned To",
        ],
        (
            [
                w.id,
                render.when(w.created_at),
                render.when(w.modified_at),
                w.name,
                w.modified_by,
                render.status(w.status),
                w.record_id or "",
                w.step,
                w.assigned_to,
            ]
            for w in rows
        ),
        title="Work Items",
    )


@app.command("complete")
def complete(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., help="The work item's id."),
    user: str = typer.Option(..., "--as", help="Who completes it (the assignee or a member)."),
    outputs: list[str] = typer.Option(
        None, "--output", "-o", help="A screen flow output: NAME=VALUE."
    ),
) -> None:
    """Finish a work item's screen flow with its outputs; the run moves on."""
    app = options(ctx).app()
    types = work_items_service.output_types(app.rt, item_id)
    view = app.complete_work_item(item_id, user, pairs(outputs, "--output", types))
    render.out.print(f"work item {item_id} completed by {user}")
    render.run(view, show_log=False)


@app.command("accept")
def accept(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., help="The work item's id."),
    user: str = typer.Option(..., "--as", help="Who takes it (a member of its group or queue)."),
) -> None:
    """Take a work item assigned to a group or queue: it becomes yours alone."""
    options(ctx).app().accept_work_item(item_id, user)
    render.out.print(f"work item {item_id} taken by {user}")


@app.command("reassign")
def reassign(
    ctx: typer.Context,
    item_id: str = typer.Argument(...),
    to: str = typer.Option(
        ..., "--to", help="user:NAME, group:NAME or queue:NAME (or a username)."
    ),
    by: str = typer.Option("supervisor", "--by"),
) -> None:
    """Give an open work item to another user, group or queue."""
    options(ctx).app().reassign_work_item(item_id, to, by)
    render.out.print(f"work item {item_id} reassigned to {to}")
