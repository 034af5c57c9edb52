"""YAML that remembers lines, and a reader that collects problems with file, line and field."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import yaml

from stageflow.definitions.model import Loc
from stageflow.errors import Problem

T = TypeVar("T")


class LocDict(dict[str, Any]):
    """A YAML mapping with the line of the mapping and of each key."""

    line: int = 0
    key_lines: dict[str, int]


class LocList(list[Any]):
    line: int = 0


class _LineLoader(yaml.SafeLoader):
    duplicate_keys: list[tuple[str, int]]
    # (text, line, key) of the scalars holding a NUL: a double-quoted "\0" writes one, and no
    # text column of PostgreSQL stores it (a label with one failed every run start)
    nuls: list[tuple[str, int, str | None]]

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LocDict:  # type: ignore[override]
        self.flatten_mapping(node)
        out = LocDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key = str(key)
            if key in out:
                self.duplicate_keys.append((key, key_node.start_mark.line + 1))
            self._nul(key_node, None)  # the key itself, shown in the message
            self._nul(value_node, key)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LocList:
        for child in node.value:
            self._nul(child, None)
        out = LocList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        return out

    def _nul(self, node: yaml.Node, key: str | None) -> None:
        if isinstance(node, yaml.ScalarNode) and "\0" in node.value:
            self.nuls.append((node.value, node.start_mark.line + 1, key))


# YAML 1.2 booleans: only true/false. YAML 1.1 also reads yes/no/on/off as booleans, which turns
# an outcome named `Yes` into `True`.
_BOOL = "tag:yaml.org,2002:bool"
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _LineLoader.construct_mapping,
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
    _LineLoader.construct_sequence,
)


def load_yaml(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Parse YAML text; syntax errors and duplicate keys become problems."""
    try:
        loader = _LineLoader(text)
    except yaml.YAMLError as exc:  # the reader refuses the text itself (control characters)
        return None, [Problem(f"not valid YAML: {_reader_message(exc)}", file)]
    loader.duplicate_keys = []
    loader.nuls = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        return None, [Problem(f"not valid YAML: {exc.problem}", file, line)]
    except yaml.YAMLError as exc:
        return None, [Problem(f"not valid YAML: {_reader_message(exc)}", file)]
    finally:
        loader.dispose()
    problems = [
        Problem(f"duplicate key {key!r}", file, line, key) for key, line in loader.duplicate_keys
    ]
    problems += [
        Problem(
            f"{text!r} contains a NUL character (\\0), which text may not hold", file, line, key
        )
        for text, line, key in loader.nuls
    ]
    return data, problems


def _reader_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character {exc.character!r} at position {exc.position} is not allowed"
    return str(exc)


class Reader:
    """Reads one file's data into model types, collecting every problem instead of stopping."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._path: list[str] = []

    # where we are
    @contextmanager
    def at(self, part: str | int) -> Iterator[None]:
        if isinstance(part, int):
            if self._path:
                self._path[-1] = f"{self._path[-1]}[{part}]"
            else:
                self._path.append(f"[{part}]")
            try:
                yield
            finally:
                self._path[-1] = self._path[-1].rsplit("[", 1)[0]
            return
        self._path.append(part)
        try:
            yield
        finally:
            self._path.pop()

    def field(self, key: str | None = None) -> str:
        # Inside `with r.at("stages")` a problem about the key "stages" is about that same field.
        same = bool(self._path) and self._path[-1] == key
        parts = [*self._path, key] if key and not same else self._path
        return ".".join(parts)

    def loc(self, node: Any, key: str | None = None) -> Loc:
        """Where `node` (or its `key`) is, remembering the lines of the node's keys."""
        return Loc(self.file, line_of(node, key), tuple(key_lines(node)))

    def problem(self, message: str, node: Any = None, key: str | None = None) -> None:
        line = line_of(node, key) if node is not None else None
        self.problems.append(Problem(message, self.file, line or None, self.field(key) or None))

    # typed access
    def mapping(self, node: Any, what: str) -> LocDict | None:
        if isinstance(node, LocDict):
            return node
        self.problem(f"{what} must be a mapping (key: value)", node)
        return None

    def sequence(self, parent: LocDict, key: str, required: bool = False) -> LocList:
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(f"missing required key {key!r}", parent, key)
            return LocList()
        if not isinstance(value, LocList):
            self.problem(f"{key!r} must be a list", parent, key)
            return LocList()
        return value

    def text(self, parent: LocDict, key: str, required: bool = False, default: str = "") -> str:
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(f"missing required key {key!r}", parent, key)
            return default
        if isinstance(value, bool | dict | list):
            self.problem(f"{key!r} must be text", parent, key)
            return default
        return str(value)

    def flag(self, parent: LocDict, key: str, default: bool = False) -> bool:
        value = parent.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{key!r} must be true or false", parent, key)
            return default
        return value

    def choice(self, parent: LocDict, key: str, enum: Callable[[str], T], default: T) -> T:
        value = parent.get(key)
        if value is None:
            return default
        try:
            return enum(str(value))
        except ValueError:
            options = ", ".join(e.value for e in enum)  # type: ignore[attr-defined]
            self.problem(f"{key!r} is {value!r}; expected one of: {options}", parent, key)
            return default

    def only_keys(self, node: LocDict, allowed: set[str]) -> None:
        for key in node:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(f"unknown key {key!r} (allowed: {hint})", node, key)


def line_of(node: Any, key: str | None = None) -> int:
    if key is not None and isinstance(node, LocDict) and key in node.key_lines:
        return node.key_lines[key]
    return int(getattr(node, "line", 0))


def key_lines(node: Any, prefix: str = "", depth: int = 3) -> Iterator[tuple[str, int]]:
    """(dotted key, line) for the keys of a mapping and of the mappings nested `depth` deep."""
    # three deep: a flow element's `create_record.values.Field` has a line of its own
    if not isinstance(node, LocDict) or depth <= 0:
        return
    for key, line in node.key_lines.items():
        yield prefix + key, line
        yield from key_lines(node.get(key), f"{prefix}{key}.", depth - 1)
