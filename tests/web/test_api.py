"""The REST API used as a client would: tokens, runs, work items, records, problem details."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from stageflow.errors import Problem, StageflowError
from stageflow.web.app import create_app
from tests.web.conftest import Seeded

API = "/api/v1"


def test_a_user_starts_a_run_lists_their_work_and_completes_it(seeded: Seeded) -> None:
    c, alice = seeded.client, seeded.headers("user")
    expense = c.post(f"{API}/records/Expense", json={"values": {"Title": "Tent", "Amount": 99.5}},
                     headers=alice)  # fmt: skip
    assert expense.status_code == 201, expense.text
    started = c.post(
        f"{API}/runs",
        json={"orchestration": "Expense_Approval",
              "inputs": {"recordId": expense.json()["id"], "approver": "alice", "amount": 99.5}},
        headers=alice,
    )  # fmt: skip
    assert started.status_code == 201, started.text
    run = started.json()
    assert (run["status"], run["current_stage"], run["created_by"]) == (
        "InProgress",
        "Approval",
        "alice",
    )

    mine = c.get(f"{API}/work-items", headers=alice).json()["items"]
    approval = next(w for w in mine if w["run_id"] == run["id"])
    assert (approval["assigned_to"], approval["created_by"]) == ("user:alice", "alice")
    done = c.post(f"{API}/work-items/{approval['id']}/complete",
                  json={"outputs": {"decision": "Approved"}}, headers=alice)  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "Completed"
    got = c.get(f"{API}/runs/{run['id']}", headers=alice).json()
    assert [s["status"] for s in got["stages"]] == ["Completed", "Completed"]
    assert any(e["to_status"] == "Completed" and e["object_type"] == "run" for e in got["log"])


def test_login_with_password_gives_a_working_token_and_wrong_ones_are_throttled(
    seeded: Seeded,
) -> None:
    c = seeded.client
    good = c.post(f"{API}/tokens", json={"username": "alice", "password": "alice-password"})
    assert good.status_code == 201
    token = good.json()["token"]
    me = c.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "alice"
    for _ in range(5):
        bad = c.post(f"{API}/tokens", json={"username": "mallory", "password": "nope-nope"})
        assert bad.status_code == 401
        assert bad.headers["content-type"] == "application/problem+json"
    locked = c.post(f"{API}/tokens", json={"username": "mallory", "password": "mallory-password"})
    assert locked.status_code == 401
    assert "too many failed logins" in locked.json()["detail"]
    revoked = c.delete(
        f"{API}/tokens/{good.json()['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 204
    assert c.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_errors_are_problem_details_naming_the_field(seeded: Seeded) -> None:
    c, admin = seeded.client, seeded.headers("admin")
    bad = c.post(f"{API}/records/Case", json={"values": {"Subject": "x", "Status": "Weird"}},
                 headers=admin)  # fmt: skip
    assert bad.status_code == 422
    body = bad.json()
    assert bad.headers["content-type"] == "application/problem+json"
    assert body["status"] == 422
    assert body["errors"] == [{"field": "Status", "message": body["errors"][0]["message"]}]
    assert "not a choice of Case.Status" in body["errors"][0]["message"]
    missing = c.post(f"{API}/runs", json={"inputs": {}}, headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "orchestration"
    conflict = c.post(f"{API}/runs/{seeded.run_id}/resume", headers=admin)
    assert conflict.status_code == 409
    assert c.get(f"{API}/runs/nope", headers=admin).status_code == 404
    for action, body in (("complete", {"outputs": {}}), ("reassign", {"to": "user:alice"})):
        gone = c.post(f"{API}/work-items/nope/{action}", json=body, headers=admin)
        assert gone.status_code == 404
        assert gone.json()["errors"] == [{"field": "work_item", "message": "no work item nope"}]
    assert c.get(f"{API}/runs").status_code == 401


def test_runs_list_pages_by_keyset(seeded: Seeded) -> None:
    c, admin = seeded.client, seeded.headers("admin")
    for i in range(5):
        c.post(f"{API}/records/Case", json={"values": {"Subject": f"c{i}", "Status": "Escalated"}},
               headers=admin)  # fmt: skip
    seen: list[str] = []
    page = c.get(f"{API}/runs", params={"limit": 2}, headers=admin).json()
    while True:
        seen += [r["id"] for r in page["items"]]
        if page["next"] is None:
            break
        page = c.get(
            f"{API}/runs", params={"limit": 2, "after": page["next"]}, headers=admin
        ).json()
    assert len(seen) == len(set(seen)) == 6
    bad = c.get(f"{API}/runs", params={"after": "garbage"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "after"


def test_deploy_by_upload_validates_first(seeded: Seeded) -> None:
    c, admin = seeded.client, seeded.headers("admin")
    broken = b"stageflow: 1\nkind: orchestration\nname: Broken\ntype: autolaunched\nstages: []\n"
    refused = c.post(f"{API}/orchestrations/upload", files=[("files", ("broken.yaml", broken))],
                     headers=admin)  # fmt: skip
    assert refused.status_code == 422
    assert any(e.get("line") == 5 for e in refused.json()["errors"])
    assert {e.get("file") for e in refused.json()["errors"]} == {"broken.yaml"}  # as sent
    assert c.get(f"{API}/orchestrations/Broken/versions", headers=admin).status_code == 404
    step = b"      - {name: X, type: background, flow: Close_Case, inputs: {caseId: x}}"
    fine = broken.replace(b"Broken", b"Tiny").replace(
        b"stages: []", b"stages:\n  - name: S\n    steps:\n" + step
    )
    ok = c.post(
        f"{API}/orchestrations/upload", files=[("files", ("tiny.yaml", fine))], headers=admin
    )
    assert ok.status_code == 201, ok.text
    assert ok.json() == [{"kind": "orchestration", "name": "Tiny", "version": 1, "changed": True}]
    versions = c.get(f"{API}/orchestrations/Tiny/versions", headers=admin).json()
    assert [v["source_file"] for v in versions] == ["tiny.yaml"]


def test_a_users_record_list_holds_their_records_only_and_fills_the_page(seeded: Seeded) -> None:
    c, admin, alice = seeded.client, seeded.headers("admin"), seeded.headers("user")
    for i in range(5):  # newer records that are not alice's
        c.post(f"{API}/records/Case", json={"values": {"Subject": f"x{i}"}}, headers=admin)
    mine = c.get(f"{API}/records/Case", params={"limit": 1}, headers=alice).json()
    assert [r["id"] for r in mine] == [seeded.case_id]
    assert len(c.get(f"{API}/records/Case", headers=admin).json()) == 6


def test_an_event_id_replayed_on_someone_elses_work_item_reveals_nothing(seeded: Seeded) -> None:
    c, mallory = seeded.client, seeded.headers("other")
    expense = c.post(f"{API}/records/Expense", json={"values": {"Title": "Pen", "Amount": 2}},
                     headers=mallory).json()  # fmt: skip
    run = c.post(f"{API}/runs", headers=mallory, json={
        "orchestration": "Expense_Approval",
        "inputs": {"recordId": expense["id"], "approver": "mallory", "amount": 2},
    }).json()  # fmt: skip
    own = run["work_items"][0]["id"]
    body = {"outputs": {"decision": "Rejected"}, "event_id": "once"}
    assert c.post(f"{API}/work-items/{own}/complete", json=body, headers=mallory).status_code == 200
    again = c.post(f"{API}/work-items/{own}/complete", json=body, headers=mallory)
    assert again.status_code == 200  # a repeat: the run as it is, nothing changed
    assert again.json()["id"] == run["id"]

    # alice's work item, with mallory's event id: refused as any completion by her is
    theirs = c.post(f"{API}/work-items/{seeded.item_id}/complete", json=body, headers=mallory)
    assert theirs.status_code == 403
    assert "stages" not in theirs.json()
    # and alice's own completion reusing an id given to another run is refused, naming it
    alice = seeded.headers("user")
    reused = c.post(f"{API}/work-items/{seeded.item_id}/complete", headers=alice,
                    json={"outputs": {"priority": "High"}, "event_id": "once"})  # fmt: skip
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "event_id"
    assert seeded.app.work_item(seeded.item_id).status == "Assigned"


def test_adding_a_member_to_a_queue_through_the_groups_route_changes_nothing(
    seeded: Seeded,
) -> None:
    c, root = seeded.client, seeded.headers("admin")
    wrong = c.post(f"{API}/groups/Support_Triage/members", json={"username": "dave"}, headers=root)
    assert wrong.status_code == 404
    assert "no group 'Support_Triage'" in wrong.json()["detail"]
    [queue] = [g for g in seeded.app.people.groups("queue") if g.name == "Support_Triage"]
    assert "dave" not in queue.members
    right = c.post(f"{API}/queues/Support_Triage/members", json={"username": "dave"}, headers=root)
    assert right.status_code == 200
    assert "dave" in right.json()["members"]
    nobody = c.post(f"{API}/queues/Support_Triage/members", json={"username": "zed"}, headers=root)
    assert nobody.status_code == 404
    assert nobody.json()["errors"] == [{"field": "username", "message": "no user 'zed'"}]


def test_patching_a_records_owner_changes_it_for_its_owner_or_a_supervisor(seeded: Seeded) -> None:
    c, sue, mallory = seeded.client, seeded.headers("supervisor"), seeded.headers("other")
    case = f"{API}/records/Case/{seeded.case_id}"
    moved = c.patch(case, json={"values": {"Owner": "bob"}}, headers=sue)
    assert (moved.status_code, moved.json()["owner"]) == (200, "bob")
    assert seeded.app.records.get(seeded.case_id).owner == "bob"
    ghost = c.patch(case, json={"values": {"Owner": "ghost", "Subject": "Gone"}}, headers=sue)
    assert ghost.status_code == 422
    assert ghost.json()["errors"] == [{"field": "Owner", "message": "no user 'ghost'"}]
    assert (seeded.app.records.get(seeded.case_id).fields["Subject"]) == "Leak"  # unchanged
    new = c.post(f"{API}/records/Case", json={"values": {"Subject": "x", "Owner": "ghost"}},
                 headers=sue)  # fmt: skip
    assert (new.status_code, new.json()["errors"][0]["field"]) == (422, "Owner")
    # A user gives away a record of theirs, but takes no one else's.
    own = c.post(f"{API}/records/Case", json={"values": {"Subject": "Mine"}}, headers=mallory)
    given = c.patch(f"{API}/records/Case/{own.json()['id']}", json={"values": {"Owner": "bob"}},
                    headers=mallory)  # fmt: skip
    assert (given.status_code, given.json()["owner"]) == (200, "bob")
    alice = seeded.headers("user")  # she has work on the case, so she may change its fields
    taken = c.patch(case, json={"values": {"Owner": "alice"}}, headers=alice)
    assert taken.status_code == 403
    assert "only its owner" in taken.json()["detail"]
    assert seeded.app.records.get(seeded.case_id).owner == "bob"


def test_deploy_by_upload_refuses_a_name_that_is_no_files(seeded: Seeded) -> None:
    c, admin = seeded.client, seeded.headers("admin")
    refused = c.post(f"{API}/orchestrations/upload", files=[("files", (".", b"x: 1\n"))],
                     headers=admin)  # fmt: skip
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "files"
    assert error["message"].startswith("'.' is not a file name to deploy")


def test_an_unknown_status_filter_is_refused_naming_status(seeded: Seeded) -> None:
    c, admin = seeded.client, seeded.headers("admin")
    for url, params in (
        ("runs", {"status": "Bogus"}),
        ("work-items", {"mine": "false", "status": "assigned"}),
        ("work-items", {"status": "Bogus"}),
    ):
        bad = c.get(f"{API}/{url}", params=params, headers=admin)
        assert bad.status_code == 422, (url, params, bad.text)
        [error] = bad.json()["errors"]
        assert error["field"] == "status"
        assert f"{params['status']!r} is not a" in error["message"]
        assert "Completed" in error["message"]  # the statuses there are
    assert c.get(f"{API}/work-items", params={"status": "Completed"}, headers=admin).is_success


def test_a_user_starts_no_run_on_a_record_they_may_not_see(seeded: Seeded) -> None:
    c, mallory = seeded.client, seeded.headers("other")
    body = {"orchestration": "Case_Management", "record": seeded.case_id}
    assert c.get(f"{API}/records/Case/{seeded.case_id}", headers=mallory).status_code == 403
    refused = c.post(f"{API}/runs", json=body, headers=mallory)
    assert refused.status_code == 403, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "record"
    assert f"may not see Case {seeded.case_id}" in error["message"]
    assert "Leak" not in refused.text  # the record's subject stays hidden
    assert [r.id for r in seeded.app.runs(record=seeded.case_id)] == [seeded.run_id]
    # its owner, and a supervisor, start one on it
    for who in ("user", "supervisor"):
        started = c.post(f"{API}/runs", json=body, headers=seeded.headers(who))
        assert started.status_code == 201, started.text
        assert started.json()["name"] == "Case Management: Leak"


def test_a_user_names_no_record_they_may_not_see_in_a_runs_inputs(seeded: Seeded) -> None:
    """Expense_Approval's work item is on the record its recordId input names, for the approver
    it names: mallory cannot make alice's expense hers to see (and approve) that way."""
    c, alice, mallory = seeded.client, seeded.headers("user"), seeded.headers("other")
    theirs = c.post(f"{API}/records/Expense", json={"values": {"Title": "Tent", "Amount": 9}},
                    headers=alice).json()  # fmt: skip
    inputs = {"recordId": theirs["id"], "approver": "mallory", "amount": 9}
    body = {"orchestration": "Expense_Approval", "inputs": inputs}
    refused = c.post(f"{API}/runs", json=body, headers=mallory)
    assert refused.status_code == 403, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "inputs.recordId"
    assert f"may not see Expense {theirs['id']}" in error["message"]
    assert "Tent" not in refused.text
    assert seeded.app.runs(orchestration="Expense_Approval") == []
    assert c.get(f"{API}/records/Expense/{theirs['id']}", headers=mallory).status_code == 403
    missing = c.post(f"{API}/runs", headers=mallory, json={
        "orchestration": "Expense_Approval", "inputs": {**inputs, "recordId": "nope"}})  # fmt: skip
    assert missing.status_code == 404, missing.text
    assert missing.json()["errors"][0]["field"] == "inputs.recordId"
    # her own expense, and alice's own, start as before
    own = c.post(f"{API}/records/Expense", json={"values": {"Title": "Pen", "Amount": 2}},
                 headers=mallory).json()  # fmt: skip
    body["inputs"] = {**inputs, "recordId": own["id"]}
    assert c.post(f"{API}/runs", json=body, headers=mallory).status_code == 201
    body["inputs"] = {**inputs, "recordId": theirs["id"], "approver": "alice"}
    assert c.post(f"{API}/runs", json=body, headers=alice).status_code == 201


def test_run_actions_take_a_runs_whole_id_not_a_prefix(seeded: Seeded) -> None:
    c, sue = seeded.client, seeded.headers("supervisor")
    prefix = seeded.run_id[:3]  # the only run: its prefix is unique
    for action in ("suspend", "cancel", "reevaluate"):
        refused = c.post(f"{API}/runs/{prefix}/{action}", headers=sue)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"no run {prefix}"
    assert c.get(f"{API}/runs/{prefix}", headers=sue).status_code == 404
    assert seeded.app.run(seeded.run_id).status == "InProgress"
    done = c.post(f"{API}/runs/{seeded.run_id}/suspend", headers=sue)
    assert (done.status_code, done.json()["status"]) == (200, "Suspended")
    assert c.post(f"{API}/runs/{prefix}/resume", headers=sue).status_code == 404
    assert seeded.app.run(seeded.run_id).status == "Suspended"


def _pages(c: TestClient, path: str, headers: dict[str, str]) -> list[str]:
    """The ids of every page of a run list, one row a page."""
    seen: list[str] = []
    page = c.get(path, params={"limit": 1}, headers=headers).json()
    while page["items"]:
        seen += [r["id"] for r in page["items"]]
        if page["next"] is None:
            break
        page = c.get(path, params={"limit": 1, "after": page["next"]}, headers=headers).json()
    return seen


def test_a_user_lists_the_runs_and_records_they_have_work_in(seeded: Seeded) -> None:
    c, admin, alice = seeded.client, seeded.headers("admin"), seeded.headers("user")
    # root's escalated case: the trigger starts its run, whose triage is her queue's work
    theirs = c.post(f"{API}/records/Case", headers=admin,
                    json={"values": {"Subject": "Roof", "Status": "Escalated"}}).json()  # fmt: skip
    [their_run] = seeded.app.runs(record=theirs["id"])
    # a run she starts, where the work is bob's, and a run she has nothing to do with
    expense = c.post(f"{API}/records/Expense", json={"values": {"Title": "Pen", "Amount": 2}},
                     headers=alice).json()  # fmt: skip
    inputs = {"recordId": expense["id"], "approver": "bob", "amount": 2}
    start = {"orchestration": "Expense_Approval", "inputs": inputs}
    own = c.post(f"{API}/runs", json=start, headers=alice)
    c.post(f"{API}/runs", json=start, headers=admin)

    listed = _pages(c, f"{API}/runs", alice)
    assert listed == [own.json()["id"], their_run.id, seeded.run_id]  # newest first, each once
    cases = [r["id"] for r in c.get(f"{API}/records/Case", headers=alice).json()]
    assert cases == [theirs["id"], seeded.case_id]
    mallory = seeded.headers("other")
    assert _pages(c, f"{API}/runs", mallory) == []
    assert c.get(f"{API}/records/Case", headers=mallory).json() == []


def test_an_unknown_orchestration_is_named_by_the_field_sent(seeded: Seeded) -> None:
    c, alice = seeded.client, seeded.headers("user")
    unknown = c.post(f"{API}/runs", json={"orchestration": "Nope"}, headers=alice)
    assert unknown.status_code == 404
    assert unknown.json()["errors"] == [
        {"field": "orchestration", "message": "no active orchestration named 'Nope'"}
    ]


def test_a_long_subject_names_the_record_cut_and_a_long_name_is_refused(seeded: Seeded) -> None:
    c, alice = seeded.client, seeded.headers("user")
    values = {"Subject": "x" * 300, "Status": "New"}
    made = c.post(f"{API}/records/Case", json={"values": values}, headers=alice)
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "x" * 254 + "…"
    assert made.json()["fields"]["Subject"] == "x" * 300
    named = c.post(f"{API}/records/Case", json={"values": {**values, "Name": "n" * 256}},
                   headers=alice)  # fmt: skip
    assert named.status_code == 422
    assert named.json()["errors"] == [
        {"field": "Name", "message": "Name is at most 255 characters, got 256"}
    ]


def test_the_openapi_document_describes_errors_as_problem_details(seeded: Seeded) -> None:
    doc = seeded.client.get(f"{API}/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def problem_schema(path: str, method: str, status: str) -> dict[str, Any]:
        content = doc["paths"][path][method]["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], (path, status)
        ref = content["application/problem+json"]["schema"]["$ref"]
        found: dict[str, Any] = schemas[ref.rsplit("/", 1)[-1]]
        return found

    problem = problem_schema(f"{API}/runs", "post", "422")
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    item_ref = problem["properties"]["errors"]["items"]["$ref"]
    assert {"field", "message"} <= set(schemas[item_ref.rsplit("/", 1)[-1]]["properties"])
    for status in ("401", "403", "404", "409", "422"):
        assert problem_schema(f"{API}/runs/{{run_id}}/cancel", "post", status) == problem
    assert "HTTPValidationError" not in schemas  # FastAPI's shape, which the API never sends
    # and what the API sends is what the document says
    sent = seeded.client.post(f"{API}/runs", json={}, headers=seeded.headers("user"))
    assert sent.headers["content-type"] == "application/problem+json"
    assert set(sent.json()) <= set(problem["properties"])


def test_an_error_of_no_kind_of_its_own_answers_a_status_every_route_lists(
    seeded: Seeded,
) -> None:
    """A plain StageflowError (a loop of starts, a trigger loop) answered 400, which the
    OpenAPI document lists for no route."""
    web = create_app(seeded.app)

    def refuse() -> None:
        raise StageflowError(Problem("runs started from flows nest too deep", field="inputs"))

    web.add_api_route(f"{API}/refuse", refuse, methods=["POST"])
    with TestClient(web) as client:
        refused = client.post(f"{API}/refuse")
        doc = client.get(f"{API}/openapi.json").json()
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"field": "inputs", "message": "runs started from flows nest too deep"}
    ]
    listed = {
        (path, method): set(operation["responses"])
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        if path != f"{API}/refuse"
    }
    assert len(listed) >= 20
    assert [where for where, statuses in listed.items() if "422" not in statuses] == []


def test_a_user_with_an_unusable_email_address_is_refused_naming_the_field(
    seeded: Seeded,
) -> None:
    c, root = seeded.client, seeded.headers("admin")
    body = {"username": "eve", "email": "eve@example.com\nBcc: mallory@evil.com"}
    refused = c.post(f"{API}/users", json=body, headers=root)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "email",
            "message": "'eve@example.com\\nBcc: mallory@evil.com' is not a usable email address: "
            "it contains a line break",
        }
    ]
    assert "eve" not in {u.username for u in seeded.app.people.users()}


def test_a_user_without_an_address_shows_none(seeded: Seeded) -> None:
    c, root = seeded.client, seeded.headers("admin")
    created = c.post(f"{API}/users", json={"username": "gus"}, headers=root)
    assert created.status_code == 201
    assert created.json()["email"] is None
    listed = {u["username"]: u["email"] for u in c.get(f"{API}/users", headers=root).json()}
    assert listed["gus"] is None
    assert listed["alice"] == "alice@example.com"


def test_an_admin_changes_a_user_and_a_bad_change_names_the_field(seeded: Seeded) -> None:
    c, root = seeded.client, seeded.headers("admin")
    changed = c.patch(f"{API}/users/alice", json={"name": "Alice Liddell", "email": "",
                                                  "role": "supervisor"}, headers=root)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"username": "alice", "name": "Alice Liddell", "email": None,
                              "role": "supervisor", "active": True}  # fmt: skip
    listed = {u["username"]: u for u in c.get(f"{API}/users", headers=root).json()}
    assert listed["alice"] == changed.json()
    for body, status, field, message in [
        ({"role": "boss"}, 422, "role", "'boss' is not a role (admin, supervisor, user)"),
        ({"name": " "}, 422, "name", "a user's name cannot be blank"),
        ({"active": "maybe"}, 422, "active", "Input should be a valid boolean"),
        ({"nickname": "Al"}, 422, "nickname", "Extra inputs are not permitted"),
        ({"role": "user"}, 404, "username", "no user 'alicia'"),  # the path names no user
    ]:
        who = "alicia" if status == 404 else "alice"
        refused = c.patch(f"{API}/users/{who}", json=body, headers=root)
        assert refused.status_code == status, body
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["errors"][0]["field"] == field
        assert refused.json()["errors"][0]["message"].startswith(message), refused.text
    assert c.get(f"{API}/users", headers=root).json() == list(listed.values())


def test_a_user_deactivated_through_the_api_cannot_use_their_token_until_activated(
    seeded: Seeded,
) -> None:
    c, root, alice = seeded.client, seeded.headers("admin"), seeded.headers("user")
    gone = c.patch(f"{API}/users/alice", json={"active": False}, headers=root)
    assert gone.json()["active"] is False
    refused = c.get(f"{API}/me", headers=alice)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the token's user is inactive"
    assert c.patch(f"{API}/users/alice", json={"active": True}, headers=root).status_code == 200
    assert c.get(f"{API}/me", headers=alice).json()["username"] == "alice"
    last = c.patch(f"{API}/users/root", json={"role": "user"}, headers=root)
    assert last.status_code == 422
    assert last.json()["errors"] == [
        {"field": "role",
         "message": "user 'root' is the last active admin: make another user an admin first"}
    ]  # fmt: skip


def test_a_work_item_for_a_user_deactivated_through_the_api_waits_for_activate_and_resume(
    seeded: Seeded,
) -> None:
    c, root = seeded.client, seeded.headers("admin")
    expense = c.post(f"{API}/records/Expense", json={"values": {"Title": "Tent", "Amount": 9.5}},
                     headers=root).json()["id"]  # fmt: skip
    assert c.patch(f"{API}/users/dave", json={"active": False}, headers=root).status_code == 200
    started = c.post(f"{API}/runs", json={"orchestration": "Expense_Approval", "inputs": {
        "recordId": expense, "approver": "dave", "amount": 9.5}}, headers=root).json()  # fmt: skip
    step = started["stages"][0]["steps"][0]
    assert (started["status"], step["status"]) == ("Error", "Error")
    assert step["error"]["message"] == (
        "interactive step 'Manager_Approval' is assigned to user:dave, who is inactive: "
        "activate that user, then resume the run"
    )
    assert c.patch(f"{API}/users/dave", json={"active": True}, headers=root).status_code == 200
    resumed = c.post(f"{API}/runs/{started['id']}/resume", headers=root)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "InProgress"
    assert [(w["status"], w["assigned_to"]) for w in resumed.json()["work_items"]] == [
        ("Canceled", "user:dave"),
        ("Assigned", "user:dave"),
    ]


def test_a_member_removed_from_a_queue_no_longer_sees_its_work_items(seeded: Seeded) -> None:
    c, root, alice = seeded.client, seeded.headers("admin"), seeded.headers("user")
    seeded.app.reassign_work_item(seeded.item_id, "queue:Support_Triage", by="sue")
    mine = c.get(f"{API}/work-items", headers=alice).json()["items"]
    assert seeded.item_id in [w["id"] for w in mine]
    removed = c.delete(f"{API}/queues/Support_Triage/members/alice", headers=root)
    assert removed.status_code == 200, removed.text
    assert removed.json()["members"] == []
    mine = c.get(f"{API}/work-items", headers=alice).json()["items"]
    assert seeded.item_id not in [w["id"] for w in mine]
    for path, field, message in [
        ("/queues/Support_Triage/members/alice", "username",
         "'alice' is not a member of queue 'Support_Triage'"),
        ("/groups/Support_Triage/members/alice", "group", "no group 'Support_Triage'"),
        ("/groups/Roof_Technicians/members/zed", "username", "no user 'zed'"),
    ]:  # fmt: skip
        refused = c.delete(API + path, headers=root)
        assert refused.status_code == 404, path
        assert refused.json()["errors"] == [{"field": field, "message": message}]
    groups = {g["name"]: g["members"] for g in c.get(f"{API}/groups", headers=root).json()}
    assert groups["Roof_Technicians"] == ["bob"]
