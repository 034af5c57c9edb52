"""A seeded database (examples, people of every role, tokens) copied fresh for each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import stageflow
from stageflow.app import App
from stageflow.web.app import create_app
from tests.conftest import EXAMPLES


@dataclass
class Seeded:
    app: App
    client: TestClient
    tokens: dict[str, str]  # role name -> bearer token
    case_id: str
    run_id: str
    item_id: str  # alice's triage work item

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}


ROLES = ["admin", "supervisor", "user", "other", None]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("template")
    db = folder / "seed.db"
    app = stageflow.connect(f"sqlite:///{db}")
    app.deploy(EXAMPLES)
    people = app.people
    people.create_user("root", role="admin", password="root-password")
    people.create_user("sue", role="supervisor", password="sue-password")
    people.create_user("alice", email="alice@example.com", password="alice-password")
    people.create_user("mallory", password="mallory-password")
    for name in ("bob", "carol", "dave"):
        people.create_user(name)
    people.create_queue("Support_Triage", ["alice"])
    people.create_group("Roof_Technicians", ["bob"])
    people.create_group("Electricians", ["carol"])
    tokens = {
        "admin": people.create_token("root").token,
        "supervisor": people.create_token("sue").token,
        "user": people.create_token("alice").token,
        "other": people.create_token("mallory").token,
    }
    case = app.records.create(
        "Case", {"Subject": "Leak", "Status": "Escalated", "Category": "Roof", "Owner": "alice"}
    )
    app.close()
    return db, {**tokens, "case": case.id}


@pytest.fixture
def seeded(template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[Seeded]:
    db, tokens = template
    copy = tmp_path / "api.db"
    shutil.copy(db, copy)
    app = stageflow.connect(f"sqlite:///{copy}")
    case_id = tokens["case"]
    [run] = app.runs(record=case_id)
    [item] = app.work_items(run=run.id)
    with TestClient(create_app(app), raise_server_exceptions=True) as client:
        yield Seeded(app, client, {k: v for k, v in tokens.items() if k != "case"}, case_id,
                     run.id, item.id)  # fmt: skip
    app.close()
