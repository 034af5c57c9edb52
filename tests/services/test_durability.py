"""A process killed in the middle of a run loses nothing, and a new process finishes the run
without doing anything twice that would show."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import stageflow

PROJECT = Path(__file__).parent / "crash_project"


LEASE = 5  # seconds: the checks before it runs out take 1-2 s, more on a loaded machine


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stageflow", "--db", db_url, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def crash_app(db_url: str) -> Iterator[stageflow.App]:
    app = stageflow.connect(db_url, embedded_worker=False)
    app.deploy(PROJECT)
    app.people.create_user("alice")
    yield app
    app.close()


@pytest.mark.slow
def test_worker_killed_inside_an_async_step_then_a_new_worker_finishes(
    crash_app: stageflow.App, db_url: str, tmp_path: Path
) -> None:
    app = crash_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    marker = tmp_path / "marker"
    run = app.start("Crash_Async", {"ticket": ticket, "marker": str(marker)})
    assert run.stages[0].steps[0].status == "InProgress"  # queued for a worker

    killed = _cli(db_url, "worker", "--until-idle", "--lease", str(LEASE))
    died_at = time.monotonic()
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert marker.exists()
    # Nothing of the killed transaction is visible: no note, ticket untouched, step still running.
    assert app.records.list("Note") == []
    assert app.records.get(ticket).fields.get("Stage") is None
    assert app.run(run.id).stages[0].steps[0].status == "InProgress"

    # The dead worker's lease still holds the message: nobody else takes it yet...
    early = _cli(db_url, "worker", "--until-idle")
    assert early.returncode == 0, early.stderr
    assert time.monotonic() - died_at < LEASE, "the machine was too slow to see the lease hold"
    assert app.run(run.id).status == "InProgress"
    time.sleep(max(0.0, LEASE + 0.2 - (time.monotonic() - died_at)))
    # ...until it runs out; then another worker finishes the work.
    finished = _cli(db_url, "worker", "--until-idle")
    assert finished.returncode == 0, finished.stderr
    view = app.run(run.id)
    assert view.status == "Completed"
    assert len(app.records.list("Note")) == 1  # the flow's write happened once
    assert app.records.get(ticket).fields["Stage"] == "done"
    assert [s.steps[0].attempt for s in view.stages] == [1, 1]


@pytest.mark.slow
def test_process_killed_while_completing_a_work_item_keeps_the_item_open(
    crash_app: stageflow.App, db_url: str, tmp_path: Path
) -> None:
    app = crash_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    marker = tmp_path / "marker"
    run = app.start("Crash_After_Approval", {"ticket": ticket, "marker": str(marker)})
    item = run.work_items[0].id

    # The completion runs the next stage's synchronous flow, which kills the process mid-way.
    killed = _cli(db_url, "work-items", "complete", item, "--as", "alice", "--output", "ok=true")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert app.work_item(item).status == "Assigned"
    assert app.run(run.id).current_stage == "Approval"
    assert app.records.list("Note") == []

    again = _cli(db_url, "work-items", "complete", item, "--as", "alice", "--output", "ok=true")
    assert again.returncode == 0, again.stderr
    view = app.run(run.id)
    assert view.status == "Completed"
    assert len(app.records.list("Note")) == 1
    assert app.records.get(ticket).fields["Stage"] == "done"
