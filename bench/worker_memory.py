"""Item 7: peak RSS of a worker while 100,000 runs are in flight.

100,000 runs of Bench_Wait (one stage: interactive step H1, its work item assigned, and
asynchronous background step B1, its run_flow message queued) are cloned in bulk from one run
started through the API: the run row (snapshot with ids rewritten), its work item, its outbox
message and its run log, inserted with SQLAlchemy Core executemany. A fresh worker process then
runs the worker loop (`stageflow.services.outbox_work.drain`) over the queued messages, each
one loading a run, running B1 and saving the run (which keeps waiting on H1), while a thread
samples its RSS with psutil. Flat means: RSS after the measured messages is no higher than after
the warm-up ones, whatever number of runs is in flight or done."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from bench.common import PROJECT, bulk_engine, connect
from stageflow.store import tables as t

MB = 1024 * 1024


def _template(db: Path) -> dict[str, list[dict[str, Any]]]:
    app = connect(db, embedded_worker=False)
    app.deploy(PROJECT)
    app.people.create_user("u")
    record = app.records.create("Bench_Item", {"Title": "x"}).id
    run = app.start("Bench_Wait", {"n": 1}, record=record)
    assert run.status == "InProgress", run.status
    rows: dict[str, list[dict[str, Any]]] = {}
    with app.rt.engine.connect() as conn:
        for table in (t.runs, t.work_items, t.outbox, t.run_log):
            c = table.c
            stmt = select(table).where(c.id == run.id if table is t.runs else c.run_id == run.id)
            rows[table.name] = [dict(r._mapping) for r in conn.execute(stmt)]
    app.close()
    assert len(rows["outbox"]) == 1, rows
    assert len(rows["work_items"]) == 1, rows
    return rows


def _clone(row: dict[str, Any], old: str, new: str, drop: tuple[str, ...]) -> dict[str, Any]:
    """A copy of a template row with the template run's id replaced by `new` everywhere."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in drop:
            continue
        if isinstance(value, str):
            out[key] = value.replace(old, new) if old in value else value
        elif isinstance(value, dict):
            out[key] = json.loads(json.dumps(value).replace(old, new))
        else:
            out[key] = value
    return out


def generate(db: Path, runs: int, chunk: int = 10_000) -> float:
    start = time.perf_counter()
    template = _template(db)
    old = template["runs"][0]["id"]
    engine = bulk_engine(db)
    with engine.begin() as conn:
        for first in range(0, runs, chunk):
            batch: dict[str, list[dict[str, Any]]] = {name: [] for name in template}
            for i in range(first, min(first + chunk, runs)):
                new = f"m{i:0{len(old) - 1}d}"
                for name, rows in template.items():
                    drop = ("id",) if name in ("outbox", "run_log") else ()
                    batch[name] += [_clone(r, old, new, drop) for r in rows]
            for table in (t.runs, t.work_items, t.outbox, t.run_log):
                conn.execute(insert(table), batch[table.name])
    engine.dispose()
    return time.perf_counter() - start


def worker(db: Path, warmup: int, messages: int, chunk: int = 500) -> dict[str, Any]:
    """The worker process: drain `warmup` messages, then `messages` more, sampling RSS."""
    import psutil

    from stageflow.services.outbox_work import drain

    proc = psutil.Process()
    peak = [proc.memory_info().rss]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            stop.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    app = connect(db, embedded_worker=False)
    rss_connected = proc.memory_info().rss
    done = drain(app.rt, limit=warmup)
    rss_warm = proc.memory_info().rss
    peak_warm = peak[0]
    curve = [(done, rss_warm)]
    start = time.perf_counter()
    while done < warmup + messages:
        n = drain(app.rt, limit=min(chunk, warmup + messages - done))
        if n == 0:
            break
        done += n
        curve.append((done, proc.memory_info().rss))
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    with app.rt.engine.connect() as conn:
        in_flight = conn.execute(
            text("SELECT count(*) FROM runs WHERE status = 'InProgress'")
        ).scalar_one()
        queued = conn.execute(
            text("SELECT count(*) FROM outbox WHERE status = 'ready'")
        ).scalar_one()
    app.close()
    return {
        "processed": done,
        "messages_per_s": (done - warmup) / elapsed,
        "rss_connected_mb": rss_connected / MB,
        "rss_after_warmup_mb": rss_warm / MB,
        "peak_after_warmup_mb": peak_warm / MB,
        "rss_end_mb": curve[-1][1] / MB,
        "peak_mb": peak[0] / MB,
        "in_flight": in_flight,
        "queued_left": queued,
        "curve": [(n, round(r / MB, 1)) for n, r in curve],
    }


def _run_worker(runs: int, warmup: int, messages: int) -> tuple[float, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "memory.db"
        gen_s = generate(db, runs)
        out = subprocess.run(
            [sys.executable, "-m", "bench.worker_memory", str(db), str(warmup), str(messages)],
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
    if out.returncode != 0:
        raise RuntimeError(f"worker process failed:\n{out.stderr[-3000:]}")
    return gen_s, json.loads(out.stdout.strip().splitlines()[-1])


def measure(runs: int = 100_000, warmup: int = 1000, messages: int = 10_000) -> dict[str, Any]:
    # the same worker with 2,000 runs in flight, as the baseline the big one is compared with
    _, small = _run_worker(2000, warmup, 1000)
    gen_s, w = _run_worker(runs, warmup, messages)
    growth = max(w["rss_end_mb"], w["peak_mb"]) - w["rss_after_warmup_mb"]
    curve = w["curve"]
    return {
        "worker_runs_in_flight": w["in_flight"],
        "worker_generate_s": round(gen_s, 1),
        "worker_messages_processed": w["processed"],
        "worker_messages_per_s": round(w["messages_per_s"], 1),
        "worker_rss_after_warmup_mb": round(w["rss_after_warmup_mb"], 1),
        "worker_rss_end_mb": round(w["rss_end_mb"], 1),
        "worker_peak_rss_mb": round(w["peak_mb"], 1),
        "worker_rss_growth_mb": round(growth, 1),
        "worker_rss_curve_mb": curve[:: max(1, len(curve) // 10)] + curve[-1:],
        "worker_2k_in_flight_peak_rss_mb": round(small["peak_mb"], 1),
        "worker_2k_in_flight_messages_per_s": round(small["messages_per_s"], 1),
        "worker_peak_rss_100k_minus_2k_mb": round(w["peak_mb"] - small["peak_mb"], 1),
    }


if __name__ == "__main__":
    print(json.dumps(worker(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
