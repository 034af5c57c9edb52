"""A host application's own SQLAlchemy models trigger orchestrations."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from stageflow.app import App
from stageflow.integrations.sqlalchemy import track

PROJECT = Path(__file__).parent / "trigger_project"


class Base(DeclarativeBase):
    pass


class HostTicket(Base):
    __tablename__ = "host_tickets"
    id: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    Title: Mapped[str] = mapped_column(sa.String(100))
    Status: Mapped[str] = mapped_column(sa.String(20))


def test_tracked_session_reports_creates_and_updates(app: App, tmp_path: Path) -> None:
    app.deploy(PROJECT)
    host = sa.create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    Base.metadata.create_all(host)
    sessions = sessionmaker(host)
    track(app, sessions, {HostTicket: "Ticket"})

    with sessions.begin() as session:
        session.add(HostTicket(id="h-1", Title="printer", Status="New"))
    assert app.records.get("h-1").fields == {"Title": "printer", "Status": "New"}
    assert app.runs(orchestration="T_Prior") == []

    with sessions() as session:
        ticket = session.get(HostTicket, "h-1")
        assert ticket is not None
        ticket.Status = "Open"
        session.rollback()  # nothing committed: nothing reported
    assert app.records.get("h-1").fields["Status"] == "New"

    with sessions.begin() as session:
        ticket = session.get(HostTicket, "h-1")
        assert ticket is not None
        ticket.Status = "Open"
    [run] = app.runs(orchestration="T_Prior")  # needs Prior.Status = New and Status = Open
    assert run.record_id == "h-1"
    host.dispose()
