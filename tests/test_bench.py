"""``gdlab bench``: a --quick smoke run (seconds) and the table's bookkeeping.

Nothing here asserts on time: the figures of a shared machine are noise. The full
benchmark never runs in the test suite; its recorded result lives in benchmarks/.
"""

from __future__ import annotations

import json
import math

import pytest

from gdlab.bench import Report, Row, paired_ratio, peak_memory_ratio

ROWS = (
    "one read of X", "full batch: gdlab linear regression", "full batch: gdlab logistic regression",
    "full batch: gdlab softmax regression", "batch 256: gdlab / DataLoader loop",
    "batch 4096: gdlab / the notes' iterator", "SGDRegressor epoch", "peak memory, full batch run",
)


def test_quick_bench_prints_one_table_and_writes_json(gdlab_cli, tmp_path):
    out = tmp_path / "bench.json"
    r = gdlab_cli("bench", "--quick", "--out", out)
    assert r.code == 0, r
    for what in ROWS:
        assert what in r.out
    assert "- cpu: " in r.out
    assert "- torch: " in r.out
    data = json.loads(out.read_text())
    assert data["sizes"]["n"] == 20_000
    rows = {row["key"]: row for row in data["rows"]}
    for key in ("full:linear", "full:logistic", "full:softmax", "mb:256:dataloader", "sk:regressor"):
        assert math.isfinite(rows[key]["ratio"])
        assert rows[key]["ratio"] > 0
        assert rows[key]["met"] in (True, False)
    for key in ("stream:full", "ddp:2"):  # measured and reported; no target in the issue
        assert math.isfinite(rows[key]["ratio"])
        assert rows[key]["ratio"] > 0


def test_bench_markdown_out(gdlab_cli, tmp_path):
    out = tmp_path / "bench.md"
    r = gdlab_cli("bench", "--quick", "--out", out)
    assert r.code == 0, r
    text = out.read_text()
    assert text.startswith("# gdlab bench")
    assert "| what " in text
    assert "N = 20,000 rows" in text


def test_bench_refuses_out_in_missing_folder(gdlab_cli, tmp_path):
    r = gdlab_cli("bench", "--quick", "--out", tmp_path / "nope" / "b.md")
    assert r.code == 2
    assert "nope" in r.err


def test_targets_are_floors_and_memory_is_a_ceiling():
    report = Report(machine={}, sizes={})
    assert report.add(Row("full:linear", "a", 1.0, 0.81, "read")).met is True  # issue 15: ≥ 0.8
    assert report.add(Row("full:linear", "a", 1.0, 0.79, "read")).met is False
    assert report.add(Row("full:softmax", "b", 1.0, 0.39, "read")).met is False  # ≥ 0.4
    assert report.add(Row("mb:4096:dataloader", "c", 1.0, 50.0, "dl")).met is True
    assert report.add(Row("mem:full", "d", None, 1.31, "X")).met is False
    assert report.add(Row("mem:full", "e", None, 1.02, "X")).target == "≤ 1.3"
    assert report.add(Row("mb:32:notes", "f", 1.0, 3.0, "notes")).met is None  # no target
    assert report.add(Row("small:gd", "g", 1.0, 1.4, "torch")).met is True  # issue 11: at most 1.5×
    assert report.add(Row("cli:diabetes", "h", 1.0, 1.35, "lib")).met is False  # at most 1.3×
    assert report.add(Row("ddp:2", "i", 1.0, 0.9, "one")).met is True  # at least 0.85×
    table = report.table()
    assert table.count("\n") == 1 + len(report.rows)
    assert "NO" in table


def test_paired_ratio_is_the_median_of_ratios():
    assert paired_ratio([1.0, 2.0, 30.0], [1.0, 1.0, 1.0]) == 2.0
    assert paired_ratio([2.0, 4.0], [1.0, 4.0]) == pytest.approx(1.5)


def test_peak_memory_counts_what_a_run_allocates():
    import numpy as np

    x_bytes = 50_000_000
    ratio = peak_memory_ratio(lambda: np.ones(x_bytes // 8).sum(), x_bytes)  # one more X
    assert ratio is not None  # Linux: /proc/self/clear_refs resets the peak
    assert ratio == pytest.approx(2.15, abs=0.35)  # X itself plus one more X-sized array
