"""A supervisor in the console: cancel from the Runs list; debug a failed run and resume it."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Console, login


def _case(console: Console, subject: str, **values: object) -> str:
    fields: dict[str, object] = {"Subject": subject, "Status": "Escalated", "Category": "Roof"}
    fields.update(values)
    return console.app.records.create("Case", fields).id


def test_supervisor_cancels_a_run_from_the_runs_list(console: Console, page: Any) -> None:
    case = _case(console, "Duplicate report", Contact_Email="kim@example.com")
    [run] = console.app.runs(record=case)
    login(page, console, "sue")
    page.get_by_role("link", name="Orchestration Runs").click()
    row = page.locator(f"tr[data-run='{run.id}']")
    assert "InProgress" in row.inner_text()
    row.get_by_role("button", name=f"Cancel {run.name}").click()
    page.wait_for_url(f"**/runs/{run.id}**")
    heading = page.get_by_role("heading", level=1)
    assert "Canceled" in heading.inner_text()
    triage = page.locator("#step-Triage_Case")
    assert "Canceled" in triage.inner_text()
    assert "Work item" in triage.inner_text()
    [item] = console.app.run(run.id).work_items
    assert item.status.value == "Canceled"
    assert page.get_by_role("button", name="Cancel").count() == 0  # nothing left to cancel


def test_supervisor_sees_the_traceback_of_a_failed_run_and_resumes_it(
    console: Console, page: Any
) -> None:
    case = _case(console, "No email on file")  # Get_Customer_Email will raise
    [run] = console.app.runs(record=case)
    item = console.app.run(run.id).work_items[0]
    console.app.complete_work_item(item.id, "alice", {"priority": "High"})
    assert console.app.run(run.id).status == "Error"
    login(page, console, "sue")
    page.get_by_role("link", name="Orchestration Runs").click()
    page.get_by_label("Status").select_option("Error")
    page.get_by_role("button", name="Filter").click()  # htmx swaps the list in place
    page.wait_for_url("**/runs?status=Error**")
    assert page.locator("tr[data-run]").count() == 1
    page.get_by_role("link", name=run.name).click()
    step = page.locator("#step-Get_Customer_Email")
    assert "has no Contact_Email" in step.inner_text()
    traceback = step.locator("pre")
    assert "Traceback (most recent call last)" in traceback.inner_text()
    assert "example_flows.py" in traceback.inner_text()
    console.app.records.update(case, {"Contact_Email": "pat@example.com"})  # the cause is fixed
    page.get_by_role("button", name="Resume").click()
    page.wait_for_url(f"**/runs/{run.id}**")
    assert "InProgress" in page.get_by_role("heading", level=1).inner_text()
    assert "Completed" in page.locator("#step-Get_Customer_Email").inner_text()
    assert console.app.run(run.id).status == "InProgress"
