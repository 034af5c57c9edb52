"""`python -m stageflow` is the `stageflow` command."""

from stageflow.cli.main import entry

entry()
