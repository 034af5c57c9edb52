"""Where a user is in a screen flow, kept by the page between requests.

`ScreenFlowState` is a frozen snapshot: the current screen, the screens before it (for Previous),
the flow variables (typed values: inputs, accepted fields, assigned variables), what was typed but
not accepted yet, and the messages of the last submission. It goes to JSON and back
(`to_json` / `from_json`); `seal` / `unseal` add an HMAC so a hidden form field cannot be edited.
A state read from a request is untrusted: never use `from_json` on it without `unseal` (or keep
the state on the server).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from stageflow.definitions.model import ScreenFlow
from stageflow.errors import InvalidInput, Problem

STATE_VERSION = 1


@dataclass(frozen=True)
class ScreenFlowState:
    flow: str  # the screen flow's name
    screen: str  # the current screen
    history: tuple[str, ...] = ()  # the screens before it, oldest first; Previous pops the last
    variables: Mapping[str, Any] = field(default_factory=dict)
    # raw form text per field, typed but not accepted yet (a bad submission, or left by Previous)
    entered: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)  # field -> message, current screen
    screen_errors: tuple[str, ...] = ()  # messages about the screen as a whole

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.screen_errors)

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": STATE_VERSION,
                "flow": self.flow,
                "screen": self.screen,
                "history": list(self.history),
                "variables": {k: _encode(v) for k, v in self.variables.items()},
                "entered": {k: list(v) for k, v in self.entered.items()},
                "errors": dict(self.errors),
                "screen_errors": list(self.screen_errors),
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, flow: ScreenFlow, text: str) -> ScreenFlowState:
        """Read a state written by `to_json` for `flow`; anything else is InvalidInput."""
        try:
            data = json.loads(text)
            state = cls(
                flow=_str(data["flow"]),
                screen=_str(data["screen"]),
                history=tuple(_str(s) for s in data["history"]),
                variables={_str(k): _decode(v) for k, v in data["variables"].items()},
                entered={_str(k): tuple(_str(x) for x in v) for k, v in data["entered"].items()},
                errors={_str(k): _str(v) for k, v in data["errors"].items()},
                screen_errors=tuple(_str(m) for m in data["screen_errors"]),
            )
            if data["v"] != STATE_VERSION:
                raise ValueError("unknown state version")
        except (ValueError, TypeError, KeyError, AttributeError, ArithmeticError) as exc:
            raise _invalid(f"the screen flow state cannot be read ({exc})") from None
        check(flow, state)
        return state


def check(flow: ScreenFlow, state: ScreenFlowState) -> None:
    """The state belongs to `flow` and names only its screens."""
    if state.flow != flow.name:
        raise _invalid(f"the state belongs to screen flow {state.flow!r}, not {flow.name!r}")
    for name in (*state.history, state.screen):
        if name not in flow.screen_map:
            raise _invalid(f"screen flow {flow.name!r} has no screen {name!r}")


def seal(state: ScreenFlowState, key: bytes) -> str:
    """The state as URL-safe text with an HMAC-SHA256 signature, for a hidden form field."""
    body = base64.urlsafe_b64encode(state.to_json().encode()).decode().rstrip("=")
    return f"{body}.{_mac(body, key)}"


def unseal(flow: ScreenFlow, token: str, key: bytes) -> ScreenFlowState:
    """Read a sealed state; a changed or foreign token is InvalidInput."""
    body, _, mac = token.rpartition(".")
    if not body or not hmac.compare_digest(mac, _mac(body, key)):
        raise _invalid("the screen flow state was changed or is not from this server")
    try:
        text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid("the screen flow state cannot be read") from None
    return ScreenFlowState.from_json(flow, text)


def _mac(body: str, key: bytes) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(Problem(message, field="state"))


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {value!r}")
    return value


# Typed values in JSON: dates and Decimals are tagged objects, everything else is itself.
def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


_TAGS: Mapping[str, Callable[[str], Any]] = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$decimal": Decimal,
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            tag, text = next(iter(value.items()))
            if tag in _TAGS:
                return _TAGS[tag](_str(text))
        return {k: _decode(v) for k, v in value.items()}
    return value
