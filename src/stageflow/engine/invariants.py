"""Named invariants every run snapshot must satisfy; the property tests check them after
every event, and `check` can be run against stored runs."""

from __future__ import annotations

from collections.abc import Callable

from stageflow.engine.state import Run
from stageflow.engine.statuses import (
    RUN_TERMINAL,
    STAGE_CURRENT,
    STEP_ACTIVE,
    RunStatus,
    StageStatus,
    StepStatus,
    WorkItemStatus,
)


def at_most_one_stage_in_progress(run: Run) -> bool:
    return sum(1 for s in run.stages.values() if s.status in STAGE_CURRENT) <= 1


def a_run_in_progress_has_its_current_stage_in_progress(run: Run) -> bool:
    if run.status is not RunStatus.IN_PROGRESS:
        return True
    return run.current is not None and run.stages[run.current].status is StageStatus.IN_PROGRESS


def the_current_stage_is_the_only_open_one(run: Run) -> bool:
    open_stages = {s.name for s in run.stages.values() if s.status in STAGE_CURRENT}
    return open_stages <= ({run.current} if run.current else set())


def steps_run_only_in_the_current_stage(run: Run) -> bool:
    return all(s.stage == run.current for s in run.steps.values() if s.status in STEP_ACTIVE)


def no_open_work_item_on_a_finished_step(run: Run) -> bool:
    return all(
        run.steps[w.step].status in STEP_ACTIVE and run.steps[w.step].work_item == w.id
        for w in run.work_items.values()
        if w.status is WorkItemStatus.ASSIGNED
    )


def a_finished_run_has_no_open_work(run: Run) -> bool:
    if run.status not in RUN_TERMINAL:
        return True
    return (
        not run.open_work_items()
        and all(s.status not in STEP_ACTIVE for s in run.steps.values())
        and all(s.status not in STAGE_CURRENT for s in run.stages.values())
    )


def a_failed_run_has_no_running_step(run: Run) -> bool:
    if run.status is not RunStatus.ERROR:
        return True
    return all(s.status is not StepStatus.IN_PROGRESS for s in run.steps.values())


def a_completed_step_has_outputs(run: Run) -> bool:
    return all(
        s.outputs is not None for s in run.steps.values() if s.status is StepStatus.COMPLETED
    )


def a_completed_run_completed_its_last_stage(run: Run) -> bool:
    if run.status is not RunStatus.COMPLETED:
        return True
    return run.current is None


INVARIANTS: tuple[Callable[[Run], bool], ...] = (
    at_most_one_stage_in_progress,
    a_run_in_progress_has_its_current_stage_in_progress,
    the_current_stage_is_the_only_open_one,
    steps_run_only_in_the_current_stage,
    no_open_work_item_on_a_finished_step,
    a_finished_run_has_no_open_work,
    a_failed_run_has_no_running_step,
    a_completed_step_has_outputs,
    a_completed_run_completed_its_last_stage,
)


def violations(run: Run) -> list[str]:
    return [inv.__name__ for inv in INVARIANTS if not inv(run)]
