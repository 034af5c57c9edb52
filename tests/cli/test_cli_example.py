"""The example run driven with the CLI only, each command a new process, as a new user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT


class Cli:
    def __init__(self, db: str, cwd: Path) -> None:
        self.db = db
        self.cwd = cwd

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "COLUMNS": "250", "STAGEFLOW_DATABASE_URL": self.db}
        done = subprocess.run(
            [sys.executable, "-m", "stageflow", *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.cwd,
            env=env,
            check=False,
        )
        if ok:
            assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
        return done

    def settle(self) -> None:
        """On PostgreSQL asynchronous steps wait for a worker (on SQLite the CLI runs them)."""
        if not self.db.startswith("sqlite"):
            self("worker", "--until-idle")


def _id_after(label: str, text: str) -> str:
    found = re.search(label + r"\s+([0-9a-z-]+)", text)
    assert found, f"no {label!r} in:\n{text}"
    return found.group(1)


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path)


@pytest.mark.slow
def test_cli_drives_the_example_to_completed_and_shows_its_timeline(cli: Cli) -> None:
    deployed = cli("deploy", str(EXAMPLES))
    assert "Case_Management" in deployed.stdout
    assert "new version" in deployed.stdout
    cli("users", "create", "alice")
    cli("users", "create", "bob")
    cli("queues", "create", "Support_Triage", "--member", "alice")
    cli("groups", "create", "Roof_Technicians", "--member", "bob")
    cli("groups", "create", "Electricians", "--member", "bob")
    # Creating an escalated Case starts the record-triggered Case_Management run.
    case = cli(
        "records", "create", "Case", "--set", "Subject=Leaking roof", "--set", "Status=Escalated",
        "--set", "Category=Roof", "--set", "Contact_Email=pat@example.com",
    )  # fmt: skip
    case_id = _id_after("Case", case.stdout)
    if cli.db.startswith("sqlite"):
        assert "Runs on this record" in case.stdout  # the embedded worker started it already
    cli.settle()
    runs = cli("runs", "list", "--record", case_id).stdout
    run_id = _id_after("│", runs)
    assert "Case Management: Leaking roof" in runs

    listed = cli("work-items", "list", "--user", "alice")
    item = _id_after("│", listed.stdout)
    assert "queue:Support_Triage" in listed.stdout
    cli("work-items", "complete", item, "--as", "alice", "--output", "priority=High")

    listed = cli("work-items", "list", "--user", "bob")
    assert "Technical Roof Review" in listed.stdout
    review = _id_after("│", listed.stdout)
    cli("work-items", "complete", review, "--as", "bob", "--output", "comments=sound roof")
    if not cli.db.startswith("sqlite"):
        assert "InProgress" in cli("runs", "show", run_id).stdout
    cli.settle()

    shown = cli("runs", "show", run_id)
    assert re.search(r"Case Management: Leaking roof\s+Completed", shown.stdout)
    assert "Timeline" in shown.stdout
    for line in ("Get_Customer_Email", "Notify_Customer", "Close_Case", "outcome Needs_Survey"):
        assert line in shown.stdout
    assert '"survey_id"' in shown.stdout  # the async step's outputs
    runs = cli("runs", "list", "--status", "Completed")
    assert run_id in runs.stdout


@pytest.mark.slow
def test_cli_failing_flow_shows_traceback_and_resume_finishes(cli: Cli) -> None:
    cli("deploy", str(EXAMPLES))
    cli("users", "create", "alice")
    cli("queues", "create", "Support_Triage", "--member", "alice")
    cli("groups", "create", "Roof_Technicians", "--member", "alice")
    cli("groups", "create", "Electricians", "--member", "alice")
    case = cli("records", "create", "Case", "--set", "Subject=No email", "--set", "Category=Roof")
    case_id = _id_after("Case", case.stdout)
    # A Case that is not escalated starts nothing; a supervisor may start one by hand (ext).
    assert "Runs on this record" not in case.stdout
    run_id = _id_after("id", cli("run", "start", "Case_Management", "-r", case_id).stdout)
    item = _id_after("│", cli("work-items", "list", "--user", "alice").stdout)
    cli("work-items", "complete", item, "--as", "alice", "--output", "priority=Medium")

    shown = cli("runs", "show", run_id).stdout
    assert re.search(r"Case Management: No email\s+Error", shown)
    assert "Traceback (most recent call last)" in shown
    assert "has no Contact_Email" in shown
    assert "supervisor actions now: cancel, resume" in shown

    refused = cli("work-items", "complete", item, "--as", "alice", ok=False)
    assert refused.returncode == 4
    assert "only an Assigned work item can be completed" in refused.stderr

    cli("records", "update", case_id, "--set", "Contact_Email=pat@example.com")
    resumed = cli("runs", "resume", run_id)
    assert "InProgress" in resumed.stdout
    review = _id_after("│", cli("work-items", "list", "--user", "alice").stdout)
    cli("work-items", "complete", review, "--as", "alice", "--output", "comments=ok")
    cli.settle()
    assert re.search(r"No email\s+Completed", cli("runs", "show", run_id).stdout)


def test_cli_errors_name_the_problem_and_exit_non_zero(cli: Cli) -> None:
    bad = cli("run", "start", "Nope", ok=False)
    assert bad.returncode == 3
    assert "no active orchestration named 'Nope'" in bad.stderr
    cli("deploy", str(EXAMPLES))
    wrong = cli("records", "create", "Case", "--set", "Status=Weird", ok=False)
    assert wrong.returncode == 2
    assert "[Status]" in wrong.stderr
    assert "[Subject]" in wrong.stderr  # every problem, not just the first


def test_init_creates_a_project_that_deploys_and_runs(cli: Cli, tmp_path: Path) -> None:
    project = tmp_path / "hello"
    cli("init", str(project))
    cli("validate", str(project))
    cli("deploy", str(project))
    started = cli("run", "start", "Hello", "--input", "name=World")
    run_id = _id_after("id", started.stdout)
    assert "Hello, World!" in cli("runs", "show", run_id).stdout
    again = cli("init", str(project), ok=False)
    assert again.returncode != 0
    assert "exists already" in again.stderr


def test_readme_names_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme
    assert "make test" in readme


def test_cli_a_queue_member_takes_a_queue_item(cli: Cli) -> None:
    cli("deploy", str(EXAMPLES))
    cli("users", "create", "alice")
    cli("queues", "create", "Support_Triage", "--member", "alice")
    case = cli("records", "create", "Case", "--set", "Subject=Mine now", "--set", "Category=Roof")
    cli("run", "start", "Case_Management", "-r", _id_after("Case", case.stdout))
    listed = cli("work-items", "list", "--user", "alice").stdout
    item = _id_after("│", listed)
    assert "queue:Support_Triage" in listed
    assert (
        f"work item {item} taken by alice"
        in cli("work-items", "accept", item, "--as", "alice").stdout
    )
    assert "user:alice" in cli("work-items", "list", "--user", "alice").stdout
    again = cli("work-items", "accept", item, "--as", "alice", ok=False)
    assert again.returncode == 4
    assert "not to a group or queue" in again.stderr
