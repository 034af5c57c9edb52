"""A user completes a two-screen flow in the Work Guide; the run moves to its next stage."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Console, login


def test_user_completes_a_two_screen_flow_from_the_work_items_list(
    console: Console, page: Any
) -> None:
    case = console.app.records.create("Case", {
        "Subject": "Water in the attic", "Status": "Escalated", "Category": "Roof",
        "Contact_Email": "pat@example.com",
    })  # fmt: skip
    [run] = console.app.runs(record=case.id)
    login(page, console, "alice")
    assert "My open work items" in page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("link", name="Triage Case").first.click()
    page.wait_for_url(f"**/records/Case/{case.id}")
    guide = page.get_by_role("complementary", name="Work Guide")
    assert "Triage Case" in guide.inner_text()
    assert f"Read case {case.id}" in guide.inner_text()  # display text with a merge field

    # First try: 0 affected units breaks the validation rule.
    guide.get_by_label("Priority").select_option("High")
    guide.get_by_label("Affected units").fill("0")
    guide.get_by_role("button", name="Next").click()
    guide = page.get_by_role("complementary", name="Work Guide")
    error = guide.locator("#f-affected_units-error")
    assert error.inner_text() == "At least one unit is affected."
    assert guide.get_by_label("Priority").input_value() == "High"  # what was typed is kept
    assert guide.get_by_label("Affected units").input_value() == "0"

    guide.get_by_label("Affected units").fill("3")
    guide.get_by_role("button", name="Next").click()
    guide = page.get_by_role("complementary", name="Work Guide")
    assert "Priority High for 3 unit(s)." in guide.inner_text()
    guide.get_by_label("Comments for the team").fill("Roof over two flats, one shop")
    guide.get_by_role("button", name="Finish").click()

    page.wait_for_url(f"**/records/Case/{case.id}?flash=*")
    assert "Triage Case: done" in page.get_by_role("status").inner_text()
    view = console.app.run(run.id)
    assert view.current_stage == "Customer_QA_Survey"
    assert view.stages[0].steps[0].outputs == {
        "priority": "High",
        "comments": "Roof over two flats, one shop",
    }
    assert console.app.records.get(case.id).fields["Priority"] == "High"
    progress = page.get_by_label(f"Stages of {view.name}")
    assert "current" in (
        progress.locator("[data-stage=Customer_QA_Survey]").get_attribute("class") or ""
    )
    guide = page.get_by_role("complementary", name="Work Guide")
    assert "No work for you here." in guide.inner_text()  # alice has no review work
