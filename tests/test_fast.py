"""The fast path changes no result: parity of the ``fast`` engine (its compiled one-pass
kernel and its tensor path) with ``autograd``, inside ``gdlab.train`` too, and the
batcher's reusable buffer.

The kernel normally runs only on large data (``KERNEL_MIN_ELEMENTS``); the ``kernel``
fixture lowers that bound so that small seeded data goes through it.
"""

from __future__ import annotations

import copy
import importlib
import math

import numpy as np
import pytest
import torch

import gdlab
from gdlab.callbacks import Callback
from gdlab.data import Dataset
from gdlab.engines import RULES, fast, kernels, make_engine
from gdlab.engines.kernels import exp_nonpositive_
from gdlab.evaluate import loss_and_accuracy as evaluate_loss
from gdlab.feeds import MemoryFeed, epoch_order
from gdlab.models import MLP, LinearRegression, LogisticRegression, SoftmaxRegression


def memory_feed(X, y, *, batch_size, seed, task="regression"):
    return MemoryFeed({"train": (X, y, None)}, batch_size=batch_size, seed=seed, task=task)

N, D = 203, 7  # 203 rows: not a multiple of the 4-row groups or the 64-row tiles
F64 = {"rtol": 1e-10, "atol": 1e-12}
F32 = {"rtol": 2e-5, "atol": 1e-6}
LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01}

# id: (model factory, loss, L2)
CASES = {
    "linear-mse": (lambda: LinearRegression(D), "mse", 0.0),
    "linear3-half-mse-l2": (lambda: LinearRegression(D, 3), "half-mse", 0.1),
    "logistic-bce-l2": (lambda: LogisticRegression(D), "bce", 0.05),
    "softmax-ce": (lambda: SoftmaxRegression(D, 4), "cross-entropy", 0.0),
    "softmax10-ce-l2": (lambda: SoftmaxRegression(D, 10), "cross-entropy", 0.1),
}


@pytest.fixture
def kernel(monkeypatch):
    """Send every single-layer pass through the compiled kernel."""
    monkeypatch.setattr(fast, "KERNEL_MIN_ELEMENTS", 0)


def make_data(loss: str, k: int, *, n: int = N, dtype=torch.float64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, D, generator=g, dtype=torch.float64)
    scores = X @ torch.randn(D, max(k, 3), generator=g, dtype=torch.float64)
    scores += 0.5 * torch.randn(scores.shape, generator=g, dtype=torch.float64)
    if loss == "cross-entropy":
        y = scores[:, :k].argmax(1)
    elif loss == "bce":
        y = (scores[:, :1] > 0).to(dtype)
    else:
        y = (scores[:, :k] + 4.2).to(dtype)
    return X.to(dtype), y


def run_steps(name, model, X, y, *, loss, rule, l2, steps=4):
    engine = make_engine(name, model, loss=loss, rule=rule, l2=l2)
    out = []
    for _ in range(steps):
        value, grads = engine.loss_and_grads(X, y)
        step_loss, norm = engine.step(X, y, lr=LR[rule])
        out.append((value, step_loss, norm, grads))
    return out, [p.detach().clone() for p in model.parameters()]


# --- the kernel against autograd ------------------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("case", list(CASES))
def test_kernel_matches_autograd_float64(kernel, case, rule):
    factory, loss, l2 = CASES[case]
    torch.manual_seed(0)
    model = factory().double()
    X, y = make_data(loss, model.out_features)
    assert make_engine("fast", model, loss=loss).uses_kernel(X)
    got, got_params = run_steps("fast", copy.deepcopy(model), X, y, loss=loss, rule=rule, l2=l2)
    ref, ref_params = run_steps("autograd", copy.deepcopy(model), X, y, loss=loss, rule=rule, l2=l2)
    for (v, s, nrm, g), (rv, rs, rn, rg) in zip(got, ref, strict=True):
        torch.testing.assert_close(v, rv, **F64)
        torch.testing.assert_close(s, rs, **F64)
        torch.testing.assert_close(nrm, rn, **F64)
        torch.testing.assert_close(g, rg, **F64)
    torch.testing.assert_close(got_params, ref_params, **F64)
    assert not torch.equal(ref_params[0], model.layers[0].weight)  # it really moved


@pytest.mark.parametrize("case", list(CASES))
def test_kernel_float32_matches_float64_autograd(kernel, case):
    """Float32 uses the polynomial exp and log1p: still float32-accurate."""
    factory, loss, l2 = CASES[case]
    torch.manual_seed(0)
    model = factory()
    X, y = make_data(loss, model.out_features, n=1000, dtype=torch.float32)
    value, grads = make_engine("fast", model, loss=loss, l2=l2).loss_and_grads(X, y)
    ref_model = copy.deepcopy(model).double()
    yd = y if loss == "cross-entropy" else y.double()
    rv, rg = make_engine("autograd", ref_model, loss=loss, l2=l2).loss_and_grads(X.double(), yd)
    assert math.isclose(value, rv, rel_tol=2e-6)
    torch.testing.assert_close([g.double() for g in grads], rg, **F32)


def test_kernel_counts_correct_predictions_like_evaluation(kernel):
    for factory, loss, task in (
        (lambda: LogisticRegression(D), "bce", "binary"),
        (lambda: SoftmaxRegression(D, 5), "cross-entropy", "multiclass"),
    ):
        torch.manual_seed(1)
        model = factory().double()
        X, y = make_data(loss, model.out_features)
        p = make_engine("fast", model, loss=loss).full_pass(X, y)
        expected_loss, expected_acc = evaluate_loss(model, loss, X, y, task)
        assert 0.1 < p.accuracy < 0.9  # an untrained model: some right, some wrong
        assert p.accuracy == pytest.approx(expected_acc, abs=1e-12)
        assert p.loss == pytest.approx(expected_loss, rel=1e-12)


@pytest.mark.parametrize("n", [1, 3, 5, 64, 65])
def test_kernel_edge_sizes(kernel, n):
    """Fewer rows than threads, partial 4-row groups, exact and partial tiles."""
    torch.manual_seed(0)
    model = SoftmaxRegression(D, 3).double()
    X, y = make_data("cross-entropy", 3, n=n)
    got = make_engine("fast", copy.deepcopy(model), loss="cross-entropy").loss_and_grads(X, y)
    ref = make_engine("autograd", copy.deepcopy(model), loss="cross-entropy").loss_and_grads(X, y)
    torch.testing.assert_close(got[0], ref[0], **F64)
    torch.testing.assert_close(got[1], ref[1], **F64)


def test_polynomial_exp_is_float32_accurate():
    t = np.concatenate([-np.logspace(-8, 2, 4000), [0.0, -87.0, -0.5]]).astype(np.float32)
    v = t.copy()
    exp_nonpositive_(v, v.size, np.empty(v.size, np.int32), True)
    exact = np.exp(t.astype(np.float64))
    normal = t >= -87.0  # above float32's smallest normal number, e^−87.3
    assert np.max(np.abs(v - exact)[normal] / exact[normal]) < 4e-7
    assert np.all(v[~normal] < 2e-38)  # below it: about 2^−126, invisible in a sum
    assert v[-3] == 1.0


def test_kernel_diverges_to_nonfinite_loss(kernel):
    model = LinearRegression(D).double()
    with torch.no_grad():
        model.layers[0].weight.fill_(math.inf)
    X, y = make_data("mse", 1)
    loss, _ = make_engine("fast", model, loss="mse").loss_and_grads(X, y)
    assert not math.isfinite(loss)


def test_fast_goes_downhill_float32(kernel):
    torch.manual_seed(0)
    model = SoftmaxRegression(D, 4)
    X, y = make_data("cross-entropy", 4, n=500, dtype=torch.float32)
    engine = make_engine("fast", model, loss="cross-entropy")
    start, _ = engine.loss_and_grads(X, y)
    for _ in range(20):
        engine.step(X, y, lr=0.5)
    end, _ = engine.loss_and_grads(X, y)
    assert end < 0.8 * start


def test_multilayer_models_use_the_manual_backpropagation():
    torch.manual_seed(0)
    model = MLP(D, 3, (5,), "tanh").double()
    X, y = make_data("cross-entropy", 3)
    engine = make_engine("fast", model, loss="cross-entropy")
    assert not engine.uses_kernel(X)
    assert not engine.evaluates("multiclass")
    got = engine.loss_and_grads(X, y)
    ref = make_engine("autograd", copy.deepcopy(model), loss="cross-entropy").loss_and_grads(X, y)
    torch.testing.assert_close(got[1], ref[1], **F64)


# --- inside gdlab.train -----------------------------------------------------------------------
def dataset(task: str, n: int = 300) -> Dataset:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, D))
    s = X @ rng.normal(size=(D, 3)) + 0.3 * rng.normal(size=(n, 3))
    y = {"regression": s[:, 0] + 1.0, "binary": (s[:, 0] > 0).astype(int), "multiclass": s.argmax(1)}[task]
    return Dataset(X=X, y=y, name=f"toy-{task}", task=task,
                   feature_names=[f"x{i}" for i in range(D)],
                   classes=None if task == "regression" else sorted(set(y.tolist())))


def compare_runs(task, optimizer, *, batch_size=None, epochs=6, **extra):
    common = dict(optimizer=optimizer, batch_size=batch_size, lr=0.1, epochs=epochs,
                  dtype="float64", quiet=True, seed=3, **extra)
    fast_run = gdlab.train(data=dataset(task), engine="auto", **common)
    ref_run = gdlab.train(data=dataset(task), engine="autograd", **common)
    assert fast_run.config["engine"] == "fast"
    assert len(fast_run.history) == len(ref_run.history)
    for a, b in zip(fast_run.history, ref_run.history, strict=True):
        for key in ("train_loss", "val_loss", "grad_norm", "accuracy", "val_accuracy"):
            if b.get(key) is None:
                assert a.get(key) is None, key
            else:
                assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12), (key, a["epoch"])
    torch.testing.assert_close(list(fast_run.model.parameters()), list(ref_run.model.parameters()), **F64)
    assert fast_run.metrics["stopped_reason"] == ref_run.metrics["stopped_reason"]
    assert fast_run.initial_loss == pytest.approx(ref_run.initial_loss, rel=1e-12)
    return fast_run, ref_run


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("through_kernel", [False, True])
def test_train_full_batch_fused_evaluation_matches_autograd(monkeypatch, task, through_kernel):
    """The fused loop (one pass per epoch) records the same history as the plain one."""
    if through_kernel:
        monkeypatch.setattr(fast, "KERNEL_MIN_ELEMENTS", 0)
    compare_runs(task, "gd")


@pytest.mark.parametrize("optimizer", ["minibatch", "momentum", "nesterov", "adam"])
def test_train_minibatch_matches_autograd(optimizer):
    compare_runs("multiclass", optimizer, batch_size=16, epochs=3)


def test_train_fused_stops_like_autograd(kernel):
    """tol / patience and early stopping see the same numbers, so stop at the same epoch."""
    fast_run, _ = compare_runs("regression", "gd", epochs=200, tol=1e-3, patience=2)
    assert fast_run.metrics["stopped_reason"] == "tol"
    assert len(fast_run.history) < 200
    compare_runs("binary", "gd", epochs=60, early_stopping=True, patience=3, lr_step=5)


def test_train_fused_divergence_is_reported(kernel):
    with pytest.raises(gdlab.DivergedError) as e:
        gdlab.train(data=dataset("regression"), optimizer="gd", lr=50.0, epochs=50, quiet=True,
                    standardize=False)
    with pytest.raises(gdlab.DivergedError) as ref:
        gdlab.train(data=dataset("regression"), optimizer="gd", lr=50.0, epochs=50, quiet=True,
                    standardize=False, engine="autograd")
    assert e.value.epoch == ref.value.epoch


def test_auto_engine_is_manual_for_hidden_layers():
    """Hand-written backpropagation: no autograd graph, no optimizer object (gdlab bench
    measures it against ``nn``)."""
    run = gdlab.train(data=dataset("binary"), model="mlp", epochs=2, quiet=True)
    assert run.config["engine"] == "manual"


# --- a whole mini-batch epoch in one compiled loop ---------------------------------------------
EPOCH_RULES = ("sgd", "momentum", "nesterov")


def loop_epochs(name, model, X, y, *, loss, rule, l2, batch_size, epochs, lr, dtype=None):
    """The training loop's way: the feed's batches, one ``step`` each, stop at a non-finite loss."""
    engine = make_engine(name, model, loss=loss, rule=rule, l2=l2)
    feed = memory_feed(X, y, batch_size=batch_size, seed=5)
    losses, norms = [], []
    for epoch in range(1, epochs + 1):
        for batch in feed.batches(epoch):
            Xb, yb = batch.single.X, batch.single.y
            if dtype is not None:  # a float64 reference of float32 data
                Xb, yb = Xb.to(dtype), yb if loss == "cross-entropy" else yb.to(dtype)
            value, norm = engine.step(Xb, yb, lr=lr)
            losses.append(value)
            norms.append(norm)
            if not math.isfinite(value):
                return losses, norms, engine
    return losses, norms, engine


def kernel_epochs(model, X, y, *, loss, rule, l2, batch_size, epochs, lr):
    engine = make_engine("fast", model, loss=loss, rule=rule, l2=l2)
    assert engine.runs_epochs(X)
    losses, norms = [], []
    for epoch in range(1, epochs + 1):
        order = epoch_order(X.shape[0], seed=5, epoch=epoch)
        values, norm = engine.minibatch_epoch(X, y, order, batch_size=batch_size, lr=lr)
        losses += values
        norms.append(norm)
        if not math.isfinite(values[-1]):
            break
    return losses, norms, engine


@pytest.mark.parametrize("rule", EPOCH_RULES)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("batch_size", [16, 50])  # 203 rows: a short last batch; tiles of 16
def test_minibatch_epoch_matches_autograd_steps_float64(kernel, case, rule, batch_size):
    factory, loss, l2 = CASES[case]
    torch.manual_seed(0)
    model = factory().double()
    X, y = make_data(loss, model.out_features)
    opts = dict(loss=loss, rule=rule, l2=l2, batch_size=batch_size, epochs=2, lr=LR[rule])
    got, got_norms, got_engine = kernel_epochs(copy.deepcopy(model), X, y, **opts)
    ref, ref_norms, ref_engine = loop_epochs("autograd", copy.deepcopy(model), X, y, **opts)
    steps = 2 * math.ceil(N / batch_size)
    assert len(got) == len(ref) == steps
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)  # every update's loss
    per_epoch = steps // 2
    np.testing.assert_allclose(got_norms, [ref_norms[per_epoch - 1], ref_norms[-1]], rtol=1e-10)
    torch.testing.assert_close(got_engine.params, ref_engine.params, **F64)
    assert not torch.equal(got_engine.params[0], model.layers[0].weight)  # it really moved
    if rule != "sgd":  # the velocities carry on into the next epoch (and a checkpoint)
        torch.testing.assert_close(got_engine.state["buf"], ref_engine.state["buf"], **F64)


@pytest.mark.parametrize("case", ["linear-mse", "logistic-bce-l2", "softmax10-ce-l2"])
def test_minibatch_epoch_float32_follows_float64_autograd(kernel, case):
    factory, loss, l2 = CASES[case]
    torch.manual_seed(0)
    model = factory()
    X, y = make_data(loss, model.out_features, n=1000, dtype=torch.float32)
    opts = dict(loss=loss, rule="momentum", l2=l2, batch_size=64, epochs=2, lr=0.05)
    got, _, got_engine = kernel_epochs(copy.deepcopy(model), X, y, **opts)
    ref, _, ref_engine = loop_epochs("autograd", copy.deepcopy(model).double(), X, y,
                                     dtype=torch.float64, **opts)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close([p.double() for p in got_engine.params], ref_engine.params, **F32)


def test_minibatch_epoch_stops_at_the_first_nonfinite_loss(kernel):
    torch.manual_seed(0)
    model = LinearRegression(D).double()
    X, y = make_data("mse", 1)
    opts = dict(loss="mse", rule="sgd", l2=0.0, batch_size=8, epochs=3, lr=1e3)
    got, _, _ = kernel_epochs(copy.deepcopy(model), X, y, **opts)
    ref, _, _ = loop_epochs("autograd", copy.deepcopy(model), X, y, **opts)
    per_epoch = math.ceil(N / 8)
    assert per_epoch < len(got) == len(ref) < 2 * per_epoch  # stopped inside the second epoch
    assert not math.isfinite(got[-1])
    assert all(math.isfinite(v) for v in got[:-1])
    np.testing.assert_allclose(got[:3], ref[:3], rtol=1e-10)


def test_adam_and_hidden_layers_are_not_run_as_whole_epochs(kernel):
    X, _ = make_data("mse", 1)
    assert not make_engine("fast", LinearRegression(D).double(), loss="mse", rule="adam").runs_epochs(X)
    mlp = MLP(D, 1, (4,), "tanh").double()
    assert not make_engine("fast", mlp, loss="mse").runs_epochs(X)


@pytest.fixture
def epoch_calls(monkeypatch):
    """Counts the calls of ``FastEngine.minibatch_epoch`` (the branch of ``fit``)."""
    calls = []
    real = fast.FastEngine.minibatch_epoch

    def counted(self, *args, **kwargs):
        calls.append(kwargs["batch_size"])
        return real(self, *args, **kwargs)

    monkeypatch.setattr(fast.FastEngine, "minibatch_epoch", counted)
    return calls


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize("optimizer", ["minibatch", "momentum", "nesterov"])
def test_train_compiled_epochs_match_autograd(kernel, epoch_calls, task, optimizer):
    """Same history, per-update losses, step count and parameters as the autograd loop."""
    extra = {"l2": 0.01} if task == "binary" else {}
    fast_run, ref_run = compare_runs(task, optimizer, batch_size=32, epochs=3, **extra)
    assert epoch_calls == [32, 32, 32]  # every epoch went through the compiled loop
    assert [s["step"] for s in fast_run.steps] == [s["step"] for s in ref_run.steps]
    assert [s["epoch"] for s in fast_run.steps] == [s["epoch"] for s in ref_run.steps]
    np.testing.assert_allclose([s["loss"] for s in fast_run.steps],
                               [s["loss"] for s in ref_run.steps], rtol=1e-10)
    assert fast_run.steps[-1]["step"] == 3 * math.ceil(210 / 32)  # 300 rows − 30 % val/test


def test_train_compiled_epochs_keep_the_recorded_steps_bound(kernel, epoch_calls, monkeypatch):
    monkeypatch.setattr(importlib.import_module("gdlab.train"), "MAX_RECORDED_STEPS", 10)
    fast_run, ref_run = compare_runs("regression", "minibatch", batch_size=32, epochs=2)
    assert epoch_calls
    assert len(fast_run.steps) == len(ref_run.steps) == 10
    assert [s["step"] for s in fast_run.steps] == list(range(1, 11))


def test_train_compiled_epochs_stop_like_the_loop_on_divergence(kernel, epoch_calls):
    common = dict(optimizer="minibatch", batch_size=8, lr=1e6, epochs=20, quiet=True,
                  standardize=False, dtype="float64", test_fraction=0.0)  # no test scores of inf
    with pytest.raises(gdlab.DivergedError) as e:
        gdlab.train(data=dataset("regression"), **common)
    with pytest.raises(gdlab.DivergedError) as ref:
        gdlab.train(data=dataset("regression"), engine="autograd", **common)
    assert epoch_calls
    assert e.value.epoch == ref.value.epoch
    assert len(e.value.run.steps) == len(ref.value.run.steps)
    assert not math.isfinite(e.value.run.steps[-1]["loss"])
    assert e.value.run.steps[-1]["epoch"] % 1 > 0  # it broke off inside the epoch


@pytest.mark.parametrize("setting", ["record_path", "step_callback", "adam", "epoch_callback"])
def test_train_compiled_epochs_only_when_nothing_observable_changes(kernel, epoch_calls, setting):
    class StepWatcher(Callback):  # acts between updates, as the playground's pause does
        def __init__(self):
            self.seen = []

        def on_step_end(self, state, step, loss):
            self.seen.append(step)

    class EpochWatcher(Callback):  # acts between epochs only: the compiled loop is fine
        def on_epoch_end(self, state, entry):
            pass

    cb = StepWatcher() if setting == "step_callback" else EpochWatcher()
    run = gdlab.train(
        data=dataset("binary"), optimizer="adam" if setting == "adam" else "minibatch",
        batch_size=32, lr=0.05, epochs=2, quiet=True, seed=1, dtype="float64",
        record_path=setting == "record_path", callbacks=[cb],
    )
    assert run.config["engine"] == "fast"
    assert bool(epoch_calls) == (setting == "epoch_callback")
    if setting == "step_callback":
        assert cb.seen == list(range(1, 2 * math.ceil(210 / 32) + 1))
    if setting == "record_path":
        assert run.path.shape[0] == 2 * math.ceil(210 / 32) + 1


# --- batching: one reusable buffer, the same batches ---------------------------------------------
def test_memory_feed_reuses_one_buffer_and_draws_the_permutation():
    X = torch.arange(50 * 3, dtype=torch.float32).reshape(50, 3)
    y = torch.arange(50)
    b = memory_feed(X, y, batch_size=16, seed=7, task="multiclass")
    order = epoch_order(50, seed=7, epoch=2)
    assert torch.equal(b.order(2), order)
    ptrs, seen = set(), []
    for i, batch in enumerate(b.batches(2)):
        Xb, yb = batch.single.X, batch.single.y
        idx = order[i * 16 : (i + 1) * 16]
        assert torch.equal(Xb, X[idx])
        assert torch.equal(yb, y[idx])
        ptrs.add(Xb.data_ptr())
        seen.append(yb.clone())
    assert len(ptrs) == 1  # every batch, the short last one included, lives in one buffer
    assert [len(s) for s in seen] == [16, 16, 16, 2]
    assert sorted(torch.cat(seen).tolist()) == list(range(50))
    assert next(iter(b.batches(3))).single.X.data_ptr() in ptrs  # and the next epoch reuses it


def test_memory_feed_without_shuffling_takes_rows_in_order():
    X = torch.arange(10 * 2, dtype=torch.float64).reshape(10, 2)
    y = torch.arange(10.0).reshape(-1, 1)
    feed = MemoryFeed({"train": (X, y, None)}, batch_size=4, seed=3, task="regression", shuffle=False)
    for epoch in (1, 2):
        got = [batch.single.y[:, 0].tolist() for batch in feed.batches(epoch)]
        assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert torch.equal(feed.order(5), torch.arange(10))


def test_full_batch_is_the_training_tensor_itself():
    X, y = torch.randn(10, 2), torch.randn(10, 1)
    (batch,) = list(memory_feed(X, y, batch_size=10, seed=0).batches(1))
    assert batch.single.X is X
    assert batch.single.y is y


# --- GPU: the same fast path (skipped without CUDA) -------------------------------------------------
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("case", list(CASES))
def test_fast_on_cuda_matches_cpu(case):
    factory, loss, l2 = CASES[case]
    torch.manual_seed(0)
    model = factory().double()
    X, y = make_data(loss, model.out_features)
    cpu = make_engine("fast", copy.deepcopy(model), loss=loss, l2=l2).loss_and_grads(X, y)
    gpu = make_engine("fast", copy.deepcopy(model).cuda(), loss=loss, l2=l2).loss_and_grads(X.cuda(), y.cuda())
    assert gpu[0] == pytest.approx(cpu[0], rel=1e-10)
    torch.testing.assert_close([g.cpu() for g in gpu[1]], cpu[1], **F64)


@pytest.mark.parametrize("code", [kernels.SQUARED, kernels.BCE, kernels.CROSS_ENTROPY])
def test_kernel_threads_split_rows_without_changing_sums(monkeypatch, code):
    monkeypatch.setattr(kernels, "MIN_ROWS_PER_THREAD", 1)
    loss = {kernels.SQUARED: "mse", kernels.BCE: "bce", kernels.CROSS_ENTROPY: "cross-entropy"}[code]
    k = 4 if code == kernels.CROSS_ENTROPY else 1
    X, y = make_data(loss, k, n=1001)
    W, b = np.random.default_rng(0).normal(size=(k, D)), np.zeros(k)
    Y, labels = (np.zeros((1, 1)), y.numpy()) if k > 1 else (y.numpy(), np.zeros(1, np.int64))
    results = []
    for n_threads in (1, 3):
        gW, gb = np.empty_like(W), np.empty_like(b)
        sums = kernels.fused_pass(X.numpy(), Y, labels, W, b, code, n_threads,
                                  scale=0.5, l2=0.1, gW=gW, gb_out=gb)
        results.append((*sums, gW, gb))
    for a, c in zip(*results, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
