"""Definitions: the orchestration model, its YAML loader and its validation."""
