"""The benchmark's run shape: 3 stages, 5 steps, one decision (the peers' shape)."""

from __future__ import annotations

from stageflow.definitions.model import (
    Assignee,
    AssigneeKind,
    Conditions,
    Decision,
    Operator,
    Orchestration,
    OrchestrationType,
    Outcome,
    Rule,
    Stage,
    Step,
    StepType,
)


def _bg(name: str) -> Step:
    return Step(name, name, StepType.BACKGROUND, "Noop", inputs={"n": "{!$Input.n}"})


def _human(name: str) -> Step:
    return Step(
        name, name, StepType.INTERACTIVE, "Review", assignee=Assignee(AssigneeKind.USER, "u")
    )


EXAMPLE_SHAPE = Orchestration(
    name="Bench",
    label="Bench",
    type=OrchestrationType.AUTOLAUNCHED,
    nodes=(
        Stage("Prepare", "Prepare", (_bg("A1"), _bg("A2"))),
        Decision(
            "Route",
            (
                Outcome(
                    "Review",
                    Conditions((Rule("{!A1.Status}", Operator.EQUALS, "Completed"),)),
                    "Review",
                ),
            ),
            default="Close",
        ),
        Stage("Review", "Review", (_human("H1"), _human("H2"))),
        Stage("Close", "Close", (_bg("C1"),)),
    ),
)
