"""Records through the service layer: values are checked against the object, then kept as
JSON keeps them (what the same values sent as text become)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from stageflow.app import App
from stageflow.errors import InvalidInput, NotFound

SEEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_dates_and_decimals_are_kept_as_iso_text_and_numbers(flows_app: App) -> None:
    app = flows_app
    created = app.records.create("Ticket", {"Title": "t", "Due": date(2030, 1, 1)})
    assert created.fields["Due"] == "2030-01-01"
    updated = app.records.update(created.id, {"Seen": SEEN, "Size": Decimal("2.5")})
    assert (updated.fields["Seen"], updated.fields["Size"]) == ("2030-01-02T03:04:05+00:00", 2.5)
    mirrored = app.record_changed("Ticket", "HOST-1", {"Title": "h", "Due": date(2030, 2, 1)})
    assert app.records.get(mirrored.id).fields["Due"] == "2030-02-01"


def test_a_date_input_and_a_flow_writing_a_date_run_to_completion(flows_app: App) -> None:
    app = flows_app
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    run = app.start("Due_Setter", {"ticket": ticket, "due": date(2030, 1, 1)})
    assert run.status == "Completed"
    assert run.inputs["due"] == "2030-01-01"
    assert app.records.get(ticket).fields["Due"] == "2030-01-02"  # the flow's date object


def test_a_value_of_the_wrong_type_is_refused_naming_its_field(flows_app: App) -> None:
    with pytest.raises(InvalidInput) as refused:
        flows_app.records.create("Ticket", {"Title": "t", "Due": {1, 2}})
    assert refused.value.problems[0].field == "Due"


def test_a_host_records_owner_change_is_kept_and_an_unknown_owner_refused(
    flows_app: App,
) -> None:
    app = flows_app
    for name in ("alice", "bob"):
        app.people.create_user(name)
    app.record_changed("Ticket", "HOST-2", {"Title": "h", "Owner": "alice"})
    moved = app.record_changed("Ticket", "HOST-2", {"Owner": "bob"}, prior={"Owner": "alice"})
    assert (moved.owner, app.records.get("HOST-2").owner) == ("bob", "bob")
    with pytest.raises(InvalidInput) as refused:
        app.record_changed("Ticket", "HOST-3", {"Title": "h", "Owner": "nobody-here"})
    assert refused.value.problems[0].field == "Owner"
    with pytest.raises(NotFound):  # nothing mirrored
        app.records.get("HOST-3")


NAME_LENGTH = 255  # the records table's name column


def test_a_long_subject_makes_a_record_name_cut_to_its_column(example_app: App) -> None:
    app = example_app
    created = app.records.create("Case", {"Subject": "x" * 300, "Status": "New"}, by="b" * 200)
    assert created.name == "x" * (NAME_LENGTH - 1) + "…"
    assert created.fields["Subject"] == "x" * 300  # the field itself is kept whole
    assert created.created_by == "b" * 149 + "…"
    mirrored = app.record_changed("Case", "HOST-1", {"Subject": "z" * 300})
    assert mirrored.name == "z" * (NAME_LENGTH - 1) + "…"
    changed = app.record_changed("Case", "HOST-1", {"Subject": "y" * 400}, prior={})
    assert changed.name == "y" * (NAME_LENGTH - 1) + "…"


def test_a_name_longer_than_its_column_is_refused_naming_it(example_app: App) -> None:
    app = example_app
    long = "n" * (NAME_LENGTH + 1)
    with pytest.raises(InvalidInput) as refused:
        app.records.create("Case", {"Subject": "s", "Name": long})
    assert [p.field for p in refused.value.problems] == ["Name"]
    assert "at most 255 characters" in str(refused.value)
    assert app.records.list("Case") == []
    kept = app.records.create("Case", {"Subject": "s", "Name": "n" * NAME_LENGTH})
    with pytest.raises(InvalidInput) as again:
        app.records.update(kept.id, {"Name": long})
    assert [p.field for p in again.value.problems] == ["Name"]
    with pytest.raises(InvalidInput):
        app.record_changed("Case", "HOST-2", {"Subject": "s", "Name": long})
    assert app.records.get(kept.id).name == "n" * NAME_LENGTH


def test_a_host_records_id_or_object_longer_than_its_column_is_refused(example_app: App) -> None:
    app = example_app
    with pytest.raises(InvalidInput) as refused:
        app.record_changed("Case", "H" * 41, {"Subject": "s"})
    assert [p.field for p in refused.value.problems] == ["id"]
    with pytest.raises(InvalidInput) as unknown:
        app.record_changed("O" * 81, "HOST-3", {"Subject": "s"})
    assert [p.field for p in unknown.value.problems] == ["object"]
    assert app.records.list("Case") == []
