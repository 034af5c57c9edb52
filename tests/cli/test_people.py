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
