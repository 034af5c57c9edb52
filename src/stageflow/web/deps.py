"""Request dependencies: the stageflow App and the calling user (bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stageflow.app import App
from stageflow.services import auth
from stageflow.services.auth import NotAuthenticated
from stageflow.store.people import User

_bearer = HTTPBearer(auto_error=False, description="An API token: sf_<id>_<secret>")


def get_app(request: Request) -> App:
    found = request.app.state.stageflow
    assert isinstance(found, App)
    return found


def current_user(
    app: Annotated[App, Depends(get_app)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise NotAuthenticated("send an API token: Authorization: Bearer sf_<id>_<secret>")
    return auth.user_for_token(app.rt, credentials.credentials)


AppDep = Annotated[App, Depends(get_app)]
UserDep = Annotated[User, Depends(current_user)]
