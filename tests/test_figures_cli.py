"""Figures as `gdlab train`, `gdlab surface` and `gdlab sweep` write them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.image import imread

from gdlab.experiments import parse_optimizers


def assert_png(path, *, min_width=800):
    img = imread(path)
    assert img.shape[1] >= min_width
    assert img.shape[0] >= 300
    assert img[..., :3].std() > 0.05  # not blank


def test_train_writes_figures_and_offline_report(gdlab_cli, tmp_path):
    assert gdlab_cli("train", "iris", "--epochs", "5", "--out", "runs/c", "--quiet").code == 0
    folder = tmp_path / "runs/c"
    for name in ("loss.png", "boundary.png", "confusion.png"):
        assert_png(folder / name)
    html = (folder / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", html)
    assert "softmax" in html
    assert "accuracy" in html
    assert gdlab_cli("train", "--epochs", "3", "--out", "runs/r", "--quiet").code == 0
    assert_png(tmp_path / "runs/r/fit.png")
    assert gdlab_cli("train", "--epochs", "2", "--out", "runs/n", "--no-plots", "--quiet").code == 0
    assert not list((tmp_path / "runs/n").glob("*.png"))
    assert not (tmp_path / "runs/n/report.html").exists()


def test_surface_command_draws_every_path_from_the_start(gdlab_cli, tmp_path):
    r = gdlab_cli("surface", "line-1d", "--optimizers", "gd,sgd,minibatch:5,minibatch:10",
                  "--start", "-15,-10", "--lr", "0.1", "--epochs", "10", "--out", "s")
    assert r.code == 0, r
    assert_png(tmp_path / "s/surface.png")
    # updates per optimizer: 60 rows → gd 10, sgd 600, mini-batch 5 → 120, 10 → 60
    for label, updates in [("gd", 10), ("sgd", 600), ("minibatch:5", 120), ("minibatch:10", 60)]:
        assert re.search(rf"{re.escape(label)}\s+{updates} updates", r.out), r.out


def test_surface_paths_equal_recorded_history(tmp_path):
    import copy

    import torch

    import gdlab
    from gdlab.config import TrainConfig
    from gdlab.experiments import optimizer_paths

    data = gdlab.load("line-1d")
    cfg = TrainConfig(lr=0.1, epochs=3, standardize=False, val_fraction=0, test_fraction=0,
                      record_path=True, quiet=True)
    results = optimizer_paths(data, cfg, parse_optimizers("gd,minibatch:5"), start=(-15, -10),
                              log=lambda _m: None)
    gd_run, _ = results["gd"]
    np.testing.assert_allclose(gd_run.path[0], [-15, -10])
    # replay full-batch GD by hand: w ← w − lr·mean(2(wx + b − y)x), b likewise
    x = torch.tensor(data.X[:, 0])
    y = torch.tensor(data.y)
    w, b = -15.0, -10.0
    for step in range(3):
        r_ = (w * x + b - y).to(torch.float32).double()
        w, b = w - 0.1 * float((2 * r_ * x).mean()), b - 0.1 * float((2 * r_).mean())
        np.testing.assert_allclose(gd_run.path[step + 1], [w, b], rtol=1e-4)
    mb_run, _ = results["minibatch:5"]
    assert mb_run.path.shape == (3 * 12 + 1, 2)
    assert copy.deepcopy(mb_run.path[0]).tolist() == [-15.0, -10.0]


def test_surface_animate_writes_a_gif_with_one_frame_per_recorded_step(gdlab_cli, tmp_path):
    from PIL import Image

    r = gdlab_cli("surface", "line-1d", "--optimizers", "gd,minibatch:20", "--start", "-15,-10",
                  "--lr", "0.1", "--epochs", "4", "--out", "s", "--animate", "s/paths.gif",
                  "--lang", "zh")
    assert r.code == 0, r
    assert_png(tmp_path / "s/surface.png")
    with Image.open(tmp_path / "s/paths.gif") as im:
        assert im.n_frames == 4 * 3 + 1  # minibatch:20 on 60 rows: 3 updates per epoch, + the start
    assert "（13 帧，每个记录的步骤一帧）" in r.out  # --lang zh: 13 frames, one per recorded step


@pytest.mark.parametrize(("args", "needle"), [
    (["line-1d", "--animate", "paths.png"], "--animate writes a GIF"),
    (["synthetic-linear", "--animate", "paths.gif", "--epochs", "2"], "needs a model with two parameters"),
])
def test_surface_animate_refuses_what_it_cannot_draw(gdlab_cli, args, needle):
    r = gdlab_cli("surface", *args)
    assert r.code == 2
    assert needle in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_run_figures_and_report_in_chinese(tmp_path):
    import gdlab
    from gdlab.figures import write_run_figures

    data = gdlab.load("iris")
    run = gdlab.train(None, data, epochs=3, quiet=True)
    written = write_run_figures(run, data, tmp_path, lang="zh")  # a missing glyph: an error
    assert sorted(p.name for p in written) == ["boundary.png", "confusion.png", "loss.png", "report.html"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans">' in html
    for text in ("主要指标", "混淆矩阵", "每轮的损失", "决策边界"):
        assert text in html, text
    assert html.count("data:image/png;base64,") == 3


def test_the_loss_figure_titles_the_chosen_rate_to_four_digits(tmp_path, monkeypatch):
    import gdlab
    from gdlab import figures, viz

    titles, save = [], figures.save_figure
    monkeypatch.setattr(figures, "save_figure", lambda fig, path: titles.append(viz.figure_title(fig)) or save(fig, path))
    data = gdlab.load("synthetic-linear")
    run = gdlab.train(None, data, epochs=2, quiet=True)  # lr auto: 0.046629799…
    figures.write_run_figures(run, data, tmp_path)
    assert f"lr {run.config['lr']:.4g})" in titles[0], titles[0]
    assert str(run.config["lr"]) not in titles[0]


def test_surface_on_a_larger_model_draws_slices(gdlab_cli, tmp_path):
    r = gdlab_cli("surface", "synthetic-linear", "--optimizers", "gd,adam", "--epochs", "3",
                  "--out", "s")
    assert r.code == 0, r
    assert_png(tmp_path / "s/surface-gd.png")
    assert_png(tmp_path / "s/surface-adam.png")


@pytest.mark.parametrize(("text", "needle"), [("gd,foo", "unknown optimizer 'foo'"),
                                              ("sgd:5", "takes no batch size"),
                                              ("minibatch:x", "must be an integer")])
def test_surface_bad_optimizer_specs(gdlab_cli, text, needle):
    r = gdlab_cli("surface", "--optimizers", text)
    assert r.code == 2
    assert needle in r.err


def test_surface_start_needs_two_parameters(gdlab_cli):
    r = gdlab_cli("surface", "synthetic-linear", "--start", "1,2")
    assert r.code == 2
    assert "two parameters" in r.err


def test_sweep_marks_diverged_rate(gdlab_cli, tmp_path):
    r = gdlab_cli("sweep", "--lr", "0.01,0.1,3", "--optimizer", "gd", "--epochs", "20",
                  "--out", "sw")
    assert r.code == 0, r
    assert_png(tmp_path / "sw/sweep.png")
    table = r.out.split("status", 1)[1]
    assert re.search(r"\n\s+3\s.*diverged at epoch \d+", table), r.out
    assert re.search(r"\n\s+0\.1\s.*ok\s+← best", table), r.out


def test_tensorboard_writes_scalar_events(gdlab_cli, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    r = gdlab_cli("train", "--epochs", "3", "--tensorboard", "--out", "tb", "--quiet")
    assert r.code == 0, r
    acc = EventAccumulator(str(tmp_path / "tb/tensorboard"))
    acc.Reload()
    losses = acc.Scalars("loss/train_loss")
    assert [e.step for e in losses] == [1, 2, 3]
    history = (tmp_path / "tb/history.csv").read_text().splitlines()[1:]
    assert losses[-1].value == pytest.approx(float(history[-1].split(",")[1]), rel=1e-6)


def test_tensorboard_missing_says_how_to_install(gdlab_cli, monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_tensorboard(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name.startswith("torch.utils.tensorboard") or name == "tensorboard"):
            raise ImportError(name)
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    r = gdlab_cli("train", "--epochs", "2", "--tensorboard", "--out", "tb")
    assert r.code == 2
    assert "pip install tensorboard" in r.err
    assert not (tmp_path / "tb").exists()
