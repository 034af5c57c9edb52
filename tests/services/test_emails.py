"""Work item emails, sent to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

import stageflow
from stageflow.app import App
from stageflow.services import mail
from stageflow.services.notifications import message_id
from stageflow.settings import SmtpSettings
from stageflow.store import tables as t
from tests.conftest import EXAMPLES

BASE_URL = "https://stageflow.example.com"
PROJECT = Path(__file__).parent / "email_project"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it is given; refuses recipients named in `refuse`."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    on_rcpt: Callable[[str], None] | None = None  # runs while the email is being handed over

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, _: Any
    ) -> str:
        if self.on_rcpt is not None:
            self.on_rcpt(address)
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """An SMTP server on a free loopback port that a test can start late."""

    def __init__(self, **options: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.inbox = Inbox()
        self.options = options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="smtp.test",
            **self.options,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()  # offers SMTPUTF8 (aiosmtpd's Controller does by default)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ascii_smtp() -> Iterator[SmtpServer]:
    """A server without SMTPUTF8: it takes addresses and headers in ASCII only."""
    server = SmtpServer(enable_SMTPUTF8=False)
    server.start()
    yield server
    server.stop()


def _people(app: App) -> None:
    for username in ("alice", "bob", "carol", "dave", "eve", "frank"):
        app.people.create_user(username, username.title(), f"{username}@example.com")
    app.people.create_queue("Support_Triage", ["alice", "carol"], label="Support Triage")
    app.people.create_group("Roof_Technicians", ["bob", "frank"], label="Roof Technicians")
    app.people.create_group("Electricians", ["carol"])


def _mail_app(db_url: str, server: SmtpServer, **settings: Any) -> App:
    app = stageflow.connect(db_url, embedded_worker=True)
    smtp_settings = SmtpSettings(host="127.0.0.1", port=server.port, sender="flows@example.com")
    chosen: dict[str, Any] = {"emails_enabled": True, "templates": None, **settings}
    app.rt.settings = replace(app.rt.settings, base_url=BASE_URL, smtp=smtp_settings, **chosen)
    app.deploy(EXAMPLES)
    _people(app)
    return app


@pytest.fixture
def mail_app(db_url: str, smtp: SmtpServer) -> Iterator[App]:
    app = _mail_app(db_url, smtp)
    yield app
    app.close()


def _case(app: App, **values: object) -> str:
    base: dict[str, object] = {"Subject": "Leaking roof", "Status": "New", "Category": "Roof"}
    base.update(values)
    return app.records.create("Case", base).id


def _outbox(app: App) -> list[tuple[str, str, int]]:
    with app.rt.engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.outbox.c.key, t.outbox.c.status, t.outbox.c.attempts)
            .where(t.outbox.c.kind == "email")
            .order_by(t.outbox.c.id)
        )
        return [(r.key, r.status, r.attempts) for r in rows]


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _html(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_a_user_assignee_gets_one_email_with_a_link_to_the_record(
    mail_app: App, smtp: SmtpServer
) -> None:
    app = mail_app
    expense = app.records.create("Expense", {"Name": "Ladder for the depot", "Amount": 249.0,
                                             "Title": "Ladder"})  # fmt: skip
    run = app.start("Expense_Approval", {"recordId": expense.id, "approver": "dave", "amount": 249})
    [msg] = smtp.inbox.messages
    assert smtp.inbox.envelopes == [("flows@example.com", ["dave@example.com"])]
    assert msg["To"] == "dave@example.com"
    assert msg["From"] == "flows@example.com"
    assert msg["Subject"] == "New work item: Approve Expense (Ladder for the depot)"
    [item] = app.work_items(user="dave")
    assert msg["Message-ID"] == message_id(f"email:{item.id}:0:dave")
    text = _text(msg)
    assert "Hello Dave," in text
    assert '"Approve Expense"' in text
    assert "Record: Ladder for the depot" in text
    assert f"Orchestration run: {run.name}" in text
    assert f"{BASE_URL}/records/Expense/{expense.id}" in text
    assert f'href="{BASE_URL}/records/Expense/{expense.id}"' in _html(msg)
    assert _outbox(app) == [(f"email:{item.id}:0:dave", "done", 1)]


@pytest.mark.parametrize(
    ("host_id", "in_link"), [("PO#12", "PO%2312"), ("INV/2024/17", "INV%2F2024%2F17")]
)
def test_the_record_link_quotes_a_host_id(
    mail_app: App, smtp: SmtpServer, host_id: str, in_link: str
) -> None:
    app = mail_app
    app.record_changed("Expense", host_id, {"Title": "Ladder", "Amount": 10})
    app.start("Expense_Approval", {"recordId": host_id, "approver": "dave", "amount": 10})
    [msg] = smtp.inbox.messages
    assert f"{BASE_URL}/records/Expense/{in_link}" in _text(msg).splitlines()
    assert f'href="{BASE_URL}/records/Expense/{in_link}"' in _html(msg)


def test_each_member_of_a_queue_and_of_a_group_gets_an_email(
    mail_app: App, smtp: SmtpServer
) -> None:
    app = mail_app
    case_id = _case(app, Contact_Email="pat@example.com")
    app.start("Case_Management", record=case_id)
    assert sorted(m["To"] for m in smtp.inbox.messages) == [
        "alice@example.com",
        "carol@example.com",
    ]
    link = f"{BASE_URL}/records/Case/{case_id}"
    for msg in smtp.inbox.messages:
        assert msg["Subject"] == "New work item: Triage Case (Leaking roof)"
        assert "assigned to your queue Support Triage" in _text(msg)
        assert link in _text(msg)

    [triage] = app.work_items(user="alice")
    app.complete_work_item(triage.id, "alice", {"priority": "High"})
    roof = smtp.inbox.messages[2:]
    assert sorted(m["To"] for m in roof) == ["bob@example.com", "frank@example.com"]
    for msg in roof:
        assert msg["Subject"] == "New work item: Technical Roof Review (Leaking roof)"
        assert "your group Roof Technicians" in _text(msg)
        assert link in _text(msg)
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == 4


def test_a_reassigned_work_item_emails_the_new_assignee(mail_app: App, smtp: SmtpServer) -> None:
    app = mail_app
    case_id = _case(app)
    run = app.start("Case_Management", record=case_id)
    item = run.work_items[0]
    app.reassign_work_item(item.id, "user:eve", by="sue")  # sent before the call returns
    [msg] = smtp.inbox.to("eve@example.com")
    assert msg["Subject"] == "Reassigned work item: Triage Case (Leaking roof)"
    assert '"Triage Case" has been reassigned to you' in _text(msg)
    assert f"{BASE_URL}/records/Case/{case_id}" in _text(msg)
    # Back to the queue: its members hear of it again, with new Message-IDs.
    app.reassign_work_item(item.id, "queue:Support_Triage", by="sue")
    assert len(smtp.inbox.to("alice@example.com")) == 2
    assert len(smtp.inbox.messages) == 5
    assert len({m["Message-ID"] for m in smtp.inbox.messages}) == 5


def test_inactive_members_get_no_email(mail_app: App, smtp: SmtpServer) -> None:
    app = mail_app
    with app.rt.engine.begin() as conn:
        conn.execute(sa.update(t.users).where(t.users.c.username == "carol").values(active=False))
    app.start("Case_Management", record=_case(app))
    assert [m["To"] for m in smtp.inbox.messages] == ["alice@example.com"]


def test_a_user_without_an_address_gets_no_email(mail_app: App, smtp: SmtpServer) -> None:
    app = mail_app
    app.people.create_user("gus", "Gus")  # no address given
    _expense_for(app, "gus")
    assert smtp.inbox.messages == []
    assert _outbox(app) == []


def test_a_step_sends_none_or_its_own_subject_and_body(db_url: str, smtp: SmtpServer) -> None:
    app = _mail_app(db_url, smtp)
    try:
        app.deploy(PROJECT)
        memo = app.records.create("Memo", {"Title": "Holiday plan"})
        inputs = {"recordId": memo.id, "note": "by Friday, please"}
        run = app.start("Memo_Review", inputs, record=memo.id)
        assert {w.name for w in run.work_items} == {"Quiet Review", "Custom Review"}
        [msg] = smtp.inbox.messages  # none for the quiet step
        assert msg["To"] == "bob@example.com"
        assert msg["Subject"] == f"Please review Holiday plan ({run.name})"
        text = _text(msg)
        assert "A note from the author: by Friday, please" in text
        assert f"{BASE_URL}/records/Memo/{memo.id}" in text  # the link is always there
        assert "A note from the author: by Friday, please" in _html(msg)
    finally:
        app.close()


def test_no_email_when_emails_are_turned_off(db_url: str, smtp: SmtpServer) -> None:
    app = _mail_app(db_url, smtp, emails_enabled=False)
    try:
        run = app.start("Case_Management", record=_case(app))
        app.reassign_work_item(run.work_items[0].id, "user:eve")
        app.drain()
        assert smtp.inbox.messages == []
        assert _outbox(app) == []
    finally:
        app.close()


def test_deployer_templates_override_the_built_in_ones(
    db_url: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    (tmp_path / "work_item_assigned.subject.txt").write_text(
        "[Acme] {{ work_item.name }} for {{ recipient.name }}\n"
    )
    app = _mail_app(db_url, smtp, templates=tmp_path)
    try:
        app.start("Case_Management", record=_case(app))
        subjects = sorted(m["Subject"] for m in smtp.inbox.messages)
        assert subjects == ["[Acme] Triage Case for Alice", "[Acme] Triage Case for Carol"]
        assert "You have a new work item" in _text(smtp.inbox.messages[0])  # built-in body
    finally:
        app.close()


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        pytest.param(b"{{ oops(", "TemplateSyntaxError", id="syntax"),
        pytest.param(b'Hello {{ recipient.name }}, {{ "%d" % run.name }}', "TypeError", id="type"),
        pytest.param(b"Bonjour {{ recipient.name }}, du travail \xe9", "UnicodeDecodeError",
                     id="latin-1"),
    ],
)  # fmt: skip
def test_a_broken_override_falls_back_to_the_built_in_template(
    db_url: str,
    smtp: SmtpServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    broken: bytes,
    error: str,
) -> None:
    (tmp_path / "work_item_assigned.txt").write_bytes(broken)
    (tmp_path / "work_item_assigned.subject.txt").write_text("[Acme] {{ work_item.name }}")
    app = _mail_app(db_url, smtp, templates=tmp_path)
    try:
        run = app.start("Case_Management", record=_case(app))
        assert run.status == "InProgress"
        assert len(smtp.inbox.messages) == 2
        assert "You have a new work item" in _text(smtp.inbox.messages[0])  # built-in body
        assert smtp.inbox.messages[0]["Subject"] == "[Acme] Triage Case"  # the good override
        failed = [r for r in caplog.records if "using the built-in one" in r.getMessage()]
        assert failed
        assert failed[0].exc_info is not None
        assert type(failed[0].exc_info[1]).__name__ == error
    finally:
        app.close()


def test_emails_wait_while_the_server_is_down_and_arrive_once_when_it_is_up(
    db_url: str,
) -> None:
    server = SmtpServer()  # not started: connections to its port are refused
    app = _mail_app(db_url, server)
    app.rt.retry_base = timedelta(milliseconds=50)
    try:
        case_id = _case(app)
        app.start("Case_Management", record=case_id)
        _expense_for(app, "eve")
        app.drain()
        queued = _outbox(app)
        assert len(queued) == 3  # alice and carol (the queue), then eve
        assert all(status == "ready" and attempts >= 1 for _, status, attempts in queued)
        time.sleep(0.15)
        app.drain()  # still down: tried again, still waiting
        assert all(status == "ready" for _, status, _ in _outbox(app))

        server.start()
        try:
            deadline = time.monotonic() + 10
            while any(s != "done" for _, s, _ in _outbox(app)) and time.monotonic() < deadline:
                time.sleep(0.1)
                app.drain()
            time.sleep(0.3)
            app.drain()  # nothing left to send: no second copy
            got = server.inbox.messages
            assert sorted(m["To"] for m in got) == [
                "alice@example.com",
                "carol@example.com",
                "eve@example.com",
            ]
            assert len({m["Message-ID"] for m in got}) == 3
            cases = [m for m in got if m["To"] != "eve@example.com"]
            assert all(f"{BASE_URL}/records/Case/{case_id}" in _text(m) for m in cases)
            assert [s for _, s, _ in _outbox(app)] == ["done"] * 3
        finally:
            server.stop()
    finally:
        app.close()


def test_an_email_that_waited_is_not_sent_once_its_work_item_is_canceled(
    mail_app: App, smtp: SmtpServer
) -> None:
    app = mail_app
    app.rt.embedded_worker = False  # the emails wait, as for a server down or no worker running
    expense = app.records.create("Expense", {"Title": "Ladder", "Amount": 10.0})
    run = app.start("Expense_Approval", {"recordId": expense.id, "approver": "dave", "amount": 10})
    [item] = run.work_items
    app.reassign_work_item(item.id, "user:bob")
    app.cancel(run.id)
    assert app.drain() == 2  # dave's "New", bob's "Reassigned"
    assert smtp.inbox.messages == []
    canceled = ("done", f"stale: work item {item.id} is Canceled now")
    assert [(s, error) for s, _, _, error in _email_rows(app)] == [canceled, canceled]


def test_only_the_current_assignment_of_a_work_item_is_emailed_once_a_worker_sends(
    mail_app: App, smtp: SmtpServer
) -> None:
    app = mail_app
    app.rt.embedded_worker = False  # the emails wait, as for a worker that is not running
    run = app.start("Case_Management", record=_case(app))  # to the queue: alice and carol
    [item] = run.work_items
    app.reassign_work_item(item.id, "user:dave")
    app.reassign_work_item(item.id, "user:eve")
    app.reassign_work_item(item.id, "user:dave")  # dave again: his first email is old news
    app.reassign_work_item(item.id, "user:dave")  # to the same user: nothing new to tell
    assert app.drain() == 5
    [msg] = smtp.inbox.messages
    assert msg["To"] == "dave@example.com"
    assert msg["Subject"] == "Reassigned work item: Triage Case (Leaking roof)"
    assert msg["Message-ID"] == message_id(f"email:{item.id}:3:dave")
    assert [s for s, _, _, _ in _email_rows(app)] == ["done"] * 5
    errors = [error for _, _, _, error in _email_rows(app)]
    reassigned = f"stale: work item {item.id} was reassigned to user:dave"
    assert errors == [
        reassigned,  # alice
        reassigned,  # carol
        f"stale: work item {item.id} was reassigned again since (a later email tells of it)",
        f"stale: work item {item.id} was reassigned to user:dave",  # eve
        None,
    ]


def test_a_reassignment_committed_while_the_email_is_handed_over_stops_it(
    postgres_url: str, smtp: SmtpServer
) -> None:
    """The check before sending was a plain read: a reassignment committing during the SMTP
    conversation let the email go out. A last look before its final "." now sees it. (On
    SQLite the email is sent under the database's write lock: a reassignment waits for it.)"""
    app = _mail_app(postgres_url, smtp)
    app.rt.embedded_worker = False
    try:
        expense = app.records.create("Expense", {"Title": "Ladder", "Amount": 10.0})
        run = app.start("Expense_Approval", {"recordId": expense.id, "approver": "dave",
                                             "amount": 10})  # fmt: skip
        [item] = run.work_items

        def reassign(address: str) -> None:  # in another transaction, while dave's is sent
            if address == "dave@example.com":
                app.reassign_work_item(item.id, "user:bob")

        smtp.inbox.on_rcpt = reassign
        assert app.drain() == 2  # dave's, then bob's that the reassignment queued
        assert [m["To"] for m in smtp.inbox.messages] == ["bob@example.com"]
        assert [(s, error) for s, _, _, error in _email_rows(app)] == [
            ("done", f"stale: work item {item.id} was reassigned to user:bob"),
            ("done", None),
        ]
    finally:
        app.close()


def test_the_last_look_drops_an_email_before_its_end_and_lines_keep_their_dots(
    smtp: SmtpServer,
) -> None:
    """The client sends DATA itself, to look last before the final ".": the server must get
    the same bytes as smtplib sent (a line's leading "." doubled, CRLF line ends)."""
    settings = SmtpSettings(host="127.0.0.1", port=smtp.port, sender="flows@example.com")
    text = "first\n.\n..two dots\r\nlast."
    email = mail.Email("dave@example.com", "Dots", text, "<dots@stageflow>")
    looks: list[str] = []

    def stale() -> str:
        looks.append(f"{len(smtp.inbox.envelopes)} received")
        return "work item X was reassigned to user:bob"

    assert mail.send(settings, email, stale) == mail.Withheld(stale())
    assert looks[0] == "0 received"  # looked at while the server had it all but the end
    assert smtp.inbox.messages == []  # and it dropped it
    assert mail.send(settings, email) is None  # the server still takes the next one
    [msg] = smtp.inbox.messages
    assert _text(msg).replace("\r\n", "\n") == "first\n.\n..two dots\nlast.\n"


def test_a_recipient_refused_for_good_is_not_retried(db_url: str, smtp: SmtpServer) -> None:
    smtp.inbox.refuse = {"carol@example.com"}
    app = _mail_app(db_url, smtp)
    app.rt.retry_base = timedelta(milliseconds=10)
    try:
        app.start("Case_Management", record=_case(app))
        time.sleep(0.05)
        app.drain()
        assert [m["To"] for m in smtp.inbox.messages] == ["alice@example.com"]
        statuses = {key.rsplit(":", 1)[1]: status for key, status, _ in _outbox(app)}
        assert statuses == {"alice": "done", "carol": "failed"}
    finally:
        app.close()


def _email_rows(app: App) -> list[tuple[str, int, int, str | None]]:
    """Each email's status, tries, give-backs and last error."""
    o = t.outbox.c
    with app.rt.engine.connect() as conn:
        rows = conn.execute(
            sa.select(o.status, o.attempts, o.give_backs, o.last_error)
            .where(o.kind == "email")
            .order_by(o.id)
        )
        return [(r.status, r.attempts, r.give_backs, r.last_error) for r in rows]


def _expense_for(app: App, approver: str) -> None:
    expense = app.records.create("Expense", {"Title": "Pens", "Amount": 3.0})
    run = app.start("Expense_Approval", {"recordId": expense.id, "approver": approver, "amount": 3})
    assert run.status == "InProgress"


@pytest.mark.parametrize(
    ("address", "why"),
    [
        pytest.param("dave@example.com\nBcc: mallory@evil.com", "contains a line break",
                     id="header"),
        pytest.param("dave@example.com, mallory@evil.com", "is not one bare address", id="list"),
    ],
)  # fmt: skip
def test_an_unusable_address_already_stored_fails_its_email_for_good(
    db_url: str, smtp: SmtpServer, address: str, why: str
) -> None:
    app = _mail_app(db_url, smtp)
    app.rt.retry_base = timedelta(milliseconds=10)
    try:  # stored before addresses were checked
        with app.rt.engine.begin() as conn:
            conn.execute(
                sa.update(t.users).where(t.users.c.username == "dave").values(email=address)
            )
        _expense_for(app, "dave")  # the embedded worker's failure does not reach the caller
        time.sleep(0.05)
        app.drain()
        assert smtp.inbox.messages == []
        [(status, attempts, give_backs, error)] = _email_rows(app)
        assert (status, attempts, give_backs) == ("failed", 1, 0)
        assert error.startswith(f"recipient {address!r} cannot be used: it {why}")
        # the run's supervisor sees that the approver was not told
        [run] = app.runs(orchestration="Expense_Approval")
        [line] = [e for e in app.run(run.id).log if e.detail.startswith("Email to dave")]
        assert (line.actor, line.object_type) == ("system", "run")
        assert line.detail.endswith(f"not sent, for good: {error}")
        assert f"about work item {run.id}-1 " in line.detail
    finally:
        app.close()


@pytest.mark.parametrize(
    ("address", "sent_as"),
    [
        pytest.param("jorg@exämple.com", "jorg@xn--exmple-cua.com", id="domain"),
        # IDNA 2008: Python's codec (IDNA 2003) would mail strasse.de, another domain
        pytest.param("jorg@Straße.DE", "jorg@xn--strae-oqa.de", id="idna-2008"),
    ],
)
def test_a_domain_beyond_ascii_goes_idna_encoded_to_a_server_without_smtputf8(
    db_url: str, ascii_smtp: SmtpServer, address: str, sent_as: str
) -> None:
    """It failed for good ("not ASCII, and the server does not offer SMTPUTF8")."""
    app = _mail_app(db_url, ascii_smtp)
    try:
        app.people.create_user("jorg", "Jörg", address)
        _expense_for(app, "jorg")
        app.drain()
        assert ascii_smtp.inbox.envelopes == [("flows@example.com", [sent_as])]
        assert [m["To"] for m in ascii_smtp.inbox.messages] == [sent_as]
        assert [(status, error) for status, _, _, error in _email_rows(app)] == [("done", None)]
    finally:
        app.close()


def test_an_address_beyond_ascii_goes_as_it_is_to_a_server_with_smtputf8(
    db_url: str, smtp: SmtpServer
) -> None:
    app = _mail_app(db_url, smtp)
    try:
        for user, address in (("jorg", "jorg@exämple.com"), ("jurgen", "jürgen@exämple.com")):
            app.people.create_user(user, user.title(), address)
            _expense_for(app, user)
        app.drain()
        assert [rcpt for _, rcpt in smtp.inbox.envelopes] == [
            ["jorg@exämple.com"],
            ["jürgen@exämple.com"],
        ]
        assert [m["To"] for m in smtp.inbox.messages] == ["jorg@exämple.com", "jürgen@exämple.com"]
    finally:
        app.close()


@pytest.mark.parametrize(
    ("address", "why"),
    [
        pytest.param("jörg@exämple.com", "it is not ASCII before the @, and the server does not "
                     "offer SMTPUTF8", id="local-part"),
        pytest.param("jorg@ex☃mple.com", "its domain is no internationalized domain name "
                     "(Codepoint U+2603 at position 3 of 'ex☃mple' not allowed), and the server "
                     "does not offer SMTPUTF8", id="no-idna"),
    ],
)  # fmt: skip
def test_an_address_beyond_ascii_fails_for_good_when_only_smtputf8_could_carry_it(
    db_url: str, ascii_smtp: SmtpServer, address: str, why: str
) -> None:
    app = _mail_app(db_url, ascii_smtp)
    app.rt.retry_base = timedelta(milliseconds=10)
    try:
        app.people.create_user("jorg", "Jörg", address)
        _expense_for(app, "jorg")
        time.sleep(0.05)
        app.drain()
        assert ascii_smtp.inbox.messages == []
        [(status, attempts, _, error)] = _email_rows(app)
        assert (status, attempts) == ("failed", 1)
        assert error == f"recipient {address!r} cannot be used: {why}"
    finally:
        app.close()


def test_the_sender_logs_in_when_credentials_are_set(db_url: str) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False)
    server.start()
    app = _mail_app(db_url, server)
    smtp_settings = replace(app.rt.settings.smtp, username="mailer", password="s3cret")
    app.rt.settings = replace(app.rt.settings, smtp=smtp_settings)
    try:
        expense = app.records.create("Expense", {"Title": "Pens", "Amount": 3.0})
        app.start("Expense_Approval", {"recordId": expense.id, "approver": "dave", "amount": 3})
        assert [m["To"] for m in server.inbox.messages] == ["dave@example.com"]
        assert logins == [(b"mailer", b"s3cret")]
    finally:
        app.close()
        server.stop()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_with_a_trusted_certificate_and_login(db_url: str, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def accept(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
        from aiosmtpd.smtp import AuthResult

        ok = (auth.login, auth.password) == (b"flows", b"s3cret-pass")
        return AuthResult(success=ok)

    server = SmtpServer(tls_context=context, require_starttls=True, authenticator=accept)
    server.start()
    try:
        app = _mail_app(db_url, server)
        app.rt.settings = replace(
            app.rt.settings,
            smtp=replace(
                app.rt.settings.smtp,
                starttls=True,
                ca_file=str(cert),
                username="flows",
                password="s3cret-pass",
            ),
        )
        app.start("Case_Management", record=_case(app))
        [msg] = server.inbox.to("alice@example.com")
        assert "Triage Case" in msg["Subject"]
        app.close()
    finally:
        server.stop()
