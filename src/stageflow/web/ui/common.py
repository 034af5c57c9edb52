"""What every console page needs: the signed-in viewer (or a redirect to /login), the CSRF
check of forms, list paging."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from stageflow.services.permissions import Permission, allowed
from stageflow.store.people import User
from stageflow.web import sessions
from stageflow.web.deps import AppDep


class LoginRequired(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


@dataclass(frozen=True)
class Viewer:
    user: User
    csrf: str

    def can(self, permission: Permission) -> bool:
        return allowed(self.user, permission)


def viewer(request: Request, app: AppDep) -> Viewer:
    session = sessions.read(request, app)
    user = sessions.user_of(app, session)
    if user is None:
        raise LoginRequired(request.url.path)
    return Viewer(user, session.csrf)


ViewerDep = Annotated[Viewer, Depends(viewer)]


def _to_login(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)


def install(web: FastAPI) -> None:
    web.add_exception_handler(LoginRequired, _to_login)


def encode_cursor(value: Any, row_id: str) -> str:
    text = value.isoformat() if hasattr(value, "isoformat") else value
    return base64.urlsafe_b64encode(json.dumps([text, row_id]).encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[Any, str] | None:
    if not cursor:
        return None
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        return None  # a mangled cursor shows the first page (so does a wrong value: paging)
    if isinstance(row_id, dict | list):
        return None
    return value, str(row_id)
