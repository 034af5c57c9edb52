"""Which steps may have run by the time a reference to their outputs is read.

`{!Step.Outputs.name}` is null until the step completes. A reference is refused when the step
can never have run at that point: its stage never comes before the reader's, or it is a step of
the reader's own stage that the reader does not wait for (the reader starts with its stage, or
`after` other steps; a step started by conditions or an evaluation flow may start after any
sibling completed). A step that may have been skipped on the way (a decision that branched past
its stage, an exit criterion that discontinued it) is allowed, as SPEC allows later stages to
read earlier steps: its outputs are then null, as for an optional step, and `{!Step.Status}`
tells which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from stageflow.definitions.model import AfterSteps, Orchestration


@dataclass(frozen=True)
class Scope:
    """Where a reference is read."""

    node: str | None  # the stage or decision; None: the trigger, before the run exists
    step: str | None = None  # the step of the stage whose definition holds the reference
    # conditions (and evaluation flows) are checked again each time a step completes, so they
    # may wait for a sibling, and so may what a step they start reads; a step that starts with
    # its stage or after named steps reads its inputs, record, assignee and email before any
    # other sibling is sure to have run
    waits: bool = False


class RunOrder:
    def __init__(self, o: Orchestration, successors: Callable[[str], list[str]]) -> None:
        self.stage_of = {s.name: st.name for st in o.stages for s in st.steps}
        self.after = {
            s.name: s.start.steps for s in o.steps.values() if isinstance(s.start, AfterSteps)
        }
        self.successors = successors
        self.reaches = cache(self._reaches)

    def not_run(self, step: str, scope: Scope) -> str | None:
        """Why the outputs of `step` cannot be there when `scope` reads them; None if they can."""
        if scope.node is None:
            return "no step has run when a trigger's conditions are checked"
        home = self.stage_of.get(step)
        if home is None:
            return None  # not a step: reported as such elsewhere
        if home != scope.node:
            if scope.node in self.reaches(home):
                return None
            return (
                f"step {step!r} is in stage {home!r}, which never runs before {scope.node!r}: "
                "its outputs are not there yet"
            )
        if scope.waits or scope.step is None or step in self._waited_for(scope.step):
            return None
        return (
            f"step {step!r} may not have run when {scope.step!r} starts "
            f"(list it in the 'after' of {scope.step!r})"
        )

    def _reaches(self, start: str) -> frozenset[str]:
        """The nodes a run can go to after `start` (itself only through a loop)."""
        seen: set[str] = set()
        todo = list(self.successors(start))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += self.successors(name)
        return frozenset(seen)

    def _waited_for(self, step: str) -> set[str]:
        """The steps of its stage that `step` starts after, directly or through others."""
        seen: set[str] = set()
        todo = list(self.after.get(step, ()))
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += self.after.get(name, ())
        return seen
