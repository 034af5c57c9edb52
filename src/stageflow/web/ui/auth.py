"""/login, /logout and the signed-in home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from stageflow.errors import StageflowError
from stageflow.services import auth
from stageflow.web import sessions
from stageflow.web.deps import AppDep
from stageflow.web.sessions import Session
from stageflow.web.ui.render import page

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, app: AppDep, session: Session, error: str = "",
                username: str = "", status: int = 200) -> Response:  # fmt: skip
    response = page(request, "login.html", {"csrf": session.csrf, "error": error,
                                            "username": username}, status)  # fmt: skip
    sessions.write(response, app, session, request.url.scheme == "https")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, app: AppDep) -> Response:
    return _login_page(request, app, sessions.read(request, app))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    app: AppDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    session = sessions.read(request, app)
    sessions.check_csrf(session, csrf_token)
    try:
        user = auth.authenticate(app.rt, username, password)
    except StageflowError as exc:
        return _login_page(request, app, session, str(exc), username, 401)
    response = RedirectResponse("/", status_code=303)
    # A new CSRF token at login: one seen before logging in is not worth anything after.
    fresh = Session(user.username, sessions.new_csrf())
    sessions.write(response, app, fresh, request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(
    request: Request, app: AppDep, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    session = sessions.read(request, app)
    sessions.check_csrf(session, csrf_token)
    response = RedirectResponse("/login", status_code=303)
    sessions.write(response, app, Session(None, sessions.new_csrf()), request.url.scheme == "https")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, app: AppDep) -> Response:
    session = sessions.read(request, app)
    user = sessions.user_of(app, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    mine = app.work_items(user=user.username)
    return page(request, "home.html", {"user": user, "csrf": session.csrf, "items": mine})
