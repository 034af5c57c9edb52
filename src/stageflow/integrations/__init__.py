"""Ways for a host application to feed stageflow."""
