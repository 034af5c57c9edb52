"""The one permission table: which role may do what. The REST API and the web UI both ask it."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from stageflow.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    USER = "user"


class Permission(StrEnum):
    VIEW_DEFINITIONS = "view definitions"
    DEPLOY = "deploy and activate definitions"
    MANAGE_PEOPLE = "manage users, groups, queues and tokens"
    START_RUN = "start runs"
    VIEW_ALL_RUNS = "see every run"
    CANCEL_RUN = "cancel runs"
    SUSPEND_RUN = "suspend runs"
    RESUME_RUN = "resume runs"
    REEVALUATE_RUN = "re-evaluate runs"
    VIEW_ALL_WORK_ITEMS = "see every work item"
    REASSIGN_WORK_ITEM = "reassign work items"
    CREATE_RECORDS = "create records"
    VIEW_ALL_RECORDS = "see and change every record"
    DELETE_RECORDS = "delete records"


P = Permission
_USER = frozenset({P.VIEW_DEFINITIONS, P.START_RUN, P.CREATE_RECORDS})
_SUPERVISOR = _USER | {
    P.VIEW_ALL_RUNS,
    P.CANCEL_RUN,
    P.SUSPEND_RUN,
    P.RESUME_RUN,
    P.REEVALUATE_RUN,
    P.VIEW_ALL_WORK_ITEMS,
    P.REASSIGN_WORK_ITEM,
    P.VIEW_ALL_RECORDS,
}
_ADMIN = frozenset(Permission)

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.USER: _USER,
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: _ADMIN,
}


class HasRole(Protocol):
    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


def allowed(user: HasRole, permission: Permission) -> bool:
    return permission in GRANTS[Role(user.role)]


def require(user: HasRole, permission: Permission) -> None:
    if not allowed(user, permission):
        raise PermissionDenied(
            f"{user.username} ({user.role}) may not {permission.value}; "
            f"ask someone with the {_who(permission)} role"
        )


def _who(permission: Permission) -> str:
    roles = [r.value for r in (Role.SUPERVISOR, Role.ADMIN) if permission in GRANTS[r]]
    return " or ".join(roles) or "no"
