"""The lessons: registry, the numbers each prints, figures, and ``gdlab lesson``.

Each lesson runs once per module in each language (``results``, ``results_zh``) and the
tests read its returned numbers and printed lines. Exact where the notes give exact
numbers (Liu Er's predictions, the Coursera nn.Linear values and course-order costs);
otherwise the behaviour the notes teach. The Chinese run prints the same numbers, draws
its figures without a missing glyph (warnings are errors) and prints Chinese prose.
"""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from gdlab.data import load
from gdlab.errors import GdlabError
from gdlab.lessons import LESSONS, LIU_ER_COURSE_SETTINGS, get_lesson

NAMES = ["liu-er-gd", "d2l-linear", "coursera-1d", "ng-logistic", "seed004-network"]
PNG = b"\x89PNG\r\n\x1a\n"
GIF = b"GIF89a"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: The errors in the notes each lesson points out (SPEC.md §4; issue 14)
ERRATA = {
    "liu-er-gd": {"stochastic", "float32", "faster"},
    "d2l-linear": {"timer"},
    "coursera-1d": {"points_to_minimum", "plot_sign"},
    "ng-logistic": {"threshold", "sign"},
    "seed004-network": {"scatter", "backprop", "sgd", "plt", "linear"},
}
#: Results that are measurements of time: they differ between any two runs
TIMINGS = {"loop_seconds", "vector_seconds", "ratio", "notes_timing", "vector_sweep",
           "vector_crossover", "engine_sweep", "engine_crossover"}


def _run_all(root: Path, lang: str) -> dict:
    out = {}
    for name in NAMES:
        lines: list[str] = []
        result = LESSONS[name].run(out=root / name, log=lines.append, lang=lang)
        out[name] = (result, lines)
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """name -> (returned dict, printed lines); every lesson run once, figures included."""
    return _run_all(tmp_path_factory.mktemp("lessons"), "en")


@pytest.fixture(scope="module")
def results_zh(tmp_path_factory):
    """The same in Chinese (a missing glyph in any figure is a warning, so an error)."""
    return _run_all(tmp_path_factory.mktemp("lessons-zh"), "zh")


# --- the registry ------------------------------------------------------------------------
def test_registry_lists_every_lesson_in_course_order():
    assert list(LESSONS) == NAMES
    for name, lesson in LESSONS.items():
        assert lesson.name == name
        assert lesson.title
        assert lesson.summary
        assert "\n" not in lesson.summary
        assert len(lesson.explanation) > 200


@pytest.mark.parametrize("name", [n for n in NAMES if LESSONS[n].playground is not None])
def test_playground_settings_are_valid_training_settings(name):
    """Each lesson's playground settings are settings the playground parses and the
    library trains with (the playground's own data names, e.g. ng-digits, included)."""
    from gdlab.web.settings import parse_settings

    pg = dict(LESSONS[name].playground)
    settings = parse_settings({"lesson": name})
    data = settings.load_data()
    start = pg.pop("start", None)
    if isinstance(start, list):  # [w] without a bias, [w, b] with one: a 1-feature model
        assert len(start) == (2 if pg.get("bias", True) else 1)
        assert data.n_features == 1
    cfg = settings.config()
    for key in ("optimizer", "lr", "epochs", "loss", "bias", "shuffle", "standardize", "dtype"):
        if key in pg:
            assert getattr(cfg, key) == pg[key], key
    assert cfg.lr > 0


def test_unknown_lesson_names_the_known_ones():
    with pytest.raises(GdlabError, match=r"unknown lesson 'liu-er'.*did you mean 'liu-er-gd'"):
        get_lesson("liu-er")


def test_lessons_without_data_refuse_data():
    with pytest.raises(GdlabError, match=r"liu-er-gd .* takes no --data"):
        LESSONS["liu-er-gd"].run(out=None, log=lambda _m: None, data="iris")


# --- Liu Er lecture 3: the exact numbers ---------------------------------------------------
def test_liu_er_reproduces_the_three_numbers_exactly(results):
    r, lines = results["liu-er-gd"]
    assert r["gd_w"] == 1.9999444396553017
    assert r["gd_predict"] == 7.999777758621207
    assert r["sgd_predict"] == 7.9999999999996945
    assert r["float32_sgd_predict"] == 7.999998569488525
    assert r["float32_gd_predict"] != r["notes_number"]
    assert r["notes_config"] == "SGD, float32 autograd"
    assert (r["gd_updates"], r["sgd_updates"]) == (100, 300)
    text = "\n".join(lines)
    assert "predict (before training) 4 4.0" in text
    assert "predict (after training) 4 7.999777758621207" in text
    assert "predict (after training) 4 7.9999999999996945" in text
    assert "predict (after training) 4 7.999998569488525" in text
    assert "epoch: 99 w= 1.9999444396553017" in text
    assert sum(line.startswith("\tgrad:") for line in lines) == 300  # one per SGD update
    assert "\tgrad: 1.0 2.0 -2.0" in lines  # the first sample's gradient at w = 1
    assert any("<- the notes' number" in line and "SGD, float32" in line for line in lines)


def test_liu_er_every_float32_sgd_prints_the_notes_number(results):
    r, lines = results["liu-er-gd"]
    p = r["predictions"]
    assert r["notes_configs"] == ["SGD, float32 autograd", "SGD, float32 NumPy", "SGD, float32 gdlab"]
    for how in ("autograd", "NumPy", "gdlab"):
        assert p[f"SGD, float32 {how}"] == 7.999998569488525
        assert p[f"GD, float32 {how}"] == 7.999777317047119
    assert p["GD, Python floats"] == 7.999777758621207
    assert p["SGD, Python floats"] == 7.9999999999996945
    # gdlab.train, y = w·x without a bias from w = 1, rows in order: the same digits per engine
    assert r["library"] == {
        "gd, float32": dict.fromkeys(("manual", "autograd", "nn"), 7.999777317047119),
        "gd, float64": dict.fromkeys(("manual", "autograd", "nn"), 7.999777758621207),
        "sgd, float32": dict.fromkeys(("manual", "autograd", "nn"), 7.999998569488525),
        "sgd, float64": dict.fromkeys(("manual", "autograd", "nn"), 7.9999999999996945),
    }
    assert sum("<- the notes' number" in line for line in lines) == 3


def test_liu_er_notes_errors_with_their_numbers(results):
    r, _ = results["liu-er-gd"]
    e = r["notes_errors"]
    assert e["stochastic"]["again"] == e["stochastic"]["predict"] == 7.9999999999996945  # no randomness
    assert e["stochastic"]["shuffled"] != e["stochastic"]["predict"]
    assert e["float32"] == {"notes": 7.999998569488525, "gd": 7.999777758621207,
                            "gd32": 7.999777317047119}
    # GD with 3x the step beats SGD's 3x the updates; update for update they are alike
    err = r["w_error"]
    assert err["gd_lr"] < err["sgd"] < err["gd_long"] < 3 * err["sgd"] < err["gd"]
    assert err["gd"] == pytest.approx(2 - 1.9999444396553017, rel=1e-12)


def test_liu_er_course_settings_train_y_equals_wx_to_the_lessons_w():
    """The playground's bias-free settings, through gdlab.train, reach the CLI lesson's w."""
    import torch

    import gdlab

    pg = dict(LIU_ER_COURSE_SETTINGS)
    data, (w0,) = load(pg.pop("data")), pg.pop("start")
    model = gdlab.LinearRegression(1, bias=pg["bias"])
    with torch.no_grad():
        model.layers[0].weight.fill_(w0)
    run = gdlab.train(model, data, val_fraction=0.0, test_fraction=0.0, quiet=True, **pg)
    assert run.metrics["params"]["weight"] == [1.9999444396553017]
    assert float(run.predict(np.array([[4.0]]))[0]) == 7.999777758621207
    assert run.config["bias"] is False


# --- d2l 3.2/3.3 -------------------------------------------------------------------------
def test_d2l_scratch_and_concise_recover_the_true_parameters(results):
    r, lines = results["d2l-linear"]
    for key in ("scratch", "concise"):
        assert max(abs(e) for e in r[f"{key}_w_error"]) < 5e-3
        assert abs(r[f"{key}_b_error"]) < 5e-3
        assert len(r[f"{key}_losses"]) == 3
    # the noise is N(0, 0.01²): the best mse is 1e-4, the best half-mse 5e-5
    assert 3e-5 < r["scratch_losses"][-1] < 1e-4
    assert 6e-5 < r["concise_losses"][-1] < 2e-4
    assert r["scratch_losses"][0] > r["scratch_losses"][1] > r["scratch_losses"][2]
    # MSELoss at lr 0.03 takes the steps of ½ squared loss at lr 0.06
    assert r["scratch_lr_x2_vs_concise"] < 1e-5
    assert r["updates_per_epoch"] == 100
    assert "epoch 3, loss" in "\n".join(lines)
    assert "epoch 3, loss:" in "\n".join(lines)


def test_d2l_vectorization_timing_is_reported(results):
    r, lines = results["d2l-linear"]
    assert isinstance(r["ratio"], float)  # a measurement: not asserted
    assert math.isfinite(r["ratio"])
    assert r["loop_seconds"] > 0
    assert r["vector_seconds"] > 0
    assert any(line.startswith("the vector operation is") and "x faster" in line for line in lines)


def test_d2l_where_vectorization_pays_is_measured_not_asserted(results):
    r, lines = results["d2l-linear"]
    assert [row["n"] for row in r["vector_sweep"]] == [1, 4, 16, 64, 256, 1024, 4096]
    assert [row["n"] for row in r["engine_sweep"]] == [3, 10, 30, 100, 300, 1000]
    assert all(row["scalar_seconds"] > 0 and row["manual_seconds"] > 0 for row in r["engine_sweep"])
    assert r["vector_crossover"] in (None, 1, 4, 16, 64, 256, 1024, 4096)
    assert r["engine_crossover"] in (None, 3, 10, 30, 100, 300, 1000)
    timing = r["notes_timing"]
    assert re.fullmatch(r"\d\.\d{5} sec", timing["printed"])  # the notes' '%.5f sec'
    # the spacing of time.time()'s floats today (2**-22 s until 2038): arithmetic, not a timing
    assert timing["clock_step_seconds"] == math.ulp(time.time())
    assert "timer" in r["notes_errors"]
    assert any("gdlab compare synthetic-linear" in line for line in lines)


# --- Coursera module 2 -------------------------------------------------------------------
def test_coursera_prediction_custom_module_and_state_dict(results):
    r, _ = results["coursera-1d"]
    assert round(r["linear_weight"], 4) == 0.5153  # torch.manual_seed(1); nn.Linear(1, 1)
    assert round(r["linear_bias"], 4) == -0.4414
    assert [round(v, 4) for v in r["predictions"]] == [0.0739, 0.5891, 1.1044]
    assert r["custom_same"] is True
    assert r["state_dict_keys"] == ["linear.weight", "linear.bias"]
    assert r["after_set"] == [0.0, 1.0, 2.0]
    assert 0.07 < r["noise_spread"][0.1] < 0.12
    assert 0.7 < r["noise_spread"][1.0] < 1.2


def test_coursera_optimizers_count_updates_and_reach_the_line(results):
    r, lines = results["coursera-1d"]
    assert r["start"] == [-15.0, -10.0]
    for runs in (r["optimizers"], r["shuffled"]):  # course order, and shuffled every epoch
        assert {k: v["updates"] for k, v in runs.items()} == {
            "batch GD": 10, "SGD": 600, "mini-batch 5": 120, "mini-batch 10": 60, "mini-batch 20": 30,
        }
        assert runs["batch GD"]["final_loss"] > 0.5  # 10 updates are not enough
        for name in ("SGD", "mini-batch 5", "mini-batch 10", "mini-batch 20"):
            assert abs(runs[name]["w"] - 1) < 0.06
            assert abs(runs[name]["b"] + 1) < 0.05
            assert runs[name]["final_loss"] < 0.05
    shuffled = r["shuffled"]
    for name in ("SGD", "mini-batch 5", "mini-batch 10", "mini-batch 20"):
        assert abs(shuffled[name]["w"] - 1) < 0.05
    assert any(line.startswith("updates") for line in lines)


def test_coursera_runs_in_course_order_and_prints_the_courses_costs(results):
    r, lines = results["coursera-1d"]
    ordered, shuffled = r["optimizers"], r["shuffled"]
    # after SGD's first epoch: 83.8 in course order, 0.0152 shuffled (issue 14)
    assert round(ordered["SGD"]["first_epoch_loss"], 4) == 83.8293
    assert round(shuffled["SGD"]["first_epoch_loss"], 4) == 0.0152
    assert round(ordered["mini-batch 5"]["first_epoch_loss"], 6) == 0.163665
    assert round(ordered["mini-batch 20"]["first_epoch_loss"], 4) == 86.0634
    # batch GD sees every row at once: the order cannot matter
    assert ordered["batch GD"] == shuffled["batch GD"]
    header = [i for i, line in enumerate(lines) if line.lstrip().startswith("-- in the course's order")]
    assert header
    assert lines[header[0] + 4].split()[:3] == ["1", "175.866", "83.8293"]
    assert any(line.lstrip().startswith("-- beside it: the rows shuffled") for line in lines)


def test_coursera_notes_errors_angle_and_mirrored_plot(results):
    r, _ = results["coursera-1d"]
    assert round(r["start_angle_degrees"], 1) == 19.6  # −∇L at (−15, −10) vs the way to the minimum
    e = r["notes_errors"]
    assert e["points_to_minimum"]["angle"] == r["start_angle_degrees"]
    assert round(e["points_to_minimum"]["gw"], 2) == 95.21
    assert e["plot_sign"]["mb"] == -e["plot_sign"]["b"] > 0
    assert e["plot_sign"]["mirrored"] > 100 * e["plot_sign"]["least"]


def test_coursera_writes_the_paths_as_a_gif_one_frame_per_step(results):
    from PIL import Image

    r, _ = results["coursera-1d"]
    gif = next(Path(p) for p in r["figures"] if p.endswith(".gif"))
    assert gif.name == "coursera-paths.gif"
    with Image.open(gif) as im:
        assert im.n_frames == r["gif_frames"] == 601  # the start + SGD's 600 updates
    assert {Path(p).name for p in r["figures"]} >= {"coursera-noise.png", "coursera-surface.png",
                                                    "coursera-surface-shuffled.png"}


def test_coursera_learning_rates_and_stopping(results):
    r, lines = results["coursera-1d"]
    rates = r["learning_rates"]
    assert rates[0.001]["final_loss"] > 700
    assert rates[0.001]["diverged_at"] is None
    assert rates[0.1]["final_loss"] < 2
    assert rates[0.1]["diverged_at"] is None
    assert rates[0.1]["final_loss"] < rates[0.3]["final_loss"] < rates[0.001]["final_loss"]
    assert rates[0.5]["diverged_at"] == 7
    assert "lr 0.5    too large: diverges    diverged at epoch 7" in lines
    assert r["stopped_reason"] == "tol"
    assert 10 < r["stopped_epoch"] < 100


# --- Ng week 2 -----------------------------------------------------------------------------
def test_ng_vectorized_pass_matches_autograd_and_the_library(results):
    r, lines = results["ng-logistic"]
    assert (r["n_features"], r["n_train"], r["n_test"]) == (64, 285, 72)
    assert r["costs"][0] == pytest.approx(math.log(2), abs=1e-15)  # w = 0: every ŷ = 0.5
    assert "Cost after iteration 0: 0.693147" in lines
    assert all(a > b for a, b in zip(r["costs"], r["costs"][1:], strict=False))  # GD on a convex cost
    assert r["grad_check"] < 1e-12
    assert r["ascent_vs_descent"] < 1e-15
    assert r["library_difference"] < 1e-10
    assert r["library_test_accuracy"] == pytest.approx(r["test_accuracy"])
    assert r["train_accuracy"] > 95
    assert r["test_accuracy"] > 90


def test_ng_cross_entropy_beats_squared_error_from_a_wrong_start(results):
    r, _ = results["ng-logistic"]
    assert r["wrong_start_train_accuracy"] < 10
    assert r["wrong_start_cross_entropy_accuracy"] > 80
    assert r["wrong_start_squared_error_accuracy"] < 50
    assert r["train_accuracy"] >= r["squared_error_train_accuracy"]


def test_ng_computational_graph_numbers_come_from_the_engine(results):
    r, lines = results["ng-logistic"]
    g = r["graph"]
    assert g["z"] == pytest.approx(0.2, abs=1e-15)  # 0.5·1 − 0.2·2 + 0.1
    a = 1 / (1 + math.exp(-0.2))
    assert g["a"] == pytest.approx(a, rel=1e-15)
    assert g["loss"] == pytest.approx(-math.log(a), rel=1e-14) == g["engine_loss"]
    assert g["dL_dz"] == pytest.approx(a - 1, rel=1e-14)
    assert g["dL_da"] == pytest.approx(-1 / a, rel=1e-14)
    assert g["dw"] == pytest.approx([a - 1, 2 * (a - 1)], rel=1e-14)
    assert g["db"] == pytest.approx(a - 1, rel=1e-14)
    assert g["autograd_difference"] < 1e-15
    assert any("∂L/∂z = a − y = -0.450166" in line for line in lines)


def test_ng_notes_errors_the_sign_and_the_threshold(results):
    r, _ = results["ng-logistic"]
    e = r["notes_errors"]
    assert e["sign"]["wrong"] == pytest.approx(math.log(0.1))
    assert e["sign"]["wrong"] < e["sign"]["right"]  # the notes' loss is lower when wrong
    assert e["sign"]["true_wrong"] == pytest.approx(-math.log(0.1))
    # minimizing the notes' formula calls everything class 1
    assert r["notes_sign_accuracy"] == pytest.approx(100 * 146 / 285)
    assert r["notes_sign_final_cost"] < -10
    assert e["threshold"]["minus_b"] == -r["bias"]
    names = {Path(p).name for p in r["figures"]}
    assert names >= {"ng-cost.png", "ng-accuracy.png", "ng-sigmoid.png", "ng-graph.png", "ng-weights.png"}
    assert r["squared_error_costs"][0] == pytest.approx(0.125)  # ½(0.5 − y)² at w = 0


def _catvnoncat(folder: Path, *, m: int = 30, m_test: int = 10) -> Path:
    """Tiny files in the course's layout: 4x4 RGB uint8 images, labels, class names."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", m), ("test", m_test)):
        y = np.arange(n) % 2
        x = rng.integers(0, 120, size=(n, 4, 4, 3)) + 100 * y[:, None, None, None]  # cats brighter
        with h5py.File(folder / f"{prefix}_catvnoncat.h5", "w") as f:
            f[f"{prefix}_set_x"] = x.astype(np.uint8)
            f[f"{prefix}_set_y"] = y.astype(np.int64)
            f["list_classes"] = np.array([b"non-cat", b"cat"])
    return folder / "train_catvnoncat.h5"


def test_ng_trains_on_catvnoncat_files_given_with_data(tmp_path):
    lines: list[str] = []
    r = LESSONS["ng-logistic"].run(out=tmp_path / "ng-logistic", log=lines.append,
                                   data=str(_catvnoncat(tmp_path)))
    assert (tmp_path / "ng-logistic" / "ng-weights.png").read_bytes()[:8] == PNG  # R, G, B panels
    assert (r["n_features"], r["n_train"], r["n_test"]) == (48, 30, 10)
    assert r["costs"][0] == pytest.approx(math.log(2), abs=1e-15)
    assert r["train_accuracy"] == 100.0  # cats are brighter here: separable
    assert "classes 0 = 'non-cat', 1 = 'cat'" in "\n".join(lines)
    assert any(line.startswith("test accuracy: ") for line in lines)


def test_ng_refuses_data_without_two_classes():
    with pytest.raises(GdlabError, match="--data iris: logistic regression needs two classes; it has 3"):
        LESSONS["ng-logistic"].run(out=None, log=lambda _m: None, data="iris")


# --- seed 004 ----------------------------------------------------------------------------------
def test_seed004_network_trains_and_backprop_matches_autograd(results):
    r, lines = results["seed004-network"]
    losses = r["network_losses"]
    assert len(losses) == 10
    assert losses[0] > losses[-1]
    assert 0.3 < losses[-1] < 0.4
    assert r["network_accuracy"] > 0.85
    assert r["backprop_difference"] < 1e-6
    assert f"Epoch [100/1000], Loss: {losses[0]:.4f}" in lines
    assert f"Epoch [1000/1000], Loss: {losses[-1]:.4f}" in lines
    assert any(line.startswith("Accuracy: ") and line.endswith("%") for line in lines)


def test_seed004_softmax_first_shows_in_the_loss_not_the_accuracy(results):
    r, lines = results["seed004-network"]
    s = r["softmax"]
    right, notes = s["right: 2 outputs, logits"], s["notes: 3 outputs, softmax first"]
    assert right["printed_loss"] == pytest.approx(right["true_loss"], abs=1e-6)
    assert r["softmax_floor_3_outputs"] == pytest.approx(math.log(1 + 2 / math.e))
    assert notes["printed_loss"] > r["softmax_floor_3_outputs"]
    assert notes["printed_loss"] > notes["true_loss"] + 0.1  # what it prints is not its loss
    assert notes["true_loss"] > right["true_loss"] + 0.05  # and its real loss is worse
    assert abs(notes["accuracy"] - right["accuracy"]) < 0.01
    assert r["library_difference"] < 1e-6
    assert any("log(1 + 2/e) = 0.5514" in line for line in lines)


def test_seed004_notes_errors_with_their_numbers(results):
    r, _ = results["seed004-network"]
    # x1, x2 (the notes' scatter) carry almost no signal; x1, x3 do (15-neighbour vote)
    assert r["pair_signal"]["x1,x2"] == 0.58
    assert r["informative_pair"] == ["x1", "x3"]
    assert r["pair_signal"]["x1,x3"] == 0.916
    assert r["backward_moves"] == 0.0 < r["step_moves"]  # backward computes, the step moves
    bend = r["nonlinearity"]
    assert abs(bend["midpoint"] - bend["mean"]) > 0.1  # not linear
    assert r["notes_errors"]["plt"] == {"lines": 11, "softmax_lines": 10}
    assert "seed004-scatter.png" in {Path(p).name for p in r["figures"]}


def test_each_lesson_points_out_the_notes_errors_it_touches(results):
    for name, keys in ERRATA.items():
        r, lines = results[name]
        assert set(r["notes_errors"]) == keys, name
        assert sum(line.startswith("notes error: ") for line in lines) == len(keys), name


# --- the same lessons in Chinese ---------------------------------------------------------------
def _numbers(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in TIMINGS | {"figures", "notes_errors"}}


@pytest.mark.parametrize("name", NAMES)
def test_chinese_lessons_compute_the_same_numbers(results, results_zh, name):
    (en, _), (zh, _) = results[name], results_zh[name]
    assert _numbers(zh) == _numbers(en)
    if name != "d2l-linear":  # its note error quotes a timing
        assert zh["notes_errors"] == en["notes_errors"]
    assert [Path(p).name for p in zh["figures"]] == [Path(p).name for p in en["figures"]]


@pytest.mark.parametrize("name", [n for n in NAMES if n != "d2l-linear"])
def test_chinese_lessons_print_the_same_digits(results, results_zh, name):
    digits = re.compile(r"-?\d+\.\d{4,}(?:e[-+]\d+)?")
    (_, en), (_, zh) = results[name], results_zh[name]
    assert set(digits.findall("\n".join(zh))) == set(digits.findall("\n".join(en)))


@pytest.mark.parametrize("name", NAMES)
def test_chinese_lessons_print_chinese(results_zh, name):
    """Every sentence is Chinese; what stays as it is: the notes' programs' own output
    (``predict (after training) 4 …``, ``Epoch [100/1000], Loss: …``), code and numbers."""
    r, lines = results_zh[name]
    prose = re.compile(r"[A-Za-z]+(?:[ ,;:]+[A-Za-z]+){3,}")  # four English words in a row
    english = [line for line in lines if not CJK.search(line) and prose.search(line)]
    assert not english, english
    assert sum(line.startswith("笔记有误：") for line in lines) == len(ERRATA[name])
    assert "这个实验说明了什么：" in lines
    assert lines[0] == LESSONS[name].text("zh")["title"]
    for path in map(Path, r["figures"]):
        assert path.read_bytes()[:6] in (PNG[:6], GIF)


def test_cli_lesson_in_chinese(gdlab_cli, tmp_path):
    res = gdlab_cli("lesson", "liu-er-gd", "--lang", "zh", "--out", tmp_path / "figs")
    assert res.code == 0, res
    assert "这个实验说明了什么：" in res.out
    assert "predict (after training) 4 7.999998569488525" in res.out
    assert "SGD，float32 autograd" in res.out
    assert (tmp_path / "figs" / "liu-er-gd.png").read_bytes()[:8] == PNG


def test_cli_lesson_language_follows_the_locale(gdlab_cli, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    res = gdlab_cli("lesson", "nope")
    assert res.code == 2
    assert "没有名为 'nope' 的课程" in res.err
    res = gdlab_cli("lesson", "list")
    assert LESSONS["liu-er-gd"].text("zh")["summary"] in res.out


# --- figures and explanations -----------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_each_lesson_saves_its_figures_and_explains(results, name):
    r, lines = results[name]
    assert r["figures"], "every lesson draws at least one figure"
    for path in map(Path, r["figures"]):
        assert path.parent.name == name
        assert path.read_bytes()[:8] == PNG or (path.suffix == ".gif" and path.read_bytes()[:6] == GIF)
        assert path.stat().st_size > 20_000
    assert "What this showed:" in lines
    assert any(line.startswith("figures saved in ") for line in lines)


# --- the command line ---------------------------------------------------------------------------
def test_cli_lesson_list_shows_every_lesson(gdlab_cli):
    for args in (["lesson", "list"], ["lesson"]):
        res = gdlab_cli(*args)
        assert res.code == 0, res
        listed = [line.split()[0] for line in res.out.splitlines()[: len(NAMES)]]
        assert listed == NAMES
        for lesson in LESSONS.values():
            assert lesson.summary in res.out


def test_cli_lesson_runs_and_saves_figures(gdlab_cli, tmp_path):
    res = gdlab_cli("lesson", "liu-er-gd", "--out", tmp_path / "figs")
    assert res.code == 0, res
    assert "predict (after training) 4 7.999998569488525" in res.out
    assert "What this showed:" in res.out
    assert (tmp_path / "figs" / "liu-er-gd.png").read_bytes()[:8] == PNG


def test_cli_lesson_default_folder(gdlab_cli, tmp_path):
    res = gdlab_cli("lesson", "liu-er-gd")
    assert res.code == 0, res
    assert (tmp_path / "runs" / "lessons" / "liu-er-gd" / "liu-er-gd.png").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["lesson", "nope"], "unknown lesson 'nope'"),
    (["lesson", "liu-er-gd", "--data", "iris"], "takes no --data"),
])
def test_cli_lesson_bad_input_exits_2_with_one_line(gdlab_cli, args, message):
    res = gdlab_cli(*args)
    assert res.code == 2
    assert message in res.err
    assert len(res.err.strip().splitlines()) == 1
