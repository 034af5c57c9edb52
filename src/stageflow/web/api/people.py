"""/api/v1/users, /groups, /queues, /tokens: people (admins), and tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from stageflow.services import auth, people
from stageflow.services.permissions import Permission, require
from stageflow.web import errors
from stageflow.web.deps import AppDep, UserDep
from stageflow.web.schemas import (
    GroupOut,
    Login,
    Member,
    NewGroup,
    NewUser,
    TokenOut,
    UserChanges,
    UserOut,
)

router = APIRouter(tags=["people"], responses=errors.responses(401, 403, 404, 422))


@router.post("/tokens", status_code=201, summary="Log in with a password; get an API token")
def login(body: Login, app: AppDep) -> TokenOut:
    user = auth.authenticate(app.rt, body.username, body.password)
    token = auth.create_token(app.rt, user.username, body.name)
    return TokenOut(id=token.id, username=token.username, token=token.token)


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke a token")
def revoke(token_id: str, app: AppDep, user: UserDep) -> Response:
    auth.revoke_token(app.rt, token_id, user)
    return Response(status_code=204)


@router.get("/me", summary="Who the token belongs to")
def me(user: UserDep) -> UserOut:
    return UserOut.of(user)


@router.get("/users", summary="Users")
def list_users(app: AppDep, user: UserDep) -> list[UserOut]:
    require(user, Permission.MANAGE_PEOPLE)
    return [UserOut.of(u) for u in app.people.users()]


@router.post("/users", status_code=201, summary="Add a user")
def create_user(body: NewUser, app: AppDep, user: UserDep) -> UserOut:
    require(user, Permission.MANAGE_PEOPLE)
    created = app.people.create_user(body.username, body.name, body.email, body.role, body.password)
    return UserOut.of(created)


@router.patch("/users/{username}", summary="Change a user's name, email, role or active")
def update_user(username: str, body: UserChanges, app: AppDep, user: UserDep) -> UserOut:
    require(user, Permission.MANAGE_PEOPLE)
    changed = app.people.update_user(
        username, name=body.name, email=body.email, role=body.role, active=body.active
    )
    return UserOut.of(changed)


@router.post("/users/{username}/tokens", status_code=201, summary="A new API token for a user")
def create_token(username: str, app: AppDep, user: UserDep) -> TokenOut:
    if username != user.username:
        require(user, Permission.MANAGE_PEOPLE)
    token = auth.create_token(app.rt, username)
    return TokenOut(id=token.id, username=token.username, token=token.token)


def _group_routes(kind: str) -> None:
    @router.get(f"/{kind}s", summary=f"{kind.title()}s", name=f"list_{kind}s")
    def list_groups(app: AppDep, user: UserDep) -> list[GroupOut]:
        require(user, Permission.MANAGE_PEOPLE)
        return [GroupOut.of(g) for g in app.people.groups(kind)]

    @router.post(f"/{kind}s", status_code=201, summary=f"Add a {kind}", name=f"create_{kind}")
    def create_group(body: NewGroup, app: AppDep, user: UserDep) -> GroupOut:
        require(user, Permission.MANAGE_PEOPLE)
        return GroupOut.of(people.create_group(app.rt, body.name, kind, body.label, body.members))

    @router.post(
        f"/{kind}s/{{name}}/members", summary=f"Add a member to a {kind}", name=f"add_{kind}_member"
    )
    def add_member(name: str, body: Member, app: AppDep, user: UserDep) -> GroupOut:
        require(user, Permission.MANAGE_PEOPLE)
        return GroupOut.of(app.people.add_member(name, body.username, kind))

    @router.delete(
        f"/{kind}s/{{name}}/members/{{username}}",
        summary=f"Remove a member from a {kind}",
        name=f"remove_{kind}_member",
    )
    def remove_member(name: str, username: str, app: AppDep, user: UserDep) -> GroupOut:
        require(user, Permission.MANAGE_PEOPLE)
        return GroupOut.of(app.people.remove_member(name, username, kind))


_group_routes("group")
_group_routes("queue")
