"""Browser tests: a real `stageflow serve` process, driven by Playwright in Debian's chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import stageflow
from stageflow.app import App
from tests.conftest import EXAMPLES, REQUIRE_ALL, ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# As this machine's probe starts it: without the background-networking flags, chromium keeps
# trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {"alice": "alice-password", "sue": "sue-password", "mallory": "mallory-password",
             "root": "root-password"}  # fmt: skip


@dataclass
class Console:
    url: str
    app: App  # the same database, for setting up and checking what the browser did


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    db = f"sqlite:///{tmp_path / 'console.db'}"
    app = stageflow.connect(db)
    app.deploy(EXAMPLES)
    people = app.people
    people.create_user("alice", "Alice Triage", password=PASSWORDS["alice"])
    people.create_user("sue", "Sue Supervisor", role="supervisor", password=PASSWORDS["sue"])
    people.create_user("mallory", password=PASSWORDS["mallory"])
    people.create_user("root", "Root Admin", role="admin", password=PASSWORDS["root"])
    for name in ("bob", "carol"):
        people.create_user(name)
    people.create_queue("Support_Triage", ["alice"])
    people.create_group("Roof_Technicians", ["bob"])
    people.create_group("Electricians", ["carol"])
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "stageflow", "--db", db, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{url}/login", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield Console(url, app)
    server.terminate()
    server.wait(20)
    app.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_ALL:
            pytest.fail(f"chromium not found at {CHROMIUM} (STAGEFLOW_REQUIRE_ALL=1)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def login(page: object, console: Console, username: str) -> None:
    page.goto(f"{console.url}/login")  # type: ignore[attr-defined]
    page.get_by_label("Username").fill(username)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORDS[username])  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{console.url}/work-items")  # type: ignore[attr-defined]
