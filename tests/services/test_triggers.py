"""Record-triggered orchestrations: trigger modes, entry conditions, "only when updated to meet",
$Record__Prior, is_changed, re-evaluation on record change, loops, and crash safety."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

import stageflow
from stageflow.app import App

PROJECT = Path(__file__).parent / "trigger_project"


@pytest.fixture
def tapp(app: App) -> App:
    app.deploy(PROJECT)
    return app


def _count(app: App, orchestration: str) -> int:
    return len(app.runs(orchestration=orchestration))


def _counts(app: App) -> dict[str, int]:
    names = ["T_Created", "T_Changed_To_Meet", "T_Every_Update", "T_Prior", "T_Is_Changed"]
    return {n: _count(app, n) for n in names if _count(app, n)}


def test_created_trigger_with_custom_logic(tapp: App) -> None:
    tapp.records.create("Ticket", {"Priority": "High", "Category": "C"})  # 1 AND (2 OR 3): no
    tapp.records.create("Ticket", {"Priority": "Low", "Category": "A"})  # no
    assert _counts(tapp) == {}
    ticket = tapp.records.create("Ticket", {"Priority": "High", "Category": "B"})
    assert _counts(tapp) == {"T_Created": 1}
    [run] = tapp.runs(orchestration="T_Created")
    assert (run.record_id, run.status, run.created_by) == (ticket.id, "Completed", "trigger")
    tapp.records.update(ticket.id, {"Category": "A"})  # an update never fires a created trigger
    assert _count(tapp, "T_Created") == 1


def test_only_when_updated_to_meet_vs_every_update(tapp: App) -> None:
    ticket = tapp.records.create("Ticket", {"Status": "Escalated"}).id
    assert _counts(tapp) == {}  # both are update triggers
    tapp.records.update(ticket, {"Title": "still escalated"})
    # Still meeting: "every update" starts, "only when updated to meet" does not.
    assert _counts(tapp) == {"T_Every_Update": 1}
    tapp.records.update(ticket, {"Status": "Open"})
    assert _counts(tapp) == {"T_Every_Update": 1}
    tapp.records.update(ticket, {"Status": "Escalated"})  # newly meets the conditions
    assert _counts(tapp) == {"T_Every_Update": 2, "T_Changed_To_Meet": 1}


def test_prior_values_in_conditions(tapp: App) -> None:
    created_open = tapp.records.create("Ticket", {"Status": "Open"}).id
    assert _count(tapp, "T_Prior") == 0  # created: no prior values, so Prior.Status is not New
    ticket = tapp.records.create("Ticket", {"Status": "New"}).id
    tapp.records.update(ticket, {"Status": "Open"})
    assert _count(tapp, "T_Prior") == 1
    tapp.records.update(created_open, {"Title": "x"})  # prior Status Open, not New
    assert _count(tapp, "T_Prior") == 1
    [run] = tapp.runs(orchestration="T_Prior")
    assert run.record_id == ticket


def test_is_changed(tapp: App) -> None:
    ticket = tapp.records.create("Ticket", {"Handler": "ann"}).id
    assert _count(tapp, "T_Is_Changed") == 0  # nothing has changed on create
    tapp.records.update(ticket, {"Title": "t"})
    assert _count(tapp, "T_Is_Changed") == 0
    tapp.records.update(ticket, {"Handler": "bo"})
    assert _count(tapp, "T_Is_Changed") == 1


def test_one_change_starts_each_matching_orchestration_once(tapp: App) -> None:
    ticket = tapp.records.create("Ticket", {"Status": "New", "Handler": "ann"}).id
    tapp.records.update(ticket, {"Status": "Escalated", "Handler": "bo"})
    assert _counts(tapp) == {"T_Changed_To_Meet": 1, "T_Every_Update": 1, "T_Is_Changed": 1}
    assert tapp.drain() == 0  # nothing left over to start twice


def test_a_stage_waiting_on_a_record_field_moves_on_when_the_record_changes(tapp: App) -> None:
    doc = tapp.records.create("Doc", {"Status": "Draft"}).id
    [run] = tapp.runs(orchestration="D_Approval")
    assert (run.status, run.current_stage) == ("InProgress", "Wait_For_Approval")
    tapp.records.update(doc, {"Status": "Approved"})
    view = tapp.run(run.id)
    assert view.status == "Completed"
    assert any(e.detail == f"its record {doc} changed" for e in view.log)


def test_orchestrations_that_retrigger_themselves_stop_with_a_clear_error(tapp: App) -> None:
    loopy = tapp.records.create("Loopy", {"Count": 0}).id
    tapp.records.update(loopy, {"Count": 1})
    runs = tapp.runs(orchestration="L_Loop", limit=100)
    failed = [r for r in runs if r.status == "Error"]
    assert len(failed) == 1
    assert len(runs) == 11  # the depth limit is 10 runs started by runs' own record changes
    error = tapp.run(failed[0].id).stages[0].steps[0].error
    assert error is not None
    assert "10 levels deep" in error.message
    assert "loop" in error.message
    assert tapp.records.get(loopy).fields["Count"] == 11


def test_the_trigger_is_durable_before_the_run_starts(db_url: str) -> None:
    app = stageflow.connect(db_url, embedded_worker=False)
    try:
        app.deploy(PROJECT)
        app.records.create("Ticket", {"Priority": "High", "Category": "A"})
        assert _count(app, "T_Created") == 0  # decided and queued, not started yet
        assert app.drain() == 1
        assert _count(app, "T_Created") == 1
        assert app.drain() == 0
    finally:
        app.close()


CREATE_THEN_DIE = """
import os, signal, sys
import stageflow
app = stageflow.connect(sys.argv[1], embedded_worker=False)
app.records.create("Ticket", {"Priority": "High", "Category": "A", "Title": "crash"})
os.kill(os.getpid(), signal.SIGKILL)  # stopped after the change committed, before any start
"""


@pytest.fixture
def deployed_url(db_url: str) -> str:
    app = stageflow.connect(db_url)
    app.deploy(PROJECT)
    app.close()
    return db_url


@pytest.mark.slow
def test_a_crash_between_the_record_change_and_the_start_loses_neither(deployed_url: str) -> None:
    died = subprocess.run(
        [sys.executable, "-c", CREATE_THEN_DIE, deployed_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr
    app = stageflow.connect(deployed_url, embedded_worker=False)
    try:
        [ticket] = [r for r in app.records.list("Ticket") if r.fields.get("Title") == "crash"]
        assert _count(app, "T_Created") == 0
        worker = subprocess.run(
            [sys.executable, "-m", "stageflow", "--db", deployed_url, "worker", "--until-idle"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert worker.returncode == 0, worker.stderr
        [run] = app.runs(orchestration="T_Created")
        assert (run.record_id, run.status) == (ticket.id, "Completed")
    finally:
        app.close()


def test_host_application_reports_its_own_record_changes(tapp: App) -> None:
    tapp.record_changed("Ticket", "host-42", {"Status": "New", "Title": "from the host"})
    assert tapp.records.get("host-42").fields["Title"] == "from the host"
    assert _counts(tapp) == {}
    tapp.record_changed("Ticket", "host-42", {"Status": "Open"}, prior={"Status": "New"})
    [run] = tapp.runs(orchestration="T_Prior")
    assert run.record_id == "host-42"
    assert tapp.records.get("host-42").fields["Status"] == "Open"


def test_a_host_record_deleted_and_created_again_with_its_id_triggers_again(tapp: App) -> None:
    for _ in range(2):  # the same id, each time from version 1 again
        tapp.record_changed("Ticket", "host-7", {"Priority": "High", "Category": "A"})
        tapp.record_changed("Ticket", "host-7", {"Status": "Escalated"}, prior={"Status": "New"})
        tapp.records.delete("host-7")
    assert _counts(tapp) == {"T_Created": 2, "T_Every_Update": 2, "T_Changed_To_Meet": 2}
    assert {r.record_id for r in tapp.runs()} == {"host-7"}


def test_a_run_on_a_record_deleted_and_created_again_hears_of_its_changes(tapp: App) -> None:
    tapp.record_changed("Doc", "host-d", {"Status": "Draft"})  # starts D_Approval, waiting
    tapp.record_changed("Doc", "host-d", {"Status": "Draft"}, prior={"Status": "Draft"})
    tapp.records.delete("host-d")
    tapp.record_changed("Doc", "host-d", {"Status": "Draft"})  # a second run, waiting
    tapp.record_changed("Doc", "host-d", {"Status": "Approved"}, prior={"Status": "Draft"})
    runs = tapp.runs(orchestration="D_Approval")
    assert [r.status for r in runs] == ["Completed", "Completed"]  # the first one too


def test_a_record_with_the_longest_name_starts_its_run_with_the_name_cut_short(
    tapp: App,
) -> None:
    doc = tapp.records.create("Doc", {"Name": "n" * 255, "Status": "Draft"}).id  # the longest
    [run] = tapp.runs(orchestration="D_Approval", record=doc)
    assert run.status == "InProgress"
    assert len(run.name) == 255
    assert run.name.startswith("D Approval: nnn")
    assert run.name.endswith("n…")
