"""Values given on the command line are stored as the same values sent through REST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import stageflow
from stageflow.cli.main import main
from stageflow.cli.state import parse_value
from stageflow.definitions.model import DataType

PROJECT = Path(__file__).parents[1] / "flows" / "project"


@pytest.fixture
def db(sqlite_url: str) -> str:
    app = stageflow.connect(sqlite_url)
    app.deploy(PROJECT)
    app.people.create_user("alice")
    app.close()
    return sqlite_url


def _cli(db: str, *args: str) -> None:
    assert main(["--db", db, *args]) == 0


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0044", "0044"),  # YAML 1.1 read octal 36
        ("12:30", "12:30"),  # YAML 1.1 read base 60: 750
        ("2024-01-05", "2024-01-05"),  # YAML read a date object
        ("yes", "yes"),
        ("42", 42),
        ("-4.5", -4.5),
        ("1e3", 1000.0),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 2]", [1, 2]),
        ('{"a": "b"}', {"a": "b"}),
        ("[a, b]", "[a, b]"),  # not JSON: text
        ("NaN", "NaN"),
        ("1e999", "1e999"),
        ("", ""),
    ],
)
def test_a_value_of_unknown_type_follows_json_rules(text: str, value: Any) -> None:
    assert parse_value(text) == value
    assert type(parse_value(text)) is type(value)


def test_record_fields_are_parsed_by_their_declared_types(db: str) -> None:
    _cli(
        db, "records", "create", "Ticket", "--set", "Title=0044", "--set", "Stage=12:30",
        "--set", "Size=12", "--set", "Due=2024-01-05", "--set", "Seen=2024-01-05T10:00:00",
    )  # fmt: skip
    app = stageflow.connect(db)
    [ticket] = app.records.list("Ticket")
    assert ticket.fields == {
        "Title": "0044",
        "Stage": "12:30",
        "Size": 12,
        "Due": "2024-01-05",
        "Seen": "2024-01-05T10:00:00",
    }
    _cli(db, "records", "update", ticket.id, "--set", "Title=12345", "--set", "Size=2.5")
    fields = app.records.get(ticket.id).fields
    assert (fields["Title"], fields["Size"]) == ("12345", 2.5)  # text stays text, as in REST
    app.close()


def test_a_number_field_given_text_is_refused_naming_the_field(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db, "records", "create", "Ticket", "--set", "Size=0044"]) == 2
    assert "[Size]: Ticket.Size is number, got '0044'" in capsys.readouterr().err


def test_run_inputs_and_work_item_outputs_are_parsed_by_their_declared_types(db: str) -> None:
    _cli(db, "run", "start", "Triage_Work", "--input", "ticket=0044")  # no such ticket: Error
    app = stageflow.connect(db)
    ticket = app.records.create("Ticket", {"Title": "t"}).id
    _cli(db, "run", "start", "Date_Screen_Run", "--record", ticket)
    started = app.runs(orchestration="Triage_Work")[0]
    assert app.run(started.id).inputs == {"ticket": "0044"}
    [item] = app.work_items(user="alice")
    _cli(
        db, "work-items", "complete", item.id, "--as", "alice",
        "--output", "due=2024-01-05", "--output", "anything=12:30",
    )  # fmt: skip
    [step] = app.run(item.run_id).stages[0].steps
    assert step.outputs == {"due": "2024-01-05", "anything": "12:30"}
    app.close()


def test_text_types_keep_the_text_as_typed() -> None:
    assert parse_value("true", DataType.TEXT) == "true"
    assert parse_value("null", DataType.PICKLIST) == "null"
    assert parse_value("2024-01-05", DataType.DATE) == "2024-01-05"
    assert parse_value("null", DataType.DATE) is None
    assert parse_value("7", DataType.NUMBER) == 7
