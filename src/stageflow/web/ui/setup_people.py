"""/setup/people: users, groups and queues, for admins. Each form posts, and the page comes
back by a redirect with what was done; a refused form shows the page again with what was typed
and the message naming the field, under the form that was refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from stageflow.errors import NotFound, Problem, StageflowError
from stageflow.services.permissions import Permission, Role, require
from stageflow.web import errors, sessions
from stageflow.web.deps import AppDep
from stageflow.web.ui.common import Viewer, ViewerDep
from stageflow.web.ui.render import page

router = APIRouter(include_in_schema=False)
KINDS = ("group", "queue")
ROLES = [r.value for r in Role]


@dataclass(frozen=True)
class Refused:
    """The form that was refused (its id in the page), why, and what was typed into it."""

    form: str
    message: str
    typed: dict[str, str] = field(default_factory=dict)


def _page(
    request: Request, app: AppDep, viewer: Viewer, refused: Refused | None = None, status: int = 200
) -> Response:
    return page(request, "setup_people.html", {
        "viewer": viewer, "section": "setup", "users": app.people.users(),
        "groups": app.people.groups("group"), "queues": app.people.groups("queue"),
        "roles": ROLES, "kinds": KINDS, "refused": refused,
        "flash": request.query_params.get("flash", ""),
    }, status)  # fmt: skip


def _admin(request: Request, app: AppDep, viewer: Viewer, csrf_token: str | None) -> None:
    sessions.check_csrf(sessions.read(request, app), csrf_token)
    require(viewer.user, Permission.MANAGE_PEOPLE)


def _carry_out(
    request: Request,
    app: AppDep,
    viewer: Viewer,
    change: Callable[[], str],
    form: str,
    typed: dict[str, str],
) -> Response:
    """Make the change; back to the page with what it says was done, or the page again with
    the form that was refused."""
    try:
        done = change()
    except StageflowError as exc:
        status, _title = errors.status_of(exc)
        return _page(request, app, viewer, Refused(form, str(exc), typed), status)
    return RedirectResponse(f"/setup/people?flash={quote(done)}", status_code=303)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(Problem(f"no {kind!r} of people: use group or queue", field="kind"))
    return kind


@router.get("/setup/people")
def people_page(request: Request, app: AppDep, viewer: ViewerDep) -> Response:
    require(viewer.user, Permission.MANAGE_PEOPLE)
    return _page(request, app, viewer)


@router.post("/setup/people/users")
def create_user(
    request: Request,
    app: AppDep,
    viewer: ViewerDep,
    username: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = Role.USER.value,
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    _admin(request, app, viewer, csrf_token)

    def change() -> str:
        u = app.people.create_user(username, name or None, email or None, role, password or None)
        login = "can sign in" if password else "no password: cannot sign in"
        return f"user {u.username} added ({u.role}, {login})"

    typed = {"username": username, "name": name, "email": email, "role": role}
    return _carry_out(request, app, viewer, change, "new-user", typed)


@router.post("/setup/people/users/{username}")
def update_user(
    request: Request,
    username: str,
    app: AppDep,
    viewer: ViewerDep,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",  # a checkbox: sent ("on") when ticked, else absent
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    _admin(request, app, viewer, csrf_token)

    def change() -> str:
        u = app.people.update_user(
            username, name=name, email=email, role=role or None, active=bool(active)
        )
        state = "active" if u.active else "inactive: cannot sign in, is given no work item"
        return f"user {u.username} saved ({u.role}, {state})"

    typed = {"name": name, "email": email, "role": role, "active": active}
    return _carry_out(request, app, viewer, change, f"user-{username}", typed)


@router.post("/setup/people/groups")
def create_group(
    request: Request,
    app: AppDep,
    viewer: ViewerDep,
    kind: Annotated[str, Form()] = "group",
    name: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    _admin(request, app, viewer, csrf_token)

    def change() -> str:
        create = app.people.create_queue if _kind(kind) == "queue" else app.people.create_group
        g = create(name, [], label or None)
        return f"{g.kind} {g.name} added: add its members below"

    typed = {"kind": kind, "name": name, "label": label}
    return _carry_out(request, app, viewer, change, "new-group", typed)


@router.post("/setup/people/{kind}/{name}/members")
def add_member(
    request: Request,
    kind: str,
    name: str,
    app: AppDep,
    viewer: ViewerDep,
    username: Annotated[str, Form()] = "",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    _admin(request, app, viewer, csrf_token)

    def change() -> str:
        app.people.add_member(name, username, _kind(kind))
        return f"{username} added to {kind} {name}"

    return _carry_out(request, app, viewer, change, f"{kind}-{name}", {"username": username})


@router.post("/setup/people/{kind}/{name}/members/{username}/remove")
def remove_member(
    request: Request,
    kind: str,
    name: str,
    username: str,
    app: AppDep,
    viewer: ViewerDep,
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    _admin(request, app, viewer, csrf_token)

    def change() -> str:
        app.people.remove_member(name, username, _kind(kind))
        return f"{username} removed from {kind} {name}"

    return _carry_out(request, app, viewer, change, f"{kind}-{name}", {})
