"""Browser login: password, signed session cookie, CSRF on every form, logout, throttling."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import Seeded


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_login_shows_my_work_and_logout_ends_the_session(seeded: Seeded) -> None:
    c = seeded.client
    assert c.get("/work-items", follow_redirects=False).headers["location"] == (
        "/login?next=/work-items"
    )
    form = c.get("/login?next=/work-items")
    assert 'name="next" value="/work-items"' in form.text
    assert 'autocomplete="current-password"' in form.text
    login = {"username": "alice", "password": "alice-password", "csrf_token": _csrf(form.text),
             "next": "/work-items"}  # fmt: skip
    done = c.post("/login", data=login, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/work-items")
    cookie = c.cookies.get("stageflow_session")
    assert cookie is not None
    assert cookie.count(".") == 2  # itsdangerous: payload.timestamp.signature
    home = c.get("/")  # the console opens on my open work items
    assert "My open work items" in home.text
    assert "Triage Case" in home.text  # alice's work item, via her queue
    refused = c.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert c.get("/work-items", follow_redirects=False).status_code == 200  # still logged in
    out = c.post("/logout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert c.get("/work-items", follow_redirects=False).headers["location"].startswith("/login")


def test_login_form_needs_its_csrf_token(seeded: Seeded) -> None:
    c = seeded.client
    c.get("/login")
    forged = c.post("/login", data={"username": "alice", "password": "alice-password"})
    assert forged.status_code == 403
    assert c.get("/work-items", follow_redirects=False).headers["location"].startswith("/login")


def test_a_tampered_cookie_is_a_logged_out_browser(seeded: Seeded) -> None:
    c = seeded.client
    c.cookies.set("stageflow_session", "eyJ1IjoiYWRtaW4ifQ.forged.signature")
    assert c.get("/work-items", follow_redirects=False).headers["location"].startswith("/login")


def test_wrong_passwords_are_throttled(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _csrf(c.get("/login").text)
    for _ in range(5):
        bad = c.post("/login", data={"username": "alice", "password": "guess", "csrf_token": csrf})
        assert bad.status_code == 401
        assert "wrong username or password" in bad.text
        assert 'value="alice"' in bad.text  # what was typed is kept
        csrf = _csrf(bad.text)
    locked = c.post("/login", data={"username": "alice", "password": "alice-password",
                                    "csrf_token": csrf})  # fmt: skip
    assert locked.status_code == 401
    assert "too many failed logins" in locked.text


def _log_in(c: TestClient, username: str) -> str:
    """Log in; the page's CSRF token."""
    login = {"username": username, "password": f"{username}-password",
             "csrf_token": _csrf(c.get("/login").text)}  # fmt: skip
    assert c.post("/login", data=login, follow_redirects=False).status_code == 303
    return _csrf(c.get("/work-items").text)


def test_a_copy_of_the_cookie_is_logged_out_with_its_browser(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _log_in(c, "sue")
    copied = c.cookies.get("stageflow_session")
    assert copied is not None
    with TestClient(c.app) as elsewhere:  # sue in a second browser
        other_csrf = _log_in(elsewhere, "sue")
        assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).is_redirect
        # Logging out ends every session of the user: the other browser's too.
        assert elsewhere.get("/runs", follow_redirects=False).headers["location"] == (
            "/login?next=/runs"
        )
        assert other_csrf
    c.cookies.clear()
    c.cookies.set("stageflow_session", copied)  # the old cookie, replayed
    page = c.get("/work-items", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login?next=/work-items")
    form = c.post(f"/work-items/{seeded.item_id}/reassign",
                  data={"to": "user:bob", "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
    assert form.headers["location"].startswith("/login")
    assert seeded.app.work_item(seeded.item_id).assigned_to == "queue:Support_Triage"
    assert c.get("/api/v1/work-items").status_code == 401  # the API takes no cookie at all
    c.cookies.clear()
    _log_in(c, "sue")  # and logging in again works
    assert c.get("/runs", follow_redirects=False).status_code == 200
