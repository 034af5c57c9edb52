"""Writers at the same moment on PostgreSQL (READ COMMITTED, several processes): a change that
builds on what it read takes the row's lock before reading, so what another transaction
committed meanwhile is neither lost nor counted twice. Each test holds one transaction open
while a second one waits for its lock, then lets the first commit."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, select

from stageflow.app import App
from stageflow.definitions.project import find
from stageflow.engine.events import Reevaluate
from stageflow.errors import InvalidInput
from stageflow.services import auth, deployments, driver, outbox_work, workers
from stageflow.services import records as records_service
from stageflow.services.runs import load
from stageflow.services.runtime import Tx, transaction
from stageflow.store import definitions as defs_store
from stageflow.store import outbox
from stageflow.store import people as people_store
from stageflow.store import tables as t
from stageflow.store.runs import RunSummary
from tests.conftest import EXAMPLES, wait_until_a_backend_waits_for_a_lock

SERVICES = Path(__file__).parent


def _while_held(
    app: App, url: str, first: Callable[[Tx], None], second: Callable[[], object]
) -> None:
    """Run `first` in a transaction; while it is open, `second` in a thread, until it waits
    for a lock; then commit the first and let the second finish. The second must not fail."""
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            second()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    with transaction(app.rt) as tx:
        first(tx)
        waiter = threading.Thread(target=run_second)
        waiter.start()
        wait_until_a_backend_waits_for_a_lock(url)
    waiter.join(30)
    assert not waiter.is_alive()
    assert errors == []


def test_two_updates_of_one_record_keep_both_changes(pg_app: App, postgres_url: str) -> None:
    app = pg_app
    app.deploy(EXAMPLES)
    expense = app.records.create(
        "Expense", {"Title": "lunch", "Amount": 12.0, "Status": "Submitted"}
    ).id
    _while_held(
        app,
        postgres_url,  # a screen flow sets Status while someone edits Amount
        lambda tx: records_service.update_in(tx, expense, {"Status": "Approved"}, "alice"),
        lambda: app.records.update(expense, {"Amount": 99.0}),
    )
    fields = app.records.get(expense).fields
    assert (fields["Status"], fields["Amount"]) == ("Approved", 99.0)


def test_parallel_wrong_passwords_are_each_counted(pg_app: App) -> None:
    app = pg_app
    app.people.create_user("bob")
    auth.set_password(app.rt, "bob", "correct horse")
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def guess() -> None:
        start.wait()
        try:
            auth.authenticate(app.rt, "bob", "wrong guess")
            outcomes.append("let in")
        except auth.NotAuthenticated:
            outcomes.append("refused")
        except Exception as exc:  # an error instead of a refusal is a failure too
            outcomes.append(type(exc).__name__)

    guesses = [threading.Thread(target=guess) for _ in range(4)]
    for g in guesses:
        g.start()
    for g in guesses:
        g.join(30)
    with transaction(app.rt) as tx:
        counted, _locked_until = people_store.failures(tx.conn, "bob")
    assert (outcomes, counted) == (["refused"] * 4, 4)


def test_two_admins_deactivating_each_other_at_once_leave_one_of_them_active(
    pg_app: App, postgres_url: str
) -> None:
    app = pg_app
    for name in ("ann", "root"):
        app.people.create_user(name, role="admin")
    refused: list[str] = []

    def deactivate_ann(tx: Tx) -> None:  # as people.update_user does, once its check passed
        people_store.lock_role(tx.conn, "admin")
        people_store.update_user(tx.conn, "ann", active=False)

    def deactivate_root() -> None:
        try:
            app.people.update_user("root", active=False)
        except InvalidInput as exc:
            refused.append(str(exc))

    _while_held(app, postgres_url, deactivate_ann, deactivate_root)
    assert refused == [
        "[active]: user 'root' is the last active admin: make another user an admin first"
    ]
    assert [u.username for u in app.people.users() if u.active] == ["root"]


def _deploy_version_2_of_doc(tx: Tx) -> None:  # as deployments._deploy_one does
    text = "stageflow: 1\nkind: object\nname: Doc\nfields: []\n"
    defs_store.lock_versions(tx.conn, "object", "Doc")
    defs_store.add_version(tx.conn, "object", "Doc", "x" * 64, "doc2.yaml", text, tx.now,
                           "bob", True)  # fmt: skip


def test_activating_a_version_while_a_deploy_commits_leaves_one_active(
    pg_app: App,
    postgres_url: str,
) -> None:
    app = pg_app
    app.deploy(SERVICES / "trigger_project")
    _while_held(
        app,
        postgres_url,  # a deploy of version 2 of Doc, while an admin activates version 1
        _deploy_version_2_of_doc,
        lambda: deployments.set_active(app.rt, "object", "Doc", 1),
    )
    assert [v.version for v in app.versions("object", "Doc") if v.active] == [1]


def test_two_projects_deployed_at_once_both_keep_their_flow_modules(
    pg_app: App, postgres_url: str
) -> None:
    app = pg_app
    app.deploy(EXAMPLES)
    crash = find(SERVICES / "crash_project")
    _while_held(
        app,
        postgres_url,  # the end of a deploy of crash_project, while trigger_project deploys
        lambda tx: deployments._remember_modules(tx.conn, crash),
        lambda: app.deploy(SERVICES / "trigger_project"),
    )
    with transaction(app.rt) as tx:
        roots = {Path(p["root"]).name for p in defs_store.get_setting(tx.conn, "projects")}
    assert roots == {"examples", "crash_project", "trigger_project"}


def _project_with_memo(root: Path) -> Path:
    (root / "definitions").mkdir(parents=True)
    (root / "stageflow.toml").write_text('[stageflow]\ndefinitions = "definitions"\n')
    memo = "stageflow: 1\nkind: object\nname: Memo\nfields: []\n"
    (root / "definitions" / "memo.yaml").write_text(memo)
    return root


def test_the_first_version_of_a_name_deployed_twice_at_once_is_added_then_kept(
    pg_app: App, postgres_url: str, tmp_path: Path
) -> None:
    app = pg_app
    text = "stageflow: 1\nkind: object\nname: Memo\nfields: [{name: Note, type: text}]\n"

    def deploy_memo(tx: Tx) -> None:  # as deployments._deploy_one does
        defs_store.lock_versions(tx.conn, "object", "Memo")
        defs_store.add_version(tx.conn, "object", "Memo", "y" * 64, "memo.yaml", text,
                               tx.now, "bob", True)  # fmt: skip

    _while_held(app, postgres_url, deploy_memo, lambda: app.deploy(_project_with_memo(tmp_path)))
    assert [(v.version, v.active) for v in app.versions("object", "Memo")] == [
        (1, False), (2, True),
    ]  # fmt: skip


def _project(root: Path, files: dict[str, str]) -> Path:
    (root / "definitions").mkdir(parents=True)
    (root / "stageflow.toml").write_text('[stageflow]\ndefinitions = "definitions"\n')
    for file, name in files.items():
        text = f"stageflow: 1\nkind: object\nname: {name}\nfields: []\n"
        (root / "definitions" / file).write_text(text)
    return root


def test_two_projects_sharing_definitions_in_another_order_deploy_at_once(
    pg_app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_app
    one = _project(tmp_path / "one", {"a.yaml": "Memo", "b.yaml": "Note"})
    two = _project(tmp_path / "two", {"a.yaml": "Note", "b.yaml": "Memo"})
    took_one = threading.Barrier(2)
    first_lock = threading.local()
    lock_versions = defs_store.lock_versions

    def lock_then_meet(conn: Connection, kind: str, name: str) -> None:
        lock_versions(conn, kind, name)
        if not getattr(first_lock, "taken", False):
            first_lock.taken = True  # each deploy holds one lock before it asks for the next
            with contextlib.suppress(threading.BrokenBarrierError):
                took_one.wait(timeout=2)

    monkeypatch.setattr(defs_store, "lock_versions", lock_then_meet)
    errors: list[BaseException] = []

    def deploy(project: Path) -> None:
        try:
            app.deploy(project)
        except BaseException as exc:
            errors.append(exc)

    deploys = [threading.Thread(target=deploy, args=(p,)) for p in (one, two)]
    for d in deploys:
        d.start()
    for d in deploys:
        d.join(30)
    assert errors == []  # not a deadlock, which PostgreSQL would break by failing one
    assert {v.name for v in app.versions("object")} >= {"Memo", "Note"}


def test_the_first_two_projects_deployed_at_once_both_keep_their_flow_modules(
    pg_app: App, postgres_url: str
) -> None:
    app = pg_app  # no project remembered yet: no row of the setting to lock
    crash = find(SERVICES / "crash_project")
    _while_held(
        app,
        postgres_url,
        lambda tx: deployments._remember_modules(tx.conn, crash),
        lambda: app.deploy(SERVICES / "trigger_project"),
    )
    with transaction(app.rt) as tx:
        roots = {Path(p["root"]).name for p in defs_store.get_setting(tx.conn, "projects")}
    assert roots == {"crash_project", "trigger_project"}


def test_failed_logins_at_once_for_a_name_that_is_no_user_are_each_counted(
    pg_app: App, postgres_url: str
) -> None:
    app = pg_app

    def first_failure(tx: Tx) -> None:  # as authenticate does
        people_store.lock_user(tx.conn, "nobody")
        people_store.set_failures(tx.conn, "nobody", 1, None)

    def guess() -> None:
        with pytest.raises(auth.NotAuthenticated, match="wrong username or password"):
            auth.authenticate(app.rt, "nobody", "guess")

    _while_held(app, postgres_url, first_failure, guess)
    with transaction(app.rt) as tx:
        assert people_store.failures(tx.conn, "nobody")[0] == 2


def test_a_workers_heartbeat_does_not_wait_for_its_own_running_flow(pg_app: App) -> None:
    app = pg_app
    app.deploy(SERVICES / "trigger_project")
    app.records.create("Doc", {"Status": "Draft"})  # queues the triggered run's start
    workers.register(app.rt, "w1", "host", 1, 2)
    with transaction(app.rt) as tx:
        message = outbox.claim(tx.conn, "w1", tx.now, timedelta(seconds=30))
    assert message is not None
    with transaction(app.rt) as tx:  # a loop of w1 carrying the message out, mid-flow
        assert outbox.lock_claimed(tx.conn, message.id, "w1")
        beat = threading.Thread(target=workers.beat, args=(app.rt, "w1"))
        beat.start()
        beat.join(5)
        assert not beat.is_alive(), "the heartbeat waited for the flow"


def _carry_out_everything(app: App) -> None:
    while outbox_work.process_next(app.rt, "w1"):
        pass


def test_a_triggered_run_started_while_its_record_changes_sees_the_change(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver, "RECHECK_AFTER", timedelta(0))
    app = pg_app
    app.deploy(SERVICES / "trigger_project")
    doc = app.records.create("Doc", {"Status": "Draft"}).id  # queues D_Approval's start
    with transaction(app.rt) as tx:  # someone approves the doc, while a worker starts the
        records_service.update_in(tx, doc, {"Status": "Approved"}, "alice")  # run
        starter = threading.Thread(target=outbox_work.process_next, args=(app.rt, "w1"))
        starter.start()
        starter.join(10)  # it read Status=Draft; it does not wait for the approval
        assert not starter.is_alive()
    _carry_out_everything(app)
    [run] = app.runs(orchestration="D_Approval")
    assert run.status == "Completed"  # not waiting for an approval that happened


def _a_suspended_approval(app: App) -> tuple[str, RunSummary]:
    """A draft Doc and its D_Approval run, suspended."""
    app.deploy(SERVICES / "trigger_project")
    doc = app.records.create("Doc", {"Status": "Draft"}).id
    _carry_out_everything(app)
    [run] = app.runs(orchestration="D_Approval")
    app.suspend(run.id)
    return doc, run


def test_a_run_resumed_while_its_record_changes_sees_the_change(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(driver, "RECHECK_AFTER", timedelta(0))
    app = pg_app
    doc, run = _a_suspended_approval(app)
    with transaction(app.rt) as tx:  # the approval, while a supervisor resumes the run
        records_service.update_in(tx, doc, {"Status": "Approved"}, "alice")
        resumer = threading.Thread(target=app.resume, args=(run.id,))
        resumer.start()
        resumer.join(10)  # it reads Status=Draft; it does not wait for the approval
        assert not resumer.is_alive()
    _carry_out_everything(app)
    assert app.run(run.id).status == "Completed"


def _rechecks(app: App) -> list[dict[str, object]]:
    with app.rt.connect() as conn:
        found = select(t.outbox).where(t.outbox.c.kind == driver.RECHECK).order_by(t.outbox.c.id)
        return [dict(row._mapping) for row in conn.execute(found)]


def test_a_record_an_update_still_holds_is_looked_at_later_without_re_evaluating(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pg_app
    doc, run = _a_suspended_approval(app)
    with transaction(app.rt) as tx:  # an update holds the record for a long while
        records_service.update_in(tx, doc, {"Status": "Approved"}, "alice")
        resumer = threading.Thread(target=app.resume, args=(run.id,))
        resumer.start()
        resumer.join(10)
        assert not resumer.is_alive()
        [first] = _rechecks(app)  # the resume could not hold the record: a look in 1 s
        assert first["payload"]["wait"] == 1.0
        assert first["available_at"] - first["created_at"] == timedelta(seconds=1)
        log = app.run(run.id).log
        later = app.rt.now() + timedelta(seconds=5)
        monkeypatch.setattr(app.rt, "now", lambda: later)
        looker = threading.Thread(target=outbox_work.process_next, args=(app.rt, "w1"))
        looker.start()
        looker.join(10)  # the update still holds the record: nothing to re-evaluate yet
        assert not looker.is_alive()
        assert app.run(run.id).log == log  # no evaluation, no "its record changed" line
        done, second = _rechecks(app)
        assert done["status"] == outbox.DONE
        assert second["payload"]["wait"] == 2.0  # looked at again, twice as late
        assert second["available_at"] == later + timedelta(seconds=2)
    monkeypatch.setattr(app.rt, "now", lambda: later + timedelta(minutes=1))
    _carry_out_everything(app)  # the update committed: the next look re-evaluates the run
    assert app.run(run.id).status == "Completed"
    assert len(_rechecks(app)) == 2


def test_two_runs_writing_each_others_records_do_not_deadlock(pg_app: App) -> None:
    app = pg_app
    app.deploy(SERVICES / "trigger_project")
    x, y = (app.records.create("Doc", {"Status": "Draft"}).id for _ in range(2))
    _carry_out_everything(app)
    run_of = {r.record_id: r.id for r in app.runs(orchestration="D_Approval")}
    both_wrote = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []

    def complete_writing(record: str, other: str) -> None:  # as a screen flow would
        try:
            with transaction(app.rt) as tx:
                run = load(tx, run_of[record])
                records_service.update_in(tx, other, {"Status": "Draft"}, "alice")
                both_wrote.wait()
                driver.drive(tx, run, [Reevaluate(reason="a person's step")])
        except BaseException as exc:
            errors.append(exc)

    writers = [threading.Thread(target=complete_writing, args=pair) for pair in ((x, y), (y, x))]
    for w in writers:
        w.start()
    for w in writers:
        w.join(30)
    assert errors == []


def test_one_host_record_mirrored_twice_at_once_is_created_then_updated(
    pg_app: App,
    postgres_url: str,
) -> None:
    app = pg_app
    app.deploy(EXAMPLES)
    _while_held(
        app,
        postgres_url,  # the host sends "created" twice, from two of its processes
        lambda tx: records_service.record_changed_in(
            tx, "Expense", "exp-1", {"Title": "lunch", "Amount": 12.0}, None, "host"
        ),
        lambda: app.record_changed("Expense", "exp-1", {"Title": "lunch", "Amount": 14.0}),
    )
    row = app.records.get("exp-1")
    assert (row.fields["Amount"], row.version) == (14.0, 2)  # created, then updated
