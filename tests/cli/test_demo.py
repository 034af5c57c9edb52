"""`make demo`'s data: the examples, people and runs in several statuses."""

from __future__ import annotations

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
