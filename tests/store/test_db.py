"""The engine stageflow makes for a database server keeps working when the server closes an
idle pooled connection (a restart, an idle timeout)."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from stageflow.app import App
from stageflow.store import db


def _backend_pid(app: App) -> int:
    with app.rt.connect() as conn, conn.begin():
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_closed_while_idle_is_replaced(
    pg_app: App, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_app
    app.people.create_user("alice")
    pid = _backend_pid(app)
    admin_url = sa.engine.make_url(postgres_url).set(drivername="postgresql")
    with psycopg.connect(admin_url.render_as_string(hide_password=False)) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # as if idle for long enough

    assert [u.username for u in app.people.users()] == ["alice"]  # no error reaches the caller
    assert _backend_pid(app) != pid
