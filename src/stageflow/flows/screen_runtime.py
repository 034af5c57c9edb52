"""The screen flow runtime (SPEC section 6): pure functions a page calls between requests.

    state = start(flow, inputs)                   # the first screen, defaults applied
    view = render(flow, state)                    # what to draw: fields, values, messages
    result = submit(flow, state, form, "next")    # a new state, or Finished(outputs, ...)

Nothing here does I/O: the page keeps the state (`ScreenFlowState.to_json` or `seal`), and the
caller writes the record updates and completes the work item with the outputs.

Semantics:
- "next" and "finish" both go forward: the screen is parsed and checked (types, required fields,
  validation rules); on success its `assign` runs, then its `next` decides where to go. The page
  labels the button from `ScreenView.finishes`.
- "previous" checks nothing: what was typed stays in `entered` and shows again on return.
- A bad submission returns the same screen, with a message per field and what was typed kept.
- A validation rule `{condition, message}` states what valid input looks like: the message
  shows when the condition does NOT hold (as in Salesforce Flow, whose validation formula must be
  true for valid input). It is checked only when the field has a value; `required` covers empty.
- Only the fields of the screen being submitted are checked: fields of screens not visited
  count as nothing.
- A field's default (a literal, a reference or a template) applies when its screen is shown
  the first time; a revisited screen shows the value last accepted.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from stageflow.definitions import conditions, references
from stageflow.definitions.model import FINISH, DataType, RecordUpdate, Screen, ScreenFlow
from stageflow.errors import InvalidInput, Problem
from stageflow.flows import screen_fields as values
from stageflow.flows.screen_fields import CHOICE_TYPES, Bad, Raw
from stageflow.flows.screen_state import ScreenFlowState, check

Form = Mapping[str, str | Sequence[str]]

REQUIRED = "Complete this field."
REQUIRED_CHECKBOX = "Check this box to go on."


@dataclass(frozen=True)
class FieldView:
    """One field as a template draws it. Labels and help are plain text (escape them);
    `html` is display text with merge fields filled in, already escaped (mark it safe)."""

    name: str
    label: str
    type: DataType
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    value: Any = None  # the typed value; None when empty or when what was typed does not parse
    text: str = ""  # what a text-like input shows: the typed text after an error, else the value
    selected: tuple[str, ...] = ()  # picklist, radio, multi_select: the chosen values
    checked: bool = False  # checkbox
    error: str | None = None
    html: str | None = None  # display_text only


@dataclass(frozen=True)
class ScreenView:
    flow: str
    flow_label: str
    screen: str
    label: str
    fields: tuple[FieldView, ...]
    can_go_back: bool  # show Previous
    finishes: bool  # the forward button says Finish: every way out of this screen finishes
    errors: tuple[str, ...] = ()  # messages about the screen as a whole

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(f.error for f in self.fields)


class RecordWrite(NamedTuple):
    """One record update of a finished flow, resolved: (update, record id, field values)."""

    update: RecordUpdate
    record_id: str  # "" when the id resolved to nothing
    values: dict[str, Any]


@dataclass(frozen=True)
class Finished:
    """The flow finished. Values are JSON-ready (dates as ISO text)."""

    outputs: Mapping[str, Any]  # every declared output, for the step (None when never set)
    record_updates: tuple[RecordWrite, ...]
    variables: Mapping[str, Any]  # every flow variable at the end


SubmitResult = ScreenFlowState | Finished


# --- start and render ----------------------------------------------------------------------------


def start(flow: ScreenFlow, inputs: Mapping[str, Any] | None = None) -> ScreenFlowState:
    """The first screen, with the flow's declared inputs (or their defaults) and field defaults."""
    given = inputs or {}
    variables = {
        v.name: given.get(v.name, v.default)
        for v in flow.inputs
        if v.name in given or v.default is not None
    }
    return _enter(flow, ScreenFlowState(flow.name, flow.screens[0].name, variables=variables))


def render(flow: ScreenFlow, state: ScreenFlowState) -> ScreenView:
    check(flow, state)
    screen = flow.screen_map[state.screen]
    return ScreenView(
        flow=flow.name,
        flow_label=flow.label,
        screen=screen.name,
        label=screen.label,
        fields=tuple(_field_view(flow, state, f.name) for f in screen.fields),
        can_go_back=bool(state.history),
        finishes=all(t == FINISH for t in flow.targets(screen)),
        errors=state.screen_errors,
    )


def _field_view(flow: ScreenFlow, state: ScreenFlowState, name: str) -> FieldView:
    f = flow.fields[name]
    view = FieldView(
        name=f.name,
        label=f.label,
        type=f.type,
        required=f.required,
        help=f.help,
        choices=f.choices,
        error=state.errors.get(f.name),
    )
    if f.type is DataType.DISPLAY_TEXT:
        return replace(view, html=display_html(f.label, state.variables))
    raw = state.entered.get(f.name)
    value = state.variables.get(f.name) if raw is None else values.parse(f, raw)
    if isinstance(value, Bad):
        value = None
    if raw is None:
        raw = values.raw_from(f, value)
    return replace(
        view,
        value=value,
        text=values.text_of(value, f.type) if f.name not in state.entered else _last(raw),
        selected=tuple(r for r in raw if r) if f.type in CHOICE_TYPES else (),
        checked=value is True,
    )


def _last(raw: Raw) -> str:
    return raw[-1] if raw else ""


def display_html(template: str, variables: Mapping[str, Any]) -> str:
    """Display text as HTML: the text and every merged value escaped, line breaks as <br>."""
    lookup = _resolver(variables)
    escaped = html.escape(template)  # merge fields hold no characters that escaping changes
    rendered = references.render(escaped, lambda path: html.escape(values.text_of(lookup(path))))
    return rendered.replace("\r\n", "\n").replace("\n", "<br>\n")


# --- submit --------------------------------------------------------------------------------------


def submit(flow: ScreenFlow, state: ScreenFlowState, form: Form, action: str) -> SubmitResult:
    """`action` is "next", "previous" or "finish"; `form` is what the page sent (a string per
    field, a list for multi-select; a checkbox left out is unchecked)."""
    check(flow, state)
    screen = flow.screen_map[state.screen]
    raw = {f.name: values.raw_of(form.get(f.name)) for f in screen.input_fields}
    if action == "previous":
        if not state.history:
            raise InvalidInput(Problem("the first screen has no previous screen", field="action"))
        return replace(
            state,
            screen=state.history[-1],
            history=state.history[:-1],
            entered={**state.entered, **raw},
            errors={},
            screen_errors=(),
        )
    if action not in ("next", "finish"):
        message = f"unknown action {action!r}: use next, previous or finish"
        raise InvalidInput(Problem(message, field="action"))
    accepted, errors = _accept(screen, state.variables, raw)
    if errors:
        return _refused(state, raw, errors)
    variables = _assign(screen, {**state.variables, **accepted})
    entered = {k: v for k, v in state.entered.items() if k not in accepted}
    target = _decide(flow, screen, variables)
    if target != FINISH:
        moved = ScreenFlowState(
            flow.name, target, (*state.history, screen.name), variables, entered
        )
        return _enter(flow, moved)
    return _finish(flow, state, variables, raw)


def as_typed(flow: ScreenFlow, state: ScreenFlowState, form: Form) -> ScreenFlowState:
    """`state` with what `form` sent for its screen kept as typed: the screen to show again
    when finishing was refused after the flow itself accepted it (the run is suspended, a
    record update cannot be made), so that nothing typed is lost."""
    screen = flow.screen_map[state.screen]
    raw = {f.name: values.raw_of(form.get(f.name)) for f in screen.input_fields}
    return replace(state, entered={**state.entered, **raw})


def _accept(
    screen: Screen, variables: Mapping[str, Any], raw: Mapping[str, Raw]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The screen's typed values, or a message per field that is wrong."""
    accepted: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in screen.input_fields:
        got = values.parse(f, raw[f.name])
        if isinstance(got, Bad):
            errors[f.name] = got.message
        elif f.required and (values.is_empty(got) or got is False):
            errors[f.name] = REQUIRED_CHECKBOX if f.type is DataType.CHECKBOX else REQUIRED
        else:
            accepted[f.name] = got
    lookup = _resolver({**variables, **accepted})
    for f in screen.input_fields:
        rule = f.validation
        if rule is None or f.name not in accepted or values.is_empty(accepted[f.name]):
            continue
        if not conditions.holds(rule.condition, lookup):
            errors[f.name] = rule.message
    return accepted, errors


def _refused(
    state: ScreenFlowState,
    raw: Mapping[str, Raw],
    errors: Mapping[str, str],
    screen_errors: tuple[str, ...] = (),
) -> ScreenFlowState:
    return replace(
        state,
        entered={**state.entered, **raw},
        errors=dict(errors),
        screen_errors=screen_errors,
    )


def _assign(screen: Screen, variables: dict[str, Any]) -> dict[str, Any]:
    """Run the screen's assignments in order; each sees the ones before it."""
    for name, value in screen.assign.items():
        variables[name] = references.resolve(value, _resolver(variables))
    return variables


def _decide(flow: ScreenFlow, screen: Screen, variables: Mapping[str, Any]) -> str:
    """The screen (or FINISH) that follows: the first outcome whose conditions hold."""
    nxt = screen.next
    if nxt is None:
        return flow.listed_after(screen)
    lookup = _resolver(variables)
    for outcome in nxt.outcomes:
        if conditions.holds(outcome.conditions, lookup):
            return outcome.screen
    return nxt.default if nxt.default is not None else flow.listed_after(screen)


def _enter(flow: ScreenFlow, state: ScreenFlowState) -> ScreenFlowState:
    """Show a screen: its fields without a value yet get their defaults."""
    screen = flow.screen_map[state.screen]
    variables = dict(state.variables)
    for f in screen.input_fields:
        if f.name not in variables:
            default = references.resolve(f.default, _resolver(variables))
            variables[f.name] = values.coerce(f, default)
    return replace(state, variables=variables, errors={}, screen_errors=())


def _finish(
    flow: ScreenFlow, state: ScreenFlowState, variables: Mapping[str, Any], raw: Mapping[str, Raw]
) -> SubmitResult:
    """Finished, unless a required output has no value: then the screen shows why."""
    errors: dict[str, str] = {}
    notes: list[str] = []
    for out in flow.outputs:
        source = flow.assign.get(out.name, out.name)
        if out.required and values.is_empty(variables.get(source)):
            if source in raw:
                errors[source] = REQUIRED
            else:
                notes.append(f"The flow cannot finish: {out.name!r} has no value.")
    if errors or notes:
        return _refused(state, raw, errors, tuple(notes))
    outputs = {
        out.name: values.plain(variables.get(flow.assign.get(out.name, out.name)))
        for out in flow.outputs
    }
    return Finished(
        outputs=outputs,
        record_updates=resolve_updates(flow, variables),
        variables=values.plain(dict(variables)),
    )


def resolve_updates(flow: ScreenFlow, variables: Mapping[str, Any]) -> tuple[RecordWrite, ...]:
    """The flow's record updates with references resolved against the variables, JSON-ready."""
    lookup = _resolver(variables)
    return tuple(
        RecordWrite(
            u,
            _text(references.resolve(u.id, lookup)),
            {k: values.plain(references.resolve(v, lookup)) for k, v in u.values.items()},
        )
        for u in flow.record_updates
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _resolver(variables: Mapping[str, Any]) -> references.Resolver:
    """`{!name}` is a flow variable; `{!name.key}` a key of a mapping-valued variable."""

    def lookup(path: references.Path) -> Any:
        value: Any = variables.get(path[0])
        for part in path[1:]:
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    return lookup
