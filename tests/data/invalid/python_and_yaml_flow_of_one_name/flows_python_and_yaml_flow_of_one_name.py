"""The Python flow of this case (its flow name is unique across the corpus)."""

from stageflow import FlowContext, flow


@flow("Case_Python_And_Yaml_Flow_Send_Note", outputs={"sent": "checkbox"})
def send_note(ctx: FlowContext, note: str) -> dict[str, bool]:
    ctx.log.info("note: %s", note)
    return {"sent": True}
