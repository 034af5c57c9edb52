"""users|groups|queues: the principals work items are assigned to."""

from __future__ import annotations

import typer

from stageflow.cli import render
from stageflow.cli.state import options
from stageflow.errors import InvalidInput

users_app = typer.Typer(help="Users.", no_args_is_help=True)
groups_app = typer.Typer(
    help="Public groups (every member can work their items).", no_args_is_help=True
)
queues_app = typer.Typer(help="Queues (every member can work their items).", no_args_is_help=True)


@users_app.command("create")
def create_user(
    ctx: typer.Context,
    username: str,
    name: str | None = typer.Option(None, "--name"),
    email: str | None = typer.Option(None, "--email"),
    role: str = typer.Option("user", "--role", help="admin, supervisor or user."),
    password: str | None = typer.Option(None, "--password", help="A login password."),
) -> None:
    """Add a user."""
    u = options(ctx).app().people.create_user(username, name, email, role, password)
    render.out.print(f"user {u.username} ({u.role}) created")


@users_app.command("update")
def update_user(
    ctx: typer.Context,
    username: str,
    name: str | None = typer.Option(None, "--name"),
    email: str | None = typer.Option(None, "--email", help='An address; "" removes it.'),
    role: str | None = typer.Option(None, "--role", help="admin, supervisor or user."),
    active: bool | None = typer.Option(
        None, "--active/--inactive", help="Inactive: cannot sign in, is given no work item."
    ),
) -> None:
    """Change a user's name, email, role, or whether they are active."""
    if name is None and email is None and role is None and active is None:
        raise InvalidInput(
            "nothing to change: give --name, --email, --role, --active or --inactive"
        )
    u = (
        options(ctx)
        .app()
        .people.update_user(username, name=name, email=email, role=role, active=active)
    )
    state = "active" if u.active else "inactive"
    render.out.print(f"user {u.username} ({u.role}, {state}): {u.name}, {u.email or '(no email)'}")


@users_app.command("set-password")
def set_password(
    ctx: typer.Context,
    username: str,
    password: str = typer.Option(..., "--password", prompt=True, hide_input=True),
) -> None:
    """Set a user's login password."""
    options(ctx).app().people.set_password(username, password)
    render.out.print(f"password of {username} set")


@users_app.command("token")
def token(ctx: typer.Context, username: str, name: str = typer.Option("cli", "--name")) -> None:
    """Create an API token for a user; it is printed once."""
    new = options(ctx).app().people.create_token(username, name)
    render.out.print(new.token, soft_wrap=True)


@users_app.command("list")
def list_users(ctx: typer.Context) -> None:
    """All users."""
    rows = options(ctx).app().people.users()
    render.table(
        ["username", "name", "email", "role", "active"],
        ([u.username, u.name, u.email or "(none)", u.role, u.active] for u in rows),
        title="Users",
    )


def _group_commands(target: typer.Typer, kind: str) -> None:
    @target.command("create")
    def create(
        ctx: typer.Context,
        name: str,
        members: list[str] = typer.Option(None, "--member", "-m", help="A username (repeatable)."),
        label: str | None = typer.Option(None, "--label"),
    ) -> None:
        people = options(ctx).app().people
        g = (people.create_queue if kind == "queue" else people.create_group)(
            name, members or [], label
        )
        render.out.print(f"{kind} {g.name} created with {len(g.members)} member(s)")

    create.__doc__ = f"Add a {kind}."

    @target.command("add-member")
    def add_member(ctx: typer.Context, name: str, username: str) -> None:
        g = options(ctx).app().people.add_member(name, username, kind)
        render.out.print(f"{kind} {g.name}: {', '.join(g.members)}")

    add_member.__doc__ = f"Add a user to a {kind}."

    @target.command("remove-member")
    def remove_member(ctx: typer.Context, name: str, username: str) -> None:
        g = options(ctx).app().people.remove_member(name, username, kind)
        render.out.print(f"{kind} {g.name}: {', '.join(g.members) or '(no members)'}")

    remove_member.__doc__ = f"Take a user out of a {kind}."

    @target.command("list")
    def list_groups(ctx: typer.Context) -> None:
        rows = options(ctx).app().people.groups(kind)
        render.table(
            ["name", "label", "members"],
            ([g.name, g.label, ", ".join(g.members)] for g in rows),
            title=f"{kind.title()}s",
        )

    list_groups.__doc__ = f"All {kind}s."


_group_commands(groups_app, "group")
_group_commands(queues_app, "queue")
