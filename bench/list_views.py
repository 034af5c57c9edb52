"""Item 5: the list views at scale. 1,000,000 work items and 200,000 runs are bulk-inserted
straight into stageflow's tables (SQLAlchemy Core executemany, indexes built after the load) in an
SQLite file; then p50/p95, through the service layer, of

- the Work Items list, "my open items" (assigned to me or to my groups and queues, status
  Assigned, newest first; `services.work_items.inbox`): page 1 for a heavy, a typical and a new
  user, and page 50 for the heavy user by keyset (`after=` page 49's last (created_at, id),
  reached by following the cursors);
- the Runs list filtered by status (newest first; `services.runs.find` ->
  `store.runs.list_runs`): page 1 (InProgress, Completed) and page 50 of InProgress by keyset.

For reference, page 50 of the Runs list by OFFSET (the store's statement with `.offset()`).
The same lists over HTTP, through the REST API and the console: see `list_views_http`."""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, text

from bench.common import PROJECT, bulk_engine, connect, percentile
from stageflow.app import App
from stageflow.services import runs as runs_service
from stageflow.services import work_items as work_items_service
from stageflow.services.runtime import transaction
from stageflow.store import people as people_store
from stageflow.store import tables as t
from stageflow.store.runs import RunSummary

BASE = datetime(2025, 1, 1, tzinfo=UTC)
USERS = 1000
GROUPS = 20
QUEUES = 5
HEAVY = "u0000"  # the user with the longest inbox (5 % of all user-assigned work items)
TYPICAL = "u0123"
NEWCOMER = "newcomer"  # in one group that has no work items yet: an empty inbox
PAGE = 50
ITEMS_PER_RUN = 5
RUN_STATUSES = (("Completed", 0.70), ("InProgress", 0.20), ("Canceled", 0.06), ("Error", 0.04))


def _people(app: App) -> None:
    for i in range(USERS):
        app.people.create_user(f"u{i:04d}")
    for g in range(GROUPS):
        app.people.create_group(f"g{g:02d}", [f"u{i:04d}" for i in range(g, USERS, GROUPS)])
    for q in range(QUEUES):
        app.people.create_queue(f"q{q}", [f"u{i:04d}" for i in range(q, USERS, QUEUES * 4)])
    app.people.create_user(NEWCOMER)
    app.people.create_group("g_new", [NEWCOMER])


def _template_state(app: App) -> tuple[int, dict[str, Any]]:
    """A real run's definition id and snapshot, stored for every generated run."""
    record = app.records.create("Bench_Item", {"Title": "x"}).id
    app.start("Bench_Run", {"n": 1}, record=record)  # waits on H1, its work item assigned
    with app.rt.engine.connect() as conn:
        row = conn.execute(select(t.runs.c.definition_id, t.runs.c.state)).first()
    assert row is not None
    return int(row.definition_id), dict(row.state)


def _assignee(rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.16:
        return "group", f"g{rng.randrange(GROUPS):02d}"
    if roll < 0.20:
        return "queue", f"q{rng.randrange(QUEUES)}"
    if roll < 0.24:  # 5 % of the user-assigned items
        return "user", HEAVY
    return "user", f"u{rng.randrange(1, USERS):04d}"


def _chunks(
    runs: int, definition_id: int, state: dict[str, Any], chunk: int = 20_000
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    rng = random.Random(42)
    statuses = [s for s, _ in RUN_STATUSES]
    weights = [w for _, w in RUN_STATUSES]
    step = timedelta(days=365) / runs
    run_rows: list[dict[str, Any]] = []
    item_rows: list[dict[str, Any]] = []
    for i in range(runs):
        run_id = f"r{i:011d}"
        status = rng.choices(statuses, weights)[0]
        created = BASE + step * i
        run_rows.append(
            {
                "id": run_id,
                "name": f"Bench Run {i}",
                "orchestration": "Bench_Run",
                "definition_id": definition_id,
                "version": 1,
                "status": status,
                "current_stage": None if status == "Completed" else "Review",
                "record_id": None,
                "state": state,
                "created_at": created,
                "created_by": "system",
                "modified_at": created,
                "modified_by": "system",
            }
        )
        for j in range(ITEMS_PER_RUN):
            if status == "InProgress":
                item_status = "Assigned" if j >= 3 else "Completed"
            else:
                item_status = "Completed" if status == "Completed" else "Canceled"
            kind, who = _assignee(rng)
            at = created + timedelta(minutes=10 * j, microseconds=rng.randrange(1_000_000))
            done = item_status == "Completed"
            item_rows.append(
                {
                    "id": f"{run_id}-{j + 1}",
                    "run_id": run_id,
                    "step": f"H{j + 1}",
                    "name": f"Review {j + 1}",
                    "status": item_status,
                    "assignee_kind": kind,
                    "assignee": who,
                    "record_id": None,
                    "orchestration": "Bench_Run",
                    "created_at": at,
                    "created_by": "system",
                    "modified_at": at,
                    "modified_by": "system",
                    "completed_by": who if done else None,
                    "completed_at": at + timedelta(hours=1) if done else None,
                }
            )
        if len(run_rows) >= chunk:
            yield run_rows, item_rows
            run_rows, item_rows = [], []
    if run_rows:
        yield run_rows, item_rows


def generate(db: Path, runs: int) -> dict[str, float]:
    """Schema, people and definitions through stageflow; runs and work items in bulk."""
    start = time.perf_counter()
    app = connect(db, embedded_worker=False)
    app.deploy(PROJECT)
    _people(app)
    definition_id, state = _template_state(app)
    app.close()
    people_s = time.perf_counter() - start
    engine = bulk_engine(db)
    with engine.begin() as conn:
        for table in (t.runs, t.work_items):
            for index in table.indexes:
                index.drop(conn)
        for run_rows, item_rows in _chunks(runs, definition_id, state):
            conn.execute(insert(t.runs), run_rows)
            conn.execute(insert(t.work_items), item_rows)
    insert_s = time.perf_counter() - start - people_s
    with engine.begin() as conn:
        for table in (t.runs, t.work_items):
            for index in table.indexes:
                index.create(conn)
    engine.dispose()
    return {
        "setup_s": people_s,
        "insert_s": insert_s,
        "index_s": time.perf_counter() - start - people_s - insert_s,
    }


def timed(fn: Callable[[], object], samples: int) -> dict[str, float]:
    """p50 and p95 in ms of `samples` calls of `fn`, after 10 to warm up."""
    for _ in range(10):
        fn()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95)}


def _open_items(app: App, user: str) -> int:
    """How many open work items the user's inbox holds (theirs and their groups' and queues')."""
    c = t.work_items.c
    with transaction(app.rt) as tx:
        principals = [("user", user), *people_store.memberships_of(tx.conn, user)]
        mine = or_(*(and_(c.assignee_kind == k, c.assignee == n) for k, n in principals))
        stmt = select(func.count()).select_from(t.work_items).where(mine, c.status == "Assigned")
        return int(tx.conn.execute(stmt).scalar_one())


def _runs_stmt(status: str) -> Any:
    """store.runs.list_runs's statement with a status filter, without its limit."""
    c = t.runs.c
    columns = [getattr(c, f) for f in RunSummary.__dataclass_fields__]
    return select(*columns).where(c.status == status).order_by(c.created_at.desc(), c.id.desc())


def _query(app: App, stmt: Any) -> Callable[[], object]:
    """Run a Core statement the way the service layer runs the store's queries."""

    def run() -> object:
        with transaction(app.rt) as tx:
            return _check([RunSummary(**r._mapping) for r in tx.conn.execute(stmt)])

    return run


def _walk(fetch: Callable[[Any], list[Any]], pages: int) -> Any:
    """Follow the service's cursors to the last row of page `pages` (what a client holds)."""
    after = None
    for _ in range(pages):
        rows = _check(fetch(after))
        after = (rows[-1].created_at, rows[-1].id)
    return after


def _check(rows: list[Any]) -> list[Any]:
    assert len(rows) == PAGE, f"{len(rows)} rows, expected a full page of {PAGE}"
    return rows


def measure_views(app: App, samples: int, last: int = 50) -> dict[str, Any]:
    """Timings of the lists; the "page 50" ones are of page `last` (fewer in a smoke test)."""
    if not _store_has_keyset_params():
        raise RuntimeError("the store's list functions take no keyset cursor (`after=`)")
    out: dict[str, Any] = {}
    for label, user in (("heavy", HEAVY), ("typical", TYPICAL), ("newcomer", NEWCOMER)):
        out[f"work_items_{label}_page1"] = timed(
            lambda u=user: work_items_service.inbox(app.rt, u, "Assigned", PAGE), samples
        )
        out[f"work_items_{label}_open"] = _open_items(app, user)

    def inbox(after: Any) -> list[Any]:
        return work_items_service.inbox(app.rt, HEAVY, "Assigned", PAGE, after=after)

    def runs(after: Any) -> list[Any]:
        return runs_service.find(app.rt, status="InProgress", limit=PAGE, after=after)

    for key, fetch in (("work_items_heavy", inbox), ("runs_inprogress", runs)):
        cursor = _walk(fetch, last - 1)
        out[f"{key}_page50_keyset"] = timed(lambda f=fetch, a=cursor: _check(f(a)), samples)
    out["runs_inprogress_page1"] = timed(
        lambda: runs_service.find(app.rt, status="InProgress", limit=PAGE), samples
    )
    out["runs_inprogress_page50_offset"] = timed(
        _query(app, _runs_stmt("InProgress").offset((last - 1) * PAGE).limit(PAGE)), samples
    )
    out["runs_completed_page1"] = timed(
        lambda: runs_service.find(app.rt, status="Completed", limit=PAGE), samples
    )
    out["runs_heavy_user_inprogress_page1"] = timed(  # the runs a user has work in
        lambda: runs_service.find(app.rt, HEAVY, status="InProgress", limit=PAGE), samples
    )
    return out


def _store_has_keyset_params() -> bool:
    """Whether the store's list functions take a keyset cursor (`after`)."""
    import inspect

    from stageflow.store import runs as runs_store
    from stageflow.store import work_items as work_items_store

    return all(
        "after" in inspect.signature(fn).parameters
        for fn in (work_items_store.inbox, work_items_store.search, runs_store.list_runs)
    )


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM runs")).scalar_one()
        items = conn.execute(text("SELECT count(*) FROM work_items")).scalar_one()
    return int(runs), int(items)


def measure(runs: int = 200_000, samples: int = 200, last: int = 50) -> dict[str, Any]:
    from bench.list_views_http import measure_http  # it imports this module's constants

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lists.db"
        gen = generate(db, runs)
        app = connect(db, embedded_worker=False)
        n_runs, n_items = _counts(app.rt.engine)
        views: dict[str, Any] = measure_views(app, samples, last)
        app.close()
        views.update(measure_http(db, samples, last))
        size_mb = db.stat().st_size / 1e6
    timed = {k: v for k, v in views.items() if isinstance(v, dict)}
    items = [k for k in timed if "work_items" in k]
    runs_keys = [k for k in timed if "runs" in k and "offset" not in k]
    result: dict[str, Any] = {
        "lists_runs": n_runs,
        "lists_work_items": n_items,
        "lists_db_mb": round(size_mb),
        "lists_generate_s": round(sum(gen.values()), 1),
        "lists_generate_detail_s": {k: round(v, 1) for k, v in gen.items()},
        # the worst of every page measured, through the service layer and over HTTP
        "work_items_list_p95_ms": _worst(timed, items),
        "runs_list_p95_ms": _worst(timed, runs_keys),
        "work_items_list_service_p95_ms": _worst(timed, [k for k in items if "http" not in k]),
        "work_items_list_http_p95_ms": _worst(timed, [k for k in items if "http" in k]),
        "runs_list_service_p95_ms": _worst(timed, [k for k in runs_keys if "http" not in k]),
        "runs_list_http_p95_ms": _worst(timed, [k for k in runs_keys if "http" in k]),
        "store_has_keyset_params": _store_has_keyset_params(),
    }
    for key, value in views.items():
        if isinstance(value, dict):
            result[f"{key}_p50_ms"] = round(value["p50"], 2)
            result[f"{key}_p95_ms"] = round(value["p95"], 2)
        else:
            result[key] = value
    return result


def _worst(timed: dict[str, dict[str, float]], keys: list[str]) -> float:
    return round(max(timed[k]["p95"] for k in keys), 2)
