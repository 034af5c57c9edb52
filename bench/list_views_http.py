"""Item 5 over HTTP: the same list views as `list_views` through a real `stageflow serve`
(uvicorn, in a process of its own) on the generated database, from a client on loopback
keeping its connection open, as a browser or an API client would.

- REST (`GET /api/v1/work-items`, `GET /api/v1/runs?status=...`, bearer tokens): the JSON a
  client gets, pages of 50, page 50 reached by following each page's `next` cursor.
- The console (`/work-items`, `/runs?status=...`, a signed-in session): the HTML page a person
  gets, pages of 25, page 50 reached by following the "Next page" links.

Each time is from sending the request to having read the whole response."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from bench.common import ROOT, connect
from bench.list_views import HEAVY, NEWCOMER, PAGE, TYPICAL, timed

BOSS = "boss"  # a supervisor: the Runs list shows them every run
PASSWORD = "bench-password"
READY_WITHIN_S = 60
CONSOLE_PAGE = 25  # the console's page size (web/ui/work_items.py, web/ui/runs.py)


class Client:
    """One keep-alive HTTP/1.1 connection to the server, with the headers of one caller."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = dict(headers or {})

    def get(self, path: str) -> tuple[int, bytes]:
        status, _, body = self.request("GET", path)
        return status, body

    def request(
        self, method: str, path: str, body: str | None = None, **headers: str
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        try:
            return self._request(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a connection left idle (uvicorn: after 5 s) while another
            # client is timed; like a browser, open a new one and ask again. A warm-up
            # request meets this, never a timed one.
            self.conn.close()
            return self._request(method, path, body, headers)

    def _request(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[int, http.client.HTTPResponse, bytes]:
        self.conn.request(method, path, body=body, headers={**self.headers, **headers})
        response = self.conn.getresponse()
        return response.status, response, response.read()

    def ok(self, path: str) -> bytes:
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        return body

    def close(self) -> None:
        self.conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _people(db: Path) -> dict[str, str]:
    """A supervisor, passwords for the console and API tokens: user -> token."""
    app = connect(db, embedded_worker=False)
    app.people.create_user(BOSS, role="supervisor")
    tokens = {}
    for user in (HEAVY, TYPICAL, NEWCOMER, BOSS):
        app.people.set_password(user, PASSWORD)
        tokens[user] = app.people.create_token(user, "bench").token
    app.close()
    return tokens


def _serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STAGEFLOW_EMAILS": "0", "STAGEFLOW_SECRET_KEY": "bench-" * 8}
    command = [sys.executable, "-m", "stageflow", "--db", f"sqlite:///{db}", "serve",
               "--port", str(port), "--no-worker"]  # fmt: skip
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_ready(port: int, token: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"stageflow serve exited with {server.returncode}")
        try:
            client = Client(port, {"Authorization": f"Bearer {token}"})
            status, _ = client.get("/api/v1/me")
            client.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"stageflow serve did not answer within {READY_WITHIN_S} s")


def _signed_in(port: int, username: str) -> Client:
    """A console session: the login form's CSRF token and cookie, the password, the session
    cookie."""
    client = Client(port)
    _, response, form = client.request("GET", "/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.decode())
    anonymous = response.getheader("set-cookie")
    if csrf is None or anonymous is None:
        raise RuntimeError("the login page gave no CSRF token or session cookie")
    body = urlencode({"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)})
    status, response, _ = client.request(
        "POST", "/login", body, Cookie=anonymous.split(";", 1)[0],
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    signed = response.getheader("set-cookie")
    if status != 303 or signed is None:
        raise RuntimeError(f"logging in as {username} answered {status}")
    client.headers["Cookie"] = signed.split(";", 1)[0]
    return client


def _api_page(client: Client, path: str, rows: int) -> str | None:
    """GET one page of a REST list; check it is full; its `next` cursor."""
    page = json.loads(client.ok(path))
    if len(page["items"]) != rows:
        raise RuntimeError(f"GET {path}: {len(page['items'])} rows, expected {rows}")
    nxt: str | None = page["next"]
    return nxt


def _api_after(client: Client, path: str, pages: int) -> str:
    """The path of page `pages + 1`, reached by following the cursors."""
    sep = "&" if "?" in path else "?"
    at = path
    for _ in range(pages):
        cursor = _api_page(client, at, PAGE)
        if cursor is None:
            raise RuntimeError(f"{path}: no page after {at}")
        at = f"{path}{sep}{urlencode({'after': cursor})}"
    return at


_NEXT = re.compile(r'<a href="(\?[^"]*after=[^"]*)">Next page</a>')
_ROW = re.compile(r'<tr data-(?:item|run)="')


def _page_html(client: Client, path: str, rows: int) -> str | None:
    """GET one console page; check it shows `rows` rows; the path of its "Next page" link."""
    html = client.ok(path).decode()
    shown = len(_ROW.findall(html))
    if shown != rows:
        raise RuntimeError(f"GET {path}: {shown} rows shown, expected {rows}")
    found = _NEXT.search(html)
    return None if found is None else path.split("?", 1)[0] + unescape(found.group(1))


def _html_after(client: Client, path: str, rows: int, pages: int) -> str:
    at: str | None = path
    for _ in range(pages):
        assert at is not None
        at = _page_html(client, at, rows)
        if at is None:
            raise RuntimeError(f"{path}: no page {pages + 1}")
    assert at is not None
    return at


def _api_timed(client: Client, path: str, rows: int, samples: int) -> dict[str, float]:
    return timed(lambda: _api_page(client, path, rows), samples)


def _html_timed(client: Client, path: str, samples: int) -> dict[str, float]:
    return timed(lambda: _page_html(client, path, CONSOLE_PAGE), samples)


def measure_http(db: Path, samples: int, last: int = 50) -> dict[str, dict[str, float]]:
    """Timings of the lists over HTTP; the "page 50" ones are of page `last`."""
    tokens = _people(db)
    port = _free_port()
    server = _serve(db, port)
    clients: list[Client] = []
    try:
        _wait_ready(port, tokens[BOSS], server)
        for user in (HEAVY, TYPICAL, NEWCOMER, BOSS):
            clients.append(Client(port, {"Authorization": f"Bearer {tokens[user]}"}))
        heavy, typical, newcomer, boss = clients
        items = f"/api/v1/work-items?limit={PAGE}"
        runs = f"/api/v1/runs?status=InProgress&limit={PAGE}"
        out = {
            "http_api_work_items_heavy_page1": _api_timed(heavy, items, PAGE, samples),
            "http_api_work_items_typical_page1": _api_timed(typical, items, PAGE, samples),
            "http_api_work_items_newcomer_page1": _api_timed(newcomer, items, 0, samples),
            "http_api_work_items_heavy_page50_keyset": _api_timed(
                heavy, _api_after(heavy, items, last - 1), PAGE, samples
            ),
            "http_api_runs_inprogress_page1": _api_timed(boss, runs, PAGE, samples),
            "http_api_runs_completed_page1": _api_timed(
                boss, runs.replace("InProgress", "Completed"), PAGE, samples
            ),
            "http_api_runs_inprogress_page50_keyset": _api_timed(
                boss, _api_after(boss, runs, last - 1), PAGE, samples
            ),
            # a user's Runs list holds the runs they started or have work in
            "http_api_runs_heavy_user_inprogress_page1": _api_timed(heavy, runs, PAGE, samples),
        }
        person, supervisor = _signed_in(port, HEAVY), _signed_in(port, BOSS)
        clients += [person, supervisor]
        mine, listed = "/work-items", "/runs?status=InProgress"
        out |= {
            "http_console_work_items_heavy_page1": _html_timed(person, mine, samples),
            "http_console_work_items_heavy_page50_keyset": _html_timed(
                person, _html_after(person, mine, CONSOLE_PAGE, last - 1), samples
            ),
            "http_console_runs_inprogress_page1": _html_timed(supervisor, listed, samples),
            "http_console_runs_inprogress_page50_keyset": _html_timed(
                supervisor, _html_after(supervisor, listed, CONSOLE_PAGE, last - 1), samples
            ),
        }
        return out
    finally:
        for client in clients:
            client.close()
        server.terminate()
        server.wait(30)
