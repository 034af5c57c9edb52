"""stageflow: multi-stage, multi-user flow orchestration on your own database."""

from stageflow.app import App, connect
from stageflow.errors import Problem, StageflowError
from stageflow.flows.context import FlowContext
from stageflow.flows.registry import evaluation_flow, flow

__all__ = [
    "App",
    "FlowContext",
    "Problem",
    "StageflowError",
    "connect",
    "evaluation_flow",
    "flow",
]
