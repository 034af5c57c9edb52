"""Python flows for the flow-runtime tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from stageflow import FlowContext, evaluation_flow, flow


@flow("Returns_Text")
def returns_text(ctx: FlowContext) -> Any:
    return "not a dict"


@evaluation_flow("Ticket_Is_Done")
def ticket_is_done(ctx: FlowContext, ticket: str) -> bool:
    return (ctx.records.get("Ticket", ticket) or {}).get("Stage") == "done"


@evaluation_flow("Broken_Evaluation")
def broken_evaluation(ctx: FlowContext, ticket: str) -> bool:
    raise RuntimeError("the evaluation flow broke")


@flow("Mark_Done_And_Publish")
def mark_done_and_publish(ctx: FlowContext, ticket: str, target: str) -> dict[str, Any]:
    ctx.records.update("Ticket", ticket, {"Stage": "done"})
    ctx.reevaluate(target)
    return {}


@flow("Slow_Async")
def slow_async(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    ctx.records.update("Ticket", ticket, {"Stage": "async ran"})
    return {"ran": True}


@flow("Marks_Ticket")
def marks_ticket(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    ctx.records.update("Ticket", ticket, {"Stage": "marked"})
    return {}


@flow("Writes_Then_Fails")
def writes_then_fails(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    ctx.records.update("Ticket", ticket, {"Stage": "half done"})
    ctx.records.create("Ticket", {"Title": "left over"})
    raise RuntimeError("failed after writing")


@flow("Writes_Then_Publishes_Too_Long")
def writes_then_publishes_too_long(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    ctx.records.update("Ticket", ticket, {"Stage": "half done"})
    ctx.reevaluate("r" * 300)  # its outbox key is over the column's 200: PostgreSQL refuses
    return {}


@flow("Publishes_Too_Long_A_Key")
def publishes_too_long_a_key(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    ctx.reevaluate("r" * 300)  # its outbox key is over the column's 200: PostgreSQL refuses
    return {}


@flow("Swallows_A_Refusal")
def swallows_a_refusal(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    try:
        ctx.reevaluate("r" * 300)  # PostgreSQL refuses its outbox key
    except Exception as exc:  # the flow carries on as if nothing happened: its writes are lost
        ctx.log.info("ignored %s", type(exc).__name__)
    return {}


@evaluation_flow("Evaluates_With_A_Refusal")
def evaluates_with_a_refusal(ctx: FlowContext, ticket: str) -> bool:
    ctx.reevaluate("r" * 300)  # PostgreSQL refuses its outbox key
    return True


@flow("Catches_Everything")
def catches_everything(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    try:
        ctx.records.get("Ticket", ticket)
    except Exception as exc:  # too broad: it catches the transaction's failures too
        ctx.log.info("ignored %s", type(exc).__name__)
    return {}


@flow(
    "Returns_Dates", outputs={"due": "date", "at": "datetime", "amount": "currency", "parts": "any"}
)
def returns_dates(ctx: FlowContext) -> dict[str, Any]:
    return {
        "due": date(2030, 1, 2),
        "at": datetime(2030, 1, 2, 3, 4, tzinfo=UTC),
        "amount": Decimal("12.50"),
        "parts": (Decimal("1"), date(2030, 1, 3)),
    }


@flow("Returns_A_Set")
def returns_a_set(ctx: FlowContext) -> dict[str, Any]:
    return {"fine": 1, "tags": {"a", "b"}}


@flow("Echo_Text")
def echo_text(ctx: FlowContext, text: str) -> dict[str, Any]:
    return {"text": text}


@flow("Fails_While_Blocked")
def fails_while_blocked(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    if (ctx.records.get("Ticket", ticket) or {}).get("Stage") == "blocked":
        raise RuntimeError("the ticket is blocked")
    return {}


@flow("Counts_Runs")
def counts_runs(ctx: FlowContext, ticket: str) -> dict[str, Any]:
    size = (ctx.records.get("Ticket", ticket) or {}).get("Size") or 0
    ctx.records.update("Ticket", ticket, {"Size": size + 1})
    return {}


@flow("Publish_To")
def publish_to(ctx: FlowContext, target: str) -> dict[str, Any]:
    ctx.reevaluate(target)
    return {}


@flow("Sets_Due")
def sets_due(ctx: FlowContext, ticket: str, due: str) -> dict[str, Any]:
    ctx.records.update("Ticket", ticket, {"Due": date.fromisoformat(due) + timedelta(days=1)})
    return {}
