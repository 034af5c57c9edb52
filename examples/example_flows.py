"""Python flows of the example orchestrations."""

from __future__ import annotations

from typing import Any

from stageflow import FlowContext, evaluation_flow, flow


@flow("Get_Customer_Email", outputs={"email": "email", "customer": "text"})
def get_customer_email(ctx: FlowContext, caseId: str) -> dict[str, Any]:
    case = ctx.records.get("Case", caseId)
    if case is None:
        raise LookupError(f"case {caseId} does not exist")
    email = case.get("Contact_Email")
    if not email:
        raise ValueError(f"case {caseId} has no Contact_Email: set it, then resume the run")
    ctx.log.info("customer email is %s", email)
    return {"email": email, "customer": case.get("Contact_Name") or email}


@flow("Notify_Customer_Of_QA_Survey", outputs={"survey_id": "text"})
def notify_customer(ctx: FlowContext, email: str, caseId: str) -> dict[str, Any]:
    """Records the survey invitation (the email itself goes out with the notifications work)."""
    survey_id = ctx.records.create("QA_Survey", {"Case": caseId, "Email": email, "Status": "Sent"})
    ctx.log.info("QA survey %s sent to %s", survey_id, email)
    return {"survey_id": survey_id}


@evaluation_flow("Needs_Electro_Review")
def needs_electro_review(ctx: FlowContext, caseId: str) -> bool:
    case = ctx.records.get("Case", caseId) or {}
    return case.get("Category") in ("Electrical", "Roof_and_Electrical")


@flow("Record_Payment", outputs={"payment_id": "text"})
def record_payment(ctx: FlowContext, expenseId: str, amount: float) -> dict[str, Any]:
    ctx.records.update("Expense", expenseId, {"Status": "Paid"})
    ctx.log.info("paid %.2f for expense %s", amount, expenseId)
    return {"payment_id": f"PAY-{expenseId}"}
