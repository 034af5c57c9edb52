"""Item 4 (part): PostgreSQL's own commit rate through psycopg 3, and DBOS Transact running the
bench's 5 steps as a durable workflow on the same database (the durable-execution peer).

stageflow on PostgreSQL with 1/2/4 worker processes is a later item and is not measured here.
DBOS runs in a subprocess of its own (it keeps global state, threads and signal handlers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from bench.common import median

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


def dbos_workflows_per_s(workflows: int, trials: int) -> list[float]:
    """Run in a fresh process: DBOS launched on PG_URL, `workflows` sequential 5-step runs."""
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
        "dbos_system_schema": "stageflow_bench_dbos",
        "log_level": "WARNING",
    }
    DBOS(config=config)
    DBOS.launch()
    try:
        for i in range(20):  # warm up
            five_steps(i)
        rates = []
        for _ in range(trials):
            start = time.perf_counter()
            for i in range(workflows):
                assert five_steps(i) == i + 10
            rates.append(workflows / (time.perf_counter() - start))
        return rates
    finally:
        DBOS.destroy()


def _postgres_up() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    except Exception as exc:  # no server, no driver: report, do not fail the whole bench
        print(f"  PostgreSQL at {PG_URL} not usable ({exc}); item 4 skipped")
        return None


def measure(trials: int = 3, workflows: int = 300) -> dict[str, Any]:
    version = _postgres_up()
    if version is None:
        return {}
    commits = [pg_commits_per_s() for _ in range(5)]  # noisy on this VM: 5 trials
    out = subprocess.run(
        [sys.executable, "-m", "bench.postgres_peer", "dbos", str(workflows), str(trials)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    results: dict[str, Any] = {
        "pg_server_version": version,
        "pg_commits_per_s": round(median(commits)),
        "pg_commits_per_s_trials": [round(c) for c in commits],
    }
    if out.returncode != 0:
        print(f"  DBOS run failed:\n{out.stderr[-2000:]}")
        return results
    rates = json.loads(out.stdout.strip().splitlines()[-1])
    results["dbos_pg_workflows_per_s"] = round(median(rates), 1)
    results["dbos_pg_workflows_per_s_trials"] = [round(r, 1) for r in rates]
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["dbos"]:
    print(json.dumps(dbos_workflows_per_s(int(sys.argv[2]), int(sys.argv[3]))))
