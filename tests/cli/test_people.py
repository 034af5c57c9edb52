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


def _run(url: str, *args: str) -> int:
    return main(["--db", url, *args])


def test_users_update_changes_a_user_and_refuses_a_bad_change_in_one_line(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(db_url, "users", "create", "eve", "--email", "eve@example.com") == 0
    capsys.readouterr()
    argv = ["users", "update", "eve", "--name", "Eve Adams", "--email", "", "--role",
            "supervisor", "--inactive"]  # fmt: skip
    assert _run(db_url, *argv) == 0
    assert capsys.readouterr().out == "user eve (supervisor, inactive): Eve Adams, (no email)\n"
    for args, code, message in [
        (["--role", "boss"], 2, "error: [role]: 'boss' is not a role (admin, supervisor, user)"),
        (["--active", "--email", "eve"], 2, "error: [email]: 'eve' is not a usable email"),
        ([], 2, "error: nothing to change: give --name, --email, --role, --active or --inactive"),
    ]:
        assert _run(db_url, "users", "update", "eve", *args) == code, args
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith(message), line
    assert _run(db_url, "users", "update", "zed", "--active") == 3
    assert capsys.readouterr().err == "error: [username]: no user 'zed'\n"
    app = stageflow.connect(db_url)
    try:
        [eve] = app.people.users()
        assert (eve.name, eve.email, eve.role, eve.active) == ("Eve Adams", None, "supervisor",
                                                               False)  # fmt: skip
    finally:
        app.close()
    assert _run(db_url, "users", "update", "eve", "--active") == 0
    assert capsys.readouterr().out == "user eve (supervisor, active): Eve Adams, (no email)\n"


def test_remove_member_takes_a_user_out_of_a_queue_and_names_what_is_wrong(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ["users", "create", "alice"],
        ["queues", "create", "Support_Triage", "-m", "alice"],
    ):
        assert _run(db_url, *args) == 0
    capsys.readouterr()
    assert _run(db_url, "groups", "remove-member", "Support_Triage", "alice") == 3
    assert capsys.readouterr().err == "error: [group]: no group 'Support_Triage'\n"
    assert _run(db_url, "queues", "remove-member", "Support_Triage", "alice") == 0
    assert capsys.readouterr().out == "queue Support_Triage: (no members)\n"
    assert _run(db_url, "queues", "remove-member", "Support_Triage", "alice") == 3
    assert capsys.readouterr().err == (
        "error: [username]: 'alice' is not a member of queue 'Support_Triage'\n"
    )
    assert _run(db_url, "queues", "list") == 0
    assert "alice" not in capsys.readouterr().out
