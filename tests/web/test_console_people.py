"""Setup · People through HTTP: an admin adds and edits users, makes groups and queues and
changes their members; a refused form comes back naming the field; others get 403."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from stageflow.web.app import create_app
from tests.web.conftest import Seeded
from tests.web.test_console import _login


def _row(html: str, attribute: str, name: str) -> str:
    """The text of one table row (`data-user="gus"`), tags and all."""
    found = re.search(rf'<tr {attribute}="{name}">.*?</tr>', html, re.S)
    assert found, html
    return unescape(found.group(0))


def _cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]


def test_an_admin_adds_a_user_who_signs_in_then_makes_them_inactive(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "root")
    added = c.post("/setup/people/users", data={
        "csrf_token": csrf, "username": "gus", "name": "Gus Grey", "email": "gus@example.com",
        "role": "supervisor", "password": "gus-password",
    }, follow_redirects=False)  # fmt: skip
    assert added.status_code == 303
    page = c.get(added.headers["location"]).text
    assert "user gus added (supervisor, can sign in)" in page
    row = _row(page, "data-user", "gus")
    assert _cells(row)[:5] == ["gus", "Gus Grey", "gus@example.com", "supervisor", "yes"]
    _login(c, "gus")  # his password works
    assert c.get("/runs?view=all").status_code == 200

    csrf = _login(c, "root")
    # no "active": its box was unticked
    saved = c.post("/setup/people/users/gus", data={
        "csrf_token": csrf, "name": "Gus G. Grey", "email": "", "role": "user",
    })  # fmt: skip
    assert saved.status_code == 200
    assert "user gus saved (user, inactive: cannot sign in, is given no work item)" in saved.text
    assert _cells(_row(saved.text, "data-user", "gus"))[:5] == [
        "gus", "Gus G. Grey", "none: gets no emails", "user", "no",
    ]  # fmt: skip
    c.cookies.clear()
    form = c.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    refused = c.post("/login", data={"username": "gus", "password": "gus-password",
                                     "csrf_token": token.group(1)})  # fmt: skip
    assert refused.status_code == 401
    assert "wrong username or password" in refused.text


def test_a_user_made_inactive_is_signed_out_and_stays_out_when_made_active(
    seeded: Seeded,
) -> None:
    """Her browser's cookie ends with the deactivation: activating her again does not let
    that cookie back in (a copy of it neither)."""
    with TestClient(create_app(seeded.app)) as alice:
        _login(alice, "alice")
        assert alice.get("/work-items", follow_redirects=False).status_code == 200
        root = seeded.client
        csrf = _login(root, "root")
        for active in ({}, {"active": "on"}):
            root.post("/setup/people/users/alice", data={
                "csrf_token": csrf, "name": "alice", "email": "alice@example.com",
                "role": "user", **active,
            })  # fmt: skip
            moved = alice.get("/work-items", follow_redirects=False)
            assert moved.headers["location"] == "/login?next=/work-items"
        assert [u.active for u in seeded.app.people.users() if u.username == "alice"] == [True]
        _login(alice, "alice")  # a new login works
        assert "Triage Case" in alice.get("/work-items").text


def test_an_admin_makes_a_queue_and_adds_and_removes_its_members(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "root")
    queue = {"csrf_token": csrf, "kind": "queue", "name": "Billing", "label": "Billing desk"}
    made = c.post("/setup/people/groups", data=queue)
    assert "queue Billing added: add its members below" in made.text
    assert _cells(_row(made.text, "data-queue", "Billing"))[:3] == [
        "Billing", "Billing desk", "no members"
    ]  # fmt: skip
    for who in ("dave", "alice"):
        added = c.post("/setup/people/queue/Billing/members",
                       data={"csrf_token": csrf, "username": who})  # fmt: skip
        assert f"{who} added to queue Billing" in added.text
    row = _row(added.text, "data-queue", "Billing")
    assert 'aria-label="Remove alice from Billing"' in row
    assert 'aria-label="Remove dave from Billing"' in row
    assert '<option value="dave"' not in row  # a member is not offered again
    removed = c.post("/setup/people/queue/Billing/members/dave/remove", data={"csrf_token": csrf})
    assert "dave removed from queue Billing" in removed.text
    assert "Remove dave from Billing" not in _row(removed.text, "data-queue", "Billing")
    assert [(g.name, g.members) for g in seeded.app.people.groups("queue")] == [
        ("Billing", ("alice",)), ("Support_Triage", ("alice",)),
    ]  # fmt: skip


def test_a_refused_form_shows_the_page_again_naming_the_field_and_changes_nothing(
    seeded: Seeded,
) -> None:
    app, c = seeded.app, seeded.client
    people = (app.people.users(), app.people.groups("group"), app.people.groups("queue"))
    csrf = _login(c, "root")
    for path, data, status, message, kept in [
        ("/setup/people/users", {"username": "eve", "email": "eve at example.com"}, 422,
         "[email]: 'eve at example.com' is not a usable email address: it contains a space",
         'value="eve"'),
        ("/setup/people/users", {"username": "eve", "password": "short"}, 422,
         "[password]: a password has at least 8 characters", 'value="eve"'),
        ("/setup/people/users/alice", {"name": "Alice", "role": "boss", "active": "on"}, 422,
         "[role]: 'boss' is not a role (admin, supervisor, user)", "<details open>"),
        ("/setup/people/users/alice", {"name": " ", "role": "user", "active": "on"}, 422,
         "[name]: a user's name cannot be blank", "<details open>"),
        ("/setup/people/users/root", {"name": "root", "role": "admin"}, 422,
         "[active]: user 'root' is the last active admin: make another user an admin first",
         "<details open>"),
        ("/setup/people/groups", {"kind": "group", "name": "9_Lives"}, 422,
         "[name]: '9_Lives' is not a valid group name", 'value="9_Lives"'),
        ("/setup/people/groups", {"kind": "team", "name": "Ops"}, 404,
         "[kind]: no 'team' of people: use group or queue", 'value="Ops"'),
        ("/setup/people/groups", {"kind": "group", "name": "Support_Triage"}, 422,
         "[name]: a group or queue named 'Support_Triage' exists already", ""),
        ("/setup/people/group/Support_Triage/members", {"username": "dave"}, 404,
         "[group]: no group 'Support_Triage'", ""),
        ("/setup/people/queue/Support_Triage/members", {"username": "zed"}, 404,
         "[username]: no user 'zed'", ""),
        ("/setup/people/group/Roof_Technicians/members/dave/remove", {}, 404,
         "[username]: 'dave' is not a member of group 'Roof_Technicians'", ""),
    ]:  # fmt: skip
        refused = c.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)
        assert refused.status_code == status, (path, data)
        assert refused.headers["content-type"].startswith("text/html")
        shown = unescape(refused.text)
        assert f"Nothing was changed: {message}" in shown, shown
        assert kept in shown
        assert "<h1>Setup · People</h1>" in shown  # the page, its forms with it
    assert (app.people.users(), app.people.groups("group"), app.people.groups("queue")) == people


def test_only_admins_see_or_use_setup_people_and_every_form_needs_its_token(
    seeded: Seeded,
) -> None:
    app, c = seeded.app, seeded.client
    before = app.people.users()
    forms = [
        ("/setup/people/users", {"username": "eve"}),
        ("/setup/people/users/alice", {"name": "Alice", "role": "admin", "active": "on"}),
        ("/setup/people/groups", {"kind": "group", "name": "Painters"}),
        ("/setup/people/group/Roof_Technicians/members", {"username": "dave"}),
        ("/setup/people/group/Roof_Technicians/members/bob/remove", {}),
    ]
    for who in ("sue", "alice"):
        csrf = _login(c, who)
        assert c.get("/setup/people").status_code == 403
        for path, data in forms:
            assert c.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    _login(c, "root")
    for path, data in forms:
        assert c.post(path, data={"csrf_token": "forged", **data}).status_code == 403, path
    assert app.people.users() == before
    assert app.people.groups("group")[1].members == ("bob",)
