"""The Python flows the benchmark orchestrations run (bench/project/stageflow.toml)."""

from __future__ import annotations

from stageflow import FlowContext, flow


@flow("Bench_Noop")
def bench_noop(ctx: FlowContext, n: int) -> dict[str, int]:
    return {"n": n}


@flow("Bench_Touch")
def bench_touch(ctx: FlowContext) -> dict[str, int]:
    return {}
