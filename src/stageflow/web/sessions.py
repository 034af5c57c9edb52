"""Browser sessions: a signed cookie naming the user and carrying the CSRF token that every
form must send back; failed logins are throttled by services.auth.

A signed cookie cannot be taken back, so it also carries the user's session generation, stored
with the user: logging out adds one to it, and every cookie with an older one (the browser's,
a copy of it, the user's other browsers) is a logged-out browser from then on.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from stageflow.app import App
from stageflow.errors import PermissionDenied
from stageflow.services import auth, people
from stageflow.store.people import User

COOKIE = "stageflow_session"
MAX_AGE = 12 * 3600  # seconds a login lasts


@dataclass(frozen=True)
class Session:
    username: str | None  # None: not logged in (yet)
    csrf: str
    generation: int | None = None  # the user's session generation at login


def _signer(app: App) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.rt.settings.secret_key, salt="stageflow-session")


def read(request: Request, app: App) -> Session:
    """The session of this browser; a fresh anonymous one when the cookie is missing or bad."""
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _signer(app).loads(raw, max_age=MAX_AGE)
            return Session(data.get("u"), str(data["c"]), data.get("g"))
        except (BadSignature, KeyError, TypeError):
            pass
    return Session(None, new_csrf())


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def write(response: Response, app: App, session: Session, secure: bool) -> None:
    value = _signer(app).dumps({"u": session.username, "c": session.csrf, "g": session.generation})
    response.set_cookie(
        COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="lax", secure=secure
    )


def check_csrf(session: Session, sent: str | None) -> None:
    """Every form posts the session's CSRF token; anything else is refused (403)."""
    if not sent or not hmac.compare_digest(sent, session.csrf):
        raise PermissionDenied("the form's security token is missing or stale; reload the page")


def user_of(app: App, session: Session) -> User | None:
    """The signed-in user; None when logged out, or logged out since (a stale generation)."""
    if session.username is None:
        return None
    try:
        user = people.user(app.rt, session.username)
    except Exception:  # the user was removed since: treat as logged out
        return None
    if not user.active or session.generation != user.session_generation:
        return None
    return user


def log_in(user: User) -> Session:
    # A new CSRF token at login: one seen before logging in is not worth anything after.
    return Session(user.username, new_csrf(), user.session_generation)


def log_out(app: App, session: Session) -> Session:
    """End every session of the session's user; the browser's new, anonymous session."""
    user = user_of(app, session)
    if user is not None:  # a stale or anonymous session has nothing left to end
        auth.end_sessions(app.rt, user.username)
    return Session(None, new_csrf())
