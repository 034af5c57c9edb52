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


def _login_page(
    request: Request,
    app: AppDep,
    session: Session,
    error: str = "",
    username: str = "",
    status: int = 200,
    next_page: str = "",
) -> Response:
    context = {
        "csrf": session.csrf,
        "error": error,
        "username": username,
        "next": next_page or request.query_params.get("next", "/"),
    }
    response = page(request, "login.html", context, status)
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
    next_page: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    session = sessions.read(request, app)
    sessions.check_csrf(session, csrf_token)
    try:
        user = auth.authenticate(app.rt, username, password)
    except StageflowError as exc:
        return _login_page(request, app, session, str(exc), username, 401, next_page)
    target = next_page if next_page.startswith("/") and not next_page.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    sessions.write(response, app, sessions.log_in(user), request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(
    request: Request, app: AppDep, csrf_token: Annotated[str | None, Form()] = None
) -> Response:
    session = sessions.read(request, app)
    sessions.check_csrf(session, csrf_token)
    anonymous = sessions.log_out(app, session)
    response = RedirectResponse("/login", status_code=303)
    sessions.write(response, app, anonymous, request.url.scheme == "https")
    return response


@router.get("/")
def home() -> Response:
    return RedirectResponse("/work-items", status_code=303)
