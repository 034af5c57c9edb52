"""users, groups and queues from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

import stageflow
from stageflow.cli.main import main


def test_groups_add_member_refuses_a_queue_and_queues_add_member_adds(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (["users", "create", "alice"], ["queues", "create", "Support_Triage"]):
        assert main(["--db", sqlite_url, *args]) == 0
    capsys.readouterr()
    assert main(["--db", sqlite_url, "groups", "add-member", "Support_Triage", "alice"]) == 3
    assert "[group]: no group 'Support_Triage'" in capsys.readouterr().err
    app = stageflow.connect(sqlite_url)
    assert app.people.groups("queue")[0].members == ()
    assert main(["--db", sqlite_url, "queues", "add-member", "Support_Triage", "alice"]) == 0
    assert "queue Support_Triage: alice" in capsys.readouterr().out
    assert app.people.groups("queue")[0].members == ("alice",)
    app.close()


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'people.db'}"


def test_a_user_with_an_unusable_email_address_is_refused(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--db", db, "users", "create", "eve", "--email", "eve@example.com, mallory@evil.com"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "[email]" in err
    assert "'eve@example.com, mallory@evil.com' is not a usable email address" in " ".join(
        err.split()
    )
    app = stageflow.connect(db)
    try:
        assert app.people.users() == []
    finally:
        app.close()


def test_users_list_shows_a_user_without_an_address_as_none(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db, "users", "create", "gus", "--name", "Gus"]) == 0
    assert main(["--db", db, "users", "create", "ann", "--email", "ann@example.com"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "users", "list"]) == 0
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines()
            if line.startswith("│")}  # fmt: skip
    assert "(none)" in rows["gus"]
    assert "localhost" not in rows["gus"]
    assert "ann@example.com" in rows["ann"]
