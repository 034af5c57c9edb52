"""`make demo`'s data: the examples, people and runs in several statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

import stageflow
from stageflow.cli.main import main
from tests.conftest import EXAMPLES


def test_demo_loads_runs_in_several_statuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
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
