"""labweb bench's arithmetic and formats, without a server: what a reader of a report sees."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from twisted_wsgi_lab.bench.compare import compare, format_changes
from twisted_wsgi_lab.bench.load_result import LoadResult
from twisted_wsgi_lab.bench.report import (
    ReportFormatError,
    build_document,
    format_table,
    read_json,
    summaries,
    write_csv,
    write_json,
)
from twisted_wsgi_lab.bench.results import Measurement, Summary, median, spread_percent, summarize
from twisted_wsgi_lab.bench.runner import alternation


def load(rate: float, *, p99: float = 2.0, errors: int = 0, bad: int = 0) -> LoadResult:
    return LoadResult(
        tool="wrk",
        url="http://127.0.0.1:1/",
        connections=4,
        duration_seconds=1.0,
        requests=int(rate),
        errors=errors,
        status_counts={"200": int(rate) - bad, "500": bad},
        latency_ms={"p50": 1.0, "p99": p99},
        generator_cpu_seconds=0.25,
    )


def measurement(model: str, rate: float, number: int = 1, **extra: object) -> Measurement:
    return Measurement("hello", model, 4, number, load(rate), **extra)  # type: ignore[arg-type]


def test_median_and_spread_describe_the_rounds() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert spread_percent([90.0, 100.0, 110.0]) == pytest.approx(20.0)
    assert spread_percent([]) == 0.0
    assert spread_percent([0.0, 0.0]) == 0.0


def test_rounds_alternate_between_models_within_each_concurrency_level() -> None:
    order = alternation(["a", "b", "c"], [1, 16], rounds=2)
    assert [model for _, _, model in order[:6]] == ["a", "b", "c", "a", "b", "c"]
    assert [(level, number) for level, number, _ in order[:6:3]] == [(1, 1), (1, 2)]
    assert order[6] == (16, 1, "a")
    assert len(order) == 12


def test_a_summary_takes_medians_over_rounds_and_counts_every_error() -> None:
    rounds = [
        Measurement("hello", "reactor", 4, 1, load(900, p99=5.0, errors=1)),
        Measurement("hello", "reactor", 4, 2, load(1000, p99=3.0, bad=2)),
        Measurement("hello", "reactor", 4, 3, load(1100, p99=4.0)),
    ]
    (row,) = summarize(rounds)
    assert row.requests_per_second == 1000.0
    assert row.p99_ms == 4.0
    assert row.spread_percent == pytest.approx(20.0)
    assert row.errors == 3  # one socket error, two 500s
    assert row.generator_cpu_percent == pytest.approx(25.0)
    assert row.kib_per_idle_connection is None


def test_memory_per_idle_connection_is_the_growth_divided_by_the_connections_held() -> None:
    held = Measurement("idle", "reactor", 64, 1, load(100), 10_000, 10_640)
    (row,) = summarize([held])
    assert row.kib_per_idle_connection == 10.0


def document_of(rows: list[Measurement]) -> dict[str, object]:
    return build_document({"cores": 2}, {"rounds": 1}, rows, [("hello", "canned", "why")])


def test_the_json_report_reads_back_to_the_same_summaries(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    document = document_of([measurement("reactor", 1000), measurement("native", 1500)])
    write_json(path, document)
    again = read_json(path)
    assert summaries(again) == summaries(document)
    assert again["skipped"] == [{"scenario": "hello", "model": "canned", "reason": "why"}]
    assert Measurement.from_json(again["measurements"][0]) == measurement("reactor", 1000)


def test_a_file_that_is_not_a_bench_report_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"servers": []}))
    with pytest.raises(ReportFormatError, match=r"other\.json: not a labweb bench JSON report"):
        read_json(path)


def test_the_csv_has_one_row_per_model_and_concurrency(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    write_csv(path, summarize([measurement("reactor", 1000), measurement("native", 1500)]))
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    assert [(row["model"], float(row["requests_per_second"])) for row in rows] == [
        ("reactor", 1000.0),
        ("native", 1500.0),
    ]


def test_the_table_names_the_scenario_and_shows_each_models_rate() -> None:
    text = format_table(summarize([measurement("reactor", 1000)]), {"hello": "answer at once"})
    lines = text.splitlines()
    assert lines[0] == "hello: answer at once"
    assert lines[3].split()[:3] == ["reactor", "4", "1000.0"]


def summary(model: str, rate: float, spread: float = 5.0, p99: float = 2.0) -> Summary:
    return Summary("hello", model, 16, 3, rate, spread, 1.0, p99, 0, None)


def test_compare_shows_the_change_and_marks_what_is_within_the_noise() -> None:
    old = [summary("reactor", 1000), summary("native", 1000), summary("fork", 10)]
    new = [summary("reactor", 1500, p99=1.0), summary("native", 1030), summary("canned", 9)]
    changes = {change.key[1]: change for change in compare(old, new)}
    assert changes["reactor"].rate_change_percent == pytest.approx(50.0)
    assert changes["reactor"].p99_change_percent == pytest.approx(-50.0)
    assert not changes["reactor"].within_noise
    assert changes["native"].within_noise
    text = format_changes(list(changes.values()))
    assert "+50.0%" in text and "+3.0% ~" in text
    assert "added" in text and "gone" in text
