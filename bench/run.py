"""`make bench`: run the benchmarks, print a table and pass/fail lines against the targets,
write bench/results/latest.json. Not part of `make test`.

Items (see docs/performance.md): 1 engine hot path, 2 durable runs/s on SQLite vs SpiffWorkflow,
3 the SQLite bound, 4 PostgreSQL commit rate and DBOS, 5 list views at 1 M work items / 200 K
runs, 6 record-trigger latency, 7 worker memory with 100 K runs in flight."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import (
    engine_hot_path,
    floor,
    list_views,
    pg_workers,
    side_by_side,
    trigger_latency,
    worker_memory,
)

RESULTS = Path(__file__).parent / "results"
FLAT_MB = 5.0  # "memory flat": RSS grows less than this while 10 K messages go through


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for dist in ("stageflow", "SQLAlchemy", "SpiffWorkflow", "dbos", "psycopg", "psutil"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


ITEMS: list[tuple[str, Callable[[], dict[str, Any]]]] = [
    ("1 engine hot path", engine_hot_path.measure),
    ("2+3 stageflow and SpiffWorkflow durable on SQLite, SQLite bound", side_by_side.measure),
    ("2 (informative) floor: item 2's statements via sqlite3 + pure apply", floor.measure),
    (
        "4 PostgreSQL commit rate; stageflow and DBOS with 1, 2, 4 processes, in turns",
        side_by_side.measure_pg,
    ),
    ("4 (informative) async steps, 1, 2, 4 stageflow worker processes", pg_workers.measure),
    ("5 list views at 1 M work items / 200 K runs", list_views.measure),
    ("6 record change -> first step started", trigger_latency.measure),
    ("7 worker RSS, 100 K runs in flight", worker_memory.measure),
]

# (label, key, unit) rows of the summary table
TABLE: list[tuple[str, str, str]] = [
    ("engine: events applied/s (pure apply)", "engine_events_per_s", "/s"),
    ("engine: runs/s (pure apply)", "engine_runs_per_s", "/s"),
    ("stageflow SQLite: runs/s to Completed", "stageflow_sqlite_runs_per_s", "/s"),
    ("SpiffWorkflow SQLite: runs/s to Completed", "spiff_sqlite_runs_per_s", "/s"),
    ("Spiff checkpoints per run", "spiff_checkpoints_per_run", ""),
    ("ratio stageflow / SpiffWorkflow", "stageflow_vs_spiff_ratio", "x"),
    ("floor: item 2's SQL replayed via stdlib sqlite3, ms/run", "floor_sql_ms_per_run", "ms"),
    ("floor: item 2's events re-applied by pure engine, ms/run", "floor_engine_ms_per_run", "ms"),
    ("floor: + commits (item 3's cost) = runs/s", "sqlite_floor_runs_per_s", "/s"),
    ("stageflow SQLite runs/s as share of the floor", "stageflow_share_of_floor", "%"),
    ("10x SpiffWorkflow as share of the floor", "spiff_target_share_of_floor", "%"),
    ("50 % of the SQLite bound as share of the floor", "bound_target_share_of_floor", "%"),
    ("SQLite WAL FULL 1-row commits/s", "sqlite_commits_per_s", "/s"),
    ("stageflow transactions per run (all)", "stageflow_txns_per_run", ""),
    ("stageflow write transactions per run", "stageflow_write_txns_per_run", ""),
    ("SQLite bound: commits/s / write txns per run", "sqlite_bound_runs_per_s", "/s"),
    ("stageflow share of the SQLite bound", "sqlite_bound_fraction", ""),
    ("  same, bound counting all txns per run", "sqlite_bound_fraction_all_txns", ""),
    ("  (async steps) runs/s", "stageflow_async_runs_per_s", "/s"),
    ("  (async steps) write txns per run", "stageflow_async_write_txns_per_run", ""),
    ("  (async steps) share of the bound", "stageflow_async_bound_fraction", ""),
    ("PostgreSQL 1-row commits/s", "pg_commits_per_s", "/s"),
    ("DBOS 5-step workflows/s on PostgreSQL, best process count", "dbos_pg_workflows_per_s", "/s"),
    ("  1 process", "dbos_pg_workflows_per_s_1_processes", "/s"),
    ("  2 processes", "dbos_pg_workflows_per_s_2_processes", "/s"),
    ("  4 processes", "dbos_pg_workflows_per_s_4_processes", "/s"),
    ("stageflow PostgreSQL runs/s (item 2's runs), 1 process", "pg_runs_per_s_1_worker", "/s"),
    ("  2 processes", "pg_runs_per_s_2_workers", "/s"),
    ("  4 processes", "pg_runs_per_s_4_workers", "/s"),
    ("  4 processes / 1 process", "pg_4_over_1_workers", "x"),
    ("ratio stageflow / DBOS, each at its best process count", "stageflow_vs_dbos_ratio", "x"),
    ("  same, 1 process / 1 process", "stageflow_1_vs_dbos_ratio", "x"),
    ("  (async steps) runs/s, 1 stageflow worker", "pg_async_runs_per_s_1_worker", "/s"),
    ("  (async steps) 2 workers", "pg_async_runs_per_s_2_workers", "/s"),
    ("  (async steps) 4 workers", "pg_async_runs_per_s_4_workers", "/s"),
    ("Work Items list p95 (worst case)", "work_items_list_p95_ms", "ms"),
    ("  heavy user page 1 p95", "work_items_heavy_page1_p95_ms", "ms"),
    ("  typical user page 1 p95", "work_items_typical_page1_p95_ms", "ms"),
    ("  newcomer (empty inbox) page 1 p95", "work_items_newcomer_page1_p95_ms", "ms"),
    ("  heavy user page 50 keyset p95", "work_items_heavy_page50_keyset_p95_ms", "ms"),
    ("  HTTP REST heavy user page 1 p95", "http_api_work_items_heavy_page1_p95_ms", "ms"),
    ("  HTTP REST typical user page 1 p95", "http_api_work_items_typical_page1_p95_ms", "ms"),
    (
        "  HTTP REST heavy user page 50 keyset p95",
        "http_api_work_items_heavy_page50_keyset_p95_ms",
        "ms",
    ),
    ("  HTTP console heavy user page 1 p95", "http_console_work_items_heavy_page1_p95_ms", "ms"),
    (
        "  HTTP console heavy user page 50 keyset p95",
        "http_console_work_items_heavy_page50_keyset_p95_ms",
        "ms",
    ),
    ("Runs list (status filter) p95 (worst case)", "runs_list_p95_ms", "ms"),
    ("  InProgress page 1 p95", "runs_inprogress_page1_p95_ms", "ms"),
    ("  InProgress page 50 keyset p95", "runs_inprogress_page50_keyset_p95_ms", "ms"),
    ("  a user's runs, InProgress page 1 p95", "runs_heavy_user_inprogress_page1_p95_ms", "ms"),
    ("  HTTP REST InProgress page 1 p95", "http_api_runs_inprogress_page1_p95_ms", "ms"),
    (
        "  HTTP REST InProgress page 50 keyset p95",
        "http_api_runs_inprogress_page50_keyset_p95_ms",
        "ms",
    ),
    (
        "  HTTP REST a user's runs page 1 p95",
        "http_api_runs_heavy_user_inprogress_page1_p95_ms",
        "ms",
    ),
    ("  HTTP console InProgress page 1 p95", "http_console_runs_inprogress_page1_p95_ms", "ms"),
    (
        "  HTTP console InProgress page 50 keyset p95",
        "http_console_runs_inprogress_page50_keyset_p95_ms",
        "ms",
    ),
    ("record change -> first step started p50", "trigger_latency_p50_ms", "ms"),
    ("record change -> first step started p99", "trigger_latency_p99_ms", "ms"),
    ("worker peak RSS, 100 K runs in flight", "worker_peak_rss_mb", "MB"),
    ("worker RSS growth over 10 K messages", "worker_rss_growth_mb", "MB"),
    ("worker peak RSS 100 K minus 2 K in flight", "worker_peak_rss_100k_minus_2k_mb", "MB"),
    ("worker messages/s (100 K queued)", "worker_messages_per_s", "/s"),
]


def targets(r: dict[str, Any]) -> list[tuple[str, bool | None]]:
    def check(keys: list[str], test: Callable[..., bool]) -> bool | None:
        if any(not isinstance(r.get(k), int | float) for k in keys):
            return None
        return test(*(r[k] for k in keys))

    return [
        (
            f"stageflow >= 10x SpiffWorkflow on item 2 ({r.get('stageflow_vs_spiff_ratio')}x)",
            check(["stageflow_vs_spiff_ratio"], lambda x: x >= 10),
        ),
        (
            f">= 50 % of the SQLite bound on item 3 ({_pct(r.get('sqlite_bound_fraction'))})",
            check(["sqlite_bound_fraction"], lambda x: x >= 0.5),
        ),
        (
            f"stageflow >= 5x DBOS on item 4 ({r.get('stageflow_vs_dbos_ratio')}x)",
            check(["stageflow_vs_dbos_ratio"], lambda x: x >= 5),
        ),
        (
            f"PostgreSQL 4 processes >= 1.5x 1 process ({r.get('pg_4_over_1_workers')}x)",
            check(["pg_4_over_1_workers"], lambda x: x >= 1.5),
        ),
        (
            f"list views p95 < 50 ms (work items {r.get('work_items_list_p95_ms')} ms, "
            f"runs {r.get('runs_list_p95_ms')} ms)",
            check(["work_items_list_p95_ms", "runs_list_p95_ms"], lambda a, b: max(a, b) < 50),
        ),
        (
            f"record-trigger latency p99 < 50 ms ({r.get('trigger_latency_p99_ms')} ms)",
            check(["trigger_latency_p99_ms"], lambda x: x < 50),
        ),
        (
            f"worker memory flat (grew {r.get('worker_rss_growth_mb')} MB over the messages, "
            f"{r.get('worker_peak_rss_100k_minus_2k_mb')} MB vs 2 K runs in flight; "
            f"< {FLAT_MB:g} MB each)",
            check(
                ["worker_rss_growth_mb", "worker_peak_rss_100k_minus_2k_mb"],
                lambda a, b: a < FLAT_MB and b < FLAT_MB,
            ),
        ),
    ]


def floor_shares(r: dict[str, Any]) -> dict[str, float]:
    """Item 2's floor in runs/s (its SQL and engine time plus the commits item 3 measured), and
    how stageflow and the two SQLite targets compare with it."""
    keys = ("floor_sql_ms_per_run", "floor_engine_ms_per_run", "sqlite_commits_per_s",
            "stageflow_write_txns_per_run", "stageflow_sqlite_runs_per_s",
            "spiff_sqlite_runs_per_s", "sqlite_bound_runs_per_s")  # fmt: skip
    if any(not isinstance(r.get(k), int | float) for k in keys):
        return {}
    commits_ms = r["stageflow_write_txns_per_run"] * 1000 / r["sqlite_commits_per_s"]
    floor = 1000 / (r["floor_sql_ms_per_run"] + r["floor_engine_ms_per_run"] + commits_ms)
    return {
        "sqlite_floor_commit_ms_per_run": round(commits_ms, 3),
        "sqlite_floor_runs_per_s": round(floor, 1),
        "stageflow_share_of_floor": round(r["stageflow_sqlite_runs_per_s"] / floor, 4),
        "spiff_target_share_of_floor": round(10 * r["spiff_sqlite_runs_per_s"] / floor, 4),
        "bound_target_share_of_floor": round(0.5 * r["sqlite_bound_runs_per_s"] / floor, 4),
    }


def dbos_ratios(r: dict[str, Any]) -> dict[str, float]:
    """stageflow / DBOS on PostgreSQL: each at its best process count, and 1 against 1."""
    keys = ("pg_runs_per_s_1_worker", "pg_runs_per_s_2_workers", "pg_runs_per_s_4_workers",
            "dbos_pg_workflows_per_s", "dbos_pg_workflows_per_s_1_processes")  # fmt: skip
    if any(not isinstance(r.get(k), int | float) for k in keys):
        return {}
    best = max(r[k] for k in keys[:3])
    return {
        "stageflow_vs_dbos_ratio": round(best / r["dbos_pg_workflows_per_s"], 2),
        "stageflow_1_vs_dbos_ratio": round(
            r["pg_runs_per_s_1_worker"] / r["dbos_pg_workflows_per_s_1_processes"], 2
        ),
    }


def _pct(x: Any) -> str:
    return f"{x * 100:.1f} %" if isinstance(x, int | float) else "n/a"


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "%":
        return _pct(value)
    if unit == "/s" and isinstance(value, int | float) and value >= 1000:
        return f"{value:,.0f}/s"
    if isinstance(value, float) and unit == "" and value < 1:
        return f"{value:.4f} ({value * 100:.1f} %)"
    return f"{value}{' ' + unit if unit and unit != '/s' else unit}"


def main() -> int:
    os.environ["STAGEFLOW_EMAILS"] = "0"  # no SMTP server: see bench.common.connect
    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": machine(),
        "memory_gib": memory_gib(),
        "versions": versions(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        # other work on the machine skews every figure: the 1/5/15-minute load averages
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    failures = []
    timings: dict[str, float] = {}
    for name, measure in ITEMS:
        print(f"item {name} ...", flush=True)
        t0 = time.perf_counter()
        try:
            results.update(measure())
        except Exception:
            traceback.print_exc()
            failures.append(name)
        timings[name] = round(time.perf_counter() - t0, 1)
        print(f"  done in {timings[name]} s", flush=True)
    results.update(floor_shares(results))
    results.update(dbos_ratios(results))
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds_per_item"] = timings
    results["total_seconds"] = round(time.perf_counter() - started, 1)

    print(f"\nmachine: {results['machine']}, {results['memory_gib']} GiB")
    print(f"load average at start {results['loadavg_start']}, at end {results['loadavg_end']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()))
    width = max(len(label) for label, _, _ in TABLE)
    print(f"\n  {'measure':<{width}}  value")
    print(f"  {'-' * width}  {'-' * 24}")
    markdown = ["| measure | value |", "|---|---:|"]
    for label, key, unit in TABLE:
        print(f"  {label:<{width}}  {_fmt(results.get(key), unit)}")
        markdown.append(f"| {label.strip()} | {_fmt(results.get(key), unit)} |")
    print()
    markdown.append("")
    for line, ok in targets(results):
        verdict = "PASS" if ok else "FAIL" if ok is False else "N/A "
        print(f"  {verdict}  {line}")
        markdown.append(f"- **{verdict.strip()}** {line}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text("\n".join(markdown) + "\n")
    print(f"\nwritten {RESULTS / 'latest.json'} in {results['total_seconds']} s")
    if failures:
        print(f"items that raised: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
