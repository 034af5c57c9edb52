"""The `stageflow` command's errors: one line naming the problem, and an exit code."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from stageflow.cli.main import main


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = err.splitlines()
    return line


def test_a_sqlite_database_in_a_folder_that_does_not_exist_is_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--db", "sqlite:////nonexistent/dir/x.db", "runs", "list"]) == 2
    assert _one_error(capsys) == (
        "error: [db]: cannot open the database sqlite:////nonexistent/dir/x.db: "
        "unable to open database file"
    )
    assert main(["--db", "bogus://x", "db", "upgrade"]) == 2
    assert "error: [db]: cannot open the database bogus://x: " in _one_error(capsys)


def test_a_postgresql_database_that_does_not_exist_is_one_line_without_the_password(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = sa.engine.make_url(postgres_url).set(database="sf_missing", password="hunter2")
    url = missing.render_as_string(hide_password=False)
    assert main(["--db", url, "runs", "list"]) == 2
    line = _one_error(capsys)
    assert line.startswith("error: [db]: cannot open the database postgresql")
    assert 'database "sf_missing" does not exist' in line
    assert "hunter2" not in line
