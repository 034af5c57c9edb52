"""The permission matrix: every endpoint for every role. Allowed calls succeed; the others get
401 (no token) or 403 (wrong role or not theirs) and change nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from stageflow.store import tables as t
from tests.conftest import EXAMPLES
from tests.web.conftest import ROLES, Seeded

API = "/api/v1"
ALL = {"admin", "supervisor", "user", "other"}
STAFF = {"admin", "supervisor"}
ADMIN = {"admin"}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {run}, {item}, {case}, {token} are filled in from the seeded data
    allowed: set[str]
    status: int = 200
    body: dict[str, Any] | None = None
    files: list[tuple[str, tuple[str, bytes]]] | None = None
    setup: Callable[[Seeded], dict[str, str]] = field(default=lambda s: {})


def _suspend(s: Seeded) -> dict[str, str]:
    s.app.suspend(s.run_id, by="sue")
    return {}


def _to_queue(s: Seeded) -> dict[str, str]:
    s.app.reassign_work_item(s.item_id, "queue:Support_Triage", by="sue")  # alice is a member
    return {}


def _token(s: Seeded) -> dict[str, str]:
    return {"token": s.app.people.create_token("alice", "extra").id}


TINY = b"""stageflow: 1
kind: orchestration
name: Tiny
type: autolaunched
stages:
  - name: S
    steps:
      - {name: X, type: background, flow: Close_Case, inputs: {caseId: x}}
"""

ENDPOINTS = [
    Endpoint("GET", "/orchestrations", ALL),
    Endpoint("GET", "/orchestrations/Case_Management", ALL),
    Endpoint("GET", "/orchestrations/Case_Management/versions", ALL),
    Endpoint("POST", "/orchestrations/deploy", ADMIN, 201, {"path": str(EXAMPLES)}),
    Endpoint("POST", "/orchestrations/upload", ADMIN, 201, files=[("files", ("t.yaml", TINY))]),
    Endpoint("POST", "/orchestrations/Case_Management/versions/1/activate", ADMIN),
    Endpoint(  # the input names the record of its work item: mallory may not see the case
        "POST",
        "/runs",
        STAFF | {"user"},
        201,
        {
            "orchestration": "Expense_Approval",
            "inputs": {"recordId": "{case}", "approver": "dave", "amount": 3},
        },
    ),
    Endpoint("GET", "/runs", ALL),
    Endpoint("GET", "/runs/{run}", STAFF | {"user"}),
    Endpoint("POST", "/runs/{run}/cancel", STAFF),
    Endpoint("POST", "/runs/{run}/suspend", STAFF),
    Endpoint("POST", "/runs/{run}/resume", STAFF, setup=_suspend),
    Endpoint("POST", "/runs/{run}/reevaluate", STAFF),
    Endpoint("GET", "/work-items", ALL),
    Endpoint("GET", "/work-items?mine=false", STAFF),
    Endpoint("GET", "/work-items/{item}", STAFF | {"user"}),
    Endpoint(
        "POST", "/work-items/{item}/complete", {"user"}, body={"outputs": {"priority": "Low"}}
    ),
    Endpoint("POST", "/work-items/{item}/accept", {"user"}, setup=_to_queue),
    Endpoint("POST", "/work-items/{item}/reassign", STAFF, body={"to": "user:bob"}),
    Endpoint("POST", "/records/Case", ALL, 201, {"values": {"Subject": "new"}}),
    Endpoint("GET", "/records/Case", ALL),
    Endpoint("GET", "/records/Case/{case}", STAFF | {"user"}),
    Endpoint(
        "PATCH", "/records/Case/{case}", STAFF | {"user"}, body={"values": {"Priority": "Low"}}
    ),
    Endpoint("DELETE", "/records/Case/{case}", ADMIN, 204),
    Endpoint("GET", "/users", ADMIN),
    Endpoint("POST", "/users", ADMIN, 201, {"username": "newbie", "role": "user"}),
    Endpoint("PATCH", "/users/bob", ADMIN, body={"name": "Bob Builder", "active": False}),
    Endpoint("POST", "/users/alice/tokens", ADMIN | {"user"}, 201),
    Endpoint("DELETE", "/tokens/{token}", ADMIN | {"user"}, 204, setup=_token),
    Endpoint("GET", "/groups", ADMIN),
    Endpoint("POST", "/groups", ADMIN, 201, {"name": "Painters", "members": ["bob"]}),
    Endpoint("POST", "/groups/Roof_Technicians/members", ADMIN, body={"username": "dave"}),
    Endpoint("DELETE", "/groups/Roof_Technicians/members/bob", ADMIN),
    Endpoint("GET", "/queues", ADMIN),
    Endpoint("POST", "/queues", ADMIN, 201, {"name": "Billing", "members": ["dave"]}),
    Endpoint("POST", "/queues/Support_Triage/members", ADMIN, body={"username": "dave"}),
    Endpoint("DELETE", "/queues/Support_Triage/members/alice", ADMIN),
    Endpoint("GET", "/me", ALL),
]


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, real in names.items():
            value = value.replace("{" + key + "}", real)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _snapshot(s: Seeded) -> dict[str, Any]:
    """Everything an endpoint could change."""
    out: dict[str, Any] = {}
    with s.app.rt.engine.connect() as conn:
        for table in (t.runs, t.work_items, t.records, t.users, t.groups, t.memberships,
                      t.api_tokens, t.definitions, t.outbox):  # fmt: skip
            columns = [c for c in table.c if c.name not in ("last_used_at",)]
            out[table.name] = sorted(map(tuple, conn.execute(sa.select(*columns))), key=repr)
    return out


@pytest.mark.parametrize("role", ROLES, ids=[r or "no-token" for r in ROLES])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method} {e.path}" for e in ENDPOINTS])
def test_permission_matrix(seeded: Seeded, endpoint: Endpoint, role: str | None) -> None:
    names = {"run": seeded.run_id, "item": seeded.item_id, "case": seeded.case_id}
    names.update(endpoint.setup(seeded))
    path = API + _fill(endpoint.path, names)
    before = _snapshot(seeded)
    response = seeded.client.request(
        endpoint.method,
        path,
        json=_fill(endpoint.body, names),
        files=endpoint.files,
        headers=seeded.headers(role),
    )
    if role in endpoint.allowed:
        assert response.status_code == endpoint.status, response.text
        return
    expected = 401 if role is None else 403
    assert response.status_code == expected, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _snapshot(seeded) == before
