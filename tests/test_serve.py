"""The playground server: settings, stepping parity with gdlab.train, the JSON API, the
WebSocket job protocol, bounds, and a real server surviving malformed requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

import gdlab
from conftest import one_torch_thread, playground_server, read_metrics
from gdlab.config import MODELS, OPTIMIZERS
from gdlab.errors import GdlabError
from gdlab.models import build_model
from gdlab.web import limits
from gdlab.web.jobs import TokenBucket, parse_command
from gdlab.web.lessons import lesson_text, playground_lessons
from gdlab.web.server import bind
from gdlab.web.session import Session
from gdlab.web.settings import parse_settings
from gdlab.web.views import Panels

STATIC = Path(gdlab.__file__).parent / "web" / "static"
PLAYGROUND_LESSONS = list(playground_lessons())  # (ng-logistic through gdlab.web.lessons)


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def server():
    with playground_server() as port:
        yield port


@pytest.fixture
def client(server):
    with httpx.Client(base_url=f"http://127.0.0.1:{server}", timeout=30) as c:
        yield c


@pytest.fixture
def socket_to(server):
    """Open the page's WebSocket; messages are JSON objects both ways."""
    with contextlib.ExitStack() as stack:
        yield lambda **kw: stack.enter_context(
            connect(f"ws://127.0.0.1:{server}/api/ws", open_timeout=30, **kw))


def send(ws, message) -> None:
    ws.send(message if isinstance(message, str | bytes) else json.dumps(message))


def recv(ws) -> dict:
    return json.loads(ws.recv(timeout=60))


def reference_run(settings):
    """gdlab.train with the playground's settings, built the way a user would."""
    data = settings.load_data()  # gdlab.load(name, n=…, noise=…, seed=…) for the built-ins
    kw = settings.train_kwargs()
    kind = kw.pop("model")
    model = kind
    if settings.start is not None:
        torch.manual_seed(settings.seed)
        model = build_model(kind, data.n_features, 1, bias=settings.bias)
        with torch.no_grad():
            for i, p in enumerate(model.parameters()):
                p.fill_(0.0 if settings.start == "zeros" else settings.start[i])
    return gdlab.train(model, data, **kw)


def flat(model) -> np.ndarray:
    return np.concatenate([p.detach().double().reshape(-1).numpy() for p in model.parameters()])


def finish(session: Session) -> None:
    while session.run(10**6):
        pass


# --- settings ------------------------------------------------------------------------------
def test_defaults_are_gdlab_train_defaults_on_line_1d():
    s = parse_settings({})
    assert (s.data, s.model, s.loss, s.optimizer, s.lr, s.epochs) == ("line-1d", "linear", "mse", "minibatch", 0.1, 100)
    assert (s.val_fraction, s.test_fraction, s.standardize, s.seed) == (0.1, 0.2, True, 0)
    assert (s.noise, s.data_seed, s.n) == (0.1, 0, None)  # line-1d: 60 fixed x values


def test_lesson_settings_fill_in_and_explicit_values_win():
    s = parse_settings({"lesson": "coursera-1d"})
    assert (s.data, s.batch_size, s.epochs, s.start, s.standardize) == ("line-1d", 5, 10, (-15.0, -10.0), False)
    s2 = parse_settings({"lesson": "coursera-1d", "lr": "0.02"})
    assert s2.lr == 0.02
    assert s2.start == (-15.0, -10.0)


def test_url_round_trip_keeps_every_setting():
    s = parse_settings({"lesson": "d2l-linear", "noise": "0.5", "hidden": "4,3", "model": "mlp", "seed": 7})
    query = s.to_query()
    assert query["lesson"] == "d2l-linear"
    assert query["init_std"] == "0.01"
    assert query["hidden"] == "4,3"
    assert parse_settings(query).values == s.values


@pytest.mark.parametrize(("raw", "message"), [
    ({"lr": "abc"}, "lr must be a number, got 'abc'"),
    ({"lr": 0}, r"lr must be in \(0, 100\], got 0"),
    ({"data": "nope"}, "data must be one of line-1d, .*got 'nope'"),
    ({"colour": "red"}, "unknown setting 'colour'"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of gd, sgd"),
    ({"standardize": "maybe"}, "standardize must be true or false"),
    ({"start": "1,2,3"}, "start must be two numbers 'w,b' .*got '1,2,3'"),
    ({"start": "1"}, "start sets w of a 1-parameter model; linear on line-1d has 2 parameters"),
    ({"data": "toy-1d", "n": 10}, "toy-1d has a fixed size; leave n unset"),
    ({"data": "line-1d", "model": "softmax"}, "model softmax needs a class target; line-1d has a numeric target"),
    ({"data": "moons", "loss": "bce", "model": "linear"}, "--loss bce needs a class target"),
    ({"lesson": "no-such"}, "lesson must be one of .*got 'no-such'"),
    ({"hidden": "10,x"}, r"hidden\[1\] must be a number"),
    ({"val_fraction": 0.5, "test_fraction": 0.5}, "sum to 1 or more"),
])
def test_bad_settings_name_the_value(raw, message):
    with pytest.raises(GdlabError, match=message), Session(parse_settings(raw)):
        pass


def test_softmax_on_two_classes_trains_two_outputs_as_gdlab_train_does():
    """One rule for the model and the task (gdlab.setup): the playground no longer refuses
    what gdlab.train accepts."""
    settings = parse_settings({"data": "moons", "model": "softmax", "epochs": 3})
    with one_torch_thread(), Session(settings) as s:
        s.run(10_000)
        assert s.model.out_features == 2
        assert s.status == "max_epochs"
        page = s.params()
    run = gdlab.train(data=settings.load_data(), config=settings.config(), quiet=True)
    np.testing.assert_allclose(page, np.concatenate([p.detach().double().reshape(-1).numpy()
                                                     for p in run.model.parameters()]), rtol=1e-12)


@pytest.mark.parametrize(("key", "limit", "extra"), [
    ("n", limits.MAX_SAMPLES, {"data": "moons"}),
    ("epochs", limits.MAX_EPOCHS, {}),
    ("speed", limits.MAX_STEPS_PER_SECOND, {}),
    ("lr", limits.MAX_LR, {}),
    ("noise", limits.MAX_NOISE, {}),
    ("seed", limits.MAX_SEED, {}),
])
def test_bounds_accept_the_limit_and_refuse_beyond(key, limit, extra):
    assert parse_settings({**extra, key: limit}).values[key] == limit
    beyond = limit * 1.5 if isinstance(limit, float) else limit + 1
    with pytest.raises(GdlabError, match=f"^{key} must be in"):
        parse_settings({**extra, key: beyond})


def test_hidden_layer_bounds():
    wide = ",".join([str(limits.MAX_HIDDEN_UNITS)] * limits.MAX_HIDDEN_LAYERS)
    assert parse_settings({"model": "mlp", "hidden": wide}).hidden == (limits.MAX_HIDDEN_UNITS,) * limits.MAX_HIDDEN_LAYERS
    with pytest.raises(GdlabError, match=rf"hidden\[0\] must be in \[1, {limits.MAX_HIDDEN_UNITS}\]"):
        parse_settings({"model": "mlp", "hidden": str(limits.MAX_HIDDEN_UNITS + 1)})
    with pytest.raises(GdlabError, match=f"at most {limits.MAX_HIDDEN_LAYERS}"):
        parse_settings({"model": "mlp", "hidden": ",".join(["2"] * (limits.MAX_HIDDEN_LAYERS + 1))})


def test_feature_bound(monkeypatch):
    monkeypatch.setattr(limits, "MAX_FEATURES", 1)
    assert parse_settings({"data": "line-1d"}).data == "line-1d"
    with pytest.raises(GdlabError, match="synthetic-linear has 2 features; the playground allows at most 1"):
        parse_settings({"data": "synthetic-linear"})


def test_path_stops_growing_at_its_bound(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PATH_POINTS", 5)
    with Session(parse_settings({"lesson": "liu-er-gd"})) as s:
        panels = Panels(s)
        start = panels.snapshot()["surface"]["start"]
        assert s.run(10) == 10
        path = [start, *panels.frame()["path"]]
    assert len(path) == limits.MAX_PATH_POINTS


def test_start_needs_a_two_parameter_model():
    with pytest.raises(GdlabError, match=r"start sets .* has 3 parameters"):
        Session(parse_settings({"data": "synthetic-linear", "start": "1,2"})).close()


# --- the stepped run equals gdlab.train ------------------------------------------------------
@pytest.mark.parametrize("lesson", PLAYGROUND_LESSONS)
def test_every_lesson_steps_to_the_parameters_gdlab_train_gives(lesson):
    settings = parse_settings({"lesson": lesson})
    session = Session(settings)
    finish(session)
    run = reference_run(settings)
    assert session.status == run.stopped_reason == "max_epochs"
    assert session.state.step == len(run.steps)
    np.testing.assert_array_equal(session.params(), flat(run.model))
    assert [e["train_loss"] for e in session.state.history] == [e["train_loss"] for e in run.history]


def test_d2l_lesson_matches_the_gdlab_train_command(gdlab_cli):
    """The command line itself, with the lesson's settings as flags."""
    settings = parse_settings({"lesson": "d2l-linear"})
    session = Session(settings)
    finish(session)
    result = gdlab_cli("train", "synthetic-linear", "--model", "linear", "--optimizer", "minibatch",
                       "--batch-size", "10", "--lr", "0.03", "--epochs", "3", "--loss", "half-mse",
                       "--init-std", "0.01", "--no-standardize", "--device", "cpu", "--no-plots",
                       "--out", "run", "--quiet")
    assert result.code == 0, result
    params = read_metrics(Path("run"))["params"]
    page = Panels(session).params()
    np.testing.assert_allclose(page["values"], [*params["weight"], *params["bias"]], rtol=0, atol=0)


def test_pausing_anywhere_draws_the_same_batches_as_one_run():
    settings = parse_settings({"data": "moons", "optimizer": "sgd", "epochs": 3, "n": 40})
    a = Session(settings)
    a.run(7)
    a.run(1000, until_epoch_end=True)  # finish epoch 1 (28 updates)
    assert a.state.epoch == 1
    assert a.state.step == 28
    finish(a)
    np.testing.assert_array_equal(a.params(), flat(reference_run(settings).model))


def test_changing_lr_continues_from_the_current_parameters():
    """gd on toy-1d in float64: after the change, one update is w − η′∂L/∂w exactly."""
    settings = parse_settings({"lesson": "liu-er-gd", "dtype": "float64", **WITH_BIAS})
    with Session(settings) as s:
        check_lr_change(s)


WITH_BIAS = {"bias": True, "start": "1,0"}  # the Liu Er data with a (w, b) model


def check_lr_change(s):
    s.run(5)
    w, b = s.params()
    s.set_lr(0.05)
    assert s.settings.lr == 0.05
    assert s.settings.to_query()["lr"] == "0.05"
    np.testing.assert_array_equal(s.params(), [w, b])  # nothing moved
    s.step()
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    r = w * x + b - y
    expected = [w - 0.05 * np.mean(2 * r * x), b - 0.05 * np.mean(2 * r)]
    np.testing.assert_allclose(s.params(), expected, rtol=1e-14)
    assert s.state.history[-1]["lr"] == 0.05


def test_lr_changed_mid_epoch_applies_from_the_next_epoch():
    with Session(parse_settings({"lesson": "coursera-1d"})) as s:  # 9 updates per epoch
        s.run(3)
        s.set_lr(0.01)
        assert (s.lr, s.next_epoch_lr) == (0.1, 0.01)
        s.run(100, until_epoch_end=True)
        assert s.state.step == 9
        assert s.lr == 0.01
        s.run(9)
        assert [e["lr"] for e in s.state.history] == [0.1, 0.01]


def test_the_surface_widens_when_the_path_leaves_it():
    with Session(parse_settings({"lesson": "liu-er-gd", "lr": 0.4, **WITH_BIAS})) as s:  # overshoots
        panels = Panels(s)
        first = panels.snapshot()["surface"]
        s.run(3)
        frame = panels.frame()
    w, b = frame["path"][-1]
    wider = frame["surface"]
    assert not first["w"][0] <= w <= first["w"][1]
    assert wider["w"][0] <= w <= wider["w"][1]
    assert wider["b"][0] <= b <= wider["b"][1]
    assert wider["start"] == first["start"] == [1.0, 0.0]


def test_divergence_stops_with_a_message():
    s = Session(parse_settings({"lesson": "liu-er-gd", "lr": 5}))
    finish(s)
    assert s.done
    assert s.status == "diverged"
    # the page's banner speaks of its own slider, not of a command-line flag
    assert re.match(r"training diverged at epoch \d+ .*; try a smaller learning rate than 5 \(the lr slider\)$", s.message)


# --- what the panels draw ------------------------------------------------------------------------
def test_surface_is_the_exact_loss_and_the_path_starts_at_the_start_point():
    with Session(parse_settings({"lesson": "coursera-1d"})) as session:
        check_surface_and_path(session)


def check_surface_and_path(session):
    panels = Panels(session)
    snap = panels.snapshot()
    surface = snap["surface"]
    assert surface["start"] == [-15.0, -10.0]
    assert surface["units"] == "raw x"
    n = surface["n"]
    Z = np.array(surface["z"]).reshape(n, n)
    ws, bs = np.linspace(*surface["w"], n), np.linspace(*surface["b"], n)
    X, y = session.prep.X_train.double(), session.prep.y_train.double()
    for i, j in [(0, 0), (40, 17), (n - 1, n - 1)]:
        loss = float(torch.mean((ws[j] * X + bs[i] - y) ** 2))
        assert Z[i, j] == pytest.approx(loss, rel=1e-12)
    w_opt, _b_opt = surface["optimum"]
    assert surface["w"][0] <= -15
    assert surface["w"][1] >= w_opt
    session.run(4)
    frame = panels.frame()
    assert len(frame["path"]) == 4
    assert frame["path"][-1] == session.params().tolist()
    assert frame["params"]["names"] == ["w", "b"]
    assert frame["params"]["values"] == session.params().tolist()


def test_panels_for_each_kind_of_data():
    with Session(parse_settings({"data": "blobs"})) as s:
        boundary = Panels(s).frame()["fit"]
    assert boundary["kind"] == "boundary"
    assert len(boundary["cls"]) == limits.BOUNDARY_GRID**2
    assert set(boundary["cls"]) == {0, 1, 2}
    with Session(parse_settings({})) as s:
        line = Panels(s).frame()["fit"]
    assert line["kind"] == "line"
    assert len(line["x"]) == limits.CURVE_POINTS
    with Session(parse_settings({"data": "classification", "n": 100})) as s:
        rows = Panels(s).snapshot()
    assert rows["frame"]["fit"]["kind"] == "rows"
    assert rows["surface"]["kind"] == "slice"  # 4 features: a slice over two parameters
    assert len(rows["frame"]["fit"]["pred"]["train"]) == rows["info"]["n_train"] == 70


# --- the update panel ----------------------------------------------------------------------------
def batch_of(session, update):
    """The rows of ``update`` as the page says it drew them (gdlab.web.updates)."""
    from gdlab.web.updates import batch_rows

    return batch_rows(session.setup.feed, update["epoch"], update["batch"] - 1)


def autograd_gradient(before: np.ndarray, X, y, *, l2: float, l1: float) -> np.ndarray:
    """∂/∂θ of mean (x·w + b − y)² + penalties on w, by torch autograd in float64 (not an engine)."""
    theta = torch.tensor(before, dtype=torch.float64, requires_grad=True)
    w, b = theta[:-1], theta[-1]
    loss = torch.mean((X.double() @ w + b - y.double().reshape(-1)) ** 2)
    loss.backward()
    g = theta.grad.numpy().copy()
    g[:-1] += l2 * before[:-1] + l1 * np.sign(before[:-1])
    return g


@pytest.mark.parametrize("engine", ["fast", "manual", "autograd", "nn", "scalar"])
@pytest.mark.parametrize("optimizer", ["gd", "minibatch", "momentum", "nesterov", "adam"])
def test_the_update_panel_shows_the_engines_own_update(optimizer, engine):
    """For every rule and engine: the gradient is autograd's on the update's rows (which
    the loop's recorded batch loss confirms), and the rule applied to it gives the run's
    new parameters; penalties are split out; momentum's and Adam's state is consistent."""
    settings = parse_settings({
        "data": "synthetic-linear", "n": 60, "optimizer": optimizer, "engine": engine,
        "batch_size": None if optimizer == "gd" else 8, "l2": 0.1, "l1": 0.05, "lr": 0.05,
        "epochs": 3, "dtype": "float64", "loss": "mse"})
    with Session(settings) as s:
        panels = Panels(s)
        panels.snapshot()
        previous = None
        for _ in range(2 * s.n_batches + 1):  # (across epochs: each has its own order)
            before = s.params()
            assert s.step()
            u = panels.frame()["update"]
            after = s.params()
            assert u["step"] == s.state.step
            assert u["recomputed_loss"] == pytest.approx(u["loss"], rel=1e-12)  # the same rows
            X, y, _ = batch_of(s, u)
            assert u["rows"] == X.shape[0] == (42 if optimizer == "gd" else (8 if u["batch"] < 6 else 2))
            rows = u["params"]
            assert u["all"]
            assert [r["name"] for r in rows] == ["w1", "w2", "b"]
            g = autograd_gradient(before, X, y, l2=0.1, l1=0.05)
            np.testing.assert_allclose([r["grad"] for r in rows], g, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose([r["penalty"] for r in rows],
                                       [0.1 * before[0] + 0.05 * np.sign(before[0]),
                                        0.1 * before[1] + 0.05 * np.sign(before[1]), 0.0], rtol=1e-12)
            assert [r["old"] for r in rows] == before.tolist()
            assert [r["new"] for r in rows] == after.tolist()
            np.testing.assert_allclose([r["expected"] for r in rows], after, rtol=1e-12, atol=1e-15)
            if optimizer in ("momentum", "nesterov"):
                mu = settings.momentum
                v_old = None if previous is None else np.array([r["v"] for r in previous["params"]])
                assert [r["v_old"] for r in rows] == ([None] * 3 if v_old is None else v_old.tolist())
                v = np.array([r["v"] for r in rows])
                np.testing.assert_allclose(v, g if v_old is None else mu * v_old + g, rtol=1e-9)
            if optimizer == "adam":
                assert u["hyper"]["t"] == u["step"]
                m = np.array([r["m"] for r in rows])
                m_old = np.zeros(3) if previous is None else np.array([r["m"] for r in previous["params"]])
                np.testing.assert_allclose(m, 0.9 * m_old + 0.1 * g, rtol=1e-9, atol=1e-15)
            previous = u


def test_the_liu_er_update_is_the_notes_gradient():
    """Full-batch gd on y = 2x: ∂cost/∂w = mean 2x(xw + b − y), ∂cost/∂b = mean 2(xw + b − y)."""
    with Session(parse_settings({"lesson": "liu-er-gd", "dtype": "float64", **WITH_BIAS})) as s:
        panels = Panels(s)
        assert panels.snapshot()["frame"].get("update") is None  # no update yet
        s.run(4)
        w, b = s.trail.points[3]
        u = panels.frame()["update"]
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    r = x * w + b - y
    (gw, gb) = (row["grad"] for row in u["params"])
    assert gw == pytest.approx(np.mean(2 * x * r), rel=1e-14)
    assert gb == pytest.approx(np.mean(2 * r), rel=1e-14)
    assert (u["rule"], u["lr"], u["full_batch"], u["rows"]) == ("sgd", 0.01, True, 3)
    assert u["params"][0]["new"] == pytest.approx(w - 0.01 * gw, rel=1e-15)


def test_a_large_model_gets_a_summary_of_its_update():
    with Session(parse_settings({"lesson": "ng-logistic"})) as s:
        panels = Panels(s)
        panels.snapshot()
        s.run(2)
        u = panels.frame()["update"]
        old, new = s.trail.points[1], s.params()
    assert (u["count"], u["all"], len(u["params"])) == (65, False, limits.UPDATE_SUMMARY_ROWS)
    g = (old - new) / 0.005  # plain gd in float64: the step is the gradient
    largest = sorted(np.argsort(-np.abs(g))[: limits.UPDATE_SUMMARY_ROWS].tolist())
    assert [r["index"] for r in u["params"]] == largest
    assert u["grad_norm"] == pytest.approx(np.linalg.norm(g), rel=1e-9)
    assert u["step_norm"] == pytest.approx(np.linalg.norm(new - old), rel=1e-12)


def test_a_bias_free_liu_er_run_reaches_the_notes_w_on_a_loss_curve():
    """y = w·x as the notes write it: one parameter, so the surface panel is L(w)."""
    settings = parse_settings({"lesson": "liu-er-gd", "bias": False, "start": "1", "dtype": "float64"})
    with Session(settings) as s:
        panels = Panels(s)
        surface = panels.snapshot()["surface"]
        finish(s)
        path = panels.frame()["path"]
        w = float(s.params()[0])
    assert w == 1.9999444396553017  # the notes' GD in Python floats
    assert surface["kind"] == "curve"
    assert surface["optimum"][0] == pytest.approx(2.0)  # y = 2x exactly
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    for wk, loss in path[::25]:
        assert loss == pytest.approx(np.mean((wk * x - y) ** 2), rel=1e-12)
    assert parse_settings({"lesson": "liu-er-gd"}).start == (1.0,)  # the lesson itself: no bias
    assert parse_settings({"lesson": "liu-er-gd", "bias": True, "start": "1,0"}).start == (1.0, 0.0)
    with Session(parse_settings({"lesson": "liu-er-gd"})) as s2:
        assert s2.params().tolist() == [1.0]
        finish(s2)
        assert float(s2.params()[0]) == 1.9999444396553017  # the lesson's own settings: the course


def test_a_slice_shows_the_objective_over_two_parameters_through_the_current_point():
    settings = parse_settings({"data": "synthetic-linear", "n": 60, "l2": 0.2, "dtype": "float64",
                               "optimizer": "gd", "lr": 0.05})
    with Session(settings) as s:
        panels = Panels(s)
        snap = panels.snapshot()
        sf = snap["surface"]
        assert sf["kind"] == "slice"
        assert tuple(sf["pair"]) == s.pair
        p, q = s.pair
        s.run(5)
        sf = panels.frame(fresh=True)["surface"]
        theta = s.params()
        n = sf["n"]
        Z = np.array(sf["z"]).reshape(n, n)
        ws, bs = np.linspace(*sf["w"], n), np.linspace(*sf["b"], n)
        X, y = s.prep.X_train.double(), s.prep.y_train.double().reshape(-1)
        for i, j in [(0, 0), (n // 3, n - 1), (n - 1, 2)]:
            t = theta.copy()
            t[p], t[q] = ws[j], bs[i]  # the pair varies, the third parameter stays put
            loss = float(torch.mean((X @ torch.tensor(t[:2]) + t[2] - y) ** 2)) + 0.1 * (t[0] ** 2 + t[1] ** 2)
            assert Z[i, j] == pytest.approx(loss, rel=1e-9)
        assert sf["center"] == theta[[p, q]].tolist()
        assert sf["n_params"] == 3
        assert sf["names"] == [["w1", "w2", "b"][k] for k in (p, q)]
    from gdlab.web.updates import gradient

    with Session(settings) as s:  # the default pair: the largest |∂L/∂θ| at the start
        _, grads = gradient(s, [p.detach() for p in s.model.parameters()], s.setup.feed.X, s.setup.feed.y)
        g = np.abs(torch.cat([t.reshape(-1) for t in grads]).numpy())
        assert s.pair == tuple(sorted(np.argsort(-g)[:2].tolist()))


def test_choosing_another_pair_reprojects_the_whole_path(socket_to):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {"data": "synthetic-linear", "n": 60, "optimizer": "gd"}})
    snap = recv(ws)
    assert snap["surface"]["kind"] == "slice"
    for _ in range(3):
        send(ws, {"type": "step"})
        recv(ws)
    send(ws, {"type": "slice", "params": [0, 2]})
    settings = recv(ws)
    assert (settings["type"], settings["query"]["slice"]) == ("settings", "0,2")
    surface = recv(ws)["surface"]
    assert (surface["kind"], surface["pair"], surface["names"]) == ("slice", [0, 2], ["w1", "b"])
    assert len(surface["path"]) == 4  # the start and three updates, in the new pair's coordinates
    send(ws, {"type": "slice", "params": [1, 1]})
    assert recv(ws)["message"] == "slice needs two different parameters, got 1 twice"
    send(ws, {"type": "slice", "params": [0, 3]})
    assert "parameter 3 does not exist; the model has 3" in recv(ws)["message"]


def test_a_plane_with_l2_marks_the_penalized_minimum():
    settings = parse_settings({"lesson": "coursera-1d", "l2": 0.5})
    with Session(settings) as s:
        sf = Panels(s).snapshot()["surface"]
        x = s.prep.X_train.double().numpy()[:, 0]
        y = s.prep.y_train.double().numpy()[:, 0]
    w, b = sf["optimum"]
    assert sf["optimum_exact"]
    assert sf["penalized"]
    r = w * x + b - y  # the gradient of mean (wx + b − y)² + 0.25 w² vanishes there
    assert np.mean(2 * r * x) + 0.5 * w == pytest.approx(0, abs=1e-9)
    assert np.mean(2 * r) == pytest.approx(0, abs=1e-9)


def test_l1_and_l2_runs_equal_gdlab_train():
    settings = parse_settings({"data": "moons", "l1": 0.01, "l2": 0.1, "epochs": 5, "shuffle": False})
    s = Session(settings)
    finish(s)
    np.testing.assert_array_equal(s.params(), flat(reference_run(settings).model))
    assert settings.to_query()["l1"] == "0.01"
    assert settings.to_query()["shuffle"] == "false"


def test_divergence_leaves_a_notice_for_the_pages_catalogue():
    s = Session(parse_settings({"lesson": "liu-er-gd", "lr": 5}))
    finish(s)
    assert s.notice["key"] == "banner.diverged"
    assert s.notice["lr"] == 5
    assert s.notice["epoch"] == s.state.epoch


# --- uploads -------------------------------------------------------------------------------------
def small_table(rows: int = 40, *, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    price = 3 * x1 - 2 * x2 + 1 + 0.1 * rng.normal(size=rows)
    return "size,age,price\n" + "".join(f"{a:.4f},{b:.4f},{c:.4f}\n" for a, b, c in zip(x1, x2, price, strict=True))


def upload(client, text: str | bytes, *, name: str = "houses.csv", target: str | None = None):
    params = {"name": name, **({"target": target} if target else {})}
    body = text.encode() if isinstance(text, str) else text
    return client.post("/api/upload", params=params, content=body, headers={"content-type": "text/csv"})


def test_an_uploaded_table_trains_as_gdlab_train_trains_the_file(client, tmp_path):
    r = upload(client, small_table())
    assert r.status_code == 200, r.text
    facts = r.json()
    assert facts["name"].startswith("upload:")
    assert (facts["task"], facts["n_features"], facts["rows"], facts["target_name"]) == ("regression", 2, 40, "price")
    snap = client.get("/api/setup", params={"data": facts["name"], "epochs": 20}).raise_for_status().json()
    assert snap["info"]["facts"]["filename"] == "houses.csv"
    settings = parse_settings(snap["settings"])
    session = Session(settings)
    finish(session)
    path = tmp_path / "houses.csv"
    path.write_text(small_table())
    kw = settings.train_kwargs()
    run = gdlab.train(data=str(path), **kw)  # the file itself, through the CLI's loader
    np.testing.assert_array_equal(session.params(), flat(run.model))
    again = upload(client, small_table(), target="size").json()  # another target: another data set
    assert again["name"] != facts["name"]
    assert (again["target_name"], again["feature_names"]) == ("size", ["age", "price"])


@pytest.mark.parametrize(("content", "status", "message"), [
    (b"x" * (limits.MAX_UPLOAD_BYTES + 1), 413, "over the limit of 1,000,000"),
    (("a,b\n" + "1,2\n" * (limits.MAX_UPLOAD_ROWS + 1)).encode(), 400,
     "houses.csv: 5,001 rows is over the upload limit of 5,000 rows"),
    (b"size,price\n1,2\nred,4\n3,4\n", 400, "houses.csv: line 3, column 'size': 'red' is not a number"),
    (b"", 400, "houses.csv: the file is empty"),
    ((",".join(f"c{i}" for i in range(70)) + "\n" + ",".join("1" for _ in range(70)) + "\n"
      + ",".join("2.5" for _ in range(70)) + "\n").encode(), 400,
     "69 feature columns; the playground allows at most 64"),
])
def test_uploads_are_bounded_and_refused_with_one_line(client, content, status, message):
    r = upload(client, content)
    assert r.status_code == status, r.text
    assert message in r.json()["error"]
    assert "\n" not in r.json()["error"]
    assert "gdlab-upload-" not in r.json()["error"]  # the user's file name, not the temporary one


def test_upload_refuses_other_files_and_forgotten_names(client):
    r = upload(client, small_table(), name="houses.parquet")
    assert r.status_code == 415
    r = client.get("/api/setup", params={"data": "upload:0123456789abcdef"})
    assert r.status_code == 400
    assert "is not on this server" in r.json()["error"]


# --- both languages --------------------------------------------------------------------------------
CATALOGUES = {lang: json.loads((STATIC / f"i18n-{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "zh")}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    en, zh = CATALOGUES["en"], CATALOGUES["zh"]
    assert sorted(en) == sorted(zh)
    for key in en:
        assert en[key].strip(), key
        assert zh[key].strip(), key
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", zh[key])), key
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", v)) for v in zh.values()) > 0.8 * len(zh)  # Chinese


def test_every_text_the_page_uses_is_in_the_catalogues():
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n(?:-title|-aria)?="([^"]+)"', html))
    for name in ("app.js", "update.js"):
        js = (STATIC / name).read_text(encoding="utf-8")
        for call in re.findall(r"(?<![\w.])t\(([^()]*(?:\([^()]*\)[^()]*)*)\)", js):
            used |= {k for k in re.findall(r'"([a-z_]+(?:\.[a-z0-9_-]+)+)"', call)}
        for prefix in re.findall(r"(?<![\w.])t\(`([a-z_.]+)\$\{", js):  # t(`model.${m}`): every value
            assert any(k.startswith(prefix) for k in CATALOGUES["en"]), prefix
    missing = sorted(used - set(CATALOGUES["en"]))
    assert not missing
    for name in [*datasets_offered(), "upload"]:  # every data set has a description
        if name != "upload":
            assert f"data.desc.{name}" in CATALOGUES["en"]
    for prefix, values in (("model", MODELS), ("optimizer", OPTIMIZERS), ("task", ("regression", "binary", "multiclass")),
                           ("status", ("ready", "paused", "playing", "max_epochs", "diverged", "tol", "grad_tol",
                                       "early_stopping", "stopped", "loading", "connecting", "disconnected"))):
        for value in values:
            assert f"{prefix}.{value}" in CATALOGUES["en"], (prefix, value)


def datasets_offered():
    from gdlab.web.datasets import offered

    return offered()


def test_the_language_is_a_setting_the_url_keeps(client, socket_to):
    query = client.get("/api/setup", params={"lesson": "liu-er-gd", "lang": "zh"}).json()["query"]
    assert query["lang"] == "zh"
    assert "lang" not in client.get("/api/setup").json()["query"]  # unset: the browser decides
    assert client.get("/api/setup", params={"lang": "fr"}).json()["error"] == "lang must be one of en, zh, got 'fr'"
    assert client.get("/api/options", params={"lang": "zh"}).status_code == 200
    assert client.get("/api/options", params={"lang": "xx"}).status_code == 400
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {"lesson": "coursera-1d", "lang": "en"}})
    recv(ws)
    send(ws, {"type": "lang", "value": "zh"})
    reply = recv(ws)
    assert reply["query"]["lang"] == "zh"
    assert reply["lesson"]["name"] == "coursera-1d"
    assert reply["lesson"]["title"] == lesson_text("coursera-1d", "zh")["title"]


# --- HTTP --------------------------------------------------------------------------------------------
def test_page_and_assets_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<canvas id="surface-canvas"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "plot.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200
        assert len(r.text) > 1000
    for path in STATIC.iterdir():  # nothing is fetched from elsewhere: no CDN, fonts, analytics
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()), path.name


def test_options_list_the_lessons_and_bounds(client):
    body = client.get("/api/options").json()
    assert [lesson["name"] for lesson in body["lessons"]] == PLAYGROUND_LESSONS
    assert body["limits"]["MAX_SAMPLES"] == limits.MAX_SAMPLES
    assert [d["name"] for d in body["datasets"]][:2] == ["line-1d", "toy-1d"]


def test_setup_returns_normalized_settings_and_the_snapshot(client):
    body = client.get("/api/setup?lesson=coursera-1d&lr=0.05").raise_for_status().json()
    assert body["settings"]["lr"] == 0.05
    assert body["query"]["start"] == "-15,-10"
    assert body["frame"]["params"]["values"] == [-15.0, -10.0]
    mlp = client.post("/api/setup", json={"data": "xor", "model": "mlp", "hidden": [4]})
    assert mlp.raise_for_status().json()["info"]["n_params"] == 17  # 2·4 + 4 + 4 + 1


JSON_TYPE = {"content-type": "application/json"}


@pytest.mark.parametrize(("method", "kwargs", "status", "message"), [
    ("get", {"url": "/api/setup?lr=-1"}, 400, r"lr must be in \(0, 100\], got -1"),
    ("get", {"url": "/api/setup?data=nope"}, 400, "data must be one of"),
    ("get", {"url": "/api/setup?lr=1&lr=2"}, 400, "'lr' is given more than once"),
    ("get", {"url": "/api/setup?x=" + "a" * limits.MAX_QUERY_BYTES}, 414, "query string over the limit"),
    ("post", {"url": "/api/setup", "content": b"lr=1"}, 415, "send a JSON object"),
    ("post", {"url": "/api/setup", "content": b'{"lr":', "headers": JSON_TYPE}, 400, "not valid JSON"),
    ("post", {"url": "/api/setup", "content": b"\xff\xfe", "headers": JSON_TYPE}, 400, "not UTF-8"),
    ("post", {"url": "/api/setup", "json": [1, 2]}, 400, "settings must be a JSON object, got list"),
    ("post", {"url": "/api/setup", "json": {"epochs": limits.MAX_EPOCHS + 1}}, 400, "epochs must be in"),
    ("post", {"url": "/api/setup", "json": {"pad": "x" * limits.MAX_BODY_BYTES}}, 413, "over the limit"),
    ("get", {"url": "/api/nothing"}, 404, "Not Found"),
    ("delete", {"url": "/api/setup"}, 405, "Method Not Allowed"),
    ("get", {"url": "/static/..%2fapp.py"}, 404, "Not Found"),
    ("get", {"url": "/", "headers": {"host": "attacker.example"}}, 400, "unknown Host 'attacker.example'"),
])
def test_malformed_requests_get_a_4xx_with_one_line(client, method, kwargs, status, message):
    r = client.request(method.upper(), **kwargs)
    assert r.status_code == status
    error = r.json()["error"]
    assert re.search(message, error), error
    assert "\n" not in error
    assert client.get("/").status_code == 200  # and the page is still served


def test_streamed_body_without_a_length_is_cut_at_the_limit(client):
    def chunks():
        for _ in range(limits.MAX_BODY_BYTES // 1000 + 2):
            yield b" " * 1000

    r = client.post("/api/setup", content=chunks(), headers=JSON_TYPE)
    assert r.status_code == 413


def raw_request(port: int, payload: bytes) -> bytes:
    """Send bytes as they are; return the reply's head (status line and headers), if any."""
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(payload)
            while b"\r\n\r\n" not in reply and (chunk := s.recv(65536)):
                reply += chunk
        except (TimeoutError, ConnectionResetError, BrokenPipeError):
            pass
    return reply


def test_server_survives_a_burst_of_malformed_requests(server, client):
    big = b"x" * (limits.MAX_BODY_BYTES * 4)
    bad = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS hello
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big * 4 + b"\r\n\r\n",
        b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(big)).encode() + b"\r\n\r\n" + big,
        b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nConnection: close\r\n\r\n{\"a\"",
        b"GET /api/setup?lr=%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    ]
    replies: list[bytes] = []
    threads = [threading.Thread(target=lambda p=p: replies.append(raw_request(server, p)))
               for p in bad * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = {int(m.group(1)) for r in replies if (m := re.match(rb"HTTP/1.1 (\d{3})", r))}
    assert statuses <= set(range(400, 500)), statuses
    assert {400, 413} <= statuses
    # and it still serves the page and trains
    assert client.get("/").status_code == 200
    assert client.get("/api/setup", params={"lesson": "liu-er-gd"}).json()["settings"]["lr"] == 0.01


# --- a server a local process cannot stall ----------------------------------------------------------
def idle_sockets(port: int, n: int) -> list[socket.socket]:
    """``n`` connections that connect and send nothing."""
    return [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(n)]


def closed_by_server(sock: socket.socket, *, trickle: bytes | None = None, within: float = 60.0) -> bytes:
    """Wait (sending ``trickle`` every 0.2 s) until the server closes ``sock``; returns what
    it sent first. Fails if it is still open after ``within`` seconds."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + within
    reply = b""
    while time.monotonic() < deadline:
        try:
            if trickle is not None:
                sock.sendall(trickle)
            chunk = sock.recv(65536)
            if not chunk:
                return reply
            reply += chunk
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return reply
    raise AssertionError(f"the server kept the connection open for {within} s")


def still_open(sock: socket.socket) -> bool:
    """The server has neither closed ``sock`` nor sent on it."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""  # data would be a reply to a request never sent
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_a_hundred_idle_connections_leave_the_page_answering(monkeypatch):
    """The issue's acceptance: 70 idle sockets used to make every request answer 503 for at
    least 20 s. With the header timeout made longer than the client's, the page can only
    answer while all 100 are still held open, so no request waits for an idle one to go
    (the measured time, 10–40 ms here, is not a thing a test asserts)."""
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 600.0)
    with playground_server() as port:
        idle = idle_sockets(port, 100)
        try:
            time.sleep(0.2)  # (the server has accepted them)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                page = c.get("/")
                assert c.get("/api/options").status_code == 200
                assert c.get("/api/setup", params={"lesson": "liu-er-gd"}).status_code == 200
            assert all(still_open(sock) for sock in idle)  # served beside them, none dropped
        finally:
            for sock in idle:
                sock.close()
    assert page.status_code == 200
    assert "<html" in page.text.lower()


def test_beyond_the_connection_bound_the_longest_idle_go_first(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CONNECTIONS", 20)
    with playground_server() as port:
        idle = idle_sockets(port, 30)
        try:
            time.sleep(0.3)
            r = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
            assert r.status_code == 200
            assert closed_by_server(idle[0], within=30) == b""  # the oldest: closed, no reply
        finally:
            for sock in idle:
                sock.close()


def test_a_slow_header_client_is_dropped(monkeypatch, caplog):
    """One header line every 0.2 s never completes a head: dropped at HEADER_TIMEOUT with a
    408, however long it keeps trickling; other clients are served meanwhile."""
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 1.0)
    with playground_server() as port:
        slow = socket.create_connection(("127.0.0.1", port), timeout=30)
        slow.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
        reply = closed_by_server(slow, trickle=b"X-Slow: 1\r\n", within=30)
        slow.close()
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert b"request head not complete within 1 s" in reply


def test_a_silent_connection_is_closed_after_the_header_timeout(monkeypatch):
    monkeypatch.setattr(limits, "HEADER_TIMEOUT", 0.5)
    with playground_server() as port:
        silent = socket.create_connection(("127.0.0.1", port), timeout=30)
        assert closed_by_server(silent, within=30) == b""  # nothing said: closed without a reply
        silent.close()


def test_a_slow_body_is_dropped_with_one_log_line(monkeypatch, caplog):
    monkeypatch.setattr(limits, "BODY_TIMEOUT", 1.0)
    caplog.set_level(logging.INFO)
    with playground_server() as port:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"lr\"")
        closed_by_server(sock, trickle=b" ", within=30)
        sock.close()
        wait_until(lambda: any("request aborted" in r.getMessage() for r in caplog.records))
    assert_one_line_per_abort(caplog)


def wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def assert_one_line_per_abort(caplog) -> None:
    aborted = [r for r in caplog.records if "request aborted" in r.getMessage()]
    assert len(aborted) == 1
    assert "POST /api/setup: the client went away after" in aborted[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_aborted_post_logs_one_line_and_no_traceback(server, caplog):
    caplog.set_level(logging.INFO)
    sock = socket.create_connection(("127.0.0.1", server), timeout=30)
    sock.sendall(b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"a\"")
    time.sleep(0.3)
    sock.close()
    wait_until(lambda: any("request aborted" in r.getMessage() for r in caplog.records))
    assert_one_line_per_abort(caplog)
    assert "after 4 of 100 bytes" in caplog.text


BIG_NUMBER = "1" * 5001
DEEP = "[" * 10_000 + "]" * 10_000


@pytest.mark.parametrize(("body", "message"), [
    (f'{{"lr": {BIG_NUMBER}}}', "a number of 5,001 characters is over the limit of"),
    (f'{{"lr": {"9" * 4000}}}', "a number of 4,000 characters"),  # (parses, then overflows float)
    (DEEP, "nests arrays or objects 10,000 deep; the limit is"),
    ('{"a": ' * 40 + "1" + "}" * 40, "nests arrays or objects 40 deep"),
])
def test_huge_numbers_and_deep_json_get_400_with_one_line(client, body, message):
    r = client.post("/api/setup", content=body.encode(), headers=JSON_TYPE)
    assert r.status_code == 400
    assert message in r.json()["error"]
    assert "\n" not in r.json()["error"]


@pytest.mark.parametrize("text", [
    f'{{"type": "lr", "value": {BIG_NUMBER}}}',
    f'{{"type": "setup", "settings": {DEEP}}}',
])
def test_huge_numbers_and_deep_json_in_a_message_get_an_error(socket_to, text):
    ws = socket_to()
    send(ws, text)
    error = recv(ws)
    assert (error["type"], error["status"]) == ("error", 400)
    assert "over the limit" in error["message"] or "deep; the limit is" in error["message"]


@pytest.mark.parametrize(("value", "message"), [
    ("9" * 41, "lr must be a number of at most 40 characters, got 41"),
    (10**400, "lr must be a number, got 1000000000000000000000000000000000000000… (401 characters)"),
])
def test_number_parser_refuses_huge_values_with_one_line(value, message):
    with pytest.raises(GdlabError, match=re.escape(message)):
        parse_settings({"lr": value})


def test_brackets_inside_strings_do_not_count_as_nesting():
    from gdlab.web.jsonin import loads, nesting_depth

    assert nesting_depth('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "b": [1, [2]]}') == 3  # { [ [
    assert loads('{"a": "\\"[[["}') == {"a": '"[[['}


# --- the WebSocket job ---------------------------------------------------------------------------------
def recv_until(ws, predicate) -> dict:
    while True:
        message = recv(ws)
        if predicate(message):
            return message


def test_job_steps_plays_changes_lr_and_restarts(socket_to):
    ws = socket_to()
    # shuffled (the lesson itself runs in course order): a path that stays in the first view
    send(ws, {"type": "setup", "settings": {"lesson": "coursera-1d", "shuffle": True,
                                            "speed": limits.MAX_STEPS_PER_SECOND}})
    snap = recv(ws)
    assert snap["type"] == "snapshot"
    assert snap["frame"]["step"] == 0
    send(ws, {"type": "step"})
    frame = recv(ws)
    assert (frame["type"], frame["step"], len(frame["path"])) == ("frame", 1, 1)
    send(ws, {"type": "epoch"})
    end = recv_until(ws, lambda m: m["type"] == "frame" and not m["playing"])
    assert (end["epoch"], end["step"]) == (1, 9)  # 42 rows in batches of 5
    send(ws, {"type": "lr", "value": 0.01})
    changed = recv(ws)
    assert (changed["type"], changed["query"]["lr"], changed["lr"]) == ("settings", "0.01", 0.01)
    send(ws, {"type": "play"})
    done = recv_until(ws, lambda m: m["type"] == "frame" and m["status"] == "max_epochs")
    assert done["step"] == 90
    assert not done["playing"]
    assert {e["lr"] for e in done["entries"]} <= {0.01}
    send(ws, {"type": "start", "w": 2.5, "b": -3})
    again = recv(ws)
    assert again["frame"]["params"]["values"] == [2.5, -3.0]
    assert again["query"]["start"] == "2.5,-3"
    assert again["settings"]["lr"] == 0.01  # the changed lr is now the run's setting
    assert again["surface"]["w"] == snap["surface"]["w"]  # the view stays put
    send(ws, {"type": "reset"})
    assert recv(ws)["frame"]["step"] == 0
    wait_for_threads(1)  # one job per page: each new run ended the one before


def wait_for_threads(n: int) -> None:
    for _ in range(600):
        if len(run_threads()) == n:
            break
        time.sleep(0.05)
    assert len(run_threads()) == n


def test_lesson_played_through_the_socket_ends_where_gdlab_train_does(socket_to):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {"lesson": "coursera-1d", "speed": limits.MAX_STEPS_PER_SECOND}})
    snap = recv(ws)
    send(ws, {"type": "play"})
    done = recv_until(ws, lambda m: m["type"] == "frame" and m["status"] == "max_epochs")
    run = reference_run(parse_settings(snap["settings"]))
    assert done["params"]["values"] == flat(run.model).tolist()


@pytest.mark.parametrize(("message", "reply"), [
    ("not json", "message is not valid JSON"),
    ("[1]", "message must be a JSON object, got list"),
    ('{"type": "fly"}', "message type must be one of setup, play"),
    ('{"type": "lr"}', "lr message: missing key 'value'"),
    ('{"type": "step", "n": 5}', "step message: unknown key 'n'"),
    ('{"type": "lr", "value": "fast"}', "lr must be a number, got 'fast'"),
    ('{"type": "speed", "value": 100000}', "speed must be in"),
    ('{"type": "setup", "settings": {"lr": 0}}', r"lr must be in \(0, 100\]"),
    ('{"type": "start", "w": 1, "b": 1e99}', "start must be in"),
    ('{"type": "setup", "settings": "x"}', "settings must be a JSON object"),
    (b"\x00\x01", "messages must be JSON text, not binary"),
])
def test_bad_messages_get_an_error_and_the_job_goes_on(socket_to, message, reply):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {}})
    assert recv(ws)["type"] == "snapshot"
    send(ws, message)
    error = recv(ws)
    assert (error["type"], error["status"]) == ("error", 400)
    assert re.search(reply, error["message"]), error
    send(ws, {"type": "step"})
    assert recv(ws)["step"] == 1


def run_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gdlab-playground-run"]


def test_closing_the_page_stops_its_job(server):
    with connect(f"ws://127.0.0.1:{server}/api/ws", open_timeout=30) as ws:
        send(ws, {"type": "setup", "settings": {"speed": 1, "epochs": limits.MAX_EPOCHS}})
        recv(ws)
        send(ws, {"type": "play"})
        assert recv(ws)["playing"]
        assert run_threads()
    wait_for_threads(0)  # the server notices the closed socket and ends the run


def test_commands_before_setup_are_refused(socket_to):
    ws = socket_to()
    send(ws, {"type": "play"})
    assert recv(ws)["message"] == "no run yet: send a setup message first"


def test_an_oversized_message_closes_that_socket_only(socket_to):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {}})
    assert recv(ws)["type"] == "snapshot"
    send(ws, "x" * (limits.MAX_BODY_BYTES + 10))
    with pytest.raises(ConnectionClosed) as closed:
        recv(ws)
    assert closed.value.rcvd.code == 1009  # message too big
    other = socket_to()
    send(other, {"type": "setup", "settings": {}})
    assert recv(other)["type"] == "snapshot"


def test_oversized_text_is_refused_by_the_parser_too():
    with pytest.raises(GdlabError, match=f"over the limit of {limits.MAX_BODY_BYTES}"):
        parse_command(" " * (limits.MAX_BODY_BYTES + 1))


def test_at_most_max_jobs_pages_at_once(socket_to):
    pages = [socket_to() for _ in range(limits.MAX_JOBS)]
    for ws in pages:
        send(ws, {"type": "pause"})
        recv(ws)  # the job is registered
    extra = socket_to()
    refused = recv(extra)
    assert refused["status"] == 503
    assert f"already runs {limits.MAX_JOBS} pages" in refused["message"]
    pages[0].close()  # closing a page frees its job
    for _ in range(200):
        again = socket_to()
        send(again, {"type": "setup", "settings": {}})
        reply = recv(again)
        if reply["type"] == "snapshot":
            break
        time.sleep(0.05)
    assert reply["type"] == "snapshot"


def test_socket_from_another_sites_page_is_refused(socket_to):
    with pytest.raises(InvalidStatus) as refused:
        socket_to(origin="http://attacker.example")
    assert refused.value.response.status_code == 403


def test_token_bucket_holds_updates_to_the_rate():
    """Asking for 3 seconds' worth of updates takes (fake) 2 seconds: one burst, then the rate."""
    now = [0.0]
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    async def main():
        bucket = TokenBucket(limits.MAX_STEPS_PER_SECOND, clock=lambda: now[0], sleep=fake_sleep)
        for _ in range(30):
            await bucket.take(limits.MAX_STEPS_PER_SECOND // 10)

    asyncio.run(main())
    assert sum(slept) == pytest.approx(2.0)


# --- the command ---------------------------------------------------------------------------------
def test_serve_command_prints_the_url_and_warns_on_all_interfaces():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "gdlab", "serve", "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        match = re.match(r"gdlab playground: (http://127\.0\.0\.1:\d+/) ", line)
        assert match, line
        page = httpx.get(match.group(1), timeout=60)
        assert page.status_code == 200
        assert "<title>gdlab playground</title>" in page.text
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "warning: --host 0.0.0.0 makes the playground reachable from other machines" in err


def test_serve_refuses_a_busy_port_with_one_line(gdlab_cli):
    busy = bind("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        result = gdlab_cli("serve", "--port", port)
    finally:
        busy.close()
    assert result.code == 2
    assert result.err.strip() == (f"gdlab: error: cannot listen on 127.0.0.1:{port}: Address already "
                                  f"in use; try --port {port + 1}")


def test_serve_open_launches_the_browser_at_the_url(gdlab_cli, monkeypatch):
    import gdlab.web.server as server_module

    opened = threading.Event()
    urls: list[str] = []

    class NoServer:
        def run(self, sockets):
            opened.wait(30)

    monkeypatch.setattr(server_module, "make_server", lambda sock, host: NoServer())
    monkeypatch.setattr(server_module.webbrowser, "open", lambda url: (urls.append(url), opened.set()))
    monkeypatch.setattr(server_module.torch, "set_num_threads", lambda n: None)
    result = gdlab_cli("serve", "--port", "0", "--open")
    assert result.code == 0
    assert len(urls) == 1
    assert result.out.startswith(f"gdlab playground: {urls[0]}")
