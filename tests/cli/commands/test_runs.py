"""`stageflow runs ...` in this process: a run named by a unique prefix of its id (what people
type in a terminal; the REST API and the Python API take whole ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

import stageflow
from stageflow.cli.main import main
from tests.conftest import EXAMPLES, seed_people


def test_runs_commands_take_a_unique_prefix_of_a_runs_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    app = stageflow.connect(db)
    app.deploy(EXAMPLES)
    seed_people(app)
    case = app.records.create("Case", {"Subject": "Leak", "Status": "Escalated"})
    [run] = app.runs(record=case.id)
    app.close()
    prefix = run.id[:4]
    assert main(["--db", db, "runs", "show", prefix]) == 0
    assert run.id in capsys.readouterr().out
    assert main(["--db", db, "runs", "suspend", prefix, "--by", "sue"]) == 0
    assert "Suspended" in capsys.readouterr().out
    assert main(["--db", db, "runs", "resume", prefix]) == 0
    assert main(["--db", db, "runs", "reevaluate", prefix]) == 0
    assert main(["--db", db, "runs", "cancel", prefix]) == 0
    assert "Canceled" in capsys.readouterr().out
    assert main(["--db", db, "runs", "show", "zz-none"]) == 3
    assert "no run zz-none" in capsys.readouterr().err


def test_run_start_names_an_unknown_orchestration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--db", db, "run", "start", "Nope"]) == 3
    err = capsys.readouterr().err
    assert "error: [orchestration]: no active orchestration named 'Nope'" in err
