"""Every broken project in tests/data/invalid is refused by `validate` and by `deploy`.

Each case folder is a small complete project (stageflow.toml, a flows module, definitions/)
with exactly one kind of mistake. Its expected.txt names where the error must point:
`<file relative to the case>:<line>:<field substring>`; an empty field means the problem has
no field (a YAML syntax error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import stageflow
from stageflow.cli.main import main
from tests.conftest import EXAMPLES, ROOT

CORPUS = ROOT / "tests" / "data" / "invalid"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "stageflow.toml").is_file())

# `file:line [field]: message` or, for problems without a field, `file:line: message`
_WITH_FIELD = re.compile(r"(\S+):(\d+) \[(\S+)\]: ")
_WITHOUT_FIELD = re.compile(r"(\S+):(\d+): ")


@dataclass(frozen=True)
class Expected:
    file: str
    line: int
    field: str

    @classmethod
    def of(cls, case: Path) -> Expected:
        file, line, field = (case / "expected.txt").read_text(encoding="utf-8").strip().split(":")
        return cls(file, int(line), field)

    def found_in(self, stderr: str) -> bool:
        text = " ".join(stderr.split())  # the console wraps long lines at spaces
        if not self.field:
            return any(
                (f, int(n)) == (self.file, self.line) for f, n in _WITHOUT_FIELD.findall(text)
            )
        return any(
            (f, int(n)) == (self.file, self.line) and self.field in field
            for f, n, field in _WITH_FIELD.findall(text)
        )


def test_the_corpus_has_enough_cases() -> None:
    assert len(CASES) >= 12
    for case in CASES:
        expected = Expected.of(case)
        assert (case / expected.file).is_file(), f"{case.name}: expected.txt names a missing file"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'corpus.db'}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_validate_names_file_line_and_field(
    case: Path, db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)  # files are shown relative to the working folder
    expected = Expected.of(case)

    code = main(["--db", db, "validate", str(case)])

    err = capsys.readouterr().err
    assert code != 0
    assert expected.found_in(err), f"{case.name}: want {expected} in:\n{err}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_deploy_refuses_and_writes_nothing(
    case: Path, db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    expected = Expected.of(case)

    code = main(["--db", db, "deploy", str(case)])

    err = capsys.readouterr().err
    assert code != 0
    assert expected.found_in(err), f"{case.name}: want {expected} in:\n{err}"
    app = stageflow.connect(db)
    try:
        assert app.versions() == []
    finally:
        app.close()


def test_a_valid_project_deploys_through_the_same_command(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The control: the command that refuses the corpus does deploy a valid folder."""
    assert main(["--db", db, "validate", str(EXAMPLES)]) == 0
    assert main(["--db", db, "deploy", str(EXAMPLES)]) == 0
    assert capsys.readouterr().err == ""
    app = stageflow.connect(db)
    try:
        names = {v.name for v in app.versions()}
    finally:
        app.close()
    assert {"Case_Management", "Expense_Approval", "Close_Case"} <= names
