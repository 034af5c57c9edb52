"""The engine: pure state transitions of a run. No I/O, no clock, no SQL, no HTTP."""

from stageflow.engine.transitions import Decision, apply, new_run
from stageflow.engine.working import still_wanted

__all__ = ["Decision", "apply", "new_run", "still_wanted"]
