"""The compiled full-batch kernel (``pass_sums`` + ``finish``) and the weighted mini-batch
epoch against float64 references, and a smoke test of the peer benchmark rows.

The reference is written from the definitions (module docstring of
``gdlab.engines.kernels``) in float64 NumPy, and the gradient of the whole objective is
checked once more with torch autograd. Data are rounded to the compute dtype first, so a
float32 comparison measures the kernel's own rounding only.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gdlab.engines import kernels as K

F64 = {"rtol": 1e-10, "atol": 1e-12}
F32_GRAD = 2e-5  # float32 sums over ≤ 1500 rows, relative to the largest entry
LOSSES = {  # id: (loss code, k)
    "mse1": (K.SQUARED, 1),
    "mse3": (K.SQUARED, 3),
    "bce1": (K.BCE, 1),
    "bce2": (K.BCE, 2),
    "ce3": (K.CROSS_ENTROPY, 3),
    "ce10": (K.CROSS_ENTROPY, 10),
}


def make_case(code, k, n, d, *, dtype, x_dtype=None, weights=False, layout="plain", seed=0):
    """X (maybe with a target column after the features), Y/labels, weights, W, b, μ, 1/σ."""
    rng = np.random.default_rng(seed)
    x_dtype = x_dtype or dtype
    extra = 1 if layout == "block" else 0
    X = rng.normal(size=(n, d + extra))
    if layout == "standardize":
        X = 3.0 + 2.0 * X  # raw, to be standardized on load
    X = X.astype(x_dtype)
    W = (0.4 * rng.normal(size=(k, d))).astype(dtype)
    b = rng.normal(size=k).astype(dtype)
    if code == K.CROSS_ENTROPY:
        y = rng.integers(0, k, n)
    elif code == K.BCE:
        y = (rng.random((n, k)) > 0.5).astype(dtype)
    else:
        y = rng.normal(size=(n, k)).astype(dtype)
    if layout == "block" and code != K.CROSS_ENTROPY and k == 1:
        X[:, d] = y[:, 0]
        y = X[:, d : d + 1]  # a strided view into the block, as a streamed chunk passes it
    Y, labels = K.targets(y, code, dtype)
    w = None
    if weights:
        w = rng.random(n) * 2.0
        w[rng.random(n) < 0.25] = 0.0  # rows of another split
    mu = inv_sigma = None
    if layout == "standardize":
        mu, inv_sigma = np.full(d, 3.0) + 0.1 * rng.normal(size=d), 0.5 + 0.1 * rng.random(d)
    return X, Y, labels, w, W, b, mu, inv_sigma


def reference_sums(X, Y, labels, w, W, b, code, mu=None, inv_sigma=None):
    """The sums of ``pass_sums`` in float64 from the definitions, with X, μ, 1/σ, w
    first rounded to W's dtype as the kernel computes."""
    dt = W.dtype
    d = W.shape[1]
    n = X.shape[0]
    x = X[:, :d].astype(dt).astype(np.float64)
    if mu is not None:
        x = ((x.astype(dt) - mu.astype(dt)) * inv_sigma.astype(dt)).astype(np.float64)
    ww = np.ones(n) if w is None else w.astype(dt).astype(np.float64)
    Z = x @ W.astype(np.float64).T + b.astype(np.float64)  # (n, d) @ (d, k) -> (n, k)
    if code == K.SQUARED:
        yy = Y.astype(np.float64)
        delta, loss, right = Z - yy, ((Z - yy) ** 2).sum(1), np.zeros(n)
    elif code == K.BCE:
        yy = Y.astype(np.float64)
        loss = (np.maximum(Z, 0) - Z * yy + np.log1p(np.exp(-np.abs(Z)))).sum(1)
        delta = 1 / (1 + np.exp(-Z)) - yy
        right = ((Z > 0) == (yy > 0.5)).sum(1)
    else:
        m = Z.max(1, keepdims=True)
        e = np.exp(Z - m)
        loss = np.log(e.sum(1)) - (Z[np.arange(n), labels] - m[:, 0])
        delta = e / e.sum(1, keepdims=True)
        delta[np.arange(n), labels] -= 1.0
        right = Z.argmax(1) == labels
    wd = delta * ww[:, None]
    return np.concatenate([(wd.T @ x).ravel(), wd.sum(0), [ww @ loss, ww @ right, ww.sum()]])


def run_pass(X, Y, labels, w, W, b, code, *, mu=None, inv_sigma=None, n_threads=2, sums=None):
    k, d = W.shape
    sums = np.zeros(K.sums_size(k, d)) if sums is None else sums
    K.pass_sums(X, Y, labels, w, W, b, code, n_threads, sums, mu=mu, inv_sigma=inv_sigma)
    return sums


def assert_sums_close(got, ref, dtype):
    if dtype == np.float64:
        np.testing.assert_allclose(got, ref, **F64)
    else:
        scale = np.abs(ref[:-3]).max(initial=1.0)
        np.testing.assert_allclose(got[:-3], ref[:-3], rtol=0, atol=F32_GRAD * scale)
        np.testing.assert_allclose(got[-3], ref[-3], rtol=2e-6, atol=1e-6)  # Σ w ℓ
        np.testing.assert_allclose(got[-2:], ref[-2:], rtol=1e-6)  # Σ w·[right], Σ w


# --- pass_sums against the definitions --------------------------------------------------------
DTYPES = {"f64": (np.float64, None), "f32": (np.float32, None), "f64-data-f32-model": (np.float32, np.float64)}


@pytest.mark.parametrize("n", [0, 1, 3, 203, 1500])  # 1500 rows: several tiles
@pytest.mark.parametrize("layout", ["plain", "block", "standardize"])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("dtypes", list(DTYPES))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_pass_sums_matches_the_definitions(loss, dtypes, weights, layout, n):
    code, k = LOSSES[loss]
    dtype, x_dtype = DTYPES[dtypes]
    case = make_case(code, k, n, 7, dtype=dtype, x_dtype=x_dtype, weights=weights, layout=layout)
    X, Y, labels, w, W, b, mu, inv_sigma = case
    got = run_pass(X, Y, labels, w, W, b, code, mu=mu, inv_sigma=inv_sigma)
    if n == 0:
        assert not got.any()
        return
    assert_sums_close(got, reference_sums(*case[:6], code, mu, inv_sigma), dtype)


@pytest.mark.parametrize("d", [1, 3, 8, 16, 65, 130, 3000])  # whole and partial vectors, 2+ blocks, wide
@pytest.mark.parametrize("loss", ["mse1", "bce1", "ce3", "ce10"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pass_sums_feature_counts(loss, dtype, d):
    """Every remainder of the register blocks: columns past the last whole vector,
    classes past the last pair; wide rows take a tile of few rows."""
    code, k = LOSSES[loss]
    n = 40 if d == 3000 else 203
    case = make_case(code, k, n, d, dtype=dtype, weights=True, seed=d)
    assert_sums_close(run_pass(*case[:6], code), reference_sums(*case[:6], code), dtype)


@pytest.mark.parametrize("layout", ["plain", "block", "standardize"])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_wide_rows_in_cache_go_through_blas_with_the_same_sums(monkeypatch, loss, dtype, weights, layout):
    """Wide rows that fit in cache (Ng's 12288-pixel images) take two BLAS products when
    every core may be used, and give the kernel's sums; 300 rows: two FLUSH groups.
    Standardized rows, fewer threads or narrow rows keep the fused kernel."""
    code, k = LOSSES[loss]
    n, d = 300, K.WIDE_MIN_FEATURES + 5
    case = make_case(code, k, n, d, dtype=dtype, weights=weights, layout=layout, seed=3)
    X, Y, labels, w, W, b, mu, inv_sigma = case
    calls = []
    blas = K._blas_pass
    monkeypatch.setattr(K, "_blas_pass", lambda *a: calls.append(1) or blas(*a))
    monkeypatch.setattr(K, "_CORES", 4)
    via_blas = run_pass(X, Y, labels, w, W, b, code, mu=mu, inv_sigma=inv_sigma, n_threads=4)
    assert len(calls) == (0 if layout == "standardize" else 1)
    via_kernel = run_pass(X, Y, labels, w, W, b, code, mu=mu, inv_sigma=inv_sigma, n_threads=3)
    assert len(calls) == (0 if layout == "standardize" else 1)  # fewer threads than cores: the kernel
    assert not K._cache_resident_wide(n, 100, 8, 4)  # narrow
    assert not K._cache_resident_wide(10**5, d, 8, 4)  # bigger than the cache
    ref = reference_sums(X, Y, labels, w, W, b, code, mu, inv_sigma)
    assert_sums_close(via_blas, ref, dtype)
    assert_sums_close(via_kernel, ref, dtype)


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("in_place", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threads_split_rows_without_changing_the_sums(monkeypatch, loss, in_place, dtype):
    code, k = LOSSES[loss]
    monkeypatch.setattr(K, "MIN_ROWS_PER_THREAD", 10**9)
    monkeypatch.setattr(K, "MIN_ELEMENTS_PER_THREAD", 100)  # split by values, as wide data is
    X, Y, labels, w, W, b, mu, inv_sigma = make_case(
        code, k, 1001, 7, dtype=dtype, weights=True, layout="plain" if in_place else "standardize")
    assert K.pass_threads(1001, 7, 3) == 3
    one = run_pass(X, Y, labels, w, W, b, code, mu=mu, inv_sigma=inv_sigma, n_threads=1)
    three = run_pass(X, Y, labels, w, W, b, code, mu=mu, inv_sigma=inv_sigma, n_threads=3)
    if dtype == np.float64:
        np.testing.assert_allclose(three, one, rtol=1e-12, atol=1e-12)
    else:  # the threads' float32 partial sums end at other rows
        assert_sums_close(three, one, dtype)
    assert_sums_close(three, reference_sums(X, Y, labels, w, W, b, code, mu, inv_sigma), dtype)


def test_read_only_data():
    """A memory-mapped file's block is read-only: the kernel only reads it."""
    X, Y, labels, w, W, b, _, _ = make_case(K.BCE, 1, 300, 7, dtype=np.float32, weights=True,
                                           layout="block")
    expected = run_pass(X, Y, labels, w, W, b, K.BCE)
    X.setflags(write=False)
    np.testing.assert_array_equal(run_pass(X, Y, labels, w, W, b, K.BCE), expected)


def test_thread_count_follows_rows_or_values():
    assert K.pass_threads(2_000_000, 100, 2) == 2
    assert K.pass_threads(209, 12288, 2) == 2  # wide: few rows, many values
    assert K.pass_threads(1000, 7, 2) == 1  # too little work for a hand-off
    assert K.pass_threads(1, 10**7, 4) == 1  # never more threads than rows


@pytest.mark.parametrize("loss", list(LOSSES))
def test_sums_accumulate_over_chunks(loss):
    """Two calls on two chunks add up to one call on both (a stream, or DDP shards)."""
    code, k = LOSSES[loss]
    X, Y, labels, w, W, b, _, _ = make_case(code, k, 500, 7, dtype=np.float64, weights=True)
    whole = run_pass(X, Y, labels, w, W, b, code)
    parts = np.zeros_like(whole)
    for rows in (slice(0, 123), slice(123, 500)):
        y_part = Y if code == K.CROSS_ENTROPY else Y[rows]
        l_part = labels[rows] if code == K.CROSS_ENTROPY else labels
        run_pass(X[rows], y_part, l_part, w[rows], W, b, code, sums=parts)
    np.testing.assert_allclose(parts, whole, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_zero_weights_drop_their_rows(loss):
    code, k = LOSSES[loss]
    X, Y, labels, w, W, b, _, _ = make_case(code, k, 300, 7, dtype=np.float64, weights=True)
    keep = w > 0
    assert 0 < keep.sum() < 300
    got = run_pass(X, Y, labels, w, W, b, code)
    kept = run_pass(X[keep], Y if code == K.CROSS_ENTROPY else Y[keep],
                    labels[keep] if code == K.CROSS_ENTROPY else labels, w[keep], W, b, code)
    np.testing.assert_allclose(got, kept, rtol=1e-12, atol=1e-12)


def test_pass_sums_checks_its_buffer():
    X, Y, labels, _, W, b, _, _ = make_case(K.SQUARED, 1, 10, 7, dtype=np.float64)
    with pytest.raises(ValueError, match=r"sums must be float64 of shape \(11,\), got float64 \(12,\)"):
        K.pass_sums(X, Y, labels, None, W, b, K.SQUARED, 1, np.zeros(12))
    with pytest.raises(ValueError, match=r"at least 7 columns, got shape \(10, 3\)"):
        K.pass_sums(X[:, :3], Y, labels, None, W, b, K.SQUARED, 1, np.zeros(11))
    with pytest.raises(ValueError, match=r"Y must have shape \(10, 1\), got \(9, 1\)"):
        K.pass_sums(X, Y[:9], labels, None, W, b, K.SQUARED, 1, np.zeros(11))
    with pytest.raises(ValueError, match=r"weights must have shape \(10,\), got \(3,\)"):
        K.pass_sums(X, Y, labels, np.ones(3), W, b, K.SQUARED, 1, np.zeros(11))
    with pytest.raises(ValueError, match=r"labels must have shape \(10,\), got \(4,\)"):
        K.pass_sums(X, Y, np.zeros(4, np.int64), None, W, b, K.CROSS_ENTROPY, 1, np.zeros(11))


def test_polynomial_log_is_float32_accurate():
    v = np.concatenate([np.logspace(-30, 30, 5000), [1.0, 2.0, 10.0, 1.4142135]]).astype(np.float32)
    got = v.copy()
    K.log_positive_(got, got.size, np.empty(v.size, np.int32), np.empty(v.size, np.float32), True)
    exact = np.log(v.astype(np.float64))
    assert np.max(np.abs(got - exact) / np.maximum(1.0, np.abs(exact))) < 2e-7
    assert got[-4] == 0.0  # log 1


# --- finish -------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["mse3", "bce1", "ce10"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finish_is_the_gradient_of_the_penalized_objective(loss, dtype):
    """scale·Σwℓ + λ₂/2 ‖W‖² + λ₁ ‖W‖₁ differentiated by torch autograd (float64); for
    the squared error δ = z − y is half of ∂ℓ/∂z (mse's scale carries the 2), so ℓ/2."""
    code, k = LOSSES[loss]
    X, Y, labels, w, W, b, _, _ = make_case(code, k, 203, 7, dtype=dtype, weights=True, seed=3)
    W[0, 0] = 0.0  # sign(0) = 0: a zero weight feels no L1 pull
    scale, l2, l1 = 1.0 / 150.0, 0.1, 0.05
    sums = run_pass(X, Y, labels, w, W, b, code)
    gW, gb = np.empty_like(W), np.empty_like(b)
    norm = K.finish(sums, W, scale=scale, l2=l2, l1=l1, gW=gW, gb=gb)

    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(X.astype(dtype), dtype=torch.float64)
    wt = torch.tensor(w.astype(dtype), dtype=torch.float64)
    z = x @ Wt.T + bt  # (n, d) @ (d, k) -> (n, k)
    if code == K.SQUARED:
        per_row = 0.5 * ((z - torch.tensor(Y, dtype=torch.float64)) ** 2).sum(1)
    elif code == K.BCE:
        per_row = torch.nn.functional.binary_cross_entropy_with_logits(
            z, torch.tensor(Y, dtype=torch.float64), reduction="none").sum(1)
    else:
        per_row = torch.nn.functional.cross_entropy(z, torch.tensor(labels), reduction="none")
    objective = scale * (wt * per_row).sum() + l2 / 2 * (Wt**2).sum() + l1 * Wt.abs().sum()
    objective.backward()
    tol = F64 if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    np.testing.assert_allclose(gW, Wt.grad.numpy(), **tol)
    np.testing.assert_allclose(gb, bt.grad.numpy(), **tol)
    assert gW[0, 0] == pytest.approx(scale * sums[0], rel=1e-6)  # no L1 or L2 term at a 0 weight
    expected = math.sqrt(float((Wt.grad**2).sum() + (bt.grad**2).sum()))
    assert norm == pytest.approx(expected, rel=1e-10 if dtype == np.float64 else 1e-4)


def test_fused_pass_is_pass_sums_then_finish():
    X, Y, labels, _, W, b, _, _ = make_case(K.CROSS_ENTROPY, 4, 203, 7, dtype=np.float64)
    gW, gb = np.empty_like(W), np.empty_like(b)
    total, correct, norm = K.fused_pass(X, Y, labels, W, b, K.CROSS_ENTROPY, 2, scale=0.01,
                                        l2=0.1, gW=gW, gb_out=gb)
    sums = run_pass(X, Y, labels, None, W, b, K.CROSS_ENTROPY)
    gW2, gb2 = np.empty_like(W), np.empty_like(b)
    assert norm == K.finish(sums, W, scale=0.01, l2=0.1, l1=0.0, gW=gW2, gb=gb2)
    assert (total, correct) == (sums[-3], sums[-2])
    np.testing.assert_array_equal(gW, gW2)
    np.testing.assert_array_equal(gb, gb2)


# --- the weighted mini-batch epoch --------------------------------------------------------------
def batch_loop(X, Y, labels, w, order, W, b, *, code, half, batch_size, lr, l2, l1):
    """The definition, one batch at a time in float64: the mean of the weighted row losses
    (divided by the batch's rows, as every engine takes weights), then p ← p − η g."""
    W, b = W.astype(np.float64), b.astype(np.float64)
    losses = []
    k = W.shape[0]
    for start in range(0, X.shape[0], batch_size):
        rows = order[start : start + batch_size]
        s = reference_sums(X[rows], Y if code == K.CROSS_ENTROPY else Y[rows],
                           labels[rows] if code == K.CROSS_ENTROPY else labels, w[rows], W, b, code)
        m = len(rows)
        n_eff = m if code == K.CROSS_ENTROPY else m * k
        c = 2.0 if code == K.SQUARED and not half else 1.0
        loss = s[-3] / n_eff * (0.5 if half else 1.0)
        gW = c / n_eff * s[: W.size].reshape(W.shape) + l2 * W + l1 * np.sign(W)
        gb = c / n_eff * s[W.size : W.size + k]
        W, b = W - lr * gW, b - lr * gb
        losses.append(loss)
    return np.array(losses), W, b


@pytest.mark.parametrize("loss", ["mse1", "bce1", "ce3"])
@pytest.mark.parametrize("weighted", [False, True])
def test_minibatch_epoch_with_weights_and_l1_matches_a_batch_loop(loss, weighted):
    code, k = LOSSES[loss]
    X, Y, labels, w, W, b, _, _ = make_case(code, k, 203, 7, dtype=np.float64, weights=True, seed=5)
    if not weighted:
        w = np.ones(203)
    w[:16] = 0.0  # with batch 16 and order = identity, the first batch weighs nothing
    order = np.arange(203, dtype=np.int64)
    opts = dict(batch_size=16, lr=0.1, l2=0.01)
    ref_losses, ref_W, ref_b = batch_loop(X, Y, labels, w, order, W, b, code=code, half=False,
                                          l1=0.02, **opts)
    Wk, bk = W.copy(), b.copy()
    losses, _ = K.minibatch_epoch(
        X, Y, labels, order, Wk, bk, loss=code, half=False, rule="sgd", momentum=0.0,
        bufW=np.zeros((0, 0)), bufb=np.zeros(0), has_buf=False, weights=w, l1=0.02, **opts)
    assert losses[0] == 0.0  # the weightless batch: a zero data loss (only the penalties move it)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(Wk, ref_W, **F64)
    np.testing.assert_allclose(bk, ref_b, **F64)


def test_minibatch_epoch_without_weights_is_unchanged():
    """weights=None and l1=0 give the unweighted epoch (the mean over each batch)."""
    X, Y, labels, _, W, b, _, _ = make_case(K.BCE, 1, 203, 7, dtype=np.float64, seed=6)
    order = np.random.default_rng(0).permutation(203)
    opts = dict(batch_size=50, loss=K.BCE, half=False, rule="momentum", lr=0.1, l2=0.0,
                momentum=0.9, has_buf=False)
    runs = []
    for extra in ({}, {"weights": np.ones(203), "l1": 0.0}):
        Wk, bk = W.copy(), b.copy()
        losses, norm = K.minibatch_epoch(X, Y, labels, order, Wk, bk, bufW=np.zeros_like(W),
                                         bufb=np.zeros_like(b), **opts, **extra)
        runs.append((losses, norm, Wk, bk))
    for a, c in zip(*runs, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-15)


# --- the peer benchmark rows ------------------------------------------------------------------
def test_peer_bench_rows_quick():
    """Structure and finite values only: timings are never asserted."""
    from gdlab import bench_peers

    rows = bench_peers.wide_rows(quick=True) + bench_peers.peer_rows(quick=True)
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))
    assert {"wide:f32", "wide:f64", "peer:linear:gdlab-gd", "peer:logistic:gdlab-gd"} <= set(keys)
    for r in rows:
        assert r.what
        assert r.baseline
        for value in (r.samples_per_s, r.ratio):
            assert value is None or (math.isfinite(value) and value > 0), r


def test_the_wide_exercise_through_gdlab_is_the_courses_loop(tmp_path):
    """The wide bench row's two sides compute the same thing: gdlab.train on the file
    (logistic, full-batch GD from zero, no standardization) ends at the course's NumPy
    loop's w and b, in float64 to rounding; the plain PyTorch loop too. 2000 columns: the
    BLAS path on a machine of any size."""
    import gdlab
    from gdlab import bench_peers

    X, y = bench_peers.wide_data(60, 2000, np.float64)
    path = tmp_path / "wide.npy"
    np.save(path, np.column_stack([X, y]))
    run = gdlab.train(path, model="logistic", optimizer="gd", lr=0.005, epochs=50, standardize=False,
                      val_fraction=0.0, test_fraction=0.0, init_std=0.0, dtype="float64", quiet=True)
    _t, w, b = bench_peers.wide_numpy_loop(np.ascontiguousarray(X.T), y, iterations=50, lr=0.005)
    _t, w_torch, b_torch = bench_peers.wide_torch_loop(X, y, iterations=50, lr=0.005)
    layer = run.model.layers[0]
    np.testing.assert_allclose(layer.weight.detach().numpy()[0], w, rtol=1e-9, atol=1e-12)
    assert float(layer.bias.detach()[0]) == pytest.approx(b, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(w_torch, w, rtol=1e-9, atol=1e-12)
    assert b_torch == pytest.approx(b, rel=1e-9, abs=1e-12)
    assert np.abs(w).max() > 1e-4  # it moved
