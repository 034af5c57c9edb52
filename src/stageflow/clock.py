"""The one place that reads the wall clock (the engine never does; services pass `now`)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
