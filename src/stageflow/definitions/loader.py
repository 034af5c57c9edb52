"""Read definition files (one definition a file) into model types, keeping file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from stageflow.definitions import parse_flows, parse_orchestration
from stageflow.definitions.model import (
    FORMAT_VERSION,
    Definition,
    FlowDef,
    Kind,
    ObjectDef,
    Orchestration,
    ScreenFlow,
)
from stageflow.definitions.source import LocDict, Reader, load_yaml
from stageflow.errors import Problem

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Source:
    """One definition with the text it was read from (stored with each deployed version)."""

    definition: Definition
    file: str
    text: str


@dataclass
class Bundle:
    sources: list[Source] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def of(self, cls: type[Definition]) -> list[Definition]:
        return [s.definition for s in self.sources if isinstance(s.definition, cls)]

    @property
    def orchestrations(self) -> list[Orchestration]:
        return [s.definition for s in self.sources if isinstance(s.definition, Orchestration)]

    @property
    def screen_flows(self) -> list[ScreenFlow]:
        return [s.definition for s in self.sources if isinstance(s.definition, ScreenFlow)]

    @property
    def flows(self) -> list[FlowDef]:
        return [s.definition for s in self.sources if isinstance(s.definition, FlowDef)]

    @property
    def objects(self) -> list[ObjectDef]:
        return [s.definition for s in self.sources if isinstance(s.definition, ObjectDef)]


def files_in(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())


def load_path(path: Path, display_root: Path | None = None) -> Bundle:
    bundle = Bundle()
    files = files_in(path)
    if not files:
        bundle.problems.append(Problem(f"no definition files (*.yaml) in {path}", str(path)))
    for file in files:
        name = _display(file, display_root)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            bundle.problems.append(Problem(f"cannot read: {exc}", name))
            continue
        definition, problems = load_text(text, name)
        bundle.problems.extend(problems)
        if definition is not None:
            bundle.sources.append(Source(definition, name, text))
    return bundle


def _display(file: Path, root: Path | None) -> str:
    try:
        return str(file.resolve().relative_to((root or Path.cwd()).resolve()))
    except ValueError:
        return str(file)


def load_text(text: str, file: str) -> tuple[Definition | None, list[Problem]]:
    """Parse one definition; returns it (possibly partial) with every problem found."""
    data, problems = load_yaml(text, file)
    if data is None and problems:
        return None, problems
    if data is None and not problems:
        return None, [Problem("the file is empty: a definition starts with 'stageflow: 1'", file)]
    r = Reader(file)
    r.problems.extend(problems)
    doc = r.mapping(data, "a definition file")
    if doc is None:
        return None, r.problems
    definition = _dispatch(r, doc)
    return definition, r.problems


def _dispatch(r: Reader, doc: LocDict) -> Definition | None:
    version = doc.get("stageflow")
    if type(version) is not int or version != FORMAT_VERSION:  # `true` and 1.0 are not 1
        r.problem(
            f"'stageflow' must be {FORMAT_VERSION} (the format version), got {version!r}",
            doc,
            "stageflow",
        )
    kind_text = doc.get("kind")
    try:
        kind = Kind(str(kind_text))
    except ValueError:
        options = ", ".join(k.value for k in Kind)
        r.problem(f"'kind' is {kind_text!r}; expected one of: {options}", doc, "kind")
        return None
    if kind is Kind.ORCHESTRATION:
        return parse_orchestration.parse(r, doc)
    if kind is Kind.SCREEN_FLOW:
        return parse_flows.parse_screen_flow(r, doc)
    if kind is Kind.FLOW:
        return parse_flows.parse_flow(r, doc)
    return parse_flows.parse_object(r, doc)


def load_one(text: str, file: str) -> Definition:
    """Parse a stored (already validated) definition; any problem here is a bug."""
    definition, problems = load_text(text, file)
    if definition is None or problems:
        raise ValueError(f"stored definition {file} no longer parses: {problems}")
    return definition


def names(definitions: Iterable[Definition]) -> set[str]:
    return {d.name for d in definitions}
