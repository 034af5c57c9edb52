"""`stageflow init`: a new project with one working orchestration."""

from __future__ import annotations

from pathlib import Path

from stageflow.errors import ConfigurationError, Problem

FILES = {
    "stageflow.toml": """\
[stageflow]
definitions = "definitions"
flow_modules = ["flows"]
""",
    "flows.py": '''\
"""Python flows: autolaunched flows return a dict of outputs; evaluation flows return a bool."""

from stageflow import FlowContext, flow


@flow("Say_Hello", outputs={"greeting": "text"})
def say_hello(ctx: FlowContext, name: str) -> dict[str, str]:
    ctx.log.info("greeting %s", name)
    return {"greeting": f"Hello, {name}!"}
''',
    "definitions/hello.yaml": """\
stageflow: 1
kind: orchestration
name: Hello
label: Hello
type: autolaunched
inputs:
  - {name: name, type: text, required: true}
stages:
  - name: Greet
    steps:
      - name: Say_Hello
        type: background
        flow: Say_Hello
        inputs: {name: "{!$Input.name}"}
""",
}


def write_project(folder: Path) -> list[Path]:
    existing = [folder / name for name in FILES if (folder / name).exists()]
    if existing:
        raise ConfigurationError(
            Problem(f"{existing[0]} exists already; init writes only new files")
        )
    written = []
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
