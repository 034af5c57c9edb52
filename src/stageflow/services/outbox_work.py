"""Carrying out outbox messages: claim one under a lease (a short transaction of its own), then
do it in a second transaction together with everything it changes."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from stageflow.engine.commands import LogEntry, RunFlow
from stageflow.engine.events import Event, Reevaluate, StepFailed
from stageflow.engine.state import ErrorInfo, Run
from stageflow.engine.statuses import StepStatus
from stageflow.errors import NotFound, StageflowError
from stageflow.services import driver, flow_exec, mail, notifications, triggers
from stageflow.services.driver import RUN_FLOW, drive
from stageflow.services.runs import load, start_in
from stageflow.services.runtime import Runtime, Tx, reading, transaction
from stageflow.store import definitions as defs_store
from stageflow.store import outbox
from stageflow.store import records as records_store
from stageflow.store import runs as runs_store
from stageflow.store import tables as t
from stageflow.store.outbox import Message

log = logging.getLogger("stageflow.worker")

DEFAULT_LEASE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    status: str  # an outbox status, or "retry"
    error: str | None = None
    retry_at: datetime | None = None


RETRY = "retry"
GIVE_BACK_AFTER = timedelta(seconds=5)  # before a message whose carrying out failed is retried
# Workers that may die holding a message (other than an async step's: its `retries` decide)
# before it is failed: a triggered start or a re-evaluation whose flow kills the process
# would otherwise be claimed, and kill a worker, for ever.
LOST_CLAIMS_ALLOWED = 2


def embedded_worker_id() -> str:
    return f"embedded-{os.getpid()}"


def process_next(rt: Runtime, worker: str | None = None, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Claim the oldest claimable message and carry it out; False when there is none."""
    worker = worker or embedded_worker_id()
    with transaction(rt) as tx:
        message = outbox.claim(tx.conn, worker, tx.now, lease)
    if message is None:
        return False
    try:
        carry_out(rt, message, worker)
    except Exception as exc:  # nothing of it was written: give it back, then report
        _give_back(rt, message, worker, exc)
        raise
    return True


def _give_back(rt: Runtime, message: Message, worker: str, exc: Exception) -> None:
    """Nothing of the message was written: make it claimable again, after a wait that grows
    with its tries (a message that always fails this way is tried ever more rarely). Until
    then, or if the database is still away, its lease runs out as a dead worker's would."""
    try:
        with transaction(rt) as tx:
            wait = min(GIVE_BACK_AFTER * 2 ** min(message.give_backs, 16), MAX_BACKOFF)
            error = f"{type(exc).__name__}: {exc}"[:2000]
            outbox.give_back(tx.conn, message.id, worker, tx.now + wait, error)
        rt.outbox_dirty = True  # the embedded worker looks again
    except Exception:  # the database is away: the lease runs out instead
        log.exception("giving back outbox message %s failed", message.id)


def due_work(rt: Runtime) -> tuple[bool, float | None]:
    """Whether a message is already claimable by time alone (a retry whose time has come, a
    lease that ran out), and in how many seconds the next one will be; None: none waits."""
    with reading(rt) as tx:
        already, upcoming = outbox.due_times(tx.conn, tx.now)
        return already, None if upcoming is None else (upcoming - tx.now).total_seconds()


def carry_out(rt: Runtime, message: Message, worker: str) -> None:
    """The message's work, its outcome and its `done` mark commit together: a crash anywhere
    leaves the message claimed until its lease runs out, with nothing of it written."""
    with transaction(rt) as tx:
        if not outbox.lock_claimed(tx.conn, message.id, worker):
            return  # our lease ran out and another worker has it now
        if message.kind != RUN_FLOW and message.lost_claims > LOST_CLAIMS_ALLOWED:
            _give_up(tx, message)
            return
        savepoint = tx.conn.begin_nested()
        try:
            outcome = _handle(tx, message, worker)
        except StageflowError as exc:  # refused for good (a trigger loop, a bad start): keep why
            savepoint.rollback()
            log.warning("outbox message %s (%s) failed: %s", message.id, message.kind, exc)
            outbox.finish(tx.conn, message.id, tx.now, outbox.FAILED, str(exc))
            return
        savepoint.commit()
        if outcome.status == RETRY:
            assert outcome.retry_at is not None
            outbox.retry_later(tx.conn, message.id, worker, outcome.retry_at, outcome.error or "")
        elif outcome.status == outbox.PARKED:
            outbox.park(tx.conn, message.id)
        else:
            outbox.finish(tx.conn, message.id, tx.now, outcome.status, outcome.error)


def _give_up(tx: Tx, message: Message) -> None:
    """Fail a message (not an async step's: its step fails) whose workers kept dying, and say
    so on its run's log, where a supervisor looks: the worker's log and the outbox row are
    seen by whoever runs the workers. The run's status stays: the work given up was not a
    step's, and the run may still move on (a later change, a re-evaluation)."""
    error = (
        f"never finished: the workers carrying it out stopped {message.lost_claims} "
        "times (killed, out of memory, or a flow ended the process)"
    )
    log.error("outbox message %s (%s) failed: %s", message.id, message.kind, error)
    outbox.finish(tx.conn, message.id, tx.now, outbox.FAILED, error)
    _say_on_run(tx, message, f"given up, {error}{_AFTER_GIVING_UP.get(message.kind, '')}")


def _say_on_run(tx: Tx, message: Message, what_became_of_it: str) -> None:
    """A line from system on the log of the message's run (if it has one) about its work."""
    row = None if message.run_id is None else runs_store.load_row(tx.conn, message.run_id)
    if row is not None:
        detail = f"{_what(message)} {what_became_of_it}"
        entry = LogEntry(tx.now, "system", "run", row["name"], None, None, detail)
        runs_store.append_log(tx.conn, row["id"], [entry])


def _what(message: Message) -> str:
    """The work a message asked for, in a supervisor's words."""
    p = message.payload
    if message.kind == triggers.REEVALUATE:
        return f"Re-evaluation ({p.get('reason') or 'an orchestration event published by a flow'})"
    if message.kind == driver.RECHECK:
        return "Re-evaluation after an update that held the run's record"
    if message.kind == notifications.EMAIL:
        return f"Email to {p.get('username')} about work item {p.get('work_item')}"
    return f"Outbox message {message.kind} {message.key}"


_AFTER_GIVING_UP = {
    triggers.REEVALUATE: "; re-evaluate the run to evaluate its conditions again",
    driver.RECHECK: "; re-evaluate the run to evaluate its conditions again",
    notifications.EMAIL: "; it was not sent",
}


def _handle(tx: Tx, message: Message, worker: str) -> Outcome:
    if message.kind == RUN_FLOW:
        return _run_flow(tx, message, worker)
    if message.kind == triggers.REEVALUATE:
        try:
            run = load(tx, str(message.payload["run_id"]))
        except NotFound:
            return Outcome(outbox.DONE)
        reason = str(message.payload.get("reason") or "orchestration event published by a flow")
        drive(tx, run, [Reevaluate(reason=reason)])
        return Outcome(outbox.DONE)
    if message.kind == driver.RECHECK:
        try:
            run = load(tx, str(message.payload["run_id"]))
        except NotFound:
            return Outcome(outbox.DONE)
        waited = timedelta(seconds=float(message.payload["wait"]))
        driver.recheck(tx, run, str(message.payload["seen"]), waited)
        return Outcome(outbox.DONE)
    if message.kind == triggers.START_RUN:
        return _start_triggered(tx, message)
    if message.kind == notifications.EMAIL:
        return _send_email(tx, message)
    return Outcome(outbox.FAILED, f"unknown message kind {message.kind!r}")


def _start_triggered(tx: Tx, message: Message) -> Outcome:
    p = message.payload
    if records_store.get(tx.conn, str(p["record_id"])) is None:
        return Outcome(outbox.DONE, "the record was deleted before the run could start")
    if defs_store.active(tx.conn, "orchestration", str(p["name"])) is None:
        return Outcome(outbox.DONE, "the orchestration was deactivated before the run could start")
    start_in(
        tx,
        str(p["name"]),
        {},
        str(p["record_id"]),
        by="trigger",
        prior=p.get("prior"),
        trigger_depth=int(p.get("depth", 0)),
    )
    return Outcome(outbox.DONE)


def _run_flow(tx: Tx, message: Message, worker: str) -> Outcome:
    p = message.payload
    run = load(tx, str(p["run_id"]))  # locks the run: one writer per run
    step = run.steps.get(str(p["step"]))
    if step is None or step.attempt != p["attempt"]:
        return Outcome(outbox.DONE, "stale: the step moved on")
    if step.status is StepStatus.SUSPENDED:
        return Outcome(outbox.PARKED)  # held until the run is resumed
    if step.status is not StepStatus.IN_PROGRESS or _has_outcome(tx, run, step.name, step.attempt):
        return Outcome(outbox.DONE, "stale: the step has its outcome")
    retries = run.orchestration.steps[step.name].retries
    event: Event
    if message.lost_claims > retries + 1:  # its tries, and one for a death of another cause
        event = _never_finished(step.name, step.attempt, str(p["flow"]), message, retries)
        tries = message.attempts + message.lost_claims
    else:
        command = RunFlow(run.id, step.name, step.attempt, str(p["flow"]), dict(p["inputs"]), True)
        event = flow_exec.run_background(tx, run, command)
        tries = message.attempts + 1
        if isinstance(event, StepFailed) and tries <= retries:
            delay = min(tx.rt.retry_base * 2 ** (tries - 1), MAX_BACKOFF)
            _note_retry(tx, run, step.name, tries, event, delay)
            return Outcome(RETRY, event.error.message, tx.now + delay)
    outcome = "failed" if isinstance(event, StepFailed) else "completed"
    tx.conn.execute(
        insert(t.step_outcomes).values(
            run_id=run.id,
            step=step.name,
            attempt=step.attempt,
            outcome=outcome,
            worker=worker,
            tries=tries,
            at=tx.now,
        )
    )
    drive(tx, run, [event])
    return Outcome(outbox.DONE)


def _never_finished(
    step: str, attempt: int, flow: str, message: Message, retries: int
) -> StepFailed:
    """The step's failure when its flow's workers kept dying: nothing of theirs committed, so
    only the claims they left show it (a flow killing its process, running out of memory)."""
    error = (
        f"flow {flow} never finished: the workers carrying it out stopped "
        f"{message.lost_claims} times before its outcome was saved (killed, out of memory, or "
        f"the flow ended the process), more than the step's retries ({retries}) allow"
    )
    return StepFailed(step, attempt, ErrorInfo(error))


def _send_email(tx: Tx, message: Message) -> Outcome:
    """Done only once the server has accepted the email; while it is down (or answers "try
    later") the message waits with a growing backoff, as long as it takes. One whose work item
    has moved on meanwhile is done unsent: it would send its reader to work that is not theirs."""

    def stale() -> str | None:
        # A statement of its own: on PostgreSQL (READ COMMITTED) it sees what committed since
        # this transaction began. SQLite sends under the write lock: nothing commits meanwhile.
        return notifications.stale(tx.conn, message.key, message.payload)

    why = stale()  # before connecting: an email that waited long is likely stale by now
    if why is None:
        # and again just before the server has it all: a reassignment may commit meanwhile
        sent = mail.send(tx.rt.settings.smtp, mail.Email.from_payload(message.payload), stale)
        if sent is None:
            return Outcome(outbox.DONE)
        if not isinstance(sent, mail.Withheld):
            return _not_sent(tx, message, sent)
        why = sent.why
    log.info("email %s not sent, stale: %s", message.key, why)
    return Outcome(outbox.DONE, f"stale: {why}")


def _not_sent(tx: Tx, message: Message, failure: mail.Failure) -> Outcome:
    if not failure.temporary:
        # on the run's log too: its supervisor learns that the assignee was not told
        log.warning("email %s refused for good: %s", message.key, failure.error)
        _say_on_run(tx, message, f"not sent, for good: {failure.error}")
        return Outcome(outbox.FAILED, failure.error)
    tries = message.attempts + 1
    delay = min(tx.rt.retry_base * 2 ** min(tries - 1, 30), MAX_BACKOFF)
    log.info("email %s not sent (try %d): %s", message.key, tries, failure.error)
    return Outcome(RETRY, failure.error, tx.now + delay)


def _has_outcome(tx: Tx, run: Run, step: str, attempt: int) -> bool:
    c = t.step_outcomes.c
    stmt = select(c.outcome).where(c.run_id == run.id, c.step == step, c.attempt == attempt)
    return tx.conn.execute(stmt).first() is not None


def _note_retry(
    tx: Tx, run: Run, step: str, tries: int, event: StepFailed, delay: timedelta
) -> None:
    detail = (
        f"try {tries} failed: {event.error.message}; trying again in {delay.total_seconds():g}s"
    )
    runs_store.append_log(
        tx.conn, run.id, [LogEntry(tx.now, "system", "step", step, None, None, detail)]
    )


def drain(rt: Runtime, limit: int = 10_000) -> int:
    """Carry out claimable messages until none is left (or `limit`); returns how many, and
    notes in `rt.next_due` when the next one waiting (a retry, a give-back) comes due.

    A message that fails is given back and logged, and draining stops there, as the worker's
    loop does: the caller's own change committed before, and must not look as if it failed
    (a caller trying again would make it twice)."""
    rt.outbox_dirty = False
    done = 0
    try:
        while done < limit and process_next(rt):
            done += 1
        already, wait = due_work(rt)
    except Exception:
        log.exception("carrying out queued work failed; it is tried again later")
        rt.next_due = rt.now() + GIVE_BACK_AFTER
        return done
    if already:  # a lease ran out meanwhile: its message is claimable now
        wait = 0.0
    rt.next_due = None if wait is None else rt.now() + timedelta(seconds=max(wait, 0.0))
    return done
