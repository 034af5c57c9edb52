"""`make demo`'s data: the examples, people and runs in several statuses."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import stageflow
from stageflow.cli.main import main
from tests.conftest import EXAMPLES


def test_demo_loads_runs_in_several_statuses(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Also on PostgreSQL, where no embedded worker starts the runs records trigger."""
    db = db_url
    assert main(["--db", db, "demo", "--no-server", "--examples", str(EXAMPLES)]) == 0
    printed = capsys.readouterr().out
    assert "alice  / alice-demo" in printed
    app = stageflow.connect(db)
    statuses = sorted(r.status for r in app.runs())
    assert statuses == ["Canceled", "Completed", "Error", "InProgress", "InProgress", "InProgress"]
    assert len(app.work_items(user="alice")) == 1
    assert {w.assignee for w in app.work_items()} >= {"Support_Triage", "Roof_Technicians", "dave"}
    failed = app.runs(status="Error")[0].id
    assert f"runs resume {failed}" in printed
    app.close()
    # A second start shows the same database instead of seeding it again.
    assert main(["--db", db, "demo", "--no-server", "--examples", str(EXAMPLES)]) == 0
    assert "has runs already" in capsys.readouterr().out


def test_demo_on_a_database_with_users_but_no_runs_says_what_to_do(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = stageflow.connect(sqlite_url)
    app.people.create_user("alice")
    app.close()
    assert main(["--db", sqlite_url, "demo", "--no-server", "--examples", str(EXAMPLES)]) == 2
    err = capsys.readouterr().err
    assert "has users but no runs" in err
    assert "give the demo an empty database with --db" in err
    app = stageflow.connect(sqlite_url)
    assert app.versions() == []  # nothing was deployed either
    app.close()


@pytest.mark.parametrize("how", ["python -m stageflow", "stageflow"])
def test_the_demos_hints_name_the_command_as_it_was_run(how: str, tmp_path: Path) -> None:
    """Run as `python -m stageflow`, they named `__main__.py`, which is no command."""
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    command = [sys.executable, "-m", "stageflow"]
    if how == "stageflow":
        command = [str(Path(sys.executable).parent / "stageflow")]
    args = ["--db", db, "demo", "--no-server", "--examples", str(EXAMPLES)]
    printed = _run([*command, *args], tmp_path)
    [show] = [line.strip() for line in printed.splitlines() if " runs show " in line]
    expected = shlex.join(command) if how == "python -m stageflow" else "stageflow"
    assert show.startswith(f"{expected} --db {db} runs show ")
    hinted = shlex.split(show)
    if how == "stageflow":  # the hint names the command on PATH; this venv's is that one
        hinted[0] = command[0]
    assert "Error" in _run(hinted, tmp_path)


def _run(command: list[str], cwd: Path) -> str:
    env = {**os.environ, "COLUMNS": "250"}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout
