"""`stageflow.toml`: where a project's definitions are and which Python modules hold its flows."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from stageflow.errors import ConfigurationError, Problem

CONFIG_NAME = "stageflow.toml"


@dataclass(frozen=True)
class Project:
    root: Path  # the folder holding stageflow.toml (added to sys.path for the flow modules)
    definitions: Path
    modules: tuple[str, ...]

    @classmethod
    def bare(cls, folder: Path) -> Project:
        """A folder of YAML files with no stageflow.toml: no Python flows."""
        return cls(folder.resolve(), folder.resolve(), ())


def find(path: Path) -> Project:
    """The project for PATH: a stageflow.toml, a folder holding one, or a plain folder/file."""
    try:
        path = path.resolve()
        path.exists()
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long...
        raise ConfigurationError(Problem(f"not a usable path: {exc}", field="path")) from exc
    if path.is_file() and path.name == CONFIG_NAME:
        return read(path)
    if path.is_dir() and (path / CONFIG_NAME).is_file():
        return read(path / CONFIG_NAME)
    if not path.exists():
        raise ConfigurationError(Problem(f"no such file or folder: {path}"))
    # A folder (or file) inside a project: the nearest stageflow.toml above supplies the modules.
    for parent in path.parents:
        config = parent / CONFIG_NAME
        if config.is_file():
            project = read(config)
            return Project(project.root, path, project.modules)
    return Project.bare(path)


def read(config: Path) -> Project:
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(Problem(f"cannot read: {exc}", str(config))) from exc
    section = data.get("stageflow", data)
    problems = []
    definitions = section.get("definitions", "definitions")
    modules = section.get("flow_modules", [])
    if not isinstance(definitions, str):
        problems.append(
            Problem("'definitions' must be a folder name", str(config), None, "definitions")
        )
        definitions = "definitions"
    if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
        problems.append(
            Problem(
                "'flow_modules' must be a list of module names", str(config), None, "flow_modules"
            )
        )
        modules = []
    if problems:
        raise ConfigurationError(problems)
    root = config.parent.resolve()
    return Project(root, (root / definitions).resolve(), tuple(modules))
