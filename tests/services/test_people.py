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
