"""Item 4 (part): PostgreSQL's own commit rate through psycopg 3, and DBOS Transact running the
bench's 5 steps as a durable workflow on the same database (the durable-execution peer).

DBOS runs in subprocesses of its own (it keeps global state, threads and signal handlers): 1, 2
and 4 of them started together, each running workflows one after another, the same way
bench/pg_durable.py drives stageflow, so that stageflow / DBOS compares like with like.
stageflow on PostgreSQL is measured there."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import median, together, wait_for_go

PG_URL = os.environ.get("STAGEFLOW_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLE = "stageflow_bench_commits"


def pg_commits_per_s(count: int = 3000) -> float:
    """Single-row committed INSERT transactions/s, one connection over TCP."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, v text)")
    with psycopg.connect(PG_URL) as conn:
        for i in range(50):  # warm up (psycopg prepares the statement after 5 uses)
            conn.execute(f"INSERT INTO {TABLE} (v) VALUES (%s)", (f"warm {i}",))
            conn.commit()
        start = time.perf_counter()
        for i in range(count):
            conn.execute(f"INSERT INTO {TABLE} (v) VALUES (%s)", (f"row {i}",))
            conn.commit()
        elapsed = time.perf_counter() - start
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    return count / elapsed


DBOS_WARM_UP = 20


def _dbos_drive(workflows: int, schema: str, go: Path) -> dict[str, float]:
    """One DBOS process (a driving process of `bench.common.together`): DBOS launched on
    PG_URL, warmed up, then `workflows` sequential 5-step workflows from the common start.

    Each process is an executor of its own: at launch DBOS recovers its executor's pending
    workflows, and with a shared id it would re-run its siblings' warm-up workflows."""
    import logging

    from dbos import DBOS, DBOSConfig

    logging.getLogger("dbos").setLevel(logging.WARNING)

    @DBOS.step()
    def step(x: int, i: int) -> int:
        return x + i

    @DBOS.workflow()
    def five_steps(x: int) -> int:
        for i in range(5):
            x = step(x, i)
        return x

    config: DBOSConfig = {
        "name": "stageflow-bench",
        "system_database_url": PG_URL,
        "dbos_system_schema": schema,
        "executor_id": f"bench-{os.getpid()}",
        "log_level": "WARNING",
    }
    DBOS(config=config)
    DBOS.launch()
    try:
        for i in range(DBOS_WARM_UP):
            five_steps(i)
        wait_for_go(go)
        for i in range(workflows):
            assert five_steps(i) == i + 10
        return {"ended": time.time(), "items": workflows}
    finally:
        DBOS.destroy()


def dbos_workflows_per_s(processes: int, workflows: int) -> float:
    """DBOS workflows/s with `processes` processes started together, as stageflow's are, on a
    system schema of their own (as stageflow gets a fresh database each time)."""
    import psycopg

    schema = f"stageflow_bench_dbos_{uuid.uuid4().hex[:10]}"

    def command(go: Path) -> list[str]:
        return [sys.executable, "-m", "bench.postgres_peer", "dbos", str(workflows), schema,
                str(go)]  # fmt: skip

    try:
        return together(command, processes)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_up() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except Exception as exc:  # no server, no driver: report, do not fail the whole bench
        print(f"  PostgreSQL at {PG_URL} not usable ({exc}); item 4 skipped")
        return None


PROCESSES = (1, 2, 4)


def commit_rate(version: str) -> dict[str, Any]:
    """PostgreSQL's own single-row commit rate (item 4's bound)."""
    commits = [pg_commits_per_s() for _ in range(5)]  # noisy on this VM: 5 trials
    return {
        "pg_server_version": version,
        "pg_commits_per_s": round(median(commits)),
        "pg_commits_per_s_trials": [round(c) for c in commits],
    }


def summary(rates: dict[int, list[float]]) -> dict[str, Any]:
    """DBOS's figures from its trials' workflows/s by process count: the median of each."""
    best = {n: median(v) for n, v in rates.items()}
    results: dict[str, Any] = {
        f"dbos_pg_workflows_per_s_{n}_processes": round(best[n], 1) for n in PROCESSES
    }
    results["dbos_pg_workflows_per_s"] = round(max(best.values()), 1)
    results["dbos_pg_workflows_per_s_trials"] = {
        str(n): [round(r, 1) for r in v] for n, v in rates.items()
    }
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["dbos"]:
    print(json.dumps(_dbos_drive(int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]))))
