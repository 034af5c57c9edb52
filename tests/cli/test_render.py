"""What the CLI's tables show: ids whole, whatever the width."""

from __future__ import annotations

from pathlib import Path

import pytest

import stageflow
from stageflow.cli import render
from stageflow.cli.main import main

PROJECT = Path(__file__).parents[1] / "flows" / "project"


@pytest.mark.parametrize("width", [80, 40])  # 80: what Rich assumes when the output is piped
def test_work_item_run_and_record_ids_print_whole_in_narrow_tables(
    sqlite_url: str, width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stageflow.connect(sqlite_url)
    app.deploy(PROJECT)
    app.people.create_user("alice")
    ticket = app.records.create("Ticket", {"Title": "A ticket with a long title"}).id
    run = app.start("Date_Screen_Run", record=ticket).id
    [item] = app.work_items(user="alice")
    app.close()
    monkeypatch.setattr(render.out, "width", width)
    capsys.readouterr()
    assert main(["--db", sqlite_url, "work-items", "list"]) == 0
    listed = capsys.readouterr().out
    assert item.id in listed  # complete needs it whole, not 'd3zym…'
    assert ticket in listed
    assert main(["--db", sqlite_url, "runs", "list"]) == 0
    assert run in capsys.readouterr().out
    assert main(["--db", sqlite_url, "records", "list", "Ticket"]) == 0
    assert ticket in capsys.readouterr().out
