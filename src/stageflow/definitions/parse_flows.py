"""`kind: screen_flow`, `kind: flow` (declarative autolaunched) and `kind: object` YAML."""

from __future__ import annotations

from typing import Any

from stageflow.definitions.model import (
    FINISH,
    Conditions,
    DataType,
    ElementKind,
    FieldValidation,
    FlowDef,
    FlowElement,
    ObjectDef,
    ObjectField,
    RecordUpdate,
    Screen,
    ScreenField,
    ScreenFlow,
    ScreenNext,
    ScreenOutcome,
)
from stageflow.definitions.parse_common import api_name, conditions, label, target, variables
from stageflow.definitions.source import LocDict, LocList, Reader

_CHOICE_TYPES = {DataType.PICKLIST, DataType.RADIO, DataType.MULTI_SELECT}
_FIELD_TYPES = set(DataType) - {DataType.LOOKUP, DataType.USER, DataType.ANY}


def parse_screen_flow(r: Reader, doc: LocDict) -> ScreenFlow:
    r.only_keys(
        doc,
        {"stageflow", "kind", "name", "label", "description", "inputs", "outputs", "screens",
         "assign", "record_updates"},
    )  # fmt: skip
    name = api_name(r, doc)
    screens: list[Screen] = []
    with r.at("screens"):
        raw_screens = r.sequence(doc, "screens", required=True)
        if "screens" in doc and not raw_screens:
            r.problem("a screen flow needs at least one screen", doc, "screens")
        for i, raw in enumerate(raw_screens):
            with r.at(i):
                node = r.mapping(raw, "a screen")
                if node is not None:
                    screens.append(_screen(r, node))
    assign = doc.get("assign") or {}
    if not isinstance(assign, dict):
        r.problem("'assign' must map output names to flow variable names", doc, "assign")
        assign = {}
    return ScreenFlow(
        name=name,
        label=label(r, doc, name),
        screens=tuple(screens),
        inputs=variables(r, doc, "inputs"),
        outputs=variables(r, doc, "outputs"),
        assign={str(k): str(v) for k, v in assign.items()},
        record_updates=_record_updates(r, doc),
        loc=r.loc(doc),
    )


def _screen(r: Reader, node: LocDict) -> Screen:
    r.only_keys(node, {"name", "label", "fields", "assign", "next"})
    name = api_name(r, node)
    fields: list[ScreenField] = []
    with r.at("fields"):
        for i, raw in enumerate(r.sequence(node, "fields", required=True)):
            with r.at(i):
                f = r.mapping(raw, "a field")
                if f is not None:
                    fields.append(_screen_field(r, f))
    return Screen(
        name=name,
        label=label(r, node, name),
        fields=tuple(fields),
        assign=_screen_assign(r, node),
        next=_screen_next(r, node),
        loc=r.loc(node),
    )


def _screen_assign(r: Reader, node: LocDict) -> dict[str, Any]:
    """`assign: {variable: literal | "{!reference}" | "text with {!merge} fields"}`."""
    raw = node.get("assign")
    if raw is None:
        return {}
    if not isinstance(raw, LocDict):
        r.problem("'assign' must map flow variable names to values", node, "assign")
        return {}
    out: dict[str, Any] = {}
    with r.at("assign"):
        for key, value in raw.items():
            _key_is_api_name(r, raw, key)
            if isinstance(value, dict):
                r.problem("a value to assign is a literal, a list or a reference", raw, key)
                continue
            out[key] = value
    return out


def _key_is_api_name(r: Reader, mapping: LocDict, key: str) -> None:
    """Report a key of `mapping` that is not a valid API name, at the key's line."""
    node = LocDict({key: key})
    node.line = mapping.key_lines.get(key, mapping.line)
    node.key_lines = {key: node.line}
    api_name(r, node, key)


def _screen_next(r: Reader, node: LocDict) -> ScreenNext | None:
    """`next: Screen | finish`, `next: [outcome, ...]` or `next: {outcomes: [...], default: ...}`;
    an outcome is `{name?, conditions, screen}`."""
    if "next" not in node:
        return None
    raw = node["next"]
    if not isinstance(raw, LocList | LocDict):
        if isinstance(raw, str):
            return ScreenNext(default=_target(r, node, "next"), loc=r.loc(node).at("next"))
        r.problem(
            "'next' is a screen name, 'finish', a list of outcomes or "
            "{outcomes: [...], default: ...}",
            node,
            "next",
        )
        return None
    with r.at("next"):
        if isinstance(raw, LocList):
            return ScreenNext(_screen_outcomes(r, raw), loc=r.loc(raw))
        r.only_keys(raw, {"outcomes", "default"})
        with r.at("outcomes"):
            outcomes = _screen_outcomes(r, r.sequence(raw, "outcomes", required=True))
        default = _target(r, raw, "default") if raw.get("default") is not None else None
        return ScreenNext(outcomes, default, r.loc(raw))


def _screen_outcomes(r: Reader, raw: LocList) -> tuple[ScreenOutcome, ...]:
    out: list[ScreenOutcome] = []
    for i, item in enumerate(raw):
        with r.at(i):
            o = r.mapping(item, "an outcome")
            if o is None:
                continue
            r.only_keys(o, {"name", "label", "conditions", "screen"})
            name = api_name(r, o) if "name" in o else ""
            if "conditions" in o:
                with r.at("conditions"):
                    conds = conditions(r, o["conditions"], field_means_record=False)
            else:
                r.problem("missing required key 'conditions'", o, "conditions")
                conds = Conditions(())
            out.append(ScreenOutcome(conds, _target(r, o, "screen"), name, r.loc(o)))
    return tuple(out)


def _target(r: Reader, node: LocDict, key: str) -> str:
    """A screen name or `finish`."""
    if key not in node:
        r.problem(f"missing required key {key!r}", node, key)
        return FINISH
    return FINISH if node[key] == FINISH else api_name(r, node, key)


def _screen_field(r: Reader, f: LocDict) -> ScreenField:
    r.only_keys(
        f, {"name", "label", "type", "required", "default", "choices", "help", "validation"}
    )
    name = api_name(r, f)
    kind = r.choice(f, "type", DataType, DataType.TEXT)
    if kind not in _FIELD_TYPES:
        r.problem(f"{kind.value!r} is not a screen field type", f, "type")
    choices = _choices(r, f, kind)
    validation = None
    if "validation" in f:
        with r.at("validation"):
            v = r.mapping(f["validation"], "a validation")
            if v is not None:
                r.only_keys(v, {"condition", "message"})
                with r.at("condition"):
                    cond = conditions(r, v.get("condition"), field_means_record=False)
                validation = FieldValidation(cond, r.text(v, "message", required=True))
    return ScreenField(
        name=name,
        label=label(r, f, name),
        type=kind,
        required=r.flag(f, "required"),
        default=f.get("default"),
        choices=choices,
        help=r.text(f, "help"),
        validation=validation,
        loc=r.loc(f),
    )


def _choices(r: Reader, f: LocDict, kind: DataType) -> tuple[str, ...]:
    raw = f.get("choices")
    if kind in _CHOICE_TYPES and not raw:
        r.problem(f"a {kind.value} field needs 'choices'", f, "choices")
        return ()
    if raw is None:
        return ()
    if not isinstance(raw, list):
        r.problem("'choices' must be a list", f, "choices")
        return ()
    return tuple(str(c) for c in raw)


def _record_updates(r: Reader, doc: LocDict) -> tuple[RecordUpdate, ...]:
    out: list[RecordUpdate] = []
    with r.at("record_updates"):
        for i, raw in enumerate(r.sequence(doc, "record_updates")):
            with r.at(i):
                u = r.mapping(raw, "a record update")
                if u is None:
                    continue
                r.only_keys(u, {"object", "id", "values"})
                values = u.get("values")
                if not isinstance(values, dict) or not values:
                    r.problem("'values' must map field names to values", u, "values")
                    values = {}
                out.append(
                    RecordUpdate(
                        r.text(u, "object", required=True),
                        r.text(u, "id", required=True),
                        dict(values),
                        r.loc(u),
                    )
                )
    return tuple(out)


def parse_object(r: Reader, doc: LocDict) -> ObjectDef:
    r.only_keys(doc, {"stageflow", "kind", "name", "label", "description", "fields"})
    name = api_name(r, doc)
    fields: list[ObjectField] = []
    with r.at("fields"):
        for i, raw in enumerate(r.sequence(doc, "fields", required=True)):
            with r.at(i):
                f = r.mapping(raw, "a field")
                if f is None:
                    continue
                r.only_keys(f, {"name", "label", "type", "required", "choices", "lookup", "help"})
                fname = api_name(r, f)
                kind = r.choice(f, "type", DataType, DataType.TEXT)
                if kind in (DataType.DISPLAY_TEXT, DataType.ANY):
                    r.problem(f"{kind.value!r} is not a record field type", f, "type")
                lookup = f.get("lookup")
                if kind is DataType.LOOKUP and not lookup:
                    r.problem("a lookup field names its object in 'lookup'", f, "lookup")
                fields.append(
                    ObjectField(
                        name=fname,
                        label=label(r, f, fname),
                        type=kind,
                        required=r.flag(f, "required"),
                        choices=_choices(r, f, kind),
                        lookup=None if lookup is None else str(lookup),
                        loc=r.loc(f),
                    )
                )
    return ObjectDef(name, label(r, doc, name), tuple(fields), r.loc(doc))


_ELEMENT_KEYS: dict[ElementKind, set[str]] = {
    ElementKind.ASSIGNMENT: set(),
    ElementKind.DECISION: {"outcomes", "default"},
    ElementKind.GET_RECORD: {"object", "id", "into"},
    ElementKind.CREATE_RECORD: {"object", "values", "into"},
    ElementKind.UPDATE_RECORD: {"object", "id", "values"},
    ElementKind.START_ORCHESTRATION: {"name", "inputs", "record", "into"},
}
_ELEMENT_REQUIRED: dict[ElementKind, set[str]] = {
    ElementKind.ASSIGNMENT: set(),
    ElementKind.DECISION: {"outcomes"},
    ElementKind.GET_RECORD: {"object", "id", "into"},
    ElementKind.CREATE_RECORD: {"object", "values"},
    ElementKind.UPDATE_RECORD: {"object", "id", "values"},
    ElementKind.START_ORCHESTRATION: {"name"},
}


# the keys of an element that hold a name
_NAMES = {"object": "an object name", "name": "an orchestration name", "into": "a variable name"}


def parse_flow(r: Reader, doc: LocDict) -> FlowDef:
    r.only_keys(
        doc, {"stageflow", "kind", "name", "label", "description", "inputs", "outputs", "elements"}
    )
    name = api_name(r, doc)
    elements: list[FlowElement] = []
    with r.at("elements"):
        for i, raw in enumerate(r.sequence(doc, "elements", required=True)):
            with r.at(i):
                e = r.mapping(raw, "an element")
                if e is not None:
                    element = _element(r, e)
                    if element is not None:
                        elements.append(element)
    return FlowDef(
        name=name,
        label=label(r, doc, name),
        elements=tuple(elements),
        inputs=variables(r, doc, "inputs"),
        outputs=variables(r, doc, "outputs"),
        loc=r.loc(doc),
    )


def _element(r: Reader, e: LocDict) -> FlowElement | None:
    kinds = [k for k in ElementKind if k.value in e]
    allowed = {"name", "label", "next", *(k.value for k in ElementKind)}
    r.only_keys(e, allowed)
    name = api_name(r, e)
    if len(kinds) != 1:
        r.problem("an element is exactly one of: " + ", ".join(k.value for k in ElementKind), e)
        return None
    kind = kinds[0]
    with r.at(kind.value):
        config = r.mapping(e[kind.value], f"a {kind.value}")
        if config is None:
            return None
        if kind is ElementKind.DECISION:
            parsed: dict[str, Any] = _flow_decision(r, config)
        else:
            parsed = dict(config)
            if kind is not ElementKind.ASSIGNMENT:  # an assignment's keys are its variables
                r.only_keys(config, _ELEMENT_KEYS[kind])
                for key in sorted(_NAMES.keys() & set(config)):
                    parsed[key] = target(r, config, key, _NAMES[key])
            for key in sorted(_ELEMENT_REQUIRED[kind] - set(config)):
                r.problem(f"missing required key {key!r}", config, key)
    nxt = target(r, e, "next", "an element name or 'end'")
    return FlowElement(name, kind, parsed, nxt, r.loc(e))


def _flow_decision(r: Reader, config: LocDict) -> dict[str, Any]:
    r.only_keys(config, _ELEMENT_KEYS[ElementKind.DECISION])
    outcomes = []
    with r.at("outcomes"):
        for i, raw in enumerate(r.sequence(config, "outcomes", required=True)):
            with r.at(i):
                o = r.mapping(raw, "an outcome")
                if o is None:
                    continue
                r.only_keys(o, {"name", "conditions", "next"})
                with r.at("conditions"):
                    conds = conditions(r, o.get("conditions"), field_means_record=False)
                nxt = target(r, o, "next", "an element name or 'end'")
                # the outcome's place, for a problem with its `next` (validate_flows)
                outcomes.append(
                    {"name": api_name(r, o), "conditions": conds, "next": nxt, "loc": r.loc(o)}
                )
    return {"outcomes": outcomes, "default": target(r, config, "default", "an element name")}
