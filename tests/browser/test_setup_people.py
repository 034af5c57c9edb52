"""An admin on Setup · People: makes a user inactive, and changes a group's members."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Console, login


def test_admin_deactivates_a_user_and_changes_a_groups_members(console: Console, page: Any) -> None:
    login(page, console, "root")
    page.get_by_role("link", name="Setup").click()
    page.get_by_role("link", name="People").click()
    page.wait_for_url("**/setup/people")

    bob = page.locator("tr[data-user='bob']")
    bob.get_by_text("Edit").click()  # the row's form opens in place
    bob.get_by_label("Active").uncheck()
    bob.get_by_role("button", name="Save bob").click()
    page.wait_for_url("**/setup/people?flash=*")
    assert "user bob saved (user, inactive" in page.get_by_role("status").inner_text()
    assert page.locator("tr[data-user='bob'] td").nth(4).inner_text() == "no"
    assert [u.active for u in console.app.people.users() if u.username == "bob"] == [False]

    electricians = page.locator("tr[data-group='Electricians']")
    electricians.get_by_label("User to add to Electricians").select_option("alice")
    electricians.get_by_role("button", name="Add to Electricians").click()
    page.wait_for_url("**/setup/people?flash=*")
    assert "alice added to group Electricians" in page.get_by_role("status").inner_text()
    electricians = page.locator("tr[data-group='Electricians']")
    electricians.get_by_role("button", name="Remove carol from Electricians").click()
    page.wait_for_url("**/setup/people?flash=*")
    assert "carol removed from group Electricians" in page.get_by_role("status").inner_text()
    members = page.locator("tr[data-group='Electricians'] ul.members").inner_text()
    assert "alice" in members
    assert "carol" not in members
    groups = {g.name: g.members for g in console.app.people.groups("group")}
    assert groups["Electricians"] == ("alice",)

    # A refused form comes back with the reason and what was typed.
    add = page.get_by_role("region", name="Add a user")
    add.get_by_label("Username").fill("eve")
    add.get_by_label("Email").fill("eve at example.com")
    add.get_by_role("button", name="Add user").click()
    alert = page.get_by_role("alert")
    assert "[email]: 'eve at example.com' is not a usable email address" in alert.inner_text()
    assert page.get_by_role("region", name="Add a user").get_by_label("Username").input_value() == (
        "eve"
    )
    assert "eve" not in {u.username for u in console.app.people.users()}
