"""Property-based requests generated from the OpenAPI document: no request makes a 5xx."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

import stageflow
from stageflow.app import App
from stageflow.web.app import create_app


@pytest.fixture(scope="module")
def api(
    template: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[App, dict[str, str]]]:
    db, tokens = template
    copy = tmp_path_factory.mktemp("schemathesis") / "api.db"
    shutil.copy(db, copy)
    app = stageflow.connect(f"sqlite:///{copy}")
    yield app, tokens
    app.close()


def test_no_generated_request_makes_a_server_error(api: tuple[App, dict[str, str]]) -> None:
    app, tokens = api
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(app))
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,  # the same requests every run: CI cannot turn red by chance
        )
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

        run()
    assert failures == []
