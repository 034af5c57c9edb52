"""`make bench` is not part of `make test`; these run the stageflow side of its items at a tiny
size, so that a change to the schema or the services cannot break the benchmarks unnoticed
(a NOT NULL column once made item 5's bulk load fail). The figures are not checked: only
that each item runs and reports them, and what does not depend on the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import durable_sqlite, engine_hot_path, floor, list_views, trigger_latency

pytestmark = pytest.mark.slow


def test_the_engine_item_applies_events() -> None:
    got = engine_hot_path.measure(seconds=0.2)
    assert got["engine_events_per_run"] == 6
    assert got["engine_events_per_s"] > 0


def test_a_durable_run_of_item_2_is_two_write_transactions(tmp_path: Path) -> None:
    """The start (A1 and A2 run inside it, H1's item made) and the completion of H1's work item
    (C1, C2 and the run's end inside it): a change that adds a commit to the hot path shows."""
    got = durable_sqlite.stageflow_trial(tmp_path / "d.db", runs=10)
    assert got["writes_per_run"] == 2
    assert got["commits_per_run"] == 2.1  # and one read: the check that every run completed


def test_the_floor_replays_item_2s_statements() -> None:
    got = floor.measure(repeats=3, trials=1)
    assert got["floor_events_per_run"] == 6
    assert got["floor_statements_per_run"] > 0


def test_the_list_views_item_loads_its_data_and_times_every_page() -> None:
    got = list_views.measure(runs=20_000, samples=3, last=3)
    # and the real run whose snapshot the generated ones copy, with its work item
    assert (got["lists_runs"], got["lists_work_items"]) == (20_001, 100_001)
    worst = ("work_items_list_p95_ms", "runs_list_p95_ms", "work_items_list_http_p95_ms",
             "runs_list_http_p95_ms")  # fmt: skip
    pages = [k for k in got if k.startswith("http_console") and k.endswith("_p95_ms")]
    assert len(pages) == 4  # the console's two lists, page 1 and the last page walked to
    for key in (*worst, *pages):
        assert isinstance(got[key], float), key


def test_the_trigger_latency_item_measures_a_record_triggered_start() -> None:
    got = trigger_latency.measure(samples=5)
    assert got["trigger_latency_p99_ms"] > 0
