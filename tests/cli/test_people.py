"""users, groups and queues from the command line."""

from __future__ import annotations

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
