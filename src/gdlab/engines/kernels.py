r"""One read of X per full-batch step: loss, gradient and accuracy of one linear layer.

For one layer z_i = W x_i + b (k outputs) and a per-row loss ℓ(z_i, y_i), a full-batch
step needs::

    Σ_i ℓ_i,    G = Σ_i δ_i x_iᵀ  (k, d),    g_b = Σ_i δ_i  (k,),    δ_i = ∂ℓ_i/∂z_i

As two matrix products (Z = X Wᵀ, then Δᵀ X, as the ``manual`` engine writes it) that
reads X from memory twice, and X is the only large thing an epoch touches. Here X
streams from memory once: for the squared error each row's residual and its share of
G are computed while the row sits in the L1 cache (:func:`squared_rows_`); bce and
cross-entropy need e^t, which is only fast when vectorized over many values, so they
go a tile of ``TILE`` rows at a time — forward product, loss and δ for the whole tile,
then the backward product while the tile is still in cache (:func:`tiled_rows_`, four
rows through the inner loops together so that each load of W or of the accumulator
serves four rows). The rows are split between threads (:func:`fused_pass`).

Per-row quantities, with the unscaled δ the caller multiplies by 1/n (see ``fast.py``):

- squared error: ℓ = Σ_c (z_c − y_c)²,                δ = z − y
- bce (per output): ℓ = max(z, 0) − z y + log(1 + e^{−|z|}),   δ = σ(z) − y
- cross-entropy: ℓ = log Σ_c e^{z_c − m} − (z_y − m), m = max_c z_c,   δ = softmax(z) − onehot(y)

A mini-batch epoch runs whole in :func:`minibatch_epoch_`: the same per-row loss and δ,
each batch's rows read by their index in the epoch's permutation (no gathered copy), the
next rows prefetched while the current ones are computed, and the update applied in
place after each batch.

Sums run in the data's dtype inside a tile and in float64 across tiles, so a float32
gradient over millions of rows loses no more than a tile's worth of rounding. For
float32 data, e^t (t ≤ 0) is a degree-7 polynomial on a reduced argument (below), which
the compiler vectorizes; float64 uses the C library's exp. The kernels are compiled by
numba on first use and cached on disk (``cache=True``).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

F32 = np.float32
TILE = 128  # rows per tile: a (128, 100) float32 tile is 50 KB, well inside L2
FLUSH = 256  # rows summed in the data's dtype before joining the float64 total
MIN_ROWS_PER_THREAD = 4096  # below this a thread costs more than it saves
FASTMATH = {"reassoc", "contract", "arcp", "nsz"}  # vectorized sums; NaN and inf kept
LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453
LN2_HI, LN2_LO = 0.693359375, -2.12194440e-4  # ln 2 = HI + LO, HI exact in 9 bits (Cody–Waite)
SQUARED, BCE, CROSS_ENTROPY = 0, 1, 2
LOSS_CODES = {"mse": SQUARED, "half-mse": SQUARED, "bce": BCE, "cross-entropy": CROSS_ENTROPY}
_DUMMIES: dict = {}


def targets(y: np.ndarray, code: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(Y, labels) for :func:`fused_pass`: the real target and a 1-element dummy."""
    if code == CROSS_ENTROPY:
        Y = _DUMMIES.get(dtype)
        if Y is None:
            Y = _DUMMIES[dtype] = np.zeros((1, 1), dtype)
        return Y, y
    return y, _DUMMIES.setdefault("labels", np.zeros(1, np.int64))


@njit(fastmath=FASTMATH, cache=True)
def exp_nonpositive_(v, m, bits, fast):
    r"""v[:m] ← e^{v[:m]} for v ≤ 0, in place.

    ``fast`` (float32 data): e^t = 2^n · e^f with n = round(t·log₂e) and
    f = t − n·ln 2 ∈ [−ln2/2, ln2/2] (ln 2 split in two so the subtraction is exact);
    e^f by its Taylor polynomial of degree 7 (relative error below 6e-9 on that
    interval, under float32's 6e-8), and 2^n built from its exponent bits,
    (n + 127) << 23. Arguments below −126·ln 2 give 2^−126 ≈ 1e−38 instead of a smaller
    number, which no sum of probabilities can see.
    """
    if not fast:
        for r in range(m):
            v[r] = math.exp(v[r])
        return
    for r in range(m):
        t = max(v[r], F32(-126 * LN2))
        n = np.floor(t * F32(LOG2E) + F32(0.5))
        bits[r] = (np.int32(n) + 127) << 23
        f = t - n * F32(LN2_HI) - n * F32(LN2_LO)  # t − n ln 2 in two parts: no cancellation
        v[r] = F32(1) + f * (F32(1) + f * (F32(1 / 2) + f * (F32(1 / 6) + f * (
            F32(1 / 24) + f * (F32(1 / 120) + f * (F32(1 / 720) + f * F32(1 / 5040)))))))
    two_n = bits.view(np.float32)
    for r in range(m):
        v[r] *= two_n[r]


@njit(fastmath=FASTMATH, cache=True)
def forward_tile_(X, i0, m, W, b, Z, zero):
    """Z[:m] ← X[i0:i0+m] Wᵀ + b, four rows at a time: (m, d) @ (d, k) -> (m, k)."""
    k, d = W.shape
    r = 0
    while r + 4 <= m:
        i = i0 + r
        for c in range(k):
            s0 = s1 = s2 = s3 = zero
            for j in range(d):
                w = W[c, j]
                s0 += X[i, j] * w
                s1 += X[i + 1, j] * w
                s2 += X[i + 2, j] * w
                s3 += X[i + 3, j] * w
            Z[r, c] = s0 + b[c]
            Z[r + 1, c] = s1 + b[c]
            Z[r + 2, c] = s2 + b[c]
            Z[r + 3, c] = s3 + b[c]
        r += 4
    while r < m:
        for c in range(k):
            s0 = zero
            for j in range(d):
                s0 += X[i0 + r, j] * W[c, j]
            Z[r, c] = s0 + b[c]
        r += 1


@njit(fastmath=FASTMATH, cache=True)
def backward_tile_(X, i0, m, D, A):
    """A += D[:m]ᵀ X[i0:i0+m], four rows at a time: (k, m) @ (m, d) -> (k, d)."""
    k, d = A.shape
    r = 0
    while r + 4 <= m:
        i = i0 + r
        for c in range(k):
            d0, d1, d2, d3 = D[r, c], D[r + 1, c], D[r + 2, c], D[r + 3, c]
            for j in range(d):
                A[c, j] += d0 * X[i, j] + d1 * X[i + 1, j] + d2 * X[i + 2, j] + d3 * X[i + 3, j]
        r += 4
    while r < m:
        for c in range(k):
            d0 = D[r, c]
            for j in range(d):
                A[c, j] += d0 * X[i0 + r, j]
        r += 1


@njit(fastmath=FASTMATH, cache=True)
def loss_tile_(Z, Y, labels, i0, m, loss, V, bits, fast):
    """Turn Z[:m] into δ in place; return (Σ ℓ over the tile, correct predictions)."""
    k = Z.shape[1]
    total = 0.0
    correct = 0.0
    if loss == SQUARED:
        for r in range(m):
            for c in range(k):
                q = Z[r, c] - Y[i0 + r, c]
                total += q * q
                Z[r, c] = q
    elif loss == BCE:
        for r in range(m):
            for c in range(k):
                V[r * k + c] = -abs(Z[r, c])
        exp_nonpositive_(V, m * k, bits, fast)  # e^{−|z|} ∈ (0, 1]
        for r in range(m):
            for c in range(k):
                z, y, q = Z[r, c], Y[i0 + r, c], V[r * k + c]
                if fast:  # log(1 + q) = 2 atanh(s), s = q/(2 + q) ∈ (0, 1/3]; to s¹⁷: 1e-9
                    s = q / (F32(2) + q)
                    s2 = s * s
                    log1p = F32(2) * s * (F32(1) + s2 * (F32(1 / 3) + s2 * (F32(1 / 5) + s2 * (
                        F32(1 / 7) + s2 * (F32(1 / 9) + s2 * (F32(1 / 11) + s2 * (
                            F32(1 / 13) + s2 * (F32(1 / 15) + s2 * F32(1 / 17)))))))))
                else:
                    log1p = math.log1p(q)
                total += max(z, F32(0)) - z * y + log1p
                sig = F32(1) / (F32(1) + q)  # σ(|z|)
                Z[r, c] = (sig if z >= 0 else q * sig) - y  # σ(z) − y
                correct += (z > 0) == (y > 0.5)
    else:
        for r in range(m):
            mx, arg = Z[r, 0], 0
            for c in range(1, k):
                if Z[r, c] > mx:
                    mx, arg = Z[r, c], c
            for c in range(k):
                V[r * k + c] = Z[r, c] - mx
            lab = labels[i0 + r]
            total -= V[r * k + lab]
            correct += arg == lab
        exp_nonpositive_(V, m * k, bits, fast)
        for r in range(m):
            den = V[r * k] * F32(0)
            for c in range(k):
                den += V[r * k + c]
            total += math.log(den)
            inv = F32(1) / den
            for c in range(k):
                Z[r, c] = V[r * k + c] * inv  # softmax(z)_c
            Z[r, labels[i0 + r]] -= F32(1)
    return total, correct


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def squared_rows_(X, Y, W, b, start, stop, G, gb, out):
    """Rows start..stop-1 for the squared error, one row at a time.

    z = W x + b, r = z − y, then A += r xᵀ while x is still in the L1 cache; no
    transcendental function, so nothing gains from a tile. Adds Σ r xᵀ to G (k, d),
    Σ r to gb (k,) and Σ r² to out[0].
    """
    k, d = W.shape
    A = np.zeros((k, d), X.dtype)  # Σ r xᵀ over the current FLUSH rows, in X's dtype
    zero = A[0, 0]
    r = np.empty(k, X.dtype)
    for i0 in range(start, stop, FLUSH):
        total = 0.0
        for i in range(i0, min(i0 + FLUSH, stop)):
            for c in range(k):
                z = zero
                for j in range(d):
                    z += X[i, j] * W[c, j]  # (d,) · (d,) -> z_c
                r[c] = z + b[c] - Y[i, c]
                total += r[c] * r[c]
                gb[c] += r[c]
            for c in range(k):
                for j in range(d):
                    A[c, j] += r[c] * X[i, j]  # (k,) ⊗ (d,) -> (k, d)
        out[0] += total
        _flush_(A, G, zero)


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def tiled_rows_(X, Y, labels, W, b, loss, start, stop, G, gb, out):
    """Rows start..stop-1 for bce or cross-entropy, ``TILE`` rows at a time.

    Forward product of the tile, then e^t for the whole tile (vectorized), then the
    backward product while the tile is still in cache. Adds Σ δ xᵀ to G, Σ δ to gb,
    Σ ℓ to out[0] and the number of correct predictions to out[1].
    """
    k, d = W.shape
    fast = X.itemsize == 4  # float32: the polynomial exp and log1p
    A = np.zeros((k, d), X.dtype)
    zero = A[0, 0]
    Z = np.empty((TILE, k), X.dtype)
    V = np.empty(TILE * k, X.dtype)
    bits = np.empty(TILE * k, np.int32)
    for i0 in range(start, stop, TILE):
        m = min(TILE, stop - i0)
        forward_tile_(X, i0, m, W, b, Z, zero)  # Z = X_tile Wᵀ + b
        total, correct = loss_tile_(Z, Y, labels, i0, m, loss, V, bits, fast)  # Z ← δ
        backward_tile_(X, i0, m, Z, A)  # A += δᵀ X_tile
        out[0] += total
        out[1] += correct
        for r in range(m):
            for c in range(k):
                gb[c] += Z[r, c]
        _flush_(A, G, zero)


@njit(nogil=True, cache=True)
def _flush_(A, G, zero):
    """G += A (float64), A ← 0: the data-dtype partial sum joins the float64 total."""
    k, d = A.shape
    for c in range(k):
        for j in range(d):
            G[c, j] += A[c, j]
            A[c, j] = zero


_POOL = None


def _pool(n_threads: int):
    global _POOL
    if _POOL is None or _POOL._max_workers < n_threads:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="gdlab-pass")
    return _POOL


@njit(nogil=True, cache=True)
def finish_(G, gb, W, scale, l2, gW, gbo):
    """gW ← scale·G + λW, gbo ← scale·gb (in the data's dtype); returns ‖(gW, gbo)‖,
    computed in float64 before the rounding."""
    k, d = G.shape
    sq = 0.0
    for c in range(k):
        for j in range(d):
            g = scale * G[c, j] + l2 * W[c, j]
            sq += g * g
            gW[c, j] = g
        g = scale * gb[c]
        sq += g * g
        gbo[c] = g
    return math.sqrt(sq)


def fused_pass(X, Y, labels, W, b, loss, n_threads, *, scale, l2, gW, gb_out):
    """One pass over X (n, d) at (W, b): writes the gradient ``scale``·Σ δ xᵀ + λW into
    ``gW`` (k, d) and ``scale``·Σ δ into ``gb_out`` (k,); returns (Σ ℓ, correct, norm).

    ``Y`` is (n, k) float for squared error and bce, ``labels`` (n,) int64 for
    cross-entropy (the other is a dummy, see :func:`targets`). The rows are cut into
    ``n_threads`` ranges, one per thread; the compiled functions release the GIL, so
    the threads run at once. Sums are float64 throughout.
    """
    n, d = X.shape
    k = W.shape[0]
    n_threads = max(1, min(n_threads, n // MIN_ROWS_PER_THREAD))
    G = np.zeros((n_threads, k, d))
    gb = np.zeros((n_threads, k))
    out = np.zeros((n_threads, 2))
    bounds = [n * t // n_threads for t in range(n_threads + 1)]

    def part(t):
        if loss == SQUARED:
            squared_rows_(X, Y, W, b, bounds[t], bounds[t + 1], G[t], gb[t], out[t])
        else:
            tiled_rows_(X, Y, labels, W, b, loss, bounds[t], bounds[t + 1], G[t], gb[t], out[t])

    if n_threads == 1:  # a mini-batch: no thread hand-off, no reduction
        part(0)
        norm = finish_(G[0], gb[0], W, scale, l2, gW, gb_out)
        return float(out[0, 0]), float(out[0, 1]), norm
    for f in [_pool(n_threads).submit(part, t) for t in range(n_threads)]:
        f.result()
    norm = finish_(G.sum(0), gb.sum(0), W, scale, l2, gW, gb_out)
    total, correct = out.sum(0)
    return float(total), float(correct), norm


# --- a whole mini-batch epoch in one compiled loop ----------------------------------------
MB_TILE = 16  # rows of a mini-batch handled together: 16 rows of d = 100 float32 are 6 KB (L1)
CACHE_LINE = 64  # bytes


@intrinsic
def prefetch_(typingctx, flat, i):
    """Start loading the cache line that holds ``flat[i]`` (LLVM's ``llvm.prefetch``: a
    hint that retires at once, so the load overlaps the work before the value is used)."""

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        i8p = ir.IntType(8).as_pointer()
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), "llvm.prefetch.p0i8"
        )
        # read (0), keep in every cache level (3), data cache (1)
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(flat, i), codegen


@njit(fastmath=FASTMATH, cache=True)
def prefetch_rows_(flat, d, idx, step):
    """Prefetch every cache line of the rows ``idx`` of X, given as ``flat`` (n·d,)."""
    for r in range(idx.shape[0]):
        base = idx[r] * d
        for j in range(0, d, step):
            prefetch_(flat, base + j)
        prefetch_(flat, base + d - 1)
SGD, MOMENTUM, NESTEROV = 0, 1, 2
RULE_CODES = {"sgd": SGD, "momentum": MOMENTUM, "nesterov": NESTEROV}


@njit(fastmath=FASTMATH, cache=True)
def forward_rows_(X, idx, m, W, b, Z, zero):
    """Z[:m] ← X[idx[:m]] Wᵀ + b, four rows at a time, each row read by its index (no
    gathered copy): (m, d) @ (d, k) -> (m, k). Four independent rows keep four cache
    misses in flight at once."""
    k, d = W.shape
    r = 0
    while r + 4 <= m:
        i0, i1, i2, i3 = idx[r], idx[r + 1], idx[r + 2], idx[r + 3]
        for c in range(k):
            s0 = s1 = s2 = s3 = zero
            for j in range(d):
                w = W[c, j]
                s0 += X[i0, j] * w
                s1 += X[i1, j] * w
                s2 += X[i2, j] * w
                s3 += X[i3, j] * w
            Z[r, c] = s0 + b[c]
            Z[r + 1, c] = s1 + b[c]
            Z[r + 2, c] = s2 + b[c]
            Z[r + 3, c] = s3 + b[c]
        r += 4
    while r < m:
        for c in range(k):
            s0 = zero
            for j in range(d):
                s0 += X[idx[r], j] * W[c, j]
            Z[r, c] = s0 + b[c]
        r += 1


@njit(fastmath=FASTMATH, cache=True)
def backward_rows_(X, idx, m, D, A):
    """A += D[:m]ᵀ X[idx[:m]], four rows at a time (the rows are in L1 by now):
    (k, m) @ (m, d) -> (k, d)."""
    k, d = A.shape
    r = 0
    while r + 4 <= m:
        i0, i1, i2, i3 = idx[r], idx[r + 1], idx[r + 2], idx[r + 3]
        for c in range(k):
            d0, d1, d2, d3 = D[r, c], D[r + 1, c], D[r + 2, c], D[r + 3, c]
            for j in range(d):
                A[c, j] += d0 * X[i0, j] + d1 * X[i1, j] + d2 * X[i2, j] + d3 * X[i3, j]
        r += 4
    while r < m:
        for c in range(k):
            d0 = D[r, c]
            for j in range(d):
                A[c, j] += d0 * X[idx[r], j]
        r += 1


@njit(nogil=True, fastmath=FASTMATH, cache=True)
def minibatch_epoch_(X, Y, labels, order, batch_size, loss, half, rule, lr, l2, momentum,
                     W, b, bufW, bufb, has_buf, losses):
    r"""One epoch of mini-batch updates of one linear layer, in place on W (k, d), b (k,).

    Batch t holds the rows ``order[t·B : (t+1)·B]`` (the last one may be shorter), read
    from X by index. For each batch, with m rows and N = m (cross-entropy) or m·k::

        L_t = (1/N) Σ_i ℓ_i,   g_W = (c/N) Σ_i δ_i x_iᵀ + λW,   g_b = (c/N) Σ_i δ_i

    (c = 2 for mse, else 1; ℓ and δ as in :func:`loss_tile_`), then the update of
    ``gdlab.engines.base.update_``: ``sgd`` p ← p − η g; ``momentum`` v ← μv + g (v = g
    the first time), p ← p − η v; ``nesterov`` the same v, p ← p − η (g + μv). The
    velocities live in ``bufW``, ``bufb`` (``has_buf``: they hold a previous step's).

    Writes L_t into ``losses[t]`` and stops after the first batch whose loss is not
    finite (as the training loop does). Returns (batches run, ‖(g_W, g_b)‖ of the last).
    Sums are float64 across tiles of ``MB_TILE`` rows, as in :func:`tiled_rows_`.
    """
    n, d = X.shape
    k = W.shape[0]
    fast = X.itemsize == 4
    A = np.zeros((k, d), X.dtype)  # Σ δ xᵀ in X's dtype, flushed into G every FLUSH rows
    zero = A[0, 0]
    G = np.zeros((k, d))
    gb = np.zeros(k)
    gW = np.empty((k, d), X.dtype)
    gbo = np.empty(k, X.dtype)
    Z = np.empty((MB_TILE, k), X.dtype)
    Yg = np.empty((MB_TILE, Y.shape[1]), Y.dtype)
    labg = np.empty(MB_TILE, labels.dtype)
    V = np.empty(MB_TILE * k, X.dtype)
    bits = np.empty(MB_TILE * k, np.int32)
    flat = X.reshape(-1)  # X is C-contiguous: a view
    step = max(1, CACHE_LINE // X.itemsize)
    n_batches = (n + batch_size - 1) // batch_size
    norm = 0.0
    for t in range(n_batches):
        start, stop = t * batch_size, min((t + 1) * batch_size, n)
        m = stop - start
        G[:] = 0.0
        gb[:] = 0.0
        total, pending = 0.0, 0
        for t0 in range(start, stop, MB_TILE):  # gradient of the batch, a tile at a time
            idx = order[t0 : min(t0 + MB_TILE, stop)]
            mt = idx.shape[0]
            # the next tile's rows are random cache misses: start them now, so that they
            # arrive while this tile is computed (about twice the speed on a 2M-row X)
            prefetch_rows_(flat, d, order[t0 + MB_TILE : t0 + 2 * MB_TILE], step)
            for r in range(mt):  # the tile's targets, by index
                if loss == CROSS_ENTROPY:
                    labg[r] = labels[idx[r]]
                else:
                    for c in range(Y.shape[1]):
                        Yg[r, c] = Y[idx[r], c]
            forward_rows_(X, idx, mt, W, b, Z, zero)  # Z = X_tile Wᵀ + b
            tile_total, _ = loss_tile_(Z, Yg, labg, 0, mt, loss, V, bits, fast)  # Z ← δ
            backward_rows_(X, idx, mt, Z, A)  # A += δᵀ X_tile
            total += tile_total
            for r in range(mt):
                for c in range(k):
                    gb[c] += Z[r, c]
            pending += mt
            if pending >= FLUSH or t0 + MB_TILE >= stop:
                _flush_(A, G, zero)
                pending = 0
        if loss == CROSS_ENTROPY:
            scale = 1.0 / m
            mean = total / m
        else:
            scale = (1.0 if half or loss == BCE else 2.0) / (m * k)
            mean = total / (m * k) * (0.5 if half else 1.0)
        norm = finish_(G, gb, W, scale, l2, gW, gbo)  # gW, gbo ← the gradient, in X's dtype
        if rule == SGD:
            for c in range(k):
                for j in range(d):
                    W[c, j] -= lr * gW[c, j]
                b[c] -= lr * gbo[c]
        else:
            for c in range(k):
                for j in range(d):
                    g = gW[c, j]
                    v = momentum * bufW[c, j] + g if has_buf else g
                    bufW[c, j] = v
                    W[c, j] -= lr * (g + momentum * v if rule == NESTEROV else v)
                g = gbo[c]
                v = momentum * bufb[c] + g if has_buf else g
                bufb[c] = v
                b[c] -= lr * (g + momentum * v if rule == NESTEROV else v)
            has_buf = True
        losses[t] = mean
        if not math.isfinite(mean):
            return t + 1, norm
    return n_batches, norm


def minibatch_epoch(X, Y, labels, order, W, b, *, batch_size, loss, half, rule, lr, l2,
                    momentum, bufW, bufb, has_buf) -> tuple[np.ndarray, float]:
    """Run :func:`minibatch_epoch_`; returns (the loss of each batch run, the last
    batch's gradient norm). ``rule`` is a name of :data:`RULE_CODES`."""
    n_batches = -(-X.shape[0] // batch_size)
    losses = np.empty(n_batches)
    done, norm = minibatch_epoch_(
        X, Y, labels, order, batch_size, loss, half, RULE_CODES[rule], lr, l2, momentum,
        W, b, bufW, bufb, has_buf, losses,
    )
    return losses[:done], norm
