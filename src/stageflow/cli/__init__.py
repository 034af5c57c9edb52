"""The `stageflow` command line."""
