"""runs list: its filters are checked, as in every door."""

from __future__ import annotations

import pytest

from stageflow.cli.main import main


def test_runs_list_refuses_a_negative_limit_and_an_unknown_status(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A negative limit listed every run on SQLite and gave a traceback on PostgreSQL."""
    assert main(["--db", db_url, "runs", "list", "--limit", "-1"]) == 2
    assert "error: [limit]: limit is at least 1, got -1" in capsys.readouterr().err
    assert main(["--db", db_url, "runs", "list", "--status", "Bogus"]) == 2
    assert "error: [status]: 'Bogus' is not a run status (NotStarted," in capsys.readouterr().err
