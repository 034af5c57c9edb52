"""A NUL character in any input is refused before it reaches the database, alike on SQLite and
PostgreSQL (which cannot store one in text): 422 naming the field, nothing changed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from stageflow.app import App
from stageflow.web.app import create_app


@dataclass
class Served:
    app: App
    client: TestClient
    auth: dict[str, str]
    item_id: str
    case_id: str


@pytest.fixture
def served(example_app: App) -> Iterator[Served]:
    app = example_app
    app.people.set_password("alice", "alice-password")
    token = app.people.create_token("alice").token
    case = app.records.create("Case", {"Subject": "Leak", "Status": "Escalated"})
    [item] = app.work_items(record=case.id)
    with TestClient(create_app(app)) as client:
        yield Served(app, client, {"Authorization": f"Bearer {token}"}, item.id, case.id)


def _refused(response: Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert "NUL" in response.text
    if response.headers["content-type"].startswith("application/problem+json"):
        assert [e["field"] for e in response.json()["errors"]] == [field]
    else:  # a console page
        assert f"[{field}]" in response.text


def test_the_api_refuses_nul_in_ids_parameters_and_bodies(served: Served) -> None:
    c, auth = served.client, served.auth
    _refused(c.get("/api/v1/runs/r%00", headers=auth), "path.run_id")
    _refused(c.get("/api/v1/work-items?status=Assigned%00", headers=auth), "query.status")
    done = c.post(f"/api/v1/work-items/{served.item_id}/complete", headers=auth,
                  json={"outputs": {"priority": "High", "comments": "see\x00"}})  # fmt: skip
    _refused(done, "outputs.comments")
    assert served.app.work_item(served.item_id).status == "Assigned"
    _refused(c.post("/api/v1/records/Case", headers=auth, json={"values": {"Sub\x00": "x"}}),
             "values.Sub\\x00")  # fmt: skip
    listed = c.get("/api/v1/work-items", headers=auth)
    assert [w["id"] for w in listed.json()["items"]] == [served.item_id]


def test_the_console_refuses_nul_in_the_login_form_and_its_pages(served: Served) -> None:
    c = served.client
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)
    assert csrf
    login = {"username": "alice\x00", "password": "alice-password", "csrf_token": csrf.group(1)}
    _refused(c.post("/login", data=login), "username")
    c.post("/login", data={**login, "username": "alice"})
    _refused(c.get("/work-items?orchestration=Case%00"), "query.orchestration")
    _refused(c.get("/records/Case/x%00"), "path.record_id")


def test_the_api_refuses_a_lone_surrogate_in_a_json_string_or_key(served: Served) -> None:
    c, auth = served.client, {**served.auth, "content-type": "application/json"}
    for body, field in (
        (b'{"values": {"Subject": "a\\ud800b", "Status": "New"}}', "values.Subject"),
        (b'{"values": {"Sub\\udc00": "x"}}', "values.Sub\\udc00"),
    ):
        refused = c.post("/api/v1/records/Case", content=body, headers=auth)
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error == {"field": field, "message": error["message"]}
        assert "not valid Unicode" in error["message"]
    assert served.app.records.list("Case") == [served.app.records.get(served.case_id)]
    done = c.post(f"/api/v1/work-items/{served.item_id}/complete", headers=auth,
                  content=b'{"outputs": {"priority": "High", "comments": "\\udfff"}}')  # fmt: skip
    assert done.status_code == 422, done.text
    assert [e["field"] for e in done.json()["errors"]] == ["outputs.comments"]
    assert served.app.work_item(served.item_id).status == "Assigned"
