"""Users, groups and queues: what is refused, and that a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import stageflow
from stageflow.app import App
from stageflow.errors import InvalidInput, NotFound, PermissionDenied
from stageflow.services import auth
from stageflow.store.people import User
from tests.conftest import FLOWS_PROJECT


def test_a_refused_password_creates_no_user_and_a_retry_works(app: App) -> None:
    with pytest.raises(InvalidInput, match=r"\[password\]: a password has at least 8"):
        app.people.create_user("yan", password="abc")
    assert [u.username for u in app.people.users()] == []
    created = app.people.create_user("yan", password="long-enough")
    assert created.username == "yan"
    assert auth.authenticate(app.rt, "yan", "long-enough").username == "yan"


def test_names_longer_than_their_columns_are_refused_naming_the_field(app: App) -> None:
    """PostgreSQL refused them with a traceback (StringDataRightTruncation)."""
    with pytest.raises(InvalidInput, match=r"\[username\]: a user name has at most 150 char"):
        app.people.create_user("u" * 151)
    with pytest.raises(InvalidInput, match=r"\[email\]: an email address has at most 255"):
        app.people.create_user("yan", email="y" * 250 + "@example.com")
    assert app.people.users() == []
    app.people.create_user("u" * 150, name="n" * 255)  # what fits is kept
    with pytest.raises(InvalidInput, match=r"\[name\]: a user's name has at most 255"):
        app.people.update_user("u" * 150, name="n" * 256)
    with pytest.raises(InvalidInput, match=r"\[name\]: a group name has at most 80 characters"):
        app.people.create_group("G" * 81)
    with pytest.raises(InvalidInput, match=r"\[name\]: a queue name has at most 80 characters"):
        app.people.create_queue("Q" * 81)
    with pytest.raises(InvalidInput, match=r"\[label\]: a queue's label has at most 255"):
        app.people.create_queue("Q", label="L" * 256)
    assert app.people.groups("group") == app.people.groups("queue") == []


# Addresses no email can be sent to, and what the refusal says of each.
UNUSABLE = [
    pytest.param("eve@example.com\nBcc: mallory@evil.com", "contains a line break", id="header"),
    pytest.param("eve@example.com, mallory@evil.com", "not one bare address", id="list"),
    pytest.param("Eve <eve@example.com>", "not one bare address", id="display-name"),
    pytest.param("eve at example.com", "contains a space", id="space"),
    pytest.param("eve@", "not an address like name@example.com", id="no-domain"),
    pytest.param("eve.example.com", "not an address like name@example.com", id="no-at"),
    pytest.param("e" * 249 + "@x.com", "longer than 254 characters", id="too-long"),
]


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    a = stageflow.connect(db_url, embedded_worker=False)
    yield a
    a.close()


@pytest.mark.parametrize(("address", "why"), UNUSABLE)
def test_a_user_with_an_unusable_address_is_refused_and_not_created(
    app: App, address: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.people.create_user("eve", "Eve", address)
    [problem] = refused.value.problems
    assert problem.field == "email"
    assert problem.message.startswith(f"{address!r} is not a usable email address: it ")
    assert why in problem.message
    assert [u.username for u in app.people.users()] == []


@pytest.mark.parametrize(("address", "why"), UNUSABLE)
def test_changing_a_users_address_to_an_unusable_one_is_refused(
    app: App, address: str, why: str
) -> None:
    app.people.create_user("eve", "Eve", "eve@example.com")
    with pytest.raises(InvalidInput) as refused:
        app.people.update_user("eve", name="Eve Adams", email=address)
    assert refused.value.problems[0].field == "email"
    assert why in refused.value.problems[0].message
    eve = app.people.users()[0]
    assert (eve.name, eve.email) == ("Eve", "eve@example.com")  # nothing changed


def test_usable_addresses_are_kept_as_given(app: App) -> None:
    for username, address in [
        ("ann", "ann.lee+flows@mail.example.com"),
        ("jorg", "jörg@exämple.com"),  # SMTPUTF8
        ("root", "root@localhost"),
    ]:
        assert app.people.create_user(username, email=address).email == address


def test_a_user_created_without_an_address_has_none(app: App) -> None:
    assert app.people.create_user("frank", "Frank").email is None
    assert app.people.create_user("gina", "Gina", "").email is None
    assert [u.email for u in app.people.users()] == [None, None]


def test_an_address_can_be_removed(app: App) -> None:
    app.people.create_user("eve", "Eve", "eve@example.com")
    assert app.people.update_user("eve", email="").email is None
    assert app.people.update_user("eve", name="Eve Adams").email is None  # None: unchanged


def _people(app: App) -> tuple[list[User], list[tuple[str, tuple[str, ...]]]]:
    groups = [*app.people.groups("group"), *app.people.groups("queue")]
    return app.people.users(), [(g.name, g.members) for g in groups]


def test_a_user_is_changed_field_by_field_and_bad_changes_change_nothing(app: App) -> None:
    app.people.create_user("eve", "Eve", "eve@example.com")
    changed = app.people.update_user("eve", name="Eve Adams", role="supervisor", active=False)
    assert (changed.name, changed.email, changed.role, changed.active) == (
        "Eve Adams", "eve@example.com", "supervisor", False
    )  # fmt: skip
    before = _people(app)
    for changes, error, field, message in [
        ({"name": "  "}, InvalidInput, "name", "a user's name cannot be blank"),
        ({"name": "Eve", "role": "boss"}, InvalidInput, "role", "'boss' is not a role (admin, "),
        ({"active": True, "email": "eve at x"}, InvalidInput, "email", "'eve at x' is not a "),
    ]:
        with pytest.raises(error) as refused:
            app.people.update_user("eve", **changes)
        [problem] = refused.value.problems
        assert (problem.field, problem.message[: len(message)]) == (field, message)
    with pytest.raises(NotFound, match=r"\[username\]: no user 'evan'"):
        app.people.update_user("evan", active=True)
    assert _people(app) == before


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app: App) -> None:
    app.people.create_user("root", role="admin")
    app.people.create_user("ann", role="admin")
    app.people.update_user("ann", active=False)  # an inactive admin manages nothing
    for changes, field in [({"role": "user"}, "role"), ({"active": False}, "active")]:
        with pytest.raises(InvalidInput) as refused:
            app.people.update_user("root", name="Root", **changes)
        assert [(p.field, p.message) for p in refused.value.problems] == [
            (field, "user 'root' is the last active admin: make another user an admin first")
        ]
    assert app.people.users()[1].name == "root"  # nothing changed, the name neither
    app.people.update_user("ann", active=True)
    assert app.people.update_user("root", active=False).active is False  # ann is left


def test_deactivating_a_user_ends_their_sessions_and_activating_does_not(app: App) -> None:
    """A browser session carries the generation it began in: an old cookie of a user who was
    deactivated must not work again once they are activated."""
    start = app.people.create_user("eve").session_generation
    assert app.people.update_user("eve", active=False).session_generation == start + 1
    assert app.people.update_user("eve", active=False).session_generation == start + 1
    assert app.people.update_user("eve", active=True).session_generation == start + 1


def test_a_member_is_removed_and_bad_removals_name_the_field_and_change_nothing(
    app: App,
) -> None:
    for username in ("alice", "bob", "carol"):
        app.people.create_user(username)
    app.people.create_queue("Support_Triage", ["alice", "bob"])
    app.people.create_group("Roof_Technicians", ["bob"])
    before = _people(app)
    for group, username, kind, field, message in [
        ("Support_Triage", "alice", "group", "group", "no group 'Support_Triage'"),
        ("Painters", "alice", None, "group", "no group or queue 'Painters'"),
        ("Roof_Technicians", "zed", "group", "username", "no user 'zed'"),
        ("Roof_Technicians", "carol", "group", "username",
         "'carol' is not a member of group 'Roof_Technicians'"),
    ]:  # fmt: skip
        with pytest.raises(NotFound) as refused:
            app.people.remove_member(group, username, kind)
        assert [(p.field, p.message) for p in refused.value.problems] == [(field, message)]
    assert _people(app) == before
    assert app.people.remove_member("Support_Triage", "alice", "queue").members == ("bob",)
    assert app.people.remove_member("Roof_Technicians", "bob").members == ()
    assert [(g.name, g.members) for g in app.people.groups("queue")] == [
        ("Support_Triage", ("bob",))
    ]


def test_a_removed_queue_member_no_longer_sees_or_takes_its_work_items(app: App) -> None:
    app.deploy(FLOWS_PROJECT)
    for username in ("alice", "bob"):
        app.people.create_user(username)
    app.people.create_queue("Ghost_Queue", ["alice", "bob"])
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    item = app.start("Ghost_Queue_Run", record=ticket).work_items[0]
    assert [w.id for w in app.work_items(user="alice")] == [item.id]
    app.people.remove_member("Ghost_Queue", "alice", "queue")
    assert app.work_items(user="alice") == []
    with pytest.raises(PermissionDenied):
        app.accept_work_item(item.id, "alice")
    with pytest.raises(PermissionDenied):
        app.complete_work_item(item.id, "alice", {})
    assert [w.id for w in app.work_items(user="bob")] == [item.id]  # still the queue's
