"""Rich output: tables, the run tree, problems."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text
from rich.tree import Tree

from stageflow.errors import Problem
from stageflow.services.views import RunView, StageView

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

STATUS_STYLE = {
    "NotStarted": "dim",
    "InProgress": "cyan",
    "Suspended": "yellow",
    "Completed": "green",
    "Discontinued": "dim yellow",
    "Canceled": "magenta",
    "Error": "bold red",
    "Assigned": "cyan",
}


def status(text: str) -> Text:
    return Text(text, style=STATUS_STYLE.get(text, ""))


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def problems(items: Sequence[Problem], title: str = "error") -> None:
    for p in items:
        # one line each, however long: Rich would wrap it at 80 columns when piped
        err.print(Text(f"{title}: ", style="bold red") + Text(str(p)), soft_wrap=True)


# Columns of ids, which people copy into other commands (work-items complete ID...).
ID_COLUMNS = frozenset({"id", "context record"})


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    t = Table(*columns, title=title, title_justify="left", show_lines=False, header_style="bold")
    count = 0
    for row in rows:
        t.add_row(*[c if isinstance(c, Text) else Text("" if c is None else str(c)) for c in row])
        count += 1
    if count == 0:
        out.print(f"[dim]no {title.lower() if title else 'rows'}[/dim]")
        return
    for column in t.columns:
        if str(column.header).lower() in ID_COLUMNS:
            _whole(column)
    out.print(t)


def _whole(column: Column) -> None:
    """Never shrink an id to 'd3zym…': Rich fits a table to the terminal (80 columns when
    piped) by cutting cells, and a cut id cannot be typed back. The other columns give way."""
    column.no_wrap = True
    column.min_width = max((cell_len(str(cell)) for cell in column.cells), default=0)


def _values(values: Any) -> str:
    return json.dumps(values, default=str, ensure_ascii=False)


def run(view: RunView, show_log: bool = True) -> None:
    head = Text(f"{view.name}  ", style="bold") + status(view.status)
    out.print(head)
    out.print(
        f"id {view.id} · {view.orchestration} v{view.version} · record {view.record_id or '-'} · "
        f"created {when(view.created_at)} by {view.created_by}"
    )
    if view.inputs:
        out.print(f"inputs {_values(view.inputs)}")
    tree = Tree(Text("stages", style="bold"))
    items = {w.id: w for w in view.work_items}
    for stage in view.stages:
        _stage(tree, stage, items)
    out.print(tree)
    if view.actions:
        out.print(f"[dim]supervisor actions now: {', '.join(view.actions)}[/dim]")
    if show_log:
        timeline(view)


def _stage(tree: Tree, stage: StageView, items: dict[str, Any]) -> None:
    node = tree.add(Text(f"{stage.label} ", style="bold") + status(stage.status))
    if stage.error is not None and not any(s.error for s in stage.steps):
        node.add(Text(stage.error.message, style="red"))
        if stage.error.traceback:
            node.add(Text(stage.error.traceback.rstrip(), style="red"))
    for step in stage.steps:
        label = (
            Text(f"{step.label} ", style="")
            + status(step.status)
            + Text(f"  [{step.type}]", style="dim")
        )
        if step.attempt > 1:
            label += Text(f" attempt {step.attempt}", style="dim")
        leaf = node.add(label)
        if step.inputs:
            leaf.add(Text(f"inputs {_values(step.inputs)}", style="dim"))
        if step.outputs:
            leaf.add(Text(f"outputs {_values(step.outputs)}"))
        if step.work_item and step.work_item in items:
            w = items[step.work_item]
            leaf.add(
                Text(f"work item {w.id} ")
                + status(w.status.value)
                + Text(
                    f" · {w.assignee}"
                    + (f" · completed by {w.completed_by}" if w.completed_by else "")
                )
            )
        if step.error is not None:
            leaf.add(Text(step.error.message, style="bold red"))
            if step.error.traceback:
                leaf.add(Text(step.error.traceback.rstrip(), style="red"))


def timeline(view: RunView) -> None:
    table(
        ["time", "who", "what", "name", "from", "to", "detail"],
        (
            [
                when(e.at),
                e.actor,
                e.object_type,
                e.object_name,
                e.from_status or "",
                status(e.to_status) if e.to_status else "",
                e.detail,
            ]
            for e in view.log
        ),
        title="Timeline",
    )
