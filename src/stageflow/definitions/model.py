"""The definition model: frozen types built from YAML (format version 1, SPEC section 6).

The engine and the runtimes only ever see these types, never a raw dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

FORMAT_VERSION = 1
# The longest id a record can have, and the longest name of a user, group or queue that a work
# item can be assigned to: the columns that keep them are this long (store/tables.py).
RECORD_ID_LENGTH = 40
ASSIGNEE_LENGTH = 150


@dataclass(frozen=True)
class Loc:
    """Where a node came from: file and 1-based line."""

    file: str
    line: int
    # lines of the node's keys, dotted for nested mappings: (("flow", 14), ("inputs.amount", 17))
    keys: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def at(self, key: str) -> Loc:
        """Where `key` ("flow", "inputs.amount") is written in this node; the nearest enclosing
        key that is written, else the node itself."""
        lines = dict(self.keys)
        while key:
            if key in lines:
                return Loc(self.file, lines[key])
            key = key.rpartition(".")[0]
        return self


NOWHERE = Loc("<code>", 0)


class Kind(StrEnum):
    ORCHESTRATION = "orchestration"
    OBJECT = "object"
    SCREEN_FLOW = "screen_flow"
    FLOW = "flow"


class OrchestrationType(StrEnum):
    RECORD_TRIGGERED = "record_triggered"
    AUTOLAUNCHED = "autolaunched"


class TriggerWhen(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CREATED_OR_UPDATED = "created_or_updated"


class StepType(StrEnum):
    BACKGROUND = "background"
    INTERACTIVE = "interactive"


class DataType(StrEnum):
    DISPLAY_TEXT = "display_text"
    TEXT = "text"
    LONG_TEXT = "long_text"
    NUMBER = "number"
    CURRENCY = "currency"
    DATE = "date"
    DATETIME = "datetime"
    CHECKBOX = "checkbox"
    PICKLIST = "picklist"
    RADIO = "radio"
    MULTI_SELECT = "multi_select"
    EMAIL = "email"
    URL = "url"
    LOOKUP = "lookup"
    USER = "user"
    ANY = "any"


class Operator(StrEnum):
    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    GREATER_THAN = "greater_than"
    LESS_THAN = "less_than"
    GREATER_OR_EQUAL = "greater_or_equal"
    LESS_OR_EQUAL = "less_or_equal"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    IS_NULL = "is_null"
    IS_CHANGED = "is_changed"
    IN = "in"


class AssigneeKind(StrEnum):
    USER = "user"
    GROUP = "group"
    QUEUE = "queue"
    REF = "ref"


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One condition row: a reference on the left, an operator, a literal or reference value."""

    left: str  # always a reference, "{!...}"
    op: Operator
    value: Any
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Conditions:
    """Rows combined by `and`, `or` or custom logic such as `1 AND (2 OR NOT 3)`."""

    rules: tuple[Rule, ...]
    logic: str = "and"
    loc: Loc = NOWHERE


# --- criteria ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnStageStart:
    """Start criterion: the step starts when its stage starts (the default)."""


@dataclass(frozen=True)
class AfterSteps:
    steps: tuple[str, ...]


@dataclass(frozen=True)
class WhenConditions:
    conditions: Conditions


@dataclass(frozen=True)
class WhenEvaluationFlow:
    flow: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class OnFlowFinish:
    """Completion criterion of an interactive step: its screen flow finishes (the default)."""


@dataclass(frozen=True)
class AllStepsComplete:
    """Stage exit criterion: every step of the stage is Completed (the default)."""


StartCriterion = OnStageStart | AfterSteps | WhenConditions | WhenEvaluationFlow
CompletionCriterion = OnFlowFinish | WhenConditions | WhenEvaluationFlow
ExitCriterion = AllStepsComplete | WhenConditions | WhenEvaluationFlow


# --- orchestration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignee:
    kind: AssigneeKind
    value: str  # a username, a group or queue name, or a reference for kind REF


@dataclass(frozen=True)
class EmailSettings:
    """Per-step work item email: custom subject/body templates, or none at all."""

    send: bool = True
    subject: str | None = None
    body: str | None = None


@dataclass(frozen=True)
class Variable:
    name: str
    type: DataType = DataType.TEXT
    required: bool = False
    default: Any = None
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    type: StepType
    flow: str
    is_async: bool = False
    inputs: Mapping[str, Any] = field(default_factory=dict)
    start: StartCriterion = OnStageStart()
    completion: CompletionCriterion = OnFlowFinish()
    assignee: Assignee | None = None
    record: str | None = None  # reference to the context record of an interactive step
    email: EmailSettings = EmailSettings()
    retries: int = 0  # an asynchronous step's flow is tried again this many times before Error
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Stage:
    name: str
    label: str
    steps: tuple[Step, ...]
    exit: ExitCriterion = AllStepsComplete()
    next: str | None = None  # overrides the listed order; a stage or decision name
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Outcome:
    name: str
    conditions: Conditions
    next: str | None  # None ends the run
    label: str = ""
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Decision:
    name: str
    outcomes: tuple[Outcome, ...]
    default: str | None = None  # None ends the run
    label: str = ""
    loc: Loc = NOWHERE


Node = Stage | Decision


@dataclass(frozen=True)
class Trigger:
    object: str
    when: TriggerWhen = TriggerWhen.CREATED_OR_UPDATED
    conditions: Conditions | None = None
    only_when_changed_to_meet: bool = False
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Orchestration:
    name: str
    label: str
    type: OrchestrationType
    nodes: tuple[Node, ...]
    inputs: tuple[Variable, ...] = ()
    trigger: Trigger | None = None
    description: str = ""
    loc: Loc = NOWHERE

    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        return tuple(n for n in self.nodes if isinstance(n, Stage))

    @cached_property
    def node_index(self) -> Mapping[str, int]:
        return {n.name: i for i, n in enumerate(self.nodes)}

    @cached_property
    def steps(self) -> Mapping[str, Step]:
        return {s.name: s for st in self.stages for s in st.steps}

    def node(self, name: str) -> Node:
        return self.nodes[self.node_index[name]]

    def stage(self, name: str) -> Stage:
        node = self.node(name)
        assert isinstance(node, Stage)
        return node

    def next_after(self, node: Node) -> str | None:
        """The node that follows `node` when nothing decides otherwise (None: the end)."""
        if isinstance(node, Stage) and node.next is not None:
            return node.next
        i = self.node_index[node.name] + 1
        return self.nodes[i].name if i < len(self.nodes) else None


# --- screen flows, objects, declarative flows --------------------------------------------------


@dataclass(frozen=True)
class FieldValidation:
    condition: Conditions
    message: str


@dataclass(frozen=True)
class ScreenField:
    name: str
    label: str
    type: DataType
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    validation: FieldValidation | None = None
    loc: Loc = NOWHERE


FINISH = "finish"  # the target that ends a screen flow (`next: finish`, `default: finish`)


@dataclass(frozen=True)
class ScreenOutcome:
    """One way out of a screen: go to `screen` when the conditions hold."""

    conditions: Conditions
    screen: str  # a screen name or FINISH
    name: str = ""
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class ScreenNext:
    """Where a submitted screen goes: the first outcome whose conditions hold, else `default`."""

    outcomes: tuple[ScreenOutcome, ...] = ()
    default: str | None = None  # a screen name, FINISH, or None: the next listed screen
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class Screen:
    name: str
    label: str
    fields: tuple[ScreenField, ...]
    # flow variable -> literal, reference or template; set in order after the screen is submitted
    assign: Mapping[str, Any] = field(default_factory=dict)
    next: ScreenNext | None = None  # None: the next listed screen, finish after the last
    loc: Loc = NOWHERE

    @property
    def input_fields(self) -> tuple[ScreenField, ...]:
        """The fields that take a value (every field but display text)."""
        return tuple(f for f in self.fields if f.type is not DataType.DISPLAY_TEXT)


@dataclass(frozen=True)
class RecordUpdate:
    """On finish, write values (literals or references) to a record."""

    object: str
    id: str
    values: Mapping[str, Any]
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class ScreenFlow:
    name: str
    label: str
    screens: tuple[Screen, ...]
    inputs: tuple[Variable, ...] = ()
    outputs: tuple[Variable, ...] = ()
    assign: Mapping[str, str] = field(default_factory=dict)  # output -> flow variable
    record_updates: tuple[RecordUpdate, ...] = ()
    loc: Loc = NOWHERE

    @cached_property
    def fields(self) -> Mapping[str, ScreenField]:
        return {f.name: f for s in self.screens for f in s.fields}

    @cached_property
    def screen_map(self) -> Mapping[str, Screen]:
        return {s.name: s for s in self.screens}

    @cached_property
    def assigned(self) -> frozenset[str]:
        """The flow variables that screens' `assign` sets."""
        return frozenset(name for s in self.screens for name in s.assign)

    @cached_property
    def variable_names(self) -> frozenset[str]:
        """What `{!name}` may name inside this flow: inputs, screen fields, assigned variables."""
        return frozenset({v.name for v in self.inputs} | set(self.fields) | self.assigned)

    def listed_after(self, screen: Screen) -> str:
        """The screen listed after `screen`, or FINISH after the last one."""
        names = [s.name for s in self.screens]
        i = names.index(screen.name) + 1
        return names[i] if i < len(names) else FINISH

    def targets(self, screen: Screen) -> tuple[str, ...]:
        """Every screen (or FINISH) a submitted `screen` can go to."""
        nxt = screen.next
        if nxt is None:
            return (self.listed_after(screen),)
        default = nxt.default if nxt.default is not None else self.listed_after(screen)
        return (*(o.screen for o in nxt.outcomes), default)


@dataclass(frozen=True)
class ObjectField:
    name: str
    label: str
    type: DataType
    required: bool = False
    choices: tuple[str, ...] = ()
    lookup: str | None = None  # target object of a lookup field
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class ObjectDef:
    name: str
    label: str
    fields: tuple[ObjectField, ...]
    loc: Loc = NOWHERE

    @cached_property
    def field_map(self) -> Mapping[str, ObjectField]:
        return {f.name: f for f in self.fields}


class ElementKind(StrEnum):
    ASSIGNMENT = "assignment"
    DECISION = "decision"
    GET_RECORD = "get_record"
    CREATE_RECORD = "create_record"
    UPDATE_RECORD = "update_record"
    START_ORCHESTRATION = "start_orchestration"


@dataclass(frozen=True)
class FlowElement:
    """One element of a declarative autolaunched flow; `config` is validated by the loader."""

    name: str
    kind: ElementKind
    config: Mapping[str, Any]
    next: str | None = None  # jump after this element (default: the next one listed)
    loc: Loc = NOWHERE


@dataclass(frozen=True)
class FlowDef:
    name: str
    label: str
    elements: tuple[FlowElement, ...]
    inputs: tuple[Variable, ...] = ()
    outputs: tuple[Variable, ...] = ()
    loc: Loc = NOWHERE


Definition = Orchestration | ScreenFlow | ObjectDef | FlowDef
