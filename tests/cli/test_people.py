"""`stageflow users|groups|queues`: people from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

import stageflow
from stageflow.cli.main import main


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
