"""``gdlab compare``: the same training through each engine, one table.

Seconds are measurements: the tests check that the speed column is a number, never
its value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conftest import read_metrics
from gdlab.commands.compare import compare_engines, parse_engines
from gdlab.config import TrainConfig
from gdlab.data import load
from gdlab.errors import GdlabError

ACCEPTANCE = ["compare", "toy-1d", "--engines", "scalar,manual,autograd,nn", "--optimizer", "gd",
              "--lr", "0.01", "--epochs", "100", "--dtype", "float64"]


def table_rows(out: str) -> dict[str, list[str]]:
    """engine -> the cells of its row in the printed table."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("engine "))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = cells[1:]
    return rows


def test_acceptance_four_engines_agree_below_1e_12(gdlab_cli):
    res = gdlab_cli(*ACCEPTANCE)
    assert res.code == 0, res
    assert "max |Δθ| vs nn" in res.out
    rows = table_rows(res.out)
    assert list(rows) == ["scalar", "manual", "autograd", "nn"]
    losses = {float(cells[0]) for cells in rows.values()}
    assert max(losses) - min(losses) < 1e-12
    for cells in rows.values():
        _loss, diff, seconds, ratio, status = cells
        assert float(diff) < 1e-12
        assert float(seconds) > 0
        assert ratio.endswith("x")
        assert float(ratio[:-1]) >= 1.0  # the slowest engine is 1.0x, the others more
        assert status == "ok"
    assert float(rows["nn"][1]) == 0.0


def test_compare_engines_rows_and_reference():
    cfg = TrainConfig.from_kwargs(optimizer="minibatch", batch_size=4, lr=0.05, epochs=5,
                                  dtype="float64", quiet=True)
    data = load("synthetic-linear", n=40, seed=1)
    rows = compare_engines(data, cfg, ["manual", "autograd"])  # nn not listed: first is reference
    assert [r["engine"] for r in rows] == ["manual", "autograd"]
    assert {r["reference"] for r in rows} == {"manual"}
    assert rows[0]["max_param_diff"] == 0.0
    assert rows[1]["max_param_diff"] < 1e-12
    assert max(r["speed_ratio"] for r in rows) >= 1.0
    assert min(r["speed_ratio"] for r in rows) == 1.0
    assert rows[0]["final_loss"] == pytest.approx(rows[1]["final_loss"], rel=1e-12)


def test_refused_and_diverged_engines_get_a_status_row():
    big = load("synthetic-linear", n=20_000, seed=0)  # 20,000 x 2 values: too many for scalar
    cfg = TrainConfig.from_kwargs(optimizer="gd", lr=0.1, epochs=1, quiet=True)
    rows = compare_engines(big, cfg, ["scalar", "manual"])
    assert rows[0]["status"].startswith("refused: the scalar engine")
    assert rows[0]["refused"].startswith("the scalar engine")
    assert rows[0]["final_loss"] is None
    assert rows[1]["status"] == "ok"
    assert rows[1]["reference"] == "manual"

    cfg = TrainConfig.from_kwargs(optimizer="gd", lr=5.0, epochs=50, quiet=True,
                                  standardize=False)
    rows = compare_engines(load("toy-1d"), cfg, ["manual", "nn"])
    assert all(r["status"] == f"diverged at epoch {r['diverged_at']}" for r in rows)


def test_csv_output(gdlab_cli, tmp_path):
    res = gdlab_cli("compare", "toy-1d", "--engines", "manual,nn", "--optimizer", "gd",
                    "--epochs", "5", "--out", tmp_path / "table.csv")
    assert res.code == 0, res
    frame = pd.read_csv(tmp_path / "table.csv")
    assert list(frame["engine"]) == ["manual", "nn"]
    assert {"final_loss", "max_param_diff", "seconds_per_epoch", "speed_ratio"} <= set(frame.columns)


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?(?:e[-+]\d+)?", text)


def test_compare_sweep_and_surface_speak_chinese_with_the_same_numbers(gdlab_cli, tmp_path):
    args = ["toy-1d", "--engines", "manual,nn", "--optimizer", "gd", "--epochs", "5", "--lr", "5",
            "--no-standardize"]
    en, zh = gdlab_cli("compare", *args, "--lang", "en"), gdlab_cli("compare", *args, "--lang", "zh")
    assert en.code == zh.code == 0, (en, zh)
    for text in ("引擎", "最终损失", "与 nn 的最大 |Δθ|", "状态"):
        assert text in zh.out, text
    assert "在第 1 轮发散" in zh.out or "在第 2 轮发散" in zh.out  # lr 5 on toy-1d diverges
    assert "diverged at epoch" in en.out
    assert "max |Δθ| vs nn" in en.out
    rows_en, rows_zh = en.out.splitlines()[4:6], zh.out.splitlines()[4:6]
    assert [r.split()[0] for r in rows_en] == [r.split()[0] for r in rows_zh] == ["manual", "nn"]
    assert [r.split()[1:3] for r in rows_en] == [r.split()[1:3] for r in rows_zh]  # loss, |Δθ|: same digits

    sweep_args = ["toy-1d", "--lr", "0.01,0.1", "--epochs", "4"]
    en = gdlab_cli("sweep", *sweep_args, "--out", tmp_path / "en", "--lang", "en")
    zh = gdlab_cli("sweep", *sweep_args, "--out", tmp_path / "zh", "--lang", "zh")
    assert en.code == zh.code == 0, (en, zh)
    for text in ("比较 2 个学习率", "← 最佳", "最终验证损失"):
        assert text in zh.out, text
    table = lambda out: [line for line in out.splitlines() if re.match(r"\s+0\.\d+\s", line)]  # noqa: E731
    assert [_numbers(x) for x in table(en.out)] == [_numbers(x) for x in table(zh.out)]
    assert len(table(en.out)) == 2
    assert (tmp_path / "zh/sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    zh = gdlab_cli("surface", "toy-1d", "--optimizers", "gd,sgd", "--lang", "zh", "--out", tmp_path / "s")
    assert zh.code == 0, zh
    for text in ("toy-1d（3 行）上的路径", "次更新   最终损失", "图："):
        assert text in zh.out, text


def _table_with_categories(path):
    rng = np.random.default_rng(0)
    n = 120
    age = rng.uniform(20, 60, n)
    city = rng.choice(["Beijing", "Shanghai", "Shenzhen"], n)
    bought = (age / 40 + (city == "Shenzhen") + rng.normal(0, 0.3, n) > 1.4).astype(int)
    cells = [f"{a:.1f}" if i % 17 else "NA" for i, a in enumerate(age)]  # missing ages
    frame = pd.DataFrame({"age": cells, "city": city, "name": [f"p{i}" for i in range(n)],
                          "bought": np.where(bought, "yes", "no")})
    frame.to_csv(path, index=False)
    return path


def test_compare_and_surface_read_a_table_as_train_does(gdlab_cli, tmp_path):
    # categories one-hot, missing cells filled, the id column left out, --features obeyed:
    # compare used to build its model from the raw column count and refuse every engine,
    # and surface drew the raw cells (NaN) into its contours
    path = _table_with_categories(tmp_path / "people.csv")
    res = gdlab_cli("compare", path, "--target", "bought", "--engines", "manual,nn", "--epochs", "3")
    assert res.code == 0, res
    assert res.out.count(" ok") == 2, res.out
    trained = gdlab_cli("train", path, "--target", "bought", "--engine", "nn", "--epochs", "3",
                        "--no-plots", "--out", "runs/p")
    assert trained.code == 0, trained
    final = read_metrics(tmp_path / "runs/p")["train_loss"]
    nn_row = next(line for line in res.out.splitlines() if line.startswith("nn "))
    assert float(nn_row.split()[1]) == pytest.approx(final, rel=1e-6)  # the same training
    res = gdlab_cli("compare", path, "--target", "bought", "--engines", "manual,nn", "--epochs", "3",
                    "--features", "age")
    assert res.code == 0, res
    assert "max |Δθ| vs nn" in res.out
    res = gdlab_cli("surface", path, "--target", "bought", "--features", "age", "--optimizers", "gd",
                    "--out", tmp_path / "s")
    assert res.code == 0, res
    assert (tmp_path / "s/surface.png").exists()  # one feature: the (w, b) surface, NaN filled
    res = gdlab_cli("surface", path, "--target", "bought", "--optimizers", "gd", "--out", tmp_path / "t")
    assert res.code == 0, res
    assert (tmp_path / "t/surface-gd.png").exists()  # four inputs (age, 3 cities): a slice


def test_a_step_that_overflows_python_floats_is_divergence_and_bad_rates_are_refused_first(gdlab_cli):
    res = gdlab_cli("compare", "line-1d", "--lr", "1e6", "--optimizer", "sgd", "--engines", "scalar,nn")
    assert res.code == 0, res  # the scalar engine's (z − y) ** 2 raised OverflowError here
    assert res.out.count("diverged at epoch 1") == 2, res.out
    res = gdlab_cli("sweep", "toy-1d", "--lr", "1e30,0.1", "--epochs", "2")
    assert res.code == 2, res
    assert "--lr must be a number in (0, 1e+06], got 1e+30" in res.err
    assert "final train loss" not in res.out  # refused before 0.1 trained


@pytest.mark.parametrize(("text", "message"), [
    ("scalar,foo", "unknown engine 'foo'"),
    ("nn,nn", "names an engine twice"),
    (",", "needs at least one engine"),
])
def test_bad_engine_lists(gdlab_cli, text, message):
    with pytest.raises(GdlabError, match=message):
        parse_engines(text)
    res = gdlab_cli("compare", "toy-1d", "--engines", text)
    assert res.code == 2
    assert message in res.err


def test_engine_flag_is_not_offered(gdlab_cli):
    res = gdlab_cli("compare", "--help")
    assert res.code == 0
    assert "--engines" in res.out
    assert "--engine " not in res.out
