"""`stageflow serve` as a real HTTP server: a client with a token starts a run, lists its work,
completes it, and the run moves on (its asynchronous step done by the embedded worker)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

import stageflow
from tests.conftest import EXAMPLES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(base: str, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.mark.slow
def test_serve_then_a_client_with_a_token_moves_a_run(db_url: str) -> None:
    """On SQLite the server's embedded worker carries out async steps; on PostgreSQL the API
    runs alone (--no-worker) beside a separate `stageflow worker` process."""
    db = db_url
    separate = not db.startswith("sqlite")
    app = stageflow.connect(db)
    app.deploy(EXAMPLES)
    for name in ("alice", "bob", "carol"):
        app.people.create_user(name)
    app.people.create_queue("Support_Triage", ["alice"])
    app.people.create_group("Roof_Technicians", ["bob"])
    app.people.create_group("Electricians", ["carol"])
    alice = app.people.create_token("alice").token
    app.close()
    port = _free_port()
    serve = [sys.executable, "-m", "stageflow", "--db", db, "serve", "--port", str(port)]
    server = subprocess.Popen(
        serve + (["--no-worker"] if separate else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ},
    )
    worker = None
    if separate:
        worker = subprocess.Popen(
            [sys.executable, "-m", "stageflow", "--db", db, "worker"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        values = {
            "Subject": "Leak",
            "Status": "New",
            "Category": "Roof",
            "Contact_Email": "p@x.org",
        }
        status, case = _call(base, "POST", "/records/Case", alice, {"values": values})
        assert status == 201, case
        status, run = _call(base, "POST", "/runs", alice,
                            {"orchestration": "Case_Management", "record": case["id"]})  # fmt: skip
        assert status == 201, run
        status, mine = _call(base, "GET", "/work-items", alice)
        assert status == 200
        [item] = [w for w in mine["items"] if w["run_id"] == run["id"]]
        status, moved = _call(base, "POST", f"/work-items/{item['id']}/complete", alice,
                              {"outputs": {"priority": "High"}})  # fmt: skip
        assert status == 200, moved
        assert moved["current_stage"] == "Customer_QA_Survey"
        for _ in range(100):  # the async survey step is done by the server's worker
            status, now = _call(base, "GET", f"/runs/{run['id']}", alice)
            steps = {s["name"]: s["status"] for st in now["stages"] for s in st["steps"]}
            if steps["Notify_Customer"] == "Completed":
                break
            time.sleep(0.1)
        assert steps["Notify_Customer"] == "Completed"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(20)
    assert "stageflow API on" in output
