"""Flows for the record-trigger tests."""

from __future__ import annotations

from typing import Any

from stageflow import FlowContext, flow


@flow("Trigger_Noop")
def trigger_noop(ctx: FlowContext) -> dict[str, Any]:
    return {}


@flow("Bump_Count")
def bump_count(ctx: FlowContext, loopy: str) -> dict[str, Any]:
    record = ctx.records.get("Loopy", loopy) or {}
    ctx.records.update("Loopy", loopy, {"Count": (record.get("Count") or 0) + 1})
    return {}
