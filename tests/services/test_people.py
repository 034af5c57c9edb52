"""Users, groups and queues: what is refused, and that a refusal writes nothing."""

from __future__ import annotations

import pytest

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
