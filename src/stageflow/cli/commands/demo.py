"""demo: a database with the example orchestrations, people, records and runs."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from stageflow.app import App
from stageflow.cli import render
from stageflow.cli.commands.serve import serve
from stageflow.cli.state import options
from stageflow.errors import ConfigurationError, Problem, StageflowError
from stageflow.services.views import RunView

USERS = {
    "alice": ("Alice Triage", "Support_Triage queue", "user"),
    "bob": ("Bob Roofer", "Roof_Technicians group", "user"),
    "carol": ("Carol Sparks", "Electricians group", "user"),
    "dave": ("Dave Manager", "approves expenses", "user"),
    "sue": ("Sue Supervisor", "watches runs, cancels, resumes, reassigns", "supervisor"),
    "root": ("Ada Admin", "deploys definitions, manages people", "admin"),
}
PASSWORD = "{}-demo"  # the demo's passwords: alice-demo, bob-demo, ...


def seed(app: App, examples: Path) -> tuple[list[str], dict[str, str]]:
    """Deploy the examples and create people, records and runs in several statuses.

    Each call carries out the work it queued before it returns (the embedded worker, also on
    PostgreSQL): the next step needs the run a record triggered, or its async steps done.
    """
    embedded, app.rt.embedded_worker = app.rt.embedded_worker, True
    try:
        _deploy(app, examples)
        return _seed(app)
    finally:
        app.rt.embedded_worker = embedded


def _deploy(app: App, examples: Path) -> None:
    try:
        app.deploy(examples, by="admin")
    except StageflowError:
        render.err.print(
            "could not load the examples (run from the repository root or pass --examples)"
        )
        raise


def _seed(app: App) -> tuple[list[str], dict[str, str]]:
    for username, (name, _, role) in USERS.items():
        app.people.create_user(
            username, name, f"{username}@example.com", role, PASSWORD.format(username)
        )
    app.people.create_queue("Support_Triage", ["alice"])
    app.people.create_group("Roof_Technicians", ["bob"])
    app.people.create_group("Electricians", ["carol"])
    lines = []

    def escalated_case(subject: str, category: str, email: str | None) -> tuple[str, RunView]:
        """An escalated Case: creating it starts Case_Management (record-triggered)."""
        values = {"Subject": subject, "Status": "Escalated", "Category": category}
        if email:
            values["Contact_Email"] = email
        record = app.records.create("Case", values, by="alice").id
        [run] = app.runs(record=record)
        return record, app.run(run.id)

    _, waiting = escalated_case("Leaking roof at 12 Elm St", "Roof", "pat@example.com")
    lines.append(f"{waiting.id}  waiting for triage (alice, queue Support_Triage)")
    _, reviews = escalated_case("Sparks in the attic", "Roof_and_Electrical", "sam@example.com")
    app.complete_work_item(
        reviews.work_items[0].id, "alice", {"priority": "High", "comments": "urgent"}
    )
    lines.append(f"{reviews.id}  in Customer QA Survey: reviews waiting for bob and carol")
    gutter, failing = escalated_case("Broken gutter", "Roof", None)
    failed = app.complete_work_item(failing.work_items[0].id, "alice", {"priority": "Medium"})
    lines.append(
        f"{failed.id}  in {failed.status}: the case has no Contact_Email "
        "(fix the record, then resume)"
    )
    _, done = escalated_case("Loose tile", "Roof", "lee@example.com")
    app.complete_work_item(done.work_items[0].id, "alice", {"priority": "Low", "comments": "minor"})
    lines.append(f"{done.id}  Completed (low priority goes straight to Close)")
    _, canceled = escalated_case("Duplicate report", "Roof", "kim@example.com")
    app.cancel(canceled.id, by="supervisor")
    lines.append(f"{canceled.id}  Canceled")
    expense = app.records.create(
        "Expense", {"Title": "Ladder", "Amount": 249.0, "Status": "Submitted"}
    )
    approval = app.start(
        "Expense_Approval", {"recordId": expense.id, "approver": "dave", "amount": 249.0}
    )
    lines.append(f"{approval.id}  expense approval waiting for dave")
    ids = {
        "waiting": waiting.id,
        "item": waiting.work_items[0].id,
        "failed": failed.id,
        "case": gutter,
    }
    return lines, ids


def _check_empty(app: App) -> None:
    """People but no runs: not a demo to show, nor one to seed (its users exist already)."""
    if app.people.users():
        raise ConfigurationError(
            Problem(
                "this database has users but no runs (a demo stopped halfway, or another "
                "project's database?): give the demo an empty database with --db, or empty "
                "this one",
                field="db",
            )
        )


def _command() -> str:
    """The command the closing hints name, as this one was run. Run as `python -m stageflow`,
    argv[0] is the path of stageflow/__main__.py, which is no command: the interpreter that ran
    it is, by its full path, so the hints work from any terminal."""
    if sys.argv and Path(sys.argv[0]).name == "__main__.py":
        return f"{shlex.quote(sys.executable)} -m stageflow"
    return "stageflow"


def demo(
    ctx: typer.Context,
    examples: Path = typer.Option(
        Path("examples"), "--examples", help="The example project folder."
    ),
    no_server: bool = typer.Option(False, "--no-server", help="Set up and exit."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Load the examples with demo people, records and runs; then serve the console."""
    app = options(ctx).app()
    ids = {"waiting": "RUN_ID", "item": "ITEM_ID", "failed": "RUN_ID", "case": "CASE_ID"}
    if app.runs(limit=1):
        render.out.print("[yellow]this database has runs already; showing it as it is[/yellow]")
        lines = [f"{r.id}  {r.status}  {r.name}" for r in app.runs()]
    else:
        _check_empty(app)
        lines, ids = seed(app, examples)
    db = options(ctx).db or "stageflow.db"
    render.out.print(f"\n[bold]stageflow demo[/bold] on {db}: console at http://{host}:{port}/")
    render.out.print("log in as (username / password):")
    for username, (_, does, role) in USERS.items():
        render.out.print(f"  {username:<6} / {PASSWORD.format(username):<11} {role}: {does}")
    render.out.print("")
    for line in lines:
        render.out.print("  run " + line)
    sf = f"{_command()} --db {db}"
    render.out.print(
        "\nor from another terminal (.venv/bin/ holds the stageflow command):",
        f"  {sf} runs show {ids['failed']}",
        f"  {sf} work-items complete {ids['item']} --as alice --output priority=High",
        f"  {sf} records update {ids['case']} --set Contact_Email=pat@example.com",
        f"  {sf} runs resume {ids['failed']}",
        sep="\n",
        soft_wrap=True,
    )
    if no_server:
        return
    serve(ctx, host=host, port=port, no_worker=False)
