"""stageflow and its peer taking turns, trial by trial, in one process run: items 2 and 3
(stageflow, SpiffWorkflow, stageflow, SpiffWorkflow...) and item 4 (stageflow with 1, 2, 4
processes, DBOS with 1, 2, 4 processes, and again). This machine's speed wanders by a third
over minutes (another VM on the same host): trials run one block after the other can land one
side in a slow spell and the other in a fast one, where trials in turns share them."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench import durable_sqlite, pg_durable, postgres_peer, spiff_peer
from bench.common import median


def measure(runs: int = 300, instances: int = 200, trials: int = 5) -> dict[str, Any]:
    spec = spiff_peer.load_spec()
    ours: list[dict[str, float]] = []
    theirs: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(trials):
            ours.append(durable_sqlite.trial(Path(tmp), n, runs))
            theirs.append(spiff_peer.trial(spec, Path(tmp) / f"spiff{n}.db", instances))
    pairs = [o["sync_runs_per_s"] / rate for o, (rate, _) in zip(ours, theirs, strict=True)]
    return {
        **durable_sqlite.summary(ours),
        **spiff_peer.summary(theirs),
        # each trial's stageflow / Spiff, and their median: the ratio the target reads
        "stageflow_vs_spiff_ratio_trials": [round(r, 2) for r in pairs],
        "stageflow_vs_spiff_ratio": round(median(pairs), 2),
    }


def measure_pg(trials: int = 3, workflows: int = 300) -> dict[str, Any]:
    """Item 4: PostgreSQL's commit rate, then stageflow's and DBOS's runs/s with 1, 2 and 4
    processes, in turns."""
    version = postgres_peer.postgres_up()
    if version is None:
        return {}
    results = postgres_peer.commit_rate(version)
    ours: dict[int, list[float]] = {n: [] for n in postgres_peer.PROCESSES}
    theirs: dict[int, list[float]] = {n: [] for n in postgres_peer.PROCESSES}
    dbos_failed = False
    for _ in range(trials):
        for n in postgres_peer.PROCESSES:
            ours[n].append(pg_durable.runs_per_s(n))
            if dbos_failed:
                continue
            try:
                theirs[n].append(postgres_peer.dbos_workflows_per_s(n, workflows))
            except Exception as exc:  # DBOS not usable: report, keep stageflow's figures
                print(f"  DBOS run failed: {exc!r}")
                dbos_failed = True
    results |= pg_durable.summary(ours)
    return results if dbos_failed else results | postgres_peer.summary(theirs)
