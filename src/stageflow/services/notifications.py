"""Work item emails: when an interactive step assigns a work item, or a supervisor reassigns
one, every person it is assigned to (each member of a group or queue) gets an email with a link
to the record page. The emails go to the outbox in the transaction that assigns the work item;
a worker sends them after commit (see `outbox_work`)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from sqlalchemy import Connection, func, select

from stageflow.definitions import references
from stageflow.definitions.model import AssigneeKind
from stageflow.engine.scope import run_resolver
from stageflow.engine.state import Run, WorkItem
from stageflow.engine.statuses import WorkItemStatus
from stageflow.services.runtime import Tx
from stageflow.store import outbox
from stageflow.store import people as people_store
from stageflow.store import records as records_store
from stageflow.store import tables as t
from stageflow.store import work_items as work_items_store
from stageflow.store.people import User

log = logging.getLogger("stageflow.notifications")

EMAIL = "email"
TEMPLATE = "work_item_assigned"  # .subject.txt, .txt and .html


@dataclass(frozen=True)
class _Mail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Notice:
    """One assignment to tell about: the work item as it is now, and whether it was moved."""

    item: WorkItem
    reassigned: bool


def work_item_emails(tx: Tx, before: Run | None, after: Run) -> None:
    """Queue an email per recipient for each work item `after` assigns that `before` did not."""
    if not tx.rt.settings.emails_enabled:
        return
    for notice in _notices(before, after):
        step = after.orchestration.steps.get(notice.item.step)
        if step is None or not step.email.send:
            continue
        _enqueue(tx, after, notice, step.email.subject, step.email.body)


def _notices(before: Run | None, after: Run) -> list[_Notice]:
    old = {} if before is None else before.work_items
    found = []
    for item in after.work_items.values():
        if item.status is not WorkItemStatus.ASSIGNED:
            continue
        previous = old.get(item.id)
        if previous is None:
            found.append(_Notice(item, reassigned=False))
        elif previous.assignee != item.assignee:
            found.append(_Notice(item, reassigned=True))
    return found


def _enqueue(tx: Tx, run: Run, notice: _Notice, subject: str | None, body: str | None) -> None:
    item = notice.item
    recipients = _recipients(tx.conn, item)
    if not recipients:
        log.info("work item %s: nobody to email for %s", item.id, item.assignee)
        return
    resolve = run_resolver(run)
    context = _context(tx, run, notice)
    if body:
        context["custom_body"] = references.render(body, resolve)
    custom_subject = references.render(subject, resolve) if subject else None
    # The number of the assignment: how many times the work item changed before this one.
    number = _transitions(tx.conn, run.id, item.id)
    folder = tx.rt.settings.templates
    for user in recipients:
        key = f"{EMAIL}:{item.id}:{number}:{user.username}"
        recipient = {"username": user.username, "name": user.name, "email": user.email}
        mail = _render(folder, {**context, "recipient": recipient})
        payload = {
            "to": user.email,
            "subject": _one_line(custom_subject or mail.subject),
            "text": mail.text,
            "html": mail.html,
            "message_id": message_id(key),
            "run_id": run.id,
            "work_item": item.id,
            "assignee": str(item.assignee),  # the assignment it tells of (see `stale`)
            "username": user.username,
        }
        outbox.enqueue(tx.conn, EMAIL, key, payload, tx.now, run.id)


def stale(conn: Connection, key: str, payload: dict[str, Any]) -> str | None:
    """Why the email queued under `key` tells of an assignment that is over, or None. An email
    may wait long for the server (it is sent after commit, and tried again while the server is
    down): the work item may have been completed, canceled or reassigned meanwhile."""
    item_id = str(payload["work_item"])
    item = work_items_store.get(conn, item_id)
    if item is None:
        return f"work item {item_id} is gone"
    if item.status != WorkItemStatus.ASSIGNED.value:
        return f"work item {item_id} is {item.status} now"
    queued_for = payload.get("assignee")  # None: queued before it was kept
    if queued_for is not None and item.assigned_to != queued_for:
        return f"work item {item_id} was reassigned to {item.assigned_to}"
    # Assigned to the same principal again after a move away: the later email tells of it.
    number = _number(key)
    later = [k for k in outbox.keys(conn, EMAIL, str(payload["run_id"])) if k != key]
    if any(_item(k) == item_id and _number(k) > number for k in later):
        return f"work item {item_id} was reassigned again since (a later email tells of it)"
    return None


def _item(key: str) -> str:
    return key.split(":")[1]  # email:{work item}:{number}:{username}; neither has a ":"


def _number(key: str) -> int:
    return int(key.split(":")[2])


def message_id(key: str) -> str:
    """The email's Message-ID, the same for every try: a receiver can tell a resend."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@stageflow>"


def _recipients(conn: Connection, item: WorkItem) -> list[User]:
    """The active users with an email address whom the work item is assigned to."""
    if item.assignee.kind is AssigneeKind.USER:
        usernames: tuple[str, ...] = (item.assignee.name,)
    else:
        group = people_store.group(conn, item.assignee.name)
        usernames = () if group is None else group.members
    found = [people_store.user(conn, name) for name in usernames]
    return [u for u in found if u is not None and u.active and u.email]


def _context(tx: Tx, run: Run, notice: _Notice) -> dict[str, Any]:
    item = notice.item
    row = records_store.get(tx.conn, item.record_id) if item.record_id else None
    base = tx.rt.settings.base_url.rstrip("/")
    record: dict[str, str | None]
    if row is not None:
        record = {"id": row.id, "object": row.object, "name": row.name}
        # quoted: a host application's id may hold "#", "?" or "/" (PO#12 linked to record PO)
        link = f"{base}/records/{quote(row.object, safe='')}/{quote(row.id, safe='')}"
    else:  # the record is gone (or the host application never told stageflow of it)
        record = {"id": item.record_id, "object": None, "name": item.record_id or ""}
        link = f"{base}/work-items"
    return {
        "work_item": {"id": item.id, "name": item.name, "step": item.step},
        "assignee": str(item.assignee),
        "assignee_label": _assignee_label(tx.conn, item),
        "record": record,
        "run": {"id": run.id, "name": run.name, "orchestration": run.orchestration.label},
        "link": link,
        "reassigned": notice.reassigned,
        "custom_body": None,
        "base_url": base,
    }


def _assignee_label(conn: Connection, item: WorkItem) -> str:
    if item.assignee.kind is AssigneeKind.USER:
        return "you"
    group = people_store.group(conn, item.assignee.name)
    label = item.assignee.name if group is None else group.label
    return f"your {item.assignee.kind.value} {label}"


def _transitions(conn: Connection, run_id: str, item_id: str) -> int:
    c = t.run_log.c
    stmt = (
        select(func.count())
        .select_from(t.run_log)
        .where(c.run_id == run_id, c.object_type == "work_item", c.object_name == item_id)
    )
    return int(conn.execute(stmt).scalar_one())


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- templates ----------------------------------------------------------------------------------


def _render(folder: Path | None, context: dict[str, Any]) -> _Mail:
    """Subject, text and HTML body from the deployer's templates (`folder`), each falling back
    to the built-in one when its override is broken."""
    return _Mail(
        subject=_render_one(folder, f"{TEMPLATE}.subject.txt", context),
        text=_render_one(folder, f"{TEMPLATE}.txt", context),
        html=_render_one(folder, f"{TEMPLATE}.html", context),
    )


def _render_one(folder: Path | None, name: str, context: dict[str, Any]) -> str:
    """A bad template must not lose the email, nor fail the assignment it is queued with. Any
    error of an override counts, not only Jinja's: an expression can raise a TypeError, and
    a file that is not UTF-8 a UnicodeDecodeError."""
    if folder is not None:
        try:
            return _environment(folder).get_template(name).render(context)
        except Exception:
            log.exception("email template %s in %s failed; using the built-in one", name, folder)
    return _environment(None).get_template(name).render(context)


@lru_cache(maxsize=8)
def _environment(folder: Path | None) -> jinja2.Environment:
    builtin = jinja2.PackageLoader("stageflow", "templates")
    loader: jinja2.BaseLoader = builtin
    if folder is not None:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), builtin])
    return jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
