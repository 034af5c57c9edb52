"""Users, groups and queues: what is refused, and that a refusal writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import stageflow
from stageflow.app import App
from stageflow.errors import InvalidInput
from stageflow.services import auth


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
