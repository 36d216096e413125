"""Figures: valid, labeled PNGs; paths drawn exactly as recorded; surfaces equal the loss."""

from __future__ import annotations

import math

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch
from matplotlib.collections import PathCollection
from matplotlib.quiver import Quiver

from gdlab import viz
from gdlab.losses import compute_loss
from gdlab.models import MLP, LinearRegression, LogisticRegression, SoftmaxRegression

# ---------------------------------------------------------------- helpers


def history(n=12, *, start=10.0, rate=0.5, val=True, classifier=False):
    rows = []
    for e in range(1, n + 1):
        loss = start * rate**e
        row = {"epoch": e, "train_loss": loss, "val_loss": 1.1 * loss if val else None,
               "lr": 0.1, "grad_norm": loss, "seconds": 0.01}
        if classifier:
            row["accuracy"] = min(1.0, 0.5 + 0.04 * e)
            row["val_accuracy"] = min(1.0, 0.5 + 0.035 * e) if val else None
        rows.append(row)
    return rows


def steps_for(hist, per_epoch=4):
    out, k = [], 0
    for h in hist:
        for j in range(per_epoch):
            k += 1
            out.append({"step": k, "epoch": h["epoch"] - 1 + (j + 1) / per_epoch,
                        "loss": h["train_loss"] * (1.5 if j % 2 else 0.7)})
    return out


def data_axes(fig):
    """Axes that show data: not colorbars, not tables drawn with the axis off."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.axison]


def assert_readable(fig):
    assert viz.figure_title(fig), "figure has no title"
    for ax in data_axes(fig):
        assert ax.get_xlabel(), f"axes {ax} has no x label"
        assert ax.get_ylabel(), f"axes {ax} has no y label"
    w, _ = viz.pixel_size(fig)
    assert 1000 <= w <= 1400


def assert_png(fig, path):
    viz.save_figure(fig, path)
    img = mpimg.imread(path)
    w, h = viz.pixel_size(fig)
    assert img.shape[:2] == (h, w)
    assert img[..., :3].std() > 0.05, "image is (nearly) blank"


def legend_texts(fig):
    texts = []
    for owner in [fig, *fig.axes]:
        for leg in owner.legends if owner is fig else [owner.get_legend()]:
            if leg is not None:
                texts += [t.get_text() for t in leg.get_texts()]
    return texts


def line_by_gid(fig, gid):
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_gid() == gid:
                return line
    raise AssertionError(f"no line with gid {gid!r}")


def one_feature(seed=0, m=40):
    g = torch.Generator().manual_seed(seed)
    x = torch.linspace(-3, 3, m, dtype=torch.float64).reshape(-1, 1)
    y = x - 1 + 0.1 * torch.randn(x.shape, generator=g, dtype=torch.float64)
    return x.numpy(), y.numpy().ravel()


def gd_path(X, y, *, loss, model_cls, lr, steps, start=(-3.0, 2.0)):
    """[w, b] after each full-batch step, by autograd on the gdlab model."""
    model = model_cls(1).double()
    with torch.no_grad():
        model.layers[0].weight.fill_(start[0])
        model.layers[0].bias.fill_(start[1])
    xt, yt = torch.as_tensor(X), torch.as_tensor(y).reshape(-1, 1)
    path = [[start[0], start[1]]]
    for _ in range(steps):
        model.zero_grad()
        compute_loss(loss, model(xt), yt).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        path.append([model.layers[0].weight.item(), model.layers[0].bias.item()])
    return np.array(path)


# ---------------------------------------------------------------- loss curves


def test_loss_curve_png_labels_and_log_scale(tmp_path):
    hist = history(12)  # 10·0.5^e: spans more than two decades
    fig = viz.loss_curve(hist, steps_for(hist), loss_name="mse")
    assert_readable(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    faint = [ln for ln in ax.get_lines() if (ln.get_alpha() or 1) < 0.5]
    assert len(faint) == 1
    np.testing.assert_allclose(faint[0].get_ydata(), [s["loss"] for s in steps_for(hist)])
    epoch_line = next(ln for ln in ax.get_lines() if "train loss (per epoch)" in ln.get_label())
    np.testing.assert_allclose(epoch_line.get_ydata(), [h["train_loss"] for h in hist])
    assert any("validation" in t for t in legend_texts(fig))
    assert_png(fig, tmp_path / "loss.png")


def test_loss_curve_linear_scale_and_no_steps_for_full_batch():
    hist = history(5, start=1.0, rate=0.9, val=False)
    one_per_epoch = [{"step": h["epoch"], "epoch": float(h["epoch"]), "loss": h["train_loss"]}
                     for h in hist]
    fig = viz.loss_curve(hist, one_per_epoch)
    ax = fig.axes[0]
    assert ax.get_yscale() == "linear"
    assert all((ln.get_alpha() or 1) == 1 for ln in ax.get_lines())  # GD: no faint line
    assert not any("validation" in t for t in legend_texts(fig))


def test_loss_curve_classifier_has_accuracy_panel():
    fig = viz.loss_curve(history(8, classifier=True))
    assert len(data_axes(fig)) == 2
    assert "accuracy" in fig.axes[1].get_ylabel()
    assert_readable(fig)


def test_loss_curve_marks_divergence():
    hist = history(4, val=False)
    hist.append({**hist[-1], "epoch": 5, "train_loss": math.inf})
    fig = viz.loss_curve(hist)
    assert any("diverged" in t and "epoch 5" in t for t in legend_texts(fig))


def test_loss_curve_rejects_empty_history():
    with pytest.raises(ValueError, match="empty"):
        viz.loss_curve([])


# ---------------------------------------------------------------- learning-rate sweep


def sweep_curves():
    curves = {0.01: history(10, rate=0.95, val=False), 0.1: history(10, rate=0.6, val=False)}
    blow = history(3, rate=3.0, val=False)
    blow.append({**blow[-1], "epoch": 4, "train_loss": float("nan")})
    curves[1.0] = blow
    return curves


def test_lr_sweep_marks_the_diverged_rate(tmp_path):
    curves = sweep_curves()
    fig = viz.lr_sweep(curves, diverged={0.01: None, 0.1: None, 1.0: 4}, loss_name="mse")
    assert_readable(fig)
    legend = legend_texts(fig)
    assert any("lr = 1" in t and "DIVERGED at epoch 4" in t for t in legend)
    assert not any("lr = 0.1" in t and "DIVERGED" in t for t in legend)
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any("diverged at epoch 4" in t and "off the chart" in t for t in notes)  # NaN: gone
    assert len([ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("lr =")]) == 3
    assert_png(fig, tmp_path / "sweep.png")
    # a run judged diverged while its curve stays in view (it ended above its start)
    curves[1.0] = [{**h, "train_loss": 10.0 + h["epoch"]} for h in history(4, rate=1.0, val=False)]
    fig = viz.lr_sweep(curves, diverged={0.01: None, 0.1: None, 1.0: 4}, loss_name="mse")
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any("diverged at epoch 4: its loss ended above where it started" in t for t in notes), notes
    assert not any("off the chart" in t for t in notes)


def test_final_loss_table_rows_and_auto_detected_divergence():
    rows = viz.final_loss_table(sweep_curves())  # no `diverged` given: the NaN says it
    assert [r["lr"] for r in rows] == [0.01, 0.1, 1.0]
    assert rows[2]["diverged_at"] == 4
    assert rows[2]["status"] == "diverged at epoch 4"
    assert [r["best"] for r in rows] == [False, True, False]
    assert rows[1]["final_train_loss"] == pytest.approx(10 * 0.6**10)
    assert rows[0]["final_val_loss"] is None


# ---------------------------------------------------------------- the (w, b) surface


@pytest.mark.parametrize(("loss", "model_cls"), [("mse", LinearRegression),
                                                 ("half-mse", LinearRegression),
                                                 ("bce", LogisticRegression)])
def test_surface_grid_equals_compute_loss(loss, model_cls):
    X, y = one_feature()
    if loss == "bce":
        y = (y > -1).astype(np.float64)
    W, B, Z = viz.surface_grid(X, y, loss=loss, model_kind="linear", w_range=(-4, 5),
                               b_range=(-6, 3), n=31)
    assert W.shape == B.shape == Z.shape == (31, 31)
    model = model_cls(1).double()
    xt, yt = torch.as_tensor(X), torch.as_tensor(y).reshape(-1, 1)
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 31, size=(12, 2)):
        with torch.no_grad():
            model.layers[0].weight.fill_(W[i, j])
            model.layers[0].bias.fill_(B[i, j])
            direct = float(compute_loss(loss, model(xt), yt))
        assert Z[i, j] == pytest.approx(direct, rel=1e-12, abs=1e-12)


def test_surface_minimum_sits_at_b_minus_one_not_plus_one():
    X, y = one_feature()  # y ≈ x − 1: the course helper's sign error would put b at +1
    W, B, Z = viz.surface_grid(X, y, loss="mse", model_kind="linear", w_range=(-2, 4),
                               b_range=(-3, 3), n=121)
    i, j = np.unravel_index(Z.argmin(), Z.shape)
    assert W[i, j] == pytest.approx(1.0, abs=0.1)
    assert B[i, j] == pytest.approx(-1.0, abs=0.1)


def test_surface_gradient_matches_autograd():
    X, y = one_feature()
    yb = (y > -1).astype(np.float64)
    for loss, target in [("mse", y), ("bce", yb)]:
        w = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
        b = torch.tensor(-0.4, dtype=torch.float64, requires_grad=True)
        z = w * torch.as_tensor(X) + b
        compute_loss(loss, z, torch.as_tensor(target).reshape(-1, 1)).backward()
        gw, gb = viz.surface_gradient(X, target, loss=loss, w=0.7, b=-0.4)
        assert float(gw) == pytest.approx(float(w.grad), rel=1e-10)
        assert float(gb) == pytest.approx(float(b.grad), rel=1e-10)


def test_surface_plot_draws_paths_exactly_with_optimum_and_perpendicular_arrows(tmp_path):
    X, y = one_feature()
    paths = {"batch GD": gd_path(X, y, loss="mse", model_cls=LinearRegression, lr=0.1, steps=15),
             "slow GD": gd_path(X, y, loss="mse", model_cls=LinearRegression, lr=0.02, steps=15)}
    fig = viz.loss_surface_2param(X, y, loss="mse", model_kind="linear", paths=paths, n=60)
    assert_readable(fig)
    for name, p in paths.items():
        line = line_by_gid(fig, f"path:{name}")
        np.testing.assert_array_equal(line.get_xdata(), p[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), p[:, 1])
    opt = line_by_gid(fig, "optimum")
    w_star, b_star = np.polyfit(X[:, 0], y, 1)
    assert opt.get_xdata()[0] == pytest.approx(w_star)
    assert opt.get_ydata()[0] == pytest.approx(b_star)
    ax = fig.axes[0]
    assert ax.get_aspect() == 1.0  # same scale on both axes: −∇L looks ⊥ to contours
    (quiver,) = [c for c in ax.collections if isinstance(c, Quiver)]
    (qw, qb), (u, v) = quiver.XY[0], (quiver.U[0], quiver.V[0])
    gw, gb = viz.surface_gradient(X, y, loss="mse", w=qw, b=qb)
    assert np.dot([u, v], [-gw, -gb]) / np.hypot(u, v) / np.hypot(gw, gb) == pytest.approx(1.0)
    labels = legend_texts(fig)
    assert any(t.startswith("batch GD") for t in labels)
    assert any(t.startswith("optimum") for t in labels)
    assert "start (shared)" in labels
    assert_png(fig, tmp_path / "surface.png")


def test_logistic_surface_and_optimum():
    X, _ = one_feature()
    g = np.random.default_rng(1)
    y = (g.random(len(X)) < 1 / (1 + np.exp(-(2 * X[:, 0] - 1)))).astype(np.float64)
    opt = viz.optimum_2param(X, y, loss="bce")
    gw, gb = viz.surface_gradient(X, y, loss="bce", w=opt[0], b=opt[1])
    assert np.hypot(gw, gb) < 1e-8
    path = gd_path(X, y, loss="bce", model_cls=LogisticRegression, lr=1.0, steps=20)
    fig = viz.loss_surface_2param(X, y, loss="bce", model_kind="logistic",
                                  paths={"GD": path}, n=40)
    np.testing.assert_array_equal(line_by_gid(fig, "path:GD").get_xydata(), path)
    separable = (X[:, 0] > 0).astype(np.float64)
    assert viz.optimum_2param(X, separable, loss="bce") is None


def test_surface_rejects_more_than_one_feature():
    with pytest.raises(ValueError, match="exactly one feature"):
        viz.surface_grid(np.zeros((5, 2)), np.zeros(5), loss="mse", model_kind="linear",
                         w_range=(0, 1), b_range=(0, 1))
    with pytest.raises(ValueError, match="cross-entropy"):
        viz.surface_grid(np.zeros((5, 1)), np.zeros(5), loss="cross-entropy",
                         model_kind="linear", w_range=(0, 1), b_range=(0, 1))


# ---------------------------------------------------------------- slices of larger models


def small_mlp_run():
    torch.manual_seed(0)
    X = torch.randn(60, 3, dtype=torch.float64)
    y = (X[:, :1] - X[:, 1:2] > 0).double()
    model = MLP(3, 1, (4,), "tanh").double()
    vec = torch.nn.utils.parameters_to_vector
    path = [vec(model.parameters()).detach().numpy().copy()]
    for _ in range(10):
        model.zero_grad()
        compute_loss("bce", model(X), y).backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
        path.append(vec(model.parameters()).detach().numpy().copy())
    return model, X.numpy(), y.numpy().ravel(), np.array(path)


def test_loss_slice_random_directions_projects_the_path(tmp_path):
    model, X, y, path = small_mlp_run()
    before = [p.detach().clone() for p in model.parameters()]
    fig = viz.loss_slice(model, X, y, loss="bce", path=path, n=15)
    assert_readable(fig)
    d1, d2, _, _ = viz.slice_directions(model, "random", seed=0)
    assert d1 @ d2 == pytest.approx(0.0, abs=1e-12)
    assert np.linalg.norm(d1) == pytest.approx(1.0)
    theta = path[-1]
    line = line_by_gid(fig, "path")
    np.testing.assert_allclose(line.get_xdata(), (path - theta) @ d1)
    np.testing.assert_allclose(line.get_ydata(), (path - theta) @ d2)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert_png(fig, tmp_path / "slice.png")


def test_slice_grid_equals_the_loss_of_the_shifted_model():
    model, X, y, _ = small_mlp_run()
    d1, d2, _, _ = viz.slice_directions(model, "random", seed=3)
    A, Bt, Z = viz.slice_grid(model, X, y, loss="bce", d1=d1, d2=d2, a_range=(-1, 1),
                              b_range=(-2, 2), n=5)
    theta = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
    probe = MLP(3, 1, (4,), "tanh").double()
    xt, yt = torch.as_tensor(X), torch.as_tensor(y).reshape(-1, 1)
    for i, j in [(0, 0), (2, 2), (4, 1), (1, 3)]:
        vec = theta + A[i, j] * torch.as_tensor(d1) + Bt[i, j] * torch.as_tensor(d2)
        torch.nn.utils.vector_to_parameters(vec, probe.parameters())
        with torch.no_grad():
            assert Z[i, j] == pytest.approx(float(compute_loss("bce", probe(xt), yt)), rel=1e-12)
    assert Z[2, 2] == pytest.approx(float(compute_loss("bce", model(xt), yt).detach()))


def test_loss_slice_named_parameters_uses_their_values():
    model, X, y, path = small_mlp_run()
    names = ("layers.1.weight[0, 2]", "layers.1.bias")
    fig = viz.loss_slice(model, X, y, loss="bce", directions=names, path=path, n=9)
    _, _, _, idx = viz.slice_directions(model, names)
    line = line_by_gid(fig, "path")
    np.testing.assert_allclose(line.get_xdata(), path[:, idx[0]])
    np.testing.assert_allclose(line.get_ydata(), path[:, idx[1]])
    assert "layers.1.weight[0, 2]" in fig.axes[0].get_xlabel()


def test_loss_slice_rejects_bad_names():
    model = small_mlp_run()[0]
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        viz.slice_directions(model, ("nope", "layers.1.bias"))
    with pytest.raises(ValueError, match=r"name one element, e.g. layers.0.weight\[0, 0\]"):
        viz.slice_directions(model, ("layers.0.weight", "layers.1.bias"))
    with pytest.raises(ValueError, match="out of range"):
        viz.slice_directions(model, ("layers.0.weight[9, 0]", "layers.1.bias"))


def test_loss_slice_multiclass_cross_entropy():
    torch.manual_seed(1)
    model = SoftmaxRegression(2, 3).double()
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 3
    fig = viz.loss_slice(model, X, y, loss="cross-entropy", n=7)
    assert_readable(fig)


# ---------------------------------------------------------------- fit, boundary, confusion


def linear_predict(w, b):
    return lambda A: np.asarray(A, dtype=np.float64) @ np.asarray(w) + b


def logistic_proba(w, b):
    def predict(A):
        p = 1 / (1 + np.exp(-(np.asarray(A, dtype=np.float64) @ np.asarray(w) + b)))
        return np.column_stack([1 - p, p])
    return predict


def test_fit_plot_one_feature_draws_data_and_line(tmp_path):
    X, y = one_feature()
    fig = viz.fit_plot(linear_predict([1.0], -1.0), X, y, feature_names=["x"], target_name="y")
    assert_readable(fig)
    ax = fig.axes[0]
    (pts,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(pts.get_offsets(), np.column_stack([X[:, 0], y]))
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("fitted")]
    np.testing.assert_allclose(line.get_ydata(), line.get_xdata() - 1.0)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert_png(fig, tmp_path / "fit.png")


def test_fit_plot_many_features_predicted_vs_true_and_residuals():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, 2.0, -1.0] + 0.5 + rng.normal(scale=0.1, size=50)
    fig = viz.fit_plot(linear_predict([1.0, 2.0, -1.0], 0.5), X, y, target_name="price")
    assert_readable(fig)
    assert fig.axes[0].get_xlabel() == "true price"
    assert "residual" in fig.axes[1].get_ylabel()
    resid = fig.axes[1].collections[0].get_offsets()[:, 1]
    np.testing.assert_allclose(resid, y - (X @ [1.0, 2.0, -1.0] + 0.5))


def test_fit_plot_one_feature_classifier_shows_probability():
    X, _ = one_feature()
    y = (X[:, 0] > 0.5).astype(int)
    fig = viz.fit_plot(logistic_proba([2.0], -1.0), X, y, feature_names=["x"],
                       target_name="label", classes=["no", "yes"])
    assert_readable(fig)
    assert any("decision boundary x = 0.5" in t for t in legend_texts(fig))


def test_decision_boundary_two_features(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    fig = viz.decision_boundary(logistic_proba([3.0, 3.0], 0.0), X, y,
                                feature_names=["height (cm)", "weight (kg)"], classes=["a", "b"],
                                grid=60)
    assert_readable(fig)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("height (cm)", "weight (kg)")
    assert "100.0%" in ax.get_title()
    assert any("decision boundary" in t for t in legend_texts(fig))
    assert_png(fig, tmp_path / "boundary.png")


def test_decision_boundary_more_features_uses_principal_components():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)) * [1.0, 2.0, 0.5, 1.0]
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int)  # three classes

    def softmax_predict(A):
        z = np.asarray(A) @ np.array([[1, 0, 0], [0, 1, 2], [0, 0, 0], [0, 0, 0]])  # (n, 3)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    fig = viz.decision_boundary(softmax_predict, X, y, classes=["lo", "mid", "hi"], grid=40)
    assert_readable(fig)
    assert "principal component" in viz.figure_title(fig)
    assert "first principal component" in fig.axes[0].get_xlabel()
    plane = viz.pca_plane(X)
    np.testing.assert_allclose(plane["components"] @ plane["components"].T, np.eye(2), atol=1e-12)


def test_decision_boundary_of_a_wide_table_builds_the_plane_a_block_at_a_time(monkeypatch):
    # 60 × 60 plane points of 3000 features are 10.8M values (86 MB); the boundary builds
    # at most PLANE_VALUES of them at once and draws the same picture as all at once.
    from gdlab.viz import boundary

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3000))
    w = rng.normal(size=3000) / 50
    y = (X @ w > 0).astype(int)
    proba, sizes = logistic_proba(w, 0.1), []

    def predict(A):
        sizes.append(np.asarray(A).size)
        return proba(A)

    blocked = viz.decision_boundary(predict, X, y, grid=60).axes[0].images[0].get_array()
    assert sizes[0] == X.size  # the data themselves
    assert max(sizes[1:]) <= boundary.PLANE_VALUES
    assert sum(sizes[1:]) == 60 * 60 * 3000
    assert len(sizes[1:]) == 6
    monkeypatch.setattr(boundary, "PLANE_VALUES", 60 * 60 * 3000)
    whole = viz.decision_boundary(proba, X, y, grid=60).axes[0].images[0].get_array()
    np.testing.assert_allclose(blocked, whole, rtol=1e-12)  # BLAS blocks sum in another order
    assert 0.05 < float(whole.min()) < 0.5 < float(whole.max()) < 0.95  # a boundary crosses it


def test_confusion_matrix_counts():
    y_true = np.array([0, 0, 1, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2])
    fig = viz.confusion_matrix_plot(y_true, y_pred, classes=["a", "b", "c"])
    assert_readable(fig)
    cells = {t.get_gid(): t.get_text().split("\n")[0] for t in fig.axes[0].texts}
    counts = [[cells[f"cell:{i},{j}"] for j in range(3)] for i in range(3)]
    assert counts == [["1", "1", "0"], ["0", "2", "1"], ["0", "0", "1"]]
    assert "66.7%" in fig.axes[0].get_title()
    proba = np.eye(3)[y_pred]
    fig2 = viz.confusion_matrix_plot(y_true, proba)
    assert {t.get_gid(): t.get_text() for t in fig2.axes[0].texts}["cell:1,1"].startswith("2")


# ---------------------------------------------------------------- saving


def test_save_figure_is_atomic_and_overwrites(tmp_path):
    target = tmp_path / "sub" / "fig.png"
    fig = viz.confusion_matrix_plot([0, 1], [0, 1])
    viz.save_figure(fig, target)
    first = target.read_bytes()
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    viz.save_figure(viz.loss_curve(history(3)), target)
    assert target.read_bytes() != first
    assert sorted(p.name for p in target.parent.iterdir()) == ["fig.png"]  # no temp left


# ---------------------------------------------------------------- two languages, new pictures


def all_texts(fig):
    """Every string a person reads in the figure: titles, labels, legends, annotations."""
    texts = [viz.figure_title(fig)]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts]
    return [t for t in texts + legend_texts(fig) if t]


CHINESE_FIGURES = {
    "loss_curve": lambda: viz.loss_curve(history(classifier=True), steps_for(history(classifier=True)),
                                         loss_name="bce", lang="zh"),
    "lr_sweep": lambda: viz.lr_sweep({0.1: history(val=False), 1.0: history(val=False)},
                                     diverged={1.0: 4}, lang="zh"),
    "surface": lambda: viz.loss_surface_2param(
        *one_feature(), loss="mse", model_kind="linear", lang="zh", explain_start=True,
        paths={"GD": gd_path(*one_feature(), loss="mse", model_cls=LinearRegression, lr=0.1, steps=5)}),
    "fit": lambda: viz.fit_plot(lambda X: X[:, 0] - 1, *one_feature(), lang="zh"),
    "confusion": lambda: viz.confusion_matrix_plot([0, 1, 1], [0, 1, 0], classes=["a", "b"], lang="zh"),
    "sigmoid": lambda: viz.sigmoid_plot(lang="zh"),
}


@pytest.mark.parametrize("name", sorted(CHINESE_FIGURES))
def test_figures_label_everything_in_chinese_with_lang_zh(name, tmp_path):
    import re

    fig = CHINESE_FIGURES[name]()
    texts = all_texts(fig)
    assert re.search(r"[\u4e00-\u9fff]", viz.figure_title(fig)), viz.figure_title(fig)
    english = [t for t in texts if re.search(r"[a-z]{3,}(?: [a-z]{3,}){2,}", t)]
    assert not english, english  # no English sentence left (names like "mse" may stay)
    viz.save_figure(fig, tmp_path / f"{name}.png")  # a missing glyph would be a warning: an error


def test_english_is_the_default_and_unchanged():
    fig = viz.loss_curve(history())
    assert fig.axes[0].get_xlabel() == "epoch (one pass over the training data)"
    assert viz.figure_title(fig) == "Training loss per epoch"


def test_surface_explains_the_start_with_two_arrows_and_the_angle():
    X, y = one_feature()
    path = gd_path(X, y, loss="mse", model_cls=LinearRegression, lr=0.1, steps=5, start=(-3.0, 2.0))
    fig = viz.loss_surface_2param(X, y, loss="mse", model_kind="linear", paths={"GD": path},
                                  explain_start=True)
    opt = viz.optimum_2param(X, y, loss="mse")
    angle = viz.angle_to_optimum(X, y, loss="mse", at=path[0], optimum=opt)
    gw, gb = viz.surface_gradient(X, y, loss="mse", w=path[0][0], b=path[0][1])
    down, to = -np.array([float(gw), float(gb)]), np.array(opt) - path[0]
    expected = math.degrees(math.acos(down @ to / np.linalg.norm(down) / np.linalg.norm(to)))
    assert angle == pytest.approx(expected, rel=1e-12)
    assert any(f"{angle:.1f}°" in t for t in legend_texts(fig))
    gids = {a.get_gid() for a in fig.axes[0].texts}
    assert {"start-neg-gradient", "start-to-optimum"} <= gids


def test_animate_paths_writes_one_frame_per_recorded_step(tmp_path):
    from PIL import Image

    X, y = one_feature()
    paths = {"GD": gd_path(X, y, loss="mse", model_cls=LinearRegression, lr=0.1, steps=12),
             "GD, lr 0.05": gd_path(X, y, loss="mse", model_cls=LinearRegression, lr=0.05, steps=30)}
    out = viz.animate_paths(X, y, loss="mse", model_kind="linear", paths=paths,
                            path=tmp_path / "paths.gif", lang="zh", dpi=40)
    assert out == tmp_path / "paths.gif"
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.n_frames == 31  # the start + the longest path's 30 updates
        assert im.info["loop"] == 0
        im.seek(im.n_frames - 1)
        last = np.asarray(im.convert("RGB"))
        im.seek(0)
        first = np.asarray(im.convert("RGB"))
    assert (first != last).any()  # the paths grew
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paths.gif"]  # written atomically
    assert viz.animate.frame_durations(31)[-1] == 2000


def test_graph_figure_shows_each_nodes_value_and_gradient():
    nodes = {"x": {"xy": (0.2, 0.5), "label": "x", "value": "x = 2"},
             "z": {"xy": (0.6, 0.5), "label": "z = 3x", "value": "z = 6", "grad": "∂L/∂z = 1"}}
    fig = viz.graph_figure(nodes, [("x", "z")], title="一个计算图", lang="zh")
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid()}
    assert texts["value:x"] == "x = 2"
    assert texts["grad:z"] == "∂L/∂z = 1"
    assert viz.figure_title(fig) == "一个计算图"


def test_figures_are_shown_as_png_in_jupyter():
    fig = viz.loss_curve(history())
    assert isinstance(fig, viz.GdlabFigure)
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
