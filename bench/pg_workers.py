"""Item 4, informative: runs of 5 asynchronous background steps (each claimed and carried out
by a `stageflow worker` process in transactions of its own) on PostgreSQL, 1, 2 and 4 workers.
The headline item 4 figures are bench/pg_durable.py's (item 2's workload).

Each measurement gets a fresh database. The runs are started first (not timed); then the worker
processes start together and the clock runs until every run is Completed (process start-up,
about 0.5 s, is inside the time, as it would be for a deployment scaling out)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa

from bench.common import PROJECT, ROOT, connect
from bench.postgres_peer import PG_URL

RUNS = 400
STEPS_PER_RUN = 5


def fresh_database() -> tuple[str, sa.Engine]:
    admin = sa.create_engine(
        sa.engine.make_url(PG_URL).set(drivername="postgresql+psycopg"),
        isolation_level="AUTOCOMMIT",
    )
    name = f"sf_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    return url, admin


def drop_database(admin: sa.Engine, url: str) -> None:
    name = sa.engine.make_url(url).database
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def runs_per_s(workers: int, runs: int = RUNS) -> float:
    url, admin = fresh_database()
    try:
        app = connect(url, embedded_worker=False)
        app.deploy(PROJECT)
        for i in range(runs):
            app.start("Bench_Workers", {"n": i})
        cmd = [sys.executable, "-m", "stageflow", "--db", url, "worker", "--until-idle"]
        started = time.perf_counter()
        procs = [
            subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(workers)
        ]
        for proc in procs:
            proc.wait(timeout=600)
        elapsed = time.perf_counter() - started
        completed = len(app.runs(status="Completed", limit=runs + 1))
        app.close()
        if completed != runs:
            raise RuntimeError(f"{completed} of {runs} runs completed with {workers} workers")
        return runs / elapsed
    finally:
        drop_database(admin, url)


def measure() -> dict[str, Any]:
    rates = {n: round(runs_per_s(n), 1) for n in (1, 2, 4)}
    return {
        "pg_async_runs_per_s_1_worker": rates[1],
        "pg_async_runs_per_s_2_workers": rates[2],
        "pg_async_runs_per_s_4_workers": rates[4],
        "pg_async_4_over_1_workers": round(rates[4] / rates[1], 2),
        "pg_async_steps_per_run": STEPS_PER_RUN,
    }
