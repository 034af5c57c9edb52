"""`stageflow workers`: live workers with their heartbeat and what they hold."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest

from stageflow.app import App
from stageflow.cli.main import main
from stageflow.services import workers as workers_service
from stageflow.worker.loop import Worker


def test_live_workers_are_listed_until_they_stop(
    app: App, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    worker = Worker(app.rt, concurrency=2, heartbeat=0.2, idle_wait=0.2)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        time.sleep(0.6)  # a few heartbeats
        [live] = workers_service.live(app.rt)
        assert (live.worker.id, live.worker.concurrency) == (worker.id, 2)
        assert live.worker.heartbeat_at > live.worker.started_at
        assert main(["--db", db_url, "workers"]) == 0
        listed = capsys.readouterr().out
        assert str(os.getpid()) in listed
        assert "Last Heartbeat" in listed.replace("\n", " ") or "Heartbeat" in listed
    finally:
        stop.set()
        thread.join(10)
    assert workers_service.live(app.rt) == []  # a stopped worker is no longer listed
    # A worker whose heartbeat stopped (killed) drops out after the liveness window.
    assert workers_service.live(app.rt, within=timedelta(seconds=0)) == []
