"""Console pages through HTTP: who sees what, setup for admins, deploy errors shown inline."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import Seeded


def _login(c: TestClient, username: str) -> str:
    form = c.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf
    done = c.post("/login", data={"username": username, "password": f"{username}-password",
                                  "csrf_token": csrf.group(1)}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    page = c.get("/work-items").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    return token.group(1)


def test_a_user_cannot_see_or_complete_another_users_work_item(seeded: Seeded) -> None:
    c = seeded.client
    _login(c, "mallory")
    assert "Triage Case" not in c.get("/work-items").text
    record = c.get(f"/records/Case/{seeded.case_id}")
    assert record.status_code == 403
    assert "may not see" in record.text
    run = c.get(f"/runs/{seeded.run_id}")
    assert run.status_code == 403
    assert c.get("/work-items?view=all").text.count("data-item=") == 0  # no "everyone" view
    # Even a hand-made request is refused, and the work item stays open.
    api = c.post(f"/api/v1/work-items/{seeded.item_id}/complete",
                 json={"outputs": {"priority": "Low"}},
                 headers={"Authorization": f"Bearer {seeded.tokens['other']}"})  # fmt: skip
    assert api.status_code == 403
    assert seeded.app.work_item(seeded.item_id).status == "Assigned"


def test_the_owner_sees_the_record_page_with_the_work_guide(seeded: Seeded) -> None:
    c = seeded.client
    _login(c, "alice")
    page = c.get(f"/records/_/{seeded.case_id}", follow_redirects=True)
    assert page.url.path == f"/records/Case/{seeded.case_id}"
    assert "Work Guide" in page.text
    assert "Triage Case" in page.text
    assert "Leak" in page.text


def test_a_queue_member_takes_a_queue_item_from_the_list(seeded: Seeded) -> None:
    seeded.app.reassign_work_item(seeded.item_id, "queue:Support_Triage", by="sue")
    c = seeded.client
    csrf = _login(c, "alice")
    listed = c.get("/work-items").text
    assert f'action="/work-items/{seeded.item_id}/accept"' in listed
    taken = c.post(f"/work-items/{seeded.item_id}/accept", data={"csrf_token": csrf})
    assert "is yours now" in taken.text
    row = re.search(rf'<tr data-item="{seeded.item_id}">.*?</tr>', taken.text, re.S)
    assert row is not None
    assert "user:alice" in row.group(0)
    assert "Take it" not in row.group(0)
    assert seeded.app.work_item(seeded.item_id).assignee == "alice"


def test_supervisor_lists_everyones_work_and_reassigns(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "sue")
    listed = c.get("/work-items?view=all")
    assert f'data-item="{seeded.item_id}"' in listed.text
    moved = c.post(f"/work-items/{seeded.item_id}/reassign", data={"to": "user:bob",
                   "csrf_token": csrf}, follow_redirects=True)  # fmt: skip
    assert "reassigned to user:bob" in moved.text
    assert seeded.app.work_item(seeded.item_id).assigned_to == "user:bob"
    assert c.get("/setup/orchestrations").status_code == 403  # setup is for admins


def test_admin_setup_shows_versions_and_deploy_errors_inline(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "root")
    listed = c.get("/setup/orchestrations")
    assert "Case_Management" in listed.text
    detail = c.get("/setup/orchestration/Case_Management")
    assert "Customer QA Survey" in detail.text  # the diagram
    assert "✓ active" in detail.text
    broken = b"stageflow: 1\nkind: orchestration\nname: Broken\ntype: autolaunched\nstages: []\n"
    refused = c.post("/setup/deploy", files=[("files", ("broken.yaml", broken))],
                     data={"csrf_token": csrf})  # fmt: skip
    assert refused.status_code == 422
    assert "Nothing was deployed" in refused.text
    assert "broken.yaml:5 [stages]" in refused.text
    assert seeded.app.versions("orchestration", "Broken") == []


def test_a_page_cursor_edited_into_nonsense_shows_the_first_page(seeded: Seeded) -> None:
    import base64
    import json

    def cursor(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps([value, "a"]).encode()).decode()

    c = seeded.client
    _login(c, "sue")
    for page in (
        f"/runs?after={cursor('xyz')}",
        f"/runs?sort=name&after={cursor({'a': 1})}",
        f"/work-items?view=all&after={cursor('2024-01-01T00:00:00')}",  # no time zone
        "/work-items?after=not-base64!",
    ):
        shown = c.get(page)
        assert shown.status_code == 200, page
    assert "Triage Case" in c.get(f"/work-items?view=all&after={cursor(7)}").text


def test_my_work_items_filtered_by_orchestration_page_after_the_filter(seeded: Seeded) -> None:
    app = seeded.app
    for i in range(26):  # a page and more of newer Expense_Approval work, all alice's
        expense = app.records.create("Expense", {"Title": f"e{i}", "Amount": 10.0 + i}).id
        app.start("Expense_Approval", {"recordId": expense, "approver": "alice", "amount": 1})
    c = seeded.client
    _login(c, "alice")
    cases = c.get("/work-items?orchestration=Case_Management")
    assert f'data-item="{seeded.item_id}"' in cases.text  # her older queue item is not lost
    expenses = c.get("/work-items?orchestration=Expense_Approval")
    assert expenses.text.count("data-item=") == 25
    nxt = re.search(r'href="\?([^"]*after=[^"]+)">Next page', expenses.text)
    assert nxt, "a full page of matches has a Next link"
    rest = c.get("/work-items?" + nxt.group(1).replace("&amp;", "&"))
    assert rest.text.count("data-item=") == 1
    assert f'data-item="{seeded.item_id}"' not in rest.text


def test_setup_upload_names_files_as_the_api_does_and_refuses_bad_names(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "root")
    step = b"      - {name: X, type: background, flow: Close_Case, inputs: {caseId: x}}\n"
    tiny = b"stageflow: 1\nkind: orchestration\nname: Tiny\ntype: autolaunched\nstages:\n"
    tiny += b"  - name: S\n    steps:\n" + step
    done = c.post("/setup/deploy", files=[("files", ("tiny", tiny))], data={"csrf_token": csrf})
    assert "deployed Tiny v1" in done.text  # `.yaml` added to a name without it
    assert seeded.app.versions("orchestration", "Tiny")[0].source_file == "tiny.yaml"
    for bad in ("..", "."):
        refused = c.post("/setup/deploy", files=[("files", (bad, tiny.replace(b"Tiny", b"Bad")))],
                         data={"csrf_token": csrf})  # fmt: skip
        assert refused.status_code == 422, bad
        assert f"<li>[files]: {bad!r} is not a file name to deploy" in unescape(refused.text)
        assert "Nothing was deployed" in refused.text
    assert seeded.app.versions("orchestration", "Bad") == []


def _guide_form(c: TestClient, case_id: str) -> tuple[str, str]:
    """The Work Guide's form on a record page: its action and its sealed state."""
    page = c.get(f"/records/Case/{case_id}")
    assert page.headers["cache-control"] == "no-store"  # not shown again by Back after logout
    action = re.search(r'<form method="post" action="(/records/Case/[^"]+/work/[^"]+)"', page.text)
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert action, page.text
    assert state, page.text
    return action.group(1), state.group(1)


def test_a_work_guide_state_finishes_only_the_work_item_it_was_shown_for(seeded: Seeded) -> None:
    """A state copied from one work item's form, posted for another item, is refused: its
    variables (the record id among them) would write to the first item's record."""
    app, c = seeded.app, seeded.client
    other_case = app.records.create("Case", {"Subject": "Draft", "Status": "Escalated",
                                             "Category": "Roof", "Owner": "alice"}).id  # fmt: skip
    [other_item] = app.work_items(run=app.runs(record=other_case)[0].id)
    csrf = _login(c, "alice")
    _, first_state = _guide_form(c, seeded.case_id)
    second_action, _ = _guide_form(c, other_case)
    assert second_action.endswith(other_item.id)
    posted = c.post(second_action, data={"csrf_token": csrf, "state": first_state,
                                         "action": "next", "priority": "High",
                                         "affected_units": "2"})  # fmt: skip
    assert posted.status_code == 422
    assert "the screen flow state was changed or is not from this server" in unescape(posted.text)
    assert app.work_item(other_item.id).status == "Assigned"
    assert app.work_item(seeded.item_id).status == "Assigned"


def test_the_guide_submits_next_on_enter_and_links_other_items_from_anywhere(
    seeded: Seeded,
) -> None:
    app, c = seeded.app, seeded.client
    app.start("Case_Management", record=seeded.case_id)  # a second item on the same record
    _login(c, "alice")
    page = c.get(f"/records/Case/{seeded.case_id}").text
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', page)
    assert buttons[0] in ("next", "finish")  # the first submit button is what Enter presses
    links = re.findall(r'href="([^"]*\?item=[^"]+)"', page)
    assert links
    assert all(link.startswith(f"/records/Case/{seeded.case_id}?item=") for link in links)


def test_the_run_pages_buttons_take_a_runs_whole_id_not_a_prefix(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "sue")
    prefix = seeded.run_id[:3]
    done = c.post(f"/runs/{prefix}/suspend", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert "no%20run" in done.headers["location"]  # the flash says so
    assert seeded.app.run(seeded.run_id).status == "InProgress"


def test_a_users_runs_list_holds_the_runs_they_have_work_in(seeded: Seeded) -> None:
    c = seeded.client
    _login(c, "alice")  # the case's run was started by its trigger; its triage is her queue's
    assert f'data-run="{seeded.run_id}"' in c.get("/runs").text
    _login(c, "mallory")
    assert "data-run=" not in c.get("/runs").text


def test_a_refused_finish_keeps_what_was_typed(seeded: Seeded) -> None:
    c = seeded.client
    csrf = _login(c, "alice")
    action, state = _guide_form(c, seeded.case_id)
    assessed = c.post(action, data={"csrf_token": csrf, "state": state, "action": "next",
                                    "priority": "High", "affected_units": "2"})  # fmt: skip
    state2 = re.search(r'name="state" value="([^"]+)"', assessed.text)
    assert state2, assessed.text
    seeded.app.suspend(seeded.run_id, by="sue")
    refused = c.post(action, data={"csrf_token": csrf, "state": state2.group(1),
                                   "action": "finish", "comments": "keep me"})  # fmt: skip
    assert refused.status_code == 409
    assert "is Suspended" in unescape(refused.text)
    assert ">keep me</textarea>" in refused.text  # still there, to finish after the resume


def test_bad_console_input_is_a_page_naming_the_field_and_setup_names_the_kind_asked(
    seeded: Seeded,
) -> None:
    c = seeded.client
    csrf = _login(c, "root")
    bad = c.post("/setup/orchestration/Case_Management/activate",
                 data={"csrf_token": csrf, "version": "abc"})  # fmt: skip
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("text/html")
    assert "[version]: Input should be a valid integer" in unescape(bad.text)
    unknown = c.get("/setup/bogus/Case_Management")
    assert unknown.status_code == 404
    assert "no setup page for 'bogus'" in unescape(unknown.text)
    assert c.get("/setup/orchestrations").status_code == 200  # the plural still works


def test_a_work_item_whose_screen_flow_was_deactivated_leaves_the_record_page_whole(
    seeded: Seeded,
) -> None:
    app, c = seeded.app, seeded.client
    app.deactivate("orchestration", "Case_Management")  # its runs go on; then its screen flow
    app.deactivate("screen_flow", "Triage_Case_Screen")
    _login(c, "alice")
    page = c.get(f"/records/Case/{seeded.case_id}")
    assert page.status_code == 200
    assert "Leak" in page.text  # the record and its runs are still shown
    assert "This work item cannot be opened: screen flow 'Triage_Case_Screen'" in unescape(
        page.text
    )


def test_setup_people_shows_a_user_without_an_address_as_none(seeded: Seeded) -> None:
    seeded.app.people.create_user("gus", "Gus Grey")
    c = seeded.client
    _login(c, "root")
    page = c.get("/setup/people").text
    [row] = [r for r in page.split("<tr>") if "<td>gus</td>" in r]
    assert "none: gets no emails" in row
    assert "localhost" not in row
    assert "None" not in row
    assert "alice@example.com" in page


def _form(html: str) -> tuple[str, str]:
    action = re.search(r'<form method="post" action="(/records/[^"]+/work/[^"]+)"', html)
    state = re.search(r'name="state" value="([^"]+)"', html)
    assert action, html
    assert state, html
    return unescape(action.group(1)), state.group(1)


def test_a_record_whose_host_id_holds_a_slash_and_a_hash_is_worked_on_its_page(
    seeded: Seeded,
) -> None:
    app, c = seeded.app, seeded.client
    values = {"Subject": "Gutter", "Status": "Escalated", "Category": "Roof", "Owner": "alice"}
    app.record_changed("Case", "CASE/7#1", values)  # starts Case_Management: triage for alice
    [item] = app.work_items(run=app.runs(record="CASE/7#1")[0].id)
    csrf = _login(c, "alice")
    quoted = "/records/Case/CASE%2F7%231"
    assert 'href="/records/_/CASE%2F7%231"' in c.get("/work-items").text
    moved = c.get("/records/_/CASE%2F7%231", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, quoted)
    page = c.get(quoted)
    assert page.status_code == 200
    assert "Gutter" in page.text
    action, state = _form(page.text)
    assert action == f"{quoted}/work/{item.id}"
    summary = c.post(action, data={"csrf_token": csrf, "state": state, "action": "next",
                                   "priority": "High", "affected_units": "2"})  # fmt: skip
    assert summary.status_code == 200, summary.text
    action, state = _form(summary.text)
    assert action == f"{quoted}/work/{item.id}"
    done = c.post(action, data={"csrf_token": csrf, "state": state, "action": "finish"},
                  follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"{quoted}?flash=")
    assert app.work_item(item.id).status == "Completed"


def test_an_email_link_to_a_quoted_record_id_lands_on_its_page_after_login(
    seeded: Seeded,
) -> None:
    app, c = seeded.app, seeded.client
    values = {"Subject": "Gutter", "Status": "Escalated", "Category": "Roof", "Owner": "alice"}
    for host_id, quoted in (("CASE/7#1", "CASE%2F7%231"), ("PO#12", "PO%2312")):
        app.record_changed("Case", host_id, values)
        c.cookies.clear()
        to_login = c.get(f"/records/Case/{quoted}", follow_redirects=False)
        assert to_login.status_code == 303
        form = c.get(to_login.headers["location"]).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        next_page = re.search(r'name="next" value="([^"]+)"', form)
        assert csrf
        assert next_page
        landed = c.post("/login", data={"username": "alice", "password": "alice-password",
                                        "csrf_token": csrf.group(1),
                                        "next": unescape(next_page.group(1))})  # fmt: skip
        assert landed.status_code == 200
        assert landed.url.path == f"/records/Case/{host_id}"  # httpx shows the path decoded
        assert "Gutter" in landed.text
        assert "Triage Case" in landed.text


def test_the_record_page_shows_lists_and_checkboxes_as_a_form_does(
    seeded: Seeded, tmp_path: Path
) -> None:
    folder = tmp_path / "gadget"
    folder.mkdir()
    (folder / "gadget.yaml").write_text(
        "stageflow: 1\nkind: object\nname: Gadget\nfields:\n"
        "  - {name: Tags, type: multi_select, choices: [x, y, z]}\n"
        "  - {name: Ok, type: checkbox}\n"
    )
    seeded.app.deploy(folder)
    gadget = seeded.app.records.create("Gadget", {"Tags": ["x", "z"], "Ok": True, "Owner": "alice"})
    _login(seeded.client, "alice")
    page = seeded.client.get(f"/records/Gadget/{gadget.id}").text
    assert '<dd data-field="Tags">x, z</dd>' in page  # not ['x', 'z']
    assert '<dd data-field="Ok">true</dd>' in page  # not True


def test_the_record_page_lists_only_the_runs_on_it_that_the_viewer_may_open(
    seeded: Seeded,
) -> None:
    app, case = seeded.app, seeded.case_id
    other = app.start("Case_Management", record=case, by="sue")
    app.reassign_work_item(other.work_items[0].id, "user:bob", by="sue")
    app.people.set_password("bob", "bob-password")
    assert {r.id for r in app.runs(record=case)} == {seeded.run_id, other.id}
    c = seeded.client
    for who, sees, not_shown in (("alice", seeded.run_id, other.id),
                                 ("bob", other.id, seeded.run_id)):  # fmt: skip
        _login(c, who)
        page = c.get(f"/records/Case/{case}").text
        assert f'href="/runs/{sees}"' in page, who
        assert f'href="/runs/{not_shown}"' not in page, who
        assert c.get(f"/runs/{not_shown}").status_code == 403
    _login(c, "sue")  # a supervisor sees every run
    page = c.get(f"/records/Case/{case}").text
    assert f'href="/runs/{seeded.run_id}"' in page
    assert f'href="/runs/{other.id}"' in page
