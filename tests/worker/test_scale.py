"""Many workers around one database: every run finishes, nothing is done twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

import stageflow
from stageflow.app import App
from stageflow.worker.loop import Worker

PROJECT = Path(__file__).parent / "scale_project"
RUNS = 500


@pytest.fixture
def scale_app(db_url: str) -> Iterator[App]:
    app = stageflow.connect(db_url, embedded_worker=False)
    app.deploy(PROJECT)
    yield app
    app.close()


def _workers(db_url: str, count: int) -> list[subprocess.Popen[str]]:
    # the project's flows, and the stageflow the tests import (a checkout's src, say)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), *sys.path])}
    cmd = [sys.executable, "-m", "stageflow", "--db", db_url, "worker", "--retry-base", "0.05",
           "--lease", "10", "--heartbeat", "1"]  # fmt: skip
    return [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(count)
    ]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_four_worker_processes_finish_500_runs_with_retries_and_do_nothing_twice(
    scale_app: App, db_url: str
) -> None:
    app = scale_app
    run_ids = {app.start("Scale").id for _ in range(RUNS)}
    workers = _workers(db_url, 4)
    try:
        deadline = time.monotonic() + 420
        while time.monotonic() < deadline:
            open_runs = len(app.runs(status="InProgress", limit=RUNS))
            if open_runs == 0:
                break
            assert all(w.poll() is None for w in workers), "a worker died"
            time.sleep(1)
        statuses = Counter(r.status for r in app.runs(limit=RUNS + 1))
    finally:
        for w in workers:
            w.send_signal(signal.SIGINT)
        outputs = [w.communicate(timeout=60) for w in workers]
    assert sum(statuses.values()) == RUNS
    assert set(statuses) <= {"Completed", "Error"}, statuses
    assert statuses["Completed"] > RUNS * 0.8
    # Each successful flow execution wrote one side record; none was committed twice.
    executed = Counter(
        (r.fields["Run"], r.fields["Step"]) for r in app.records.list("Executed", limit=10_000)
    )
    assert executed.most_common(1)[0][1] == 1
    completed_steps = {
        (run_id, step.name)
        for run_id in run_ids
        for stage in app.run(run_id).stages
        for step in stage.steps
        if step.status == "Completed"
    }
    assert set(executed) == completed_steps
    # All four processes did part of the work.
    assert all("stopped after" in out for out, _ in outputs), outputs
    worked = [int(out.rsplit("stopped after ", 1)[1].split()[0]) for out, _ in outputs]
    assert all(n > 0 for n in worked), worked
    errors = [r for r in app.runs(status="Error", limit=RUNS)]
    for run in errors[:5]:
        view = app.run(run.id)
        assert any("injected failure" in (s.error.message if s.error else "")
                   for st in view.stages for s in st.steps)  # fmt: skip
        assert any("trying again in" in e.detail for e in view.log)


def test_concurrent_completions_in_one_stage_complete_it_once(scale_app: App) -> None:
    app = scale_app
    app.people.create_user("ann")
    app.people.create_user("bob")
    record = app.records.create("Executed", {"Run": "r", "Step": "s"}).id
    run = app.start("Pair", {"record": record})
    left, right = run.work_items
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def complete(item: str, user: str) -> None:
        try:
            barrier.wait()
            app.complete_work_item(item, user, {})
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [
        threading.Thread(target=complete, args=(left.id, "ann")),
        threading.Thread(target=complete, args=(right.id, "bob")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    view = app.run(run.id)
    assert view.current_stage == "Next"
    completions = [e for e in view.log if e.object_name == "Both" and e.to_status == "Completed"]
    assert len(completions) == 1
    assert len([w for w in view.work_items if w.step == "Wait_Here"]) == 1


def test_an_idle_worker_wakes_when_work_arrives(scale_app: App, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite workers poll")
    worker = Worker(scale_app.rt, idle_wait=60)  # polling alone would take a minute
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # the worker is idle, listening
        started = time.monotonic()
        run = scale_app.start("Scale")
        while time.monotonic() - started < 20:
            steps = [s for st in scale_app.run(run.id).stages for s in st.steps]
            if any(s.status in ("Completed", "Error") for s in steps):
                break
            time.sleep(0.05)
        assert time.monotonic() - started < 20
    finally:
        stop.set()
        thread.join(30)


def test_an_idle_worker_carries_out_a_retry_when_it_comes_due(
    scale_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No notification announces a retry set for later: the idle worker waits until it is due,
    not for its whole idle wait."""
    flows = sys.modules["scale_flows"]
    monkeypatch.setattr(flows, "FAIL_SHARE", 1.0)  # every first try fails
    scale_app.rt.retry_base = timedelta(seconds=1)
    run = scale_app.start("Scale")  # steps A and B, each a message for the worker
    worker = Worker(scale_app.rt, idle_wait=60)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while worker.processed < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.processed == 2  # both first tries failed; their retries wait 1 s or so
        monkeypatch.setattr(flows, "FAIL_SHARE", 0.0)
        retried = time.monotonic()
        while time.monotonic() < deadline:
            steps = {s.name: s.status for st in scale_app.run(run.id).stages for s in st.steps}
            if steps["A"] == steps["B"] == "Completed":
                break
            time.sleep(0.05)
        assert steps["A"] == steps["B"] == "Completed"
        assert time.monotonic() - retried < 10  # the retries' time, not the 60 s idle wait
    finally:
        stop.set()
        thread.join(30)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_worker_finishes_the_flow_it_holds_before_it_exits(
    scale_app: App, db_url: str, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    marker = tmp_path / "starts.txt"
    run = scale_app.start("Slow", {"marker": str(marker)})
    [worker] = _workers(db_url, 1)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), "the worker never started the flow"
        worker.send_signal(stop_signal)  # while the flow sleeps
        out, _err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0
    assert "stopped after 1 message(s)" in out
    assert scale_app.run(run.id).status == "Completed"
    assert marker.read_text() == "started\n"  # run once, not cut off to run again


def test_a_worker_outlives_the_database_dropping_its_connections(
    scale_app: App, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server restart or failover closes every connection, the idle worker's LISTEN one too:
    the worker goes on, and carries out work that arrives afterwards."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop connections")
    monkeypatch.setattr(sys.modules["scale_flows"], "FAIL_SHARE", 0.0)
    worker = Worker(scale_app.rt, idle_wait=60)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # idle, listening
        plain = (
            sa.engine.make_url(db_url)
            .set(drivername="postgresql")
            .render_as_string(hide_password=False)
        )
        with psycopg.connect(plain, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert dropped is not None
        assert dropped[0] >= 1
        time.sleep(1.2)  # the test's own pooled connections are pinged (renewed) at checkout
        run = scale_app.start("Scale")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and scale_app.run(run.id).status != "Completed":
            assert thread.is_alive(), "the worker died with its connections"
            time.sleep(0.05)
        assert scale_app.run(run.id).status == "Completed"
    finally:
        stop.set()
        thread.join(30)
