r"""One read of X per full-batch step: loss, gradient and accuracy of one linear layer.

For one layer z_i = W x_i + b (k outputs), per-row weights w_i and a per-row loss
ℓ(z_i, y_i), a full-batch step needs the sums (:func:`pass_sums`)::

    G = Σ_i w_i δ_i x_iᵀ  (k, d),   g_b = Σ_i w_i δ_i  (k,),   Σ_i w_i ℓ_i,   Σ_i w_i [right],   Σ_i w_i

with δ_i = ∂ℓ_i/∂z_i, and then the gradient scale·G + λ₂W + λ₁ sign(W) (:func:`finish`).
As two matrix products (Z = X Wᵀ, then Δᵀ X) that reads X from memory twice, and X is
the only large thing an epoch touches. Here X streams from memory once; each row goes
through the forward product, the loss and the backward product while it is in cache:

- one or two outputs (linear and logistic regression; memory-bound) in blocks of 8
  rows, all three steps while the block is in L1 (:func:`streamed_rows_`; with X in
  another dtype or standardized on load, :func:`streamed_copied_rows_`);
- more classes (softmax; bound by the multiply-adds) in tiles of about ``TILE_BYTES``:
  the forward products of the tile while the rows further on are prefetched, the loss
  of the whole tile, then the backward products (:func:`direct_rows_`). Cross-entropy
  runs on k − 1 classes (:func:`pass_sums`).

Per-row quantities (δ and ℓ unscaled; the caller picks the scale):

- squared error: ℓ = Σ_c (z_c − y_c)²,                δ = z − y
- bce (per output): ℓ = max(z, 0) − z y + log(1 + e^{−|z|}),   δ = σ(z) − y
- cross-entropy: ℓ = log Σ_c e^{z_c − m} − (z_y − m), m = max_c z_c,   δ = softmax(z) − onehot(y)

The products, and for float32 the losses, are written as LLVM IR (numba intrinsics,
:class:`_Emit`): numba's auto-vectorizer keeps the accumulators of a ``for j`` loop in
memory or reduces each dot product on its own (half the FMA rate), and leaves loops of
8 rows scalar. Written out, a forward block (:func:`fwd_block`: 4 rows × up to 5
classes) and a backward block (:func:`bwd_block`: up to 3 classes × 6 vectors of
columns, or 2 × 8) hold up to 20 vector accumulators in registers, near the CPU's FMA
peak on data in cache; the block losses (:func:`block_loss`, :func:`softmax_block`)
work on 8 rows in one vector.

Sums run in the compute dtype (W's) inside a tile or ``FLUSH`` rows and in float64
across them, so a float32 gradient over millions of rows loses no more than a tile's
worth of rounding. For float32, e^t (t ≤ 0) and log are polynomials on a reduced
argument; float64 uses the C library's. Everything is compiled by numba on first use
and cached on disk (``cache=True``); ``error_model="numpy"`` (no zero-division checks)
lets the loops vectorize.

A mini-batch epoch runs whole in :func:`minibatch_epoch_`: the same per-row loss and δ,
each batch's rows read by their index in the epoch's permutation (no gathered copy), the
next rows prefetched while the current ones are computed, and the update applied in
place after each batch.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

F32 = np.float32
VECTOR_BYTES = 32  # one AVX2 register: 8 float32 or 4 float64 lanes
ROW_BLOCK = 8  # rows of one block of the loss (a vector of float32 lanes)
FWD_ROWS = 4  # rows of one forward register block (4 rows stream from memory better than 8)


def _vector_registers() -> int:
    """Vector registers of the host CPU: 32 with AVX-512 (ymm0–31), else 16."""
    try:
        from llvmlite import binding

        return 32 if binding.get_host_cpu_features().get("avx512vl") else 16
    except (ImportError, RuntimeError):
        return 16


# register blocks: forward 4 rows × MAX_CLASSES classes, backward 2 classes × MAX_VECTORS
# vectors of columns (or 3 × 6); with 32 registers at most 27 in use, with 16 no spills
MAX_CLASSES, MAX_VECTORS = (5, 8) if _vector_registers() == 32 else (2, 4)
TILE_BYTES = 24 << 10  # a tile of X this size stays in L1 while both products use it
MIN_TILE_ROWS, MAX_TILE_ROWS = 16, 512  # wide rows: a few rows per tile (in L2), never fewer
PREFETCH_AHEAD = 16  # rows: in-place tiles prefetch the rows this far on, while the forward runs
FLUSH = 256  # rows summed in the data's dtype before joining the float64 total (block by block)
MIN_ROWS_PER_THREAD = 4096  # a thread is worth its hand-off with this many rows ...
MIN_ELEMENTS_PER_THREAD = 1 << 18  # ... or this many values of X (wide data: few rows)
WIDE_MIN_FEATURES = 1024  # wide rows whose X fits in the last-level cache go through BLAS ...
BLAS_MAX_BYTES = 16 * 2**20  # ... up to this size (see _cache_resident_wide)
_CORES = os.cpu_count() or 1
FASTMATH = {"reassoc", "contract", "arcp", "nsz"}  # vectorized sums; NaN and inf kept
LOG2E = 1.4426950408889634
LN2 = 0.6931471805599453
SQRT2 = 1.4142135623730951
LN2_HI, LN2_LO = 0.693359375, -2.12194440e-4  # ln 2 = HI + LO, HI exact in 9 bits (Cody–Waite)
SQUARED, BCE, CROSS_ENTROPY = 0, 1, 2
LOSS_CODES = {"mse": SQUARED, "half-mse": SQUARED, "bce": BCE, "cross-entropy": CROSS_ENTROPY}
_DUMMIES: dict = {}


def targets(y: np.ndarray, code: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(Y, labels) for :func:`pass_sums`: the real target and a 1-element dummy."""
    if code == CROSS_ENTROPY:
        Y = _DUMMIES.get(dtype)
        if Y is None:
            Y = _DUMMIES[dtype] = np.zeros((1, 1), dtype)
        return Y, y
    return y, _DUMMIES.setdefault("labels", np.zeros(1, np.int64))


def sums_size(k: int, d: int) -> int:
    """Length of the flat float64 buffer of :func:`pass_sums`:
    ``[G (k×d, row-major) | g_b (k) | Σwℓ | Σw·[right] | Σw]``."""
    return k * d + k + 3


# --- register-blocked micro-kernels, emitted as LLVM IR ---------------------------------------
I32, I64 = ir.IntType(32), ir.IntType(64)
I8P = ir.IntType(8).as_pointer()


class _Emit:
    """IR helpers for one element type: vectors of ``VECTOR_BYTES``, unaligned loads,
    masked loads for a row's last, partial vector, fused multiply-adds and sums across
    lanes. Loops with loop-carried vectors keep them in ``alloca`` slots, which LLVM
    promotes to registers."""

    def __init__(self, context, builder, dtype):
        self.ctx, self.b = context, builder
        self.fty = context.get_value_type(dtype)
        self.size = dtype.bitwidth // 8
        self.L = VECTOR_BYTES // self.size  # lanes
        self.vty = ir.VectorType(self.fty, self.L)
        self.suffix = f"v{self.L}f{dtype.bitwidth}"

    def const(self, x):
        return ir.Constant(I64, x)

    def array(self, aryty, value):
        return self.ctx.make_array(aryty)(self.ctx, self.b, value)

    def ptr(self, ary, i, j, size=None):
        """Address of ary[i, j] (rows may be strided; elements within a row contiguous,
        ``size`` bytes each), or of ary[j] when ``i`` is None (the 1-D array's stride)."""
        b = self.b
        if i is None:
            off = b.mul(j, b.extract_value(ary.strides, 0))
        else:
            off = b.add(b.mul(j, self.const(size or self.size)),
                        b.mul(i, b.extract_value(ary.strides, 0)))
        return b.gep(b.bitcast(ary.data, I8P), [off])

    def function(self, name, ret, args):
        return cgutils.get_or_insert_function(self.b.module, ir.FunctionType(ret, args), name)

    def load(self, p, mask=None):
        vp = self.b.bitcast(p, self.vty.as_pointer())
        if mask is None:
            return self.b.load(vp, align=self.size)
        fn = self.function(f"llvm.masked.load.{self.suffix}.p0", self.vty,
                           [vp.type, I32, mask.type, self.vty])
        return self.b.call(fn, [vp, ir.Constant(I32, self.size), mask, self.zero()])

    def scalar(self, p):
        return self.b.load(self.b.bitcast(p, self.fty.as_pointer()))

    def mask(self, lanes):
        """<L x i1>: lane < ``lanes``."""
        vi = ir.VectorType(I32, self.L)
        return self.b.icmp_signed("<", ir.Constant(vi, list(range(self.L))), self.splat(
            self.b.trunc(lanes, I32), vi))

    def splat(self, x, vty=None):
        vty = vty or self.vty
        b = self.b
        v = b.insert_element(ir.Constant(vty, ir.Undefined), x, ir.Constant(I32, 0))
        return b.shuffle_vector(v, v, ir.Constant(ir.VectorType(I32, vty.count), [0] * vty.count))

    def zero(self):
        return ir.Constant(self.vty, None)

    def fma(self, a, x, acc):
        """a·x + acc (fused where the CPU can)."""
        fn = self.function(f"llvm.fmuladd.{self.suffix}", self.vty, [self.vty] * 3)
        return self.b.call(fn, [a, x, acc])

    def _pairs(self, x, y):
        """[x0+x1, x2+x3, …, y0+y1, y2+y3, …]."""
        b, n = self.b, x.type.count
        even = ir.Constant(ir.VectorType(I32, n), list(range(0, 2 * n, 2)))
        odd = ir.Constant(ir.VectorType(I32, n), list(range(1, 2 * n, 2)))
        return b.fadd(b.shuffle_vector(x, y, even), b.shuffle_vector(x, y, odd))

    def sum4(self, v):
        """The sums of the lanes of 4 vectors, as one 4-lane vector (a transposed
        reduction: 4 sums for the shuffles of about one)."""
        a = self._pairs(self._pairs(v[0], v[1]), self._pairs(v[2], v[3]))
        if self.L == 4:
            return a
        b = self.b  # 8 lanes: a = [v0 v0 v1 v1 v2 v2 v3 v3] (two halves each)
        lo = b.shuffle_vector(a, a, ir.Constant(ir.VectorType(I32, 4), [0, 2, 4, 6]))
        hi = b.shuffle_vector(a, a, ir.Constant(ir.VectorType(I32, 4), [1, 3, 5, 7]))
        return b.fadd(lo, hi)

    def prefetch(self, p):
        fn = self.function("llvm.prefetch.p0", ir.VoidType(), [I8P, I32, I32, I32])
        # read (0), keep in every cache level (3), data cache (1)
        self.b.call(fn, [p, ir.Constant(I32, 0), ir.Constant(I32, 3), ir.Constant(I32, 1)])

    # --- elementwise float32 math on whole vectors (the block losses) ----------------------
    def vconst(self, x):
        return ir.Constant(self.vty, [float(np.float32(x))] * self.L)

    def unary(self, name, x):
        return self.b.call(self.function(f"llvm.{name}.{self.suffix}", self.vty, [self.vty]), [x])

    def select_max(self, x, y):
        return self.b.select(self.b.fcmp_ordered(">", x, y), x, y)

    def horner(self, x, coefficients):
        """c₀ + x(c₁ + x(c₂ + …)), coefficients from c₀ on."""
        acc = self.vconst(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            acc = self.fma(acc, x, self.vconst(c))
        return acc

    def exp_nonpositive(self, t):
        """e^t for t ≤ 0, as :func:`exp_nonpositive_` computes it (float32)."""
        b = self.b
        t = self.select_max(t, self.vconst(-126 * LN2))
        n = self.unary("floor", self.fma(t, self.vconst(LOG2E), self.vconst(0.5)))
        f = self.fma(n, self.vconst(-LN2_LO), self.fma(n, self.vconst(-LN2_HI), t))
        poly = self.horner(f, [1, 1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040])
        vi = ir.VectorType(I32, self.L)
        bits = b.shl(b.add(b.fptosi(n, vi), ir.Constant(vi, [127] * self.L)), ir.Constant(vi, [23] * self.L))
        return b.fmul(poly, b.bitcast(bits, self.vty))

    def log1p_small(self, q):
        """log(1 + q) for q ∈ [0, 1], as :func:`loss_tile_` computes it (float32)."""
        b = self.b
        s = b.fdiv(q, b.fadd(self.vconst(2), q))
        s2 = b.fmul(s, s)
        series = self.horner(s2, [1, 1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13, 1 / 15, 1 / 17])
        return b.fmul(b.fmul(self.vconst(2), s), series)

    def accumulate(self, acc, row, v):
        """acc[row, :L] += v, lane by lane (``acc`` an array struct, L columns or more)."""
        p = self.b.bitcast(self.ptr(acc, row, self.const(0)), self.vty.as_pointer())
        self.b.store(self.b.fadd(self.b.load(p, align=self.size), v), p, align=self.size)

    def log_normal(self, x):
        """log x for normal, finite x > 0, as :func:`log_positive_` computes it (float32)."""
        b = self.b
        vi = ir.VectorType(I32, self.L)
        u = b.bitcast(x, vi)
        e = b.sitofp(b.sub(b.lshr(u, ir.Constant(vi, [23] * self.L)), ir.Constant(vi, [127] * self.L)),
                     self.vty)
        f = b.bitcast(b.or_(b.and_(u, ir.Constant(vi, [0x007FFFFF] * self.L)),
                            ir.Constant(vi, [0x3F800000] * self.L)), self.vty)  # ∈ [1, 2)
        big = b.fcmp_ordered(">", f, self.vconst(SQRT2))
        f = b.select(big, b.fmul(f, self.vconst(0.5)), f)
        e = b.select(big, b.fadd(e, self.vconst(1)), e)
        s = b.fdiv(b.fsub(f, self.vconst(1)), b.fadd(f, self.vconst(1)))
        series = self.horner(b.fmul(s, s), [1, 1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11])
        return b.fadd(b.fmul(e, self.vconst(LN2)), b.fmul(b.fmul(self.vconst(2), s), series))


def _literal(t):
    return t.literal_value if isinstance(t, types.IntegerLiteral) else None


@intrinsic
def fwd_block(typingctx, T, t0, r0, m, W, b, c0, Z, P, pf_at, RB, CB, PF):
    r"""Z[c0+c, r0+q] ← T[t0+ρ_q] · W[c0+c] + b[c0+c] for q < RB, c < CB, with
    ρ_q = min(r0+q, m−1) (a last, partial block repeats its last row; its extra results
    land in Z's spare columns).

    (RB, d) @ (d, CB) -> (CB, RB): RB·CB vector accumulators run along the columns of
    T and W, a masked load for the last, partial vector; then each class's RB sums
    across lanes four at a time (:meth:`_Emit.sum4`). Each vector step also prefetches
    PF cache lines of P, from byte ``pf_at`` of its data on, so that the next rows
    arrive while this block computes.
    """
    rb, cb, pf = _literal(RB), _literal(CB), _literal(PF)
    if rb is None or cb is None or pf is None:
        return None
    sig = types.void(T, t0, r0, m, W, b, c0, Z, P, pf_at, RB, CB, PF)

    def codegen(context, builder, signature, args):
        e = _Emit(context, builder, T.dtype)
        bld = builder
        Ta, Wa, ba, Za, Pa = (e.array(signature.args[i], args[i]) for i in (0, 4, 5, 7, 8))
        t0v, r0v, mv, c0v = args[1], args[2], args[3], args[6]
        d = bld.extract_value(Wa.shape, 1)
        last = bld.sub(mv, e.const(1))
        rows = []
        for q in range(rb):
            r = bld.add(r0v, e.const(q))
            rows.append(bld.add(t0v, bld.select(bld.icmp_signed("<", r, mv), r, last)))
        cls = [bld.add(c0v, e.const(c)) for c in range(cb)]
        acc = [[cgutils.alloca_once_value(bld, e.zero()) for _ in range(cb)] for _ in range(rb)]
        n_full = bld.sdiv(d, e.const(e.L))
        tail = bld.srem(d, e.const(e.L))
        ahead = bld.gep(bld.bitcast(Pa.data, I8P), [args[9]])

        def step(j, mask):
            xs = [e.load(e.ptr(Ta, r, j), mask) for r in rows]
            for c in range(cb):
                w = e.load(e.ptr(Wa, cls[c], j), mask)
                for q in range(rb):
                    bld.store(e.fma(xs[q], w, bld.load(acc[q][c])), acc[q][c])

        with cgutils.for_range(bld, n_full) as loop:
            for p in range(pf):
                line = bld.add(bld.mul(loop.index, e.const(pf)), e.const(p))
                e.prefetch(bld.gep(ahead, [bld.mul(line, e.const(64))]))
            step(bld.mul(loop.index, e.const(e.L)), None)
        with bld.if_then(bld.icmp_signed(">", tail, e.const(0))):
            step(bld.mul(n_full, e.const(e.L)), e.mask(tail))
        v4 = ir.VectorType(e.fty, 4)
        for c in range(cb):
            bias = e.splat(e.scalar(e.ptr(ba, None, cls[c])), v4)
            for g in range(0, rb, 4):
                s = bld.fadd(e.sum4([bld.load(acc[g + q][c]) for q in range(4)]), bias)
                p = e.ptr(Za, cls[c], bld.add(r0v, e.const(g)))
                bld.store(s, bld.bitcast(p, v4.as_pointer()), align=e.size)
        return context.get_dummy_value()

    return sig, codegen


@njit(fastmath=FASTMATH, error_model="numpy", inline="always", cache=True)
def _fwd_block_(T, t0, r0, m, W, b, c0, cb, Z, P, at, pf):
    """:func:`fwd_block` for ``FWD_ROWS`` rows and the ``cb`` (1 … 5) classes from c0,
    with ``pf`` prefetches per vector step (0, 1, 2, 4 or 8)."""
    if cb == 5:
        if pf == 0:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 5, 0)
        elif pf == 1:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 5, 1)
        elif pf == 2:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 5, 2)
        elif pf == 4:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 5, 4)
        else:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 5, 8)
    elif cb == 4:
        if pf == 0:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 4, 0)
        elif pf == 1:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 4, 1)
        elif pf == 2:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 4, 2)
        elif pf == 4:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 4, 4)
        else:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 4, 8)
    elif cb == 3:
        if pf == 0:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 3, 0)
        elif pf == 1:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 3, 1)
        elif pf == 2:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 3, 2)
        elif pf == 4:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 3, 4)
        else:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 3, 8)
    elif cb == 2:
        if pf == 0:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 2, 0)
        elif pf == 1:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 2, 1)
        elif pf == 2:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 2, 2)
        elif pf == 4:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 2, 4)
        else:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 2, 8)
    else:
        if pf == 0:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 1, 0)
        elif pf == 1:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 1, 1)
        elif pf == 2:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 1, 2)
        elif pf == 4:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 1, 4)
        else:
            fwd_block(T, t0, r0, m, W, b, c0, Z, P, at, FWD_ROWS, 1, 8)


@njit(error_model="numpy", inline="always", cache=True)
def class_blocks_(k):
    """The number of forward class blocks for k classes: at most ``MAX_CLASSES`` each."""
    return (k + MAX_CLASSES - 1) // MAX_CLASSES


@njit(error_model="numpy", inline="always", cache=True)
def class_block_(k, blk):
    """(first class, classes) of forward block ``blk``: the blocks as even as can be
    (9 classes: 3, 3, 3), so that each keeps 12 or more accumulators in flight."""
    n = (k + MAX_CLASSES - 1) // MAX_CLASSES
    size, extra = k // n, k % n
    return blk * size + min(blk, extra), size + (1 if blk < extra else 0)


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def forward_tile_(T, t0, m, W, b, Z, P, p_row, pf):
    """Z[:, :m] ← (T[t0 : t0+m] Wᵀ + b)ᵀ, (m, d) @ (d, k) -> (k, m), class-major.

    While each block of ``FWD_ROWS`` rows computes, as many rows of P from row ``p_row``
    + (the block's offset) on are prefetched, ``pf`` lines per vector step (0, 1, 2, 4
    or 8): spread out, because a burst of prefetches fills the CPU's miss buffers and
    stalls the products.
    """
    k, d = W.shape
    lanes = VECTOR_BYTES // T.itemsize
    steps = (d + lanes - 1) // lanes
    row_bytes = P.strides[0]
    lines = (FWD_ROWS * row_bytes + 63) // 64  # cache lines of one block of P's rows
    for r0 in range(0, m, FWD_ROWS):
        base = (p_row + r0) * row_bytes
        for blk in range(class_blocks_(k)):
            c0, cb = class_block_(k, blk)
            first = blk * steps * pf  # the first line this block prefetches
            _fwd_block_(T, t0, r0, m, W, b, c0, cb, Z, P, base + first * 64,
                        pf if first < lines else 0)


@intrinsic
def bwd_block(typingctx, T, t0, m, D, dcol, c0, j0, lanes, G, CB, JB):
    r"""G[c0+c, j0+L·q : +L] += Σ_{r<m} D[c0+c, dcol+r] · T[t0+r, j0+L·q : +L] for
    c < CB, q < JB (L lanes; G's rows padded to whole vectors); the last of the JB
    vectors holds ``lanes`` valid columns (a masked load).

    (CB, m) @ (m, JB·L) -> (CB, JB·L): CB·JB vector accumulators over the m rows, in
    T's dtype, then added once into G (float64, or T's dtype).
    """
    cb, jb = _literal(CB), _literal(JB)
    if cb is None or jb is None:
        return None
    sig = types.void(T, t0, m, D, dcol, c0, j0, lanes, G, CB, JB)

    def codegen(context, builder, signature, args):
        e = _Emit(context, builder, T.dtype)
        bld = builder
        Ta, Da, Ga = (e.array(signature.args[i], args[i]) for i in (0, 3, 8))
        t0v, mv, dcol_v, c0v, j0v, lanes_v = args[1], args[2], args[4], args[5], args[6], args[7]
        mask = e.mask(lanes_v)
        cls = [bld.add(c0v, e.const(c)) for c in range(cb)]
        cols = [bld.add(j0v, e.const(e.L * q)) for q in range(jb)]
        acc = [[cgutils.alloca_once_value(bld, e.zero()) for _ in range(jb)] for _ in range(cb)]
        with cgutils.for_range(bld, mv) as loop:
            r = loop.index
            tr = bld.add(t0v, r)
            xs = [e.load(e.ptr(Ta, tr, j), mask if q == jb - 1 else None) for q, j in enumerate(cols)]
            for c in range(cb):
                dv = e.splat(e.scalar(e.ptr(Da, cls[c], bld.add(dcol_v, r))))
                for q in range(jb):
                    bld.store(e.fma(dv, xs[q], bld.load(acc[c][q])), acc[c][q])
        g_ty = context.get_value_type(signature.args[8].dtype)
        vg = ir.VectorType(g_ty, e.L)
        g_size = signature.args[8].dtype.bitwidth // 8
        for c in range(cb):
            for q in range(jb):
                p = bld.bitcast(e.ptr(Ga, cls[c], cols[q], size=g_size), vg.as_pointer())
                a = bld.load(acc[c][q])
                if g_size != e.size:
                    a = bld.fpext(a, vg)
                bld.store(bld.fadd(bld.load(p, align=g_size), a), p, align=g_size)
        return context.get_dummy_value()

    return sig, codegen


@njit(fastmath=FASTMATH, error_model="numpy", inline="always", cache=True)
def _bwd_block_(T, t0, m, D, dcol, c0, cb, j0, lanes, G, jb):
    """:func:`bwd_block` for the ``cb`` (1 … 3) classes from c0 and ``jb`` vectors of
    columns (1 … 8)."""
    if cb == 3:
        if jb == 8:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 8)
        elif jb == 7:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 7)
        elif jb == 6:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 6)
        elif jb == 5:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 5)
        elif jb == 4:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 4)
        elif jb == 3:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 3)
        elif jb == 2:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 2)
        else:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 3, 1)
    elif cb == 2:
        if jb == 8:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 8)
        elif jb == 7:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 7)
        elif jb == 6:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 6)
        elif jb == 5:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 5)
        elif jb == 4:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 4)
        elif jb == 3:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 3)
        elif jb == 2:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 2)
        else:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 2, 1)
    else:
        if jb == 8:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 8)
        elif jb == 7:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 7)
        elif jb == 6:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 6)
        elif jb == 5:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 5)
        elif jb == 4:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 4)
        elif jb == 3:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 3)
        elif jb == 2:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 2)
        else:
            bwd_block(T, t0, m, D, dcol, c0, j0, lanes, G, 1, 1)


@njit(error_model="numpy", inline="always", cache=True)
def even_split_(n, most, i):
    """(start, size) of part i when n things go into as few parts of at most ``most``
    as can be, as even as can be (13 into parts of 8: 7, 6)."""
    parts = (n + most - 1) // most
    size, extra = n // parts, n % parts
    return i * size + min(i, extra), size + (1 if i < extra else 0)


@njit(fastmath=FASTMATH, error_model="numpy", inline="always", cache=True)
def backward_tile_(T, t0, m, d, D, dcol, G):
    """G[:, :d] += D[:, dcol : dcol+m] T[t0 : t0+m, :d], (k, m) @ (m, d) -> (k, d):
    blocks of up to 3 classes × ``MAX_VECTORS`` vectors of columns (6 for 3 classes:
    18 accumulators), split evenly, the rows read from cache once per block."""
    k = G.shape[0]
    lanes = VECTOR_BYTES // T.itemsize
    steps = (d + lanes - 1) // lanes
    last_lanes = d - (steps - 1) * lanes
    most_classes = 3 if MAX_VECTORS == 8 else 2
    for cblk in range((k + most_classes - 1) // most_classes):
        c0, cb = even_split_(k, most_classes, cblk)
        most = MAX_VECTORS if cb < 3 else 6
        for jblk in range((steps + most - 1) // most):
            q, jb = even_split_(steps, most, jblk)
            _bwd_block_(T, t0, m, D, dcol, c0, cb, q * lanes,
                        last_lanes if q + jb == steps else lanes, G, jb)


# --- the loss of a tile, class-major ----------------------------------------------------------
def is_float32(a) -> bool:
    """Whether array ``a`` holds float32; inside compiled code a constant of its type, so
    that the float64 branches vanish from a float32 loop (and it vectorizes)."""
    return a.dtype == np.float32


@overload(is_float32)
def _is_float32(a):
    answer = a.dtype == types.float32
    return lambda a: answer


@njit(fastmath=FASTMATH, error_model="numpy", inline="always", cache=True)
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


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def log_positive_(v, m, bits, expo, fast):
    r"""v[:m] ← log v[:m] for normal, finite v > 0, in place.

    ``fast`` (float32): v = 2^e · f with f ∈ [√½, √2) read from the bits, then
    log f = 2 atanh(s), s = (f − 1)/(f + 1) ∈ (−0.172, 0.172], by its series to s¹¹
    (relative error below 2e-10), and log v = e·ln 2 + log f.
    """
    if not fast:
        for r in range(m):
            v[r] = math.log(v[r])
        return
    iv = v[:m].view(np.int32)
    for r in range(m):
        u = iv[r]
        expo[r] = F32(((u >> 23) & 0xFF) - 127)
        bits[r] = (u & 0x007FFFFF) | 0x3F800000  # the mantissa, as a number in [1, 2)
    f_all = bits.view(np.float32)
    for r in range(m):
        f, e = f_all[r], expo[r]
        if f > F32(SQRT2):
            f, e = f * F32(0.5), e + F32(1)
        s = (f - F32(1)) / (f + F32(1))
        s2 = s * s
        v[r] = e * F32(LN2) + F32(2) * s * (F32(1) + s2 * (F32(1 / 3) + s2 * (F32(1 / 5) + s2 * (
            F32(1 / 7) + s2 * (F32(1 / 9) + s2 * F32(1 / 11))))))


@njit(error_model="numpy", cache=True)
def scratch_(k, R, W):
    """The buffers of :func:`loss_tile_` for tiles of up to R rows and k outputs, in
    W's dtype: Z (k, R + ROW_BLOCK), V (k + 3, R), bits ((k + 1)·R, int32), and w, mx,
    den (R)."""
    return (np.zeros((k, R + ROW_BLOCK), W.dtype), np.zeros((k + 3, R), W.dtype),
            np.empty((k + 1) * R, np.int32), np.empty(R, W.dtype), np.empty(R, W.dtype),
            np.empty(R, W.dtype))


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def loss_tile_(Z, m, i0, Y, labels, weights, has_w, loss, V, bits, w, mx, den, rest):
    r"""Z[:, :m] (k, ·), class-major z of rows i0 … i0+m−1 → w·δ in place.

    Adds Σ w δ per class to rest[:k], and Σ w ℓ, Σ w·[right], Σ w to rest[k], rest[k+1],
    rest[k+2] (float64; the loss in float64 per row, the others in Z's dtype within the
    tile). ``V``, ``bits``, ``w``, ``mx``, ``den`` are scratch (:func:`scratch_`). A row
    is right when z > 0 ⇔ y > ½ (bce, per output) or argmax z = y (cross-entropy, the
    first maximum); squared error counts nothing. Every loop runs over the tile's rows,
    with no branch and indices straight from ``range`` (numba then adds no check for a
    negative index), so that it is vectorized.
    """
    k = Z.shape[0]
    fast = is_float32(Z)  # float32: the polynomial exp and log
    for r in range(m):
        w[r] = weights[i0 + r] if has_w else F32(1)
    total = 0.0
    correct = wsum = F32(0)
    for r in range(m):
        wsum += w[r]
    if loss == SQUARED:
        for c in range(k):
            for r in range(m):  # the tile's targets, contiguous (Y may be strided)
                den[r] = Y[i0 + r, c]
            g = F32(0)
            for r in range(m):
                q = Z[c, r] - den[r]
                total += w[r] * q * q
                q *= w[r]
                g += q
                Z[c, r] = q
            rest[c] += g
    elif loss == BCE:
        for c in range(k):
            e = V[0]
            for r in range(m):
                e[r] = -abs(Z[c, r])
                den[r] = Y[i0 + r, c]
            exp_nonpositive_(e, m, bits, fast)  # e^{−|z|} ∈ (0, 1]
            g = F32(0)
            for r in range(m):
                z, y, q = Z[c, r], den[r], e[r]
                if fast:  # log(1 + q) = 2 atanh(s), s = q/(2 + q) ∈ (0, 1/3]; to s¹⁷: 1e-9
                    s = q / (F32(2) + q)
                    s2 = s * s
                    log1p = F32(2) * s * (F32(1) + s2 * (F32(1 / 3) + s2 * (F32(1 / 5) + s2 * (
                        F32(1 / 7) + s2 * (F32(1 / 9) + s2 * (F32(1 / 11) + s2 * (
                            F32(1 / 13) + s2 * (F32(1 / 15) + s2 * F32(1 / 17)))))))))
                else:
                    log1p = math.log1p(q)
                total += w[r] * (max(z, F32(0)) - z * y + log1p)
                sig = F32(1) / (F32(1) + q)  # σ(|z|)
                delta = w[r] * ((sig if z >= 0 else q * sig) - y)  # w (σ(z) − y)
                g += delta
                Z[c, r] = delta
                correct += w[r] * F32((z > 0) == (y > 0.5))
            rest[c] += g
    elif fast:  # cross-entropy, float32: 8 rows at a time in vector registers
        softmax_rows(Z, m, i0, labels, weights, has_w, V, rest)
        return
    else:
        arg = bits[:m]  # the first argmax, as int32 (bits is free until the exp)
        for r in range(m):
            mx[r] = Z[0, r]
            arg[r] = 0
        for c in range(1, k):
            for r in range(m):
                zc = Z[c, r]
                bigger = zc > mx[r]
                arg[r] = c if bigger else arg[r]
                mx[r] = zc if bigger else mx[r]
        for r in range(m):
            lab = labels[i0 + r]
            total -= w[r] * (Z[lab, r] - mx[r])  # − w (z_y − m)
            correct += w[r] * F32(arg[r] == lab)
        for c in range(k):
            for r in range(m):
                V[c, r] = Z[c, r] - mx[r]
        exp_nonpositive_(V.reshape(-1), k * V.shape[1], bits, fast)  # the spare columns too
        for r in range(m):
            den[r] = V[0, r]
        for c in range(1, k):
            for r in range(m):
                den[r] += V[c, r]
        for r in range(m):
            mx[r] = w[r] / den[r]  # mx is free: w / Σ e^{z − m}
        log_positive_(den, m, bits, V[k], fast)
        for r in range(m):
            total += w[r] * den[r]  # w log Σ e^{z − m}
        for c in range(k):
            g = F32(0)
            for r in range(m):
                delta = V[c, r] * mx[r]  # w softmax(z)_c
                g += delta
                Z[c, r] = delta
            rest[c] += g
        for r in range(m):
            lab = labels[i0 + r]
            Z[lab, r] -= w[r]  # − w onehot(y)
            rest[lab] -= w[r]
    rest[k] += total
    rest[k + 1] += correct
    rest[k + 2] += wsum


@intrinsic
def block_loss(typingctx, Z, nb, i0, Y, weights, acc, LOSS, WEIGHTED):
    r"""The loss of one block of ``ROW_BLOCK`` float32 rows, squared error or bce, in
    vector registers: Z[c, :8] (the block's z, class-major) → w·δ, for c < k ≤ 2.

    Rows i0 … i0+nb−1 (the block's spare rows weigh 0). Adds w δ per class to
    acc[:k], and w ℓ, w·[right], w to acc[k], acc[k+1], acc[k+2], lane by lane (the
    caller sums the lanes, :func:`acc_flush_`), with the polynomials of
    :func:`loss_tile_` for e^t and log(1 + q).
    """
    loss, weighted = _literal(LOSS), _literal(WEIGHTED)
    if loss is None or weighted is None or Z.dtype != types.float32:
        return None
    sig = types.void(Z, nb, i0, Y, weights, acc, LOSS, WEIGHTED)

    def codegen(context, builder, signature, args):
        e = _Emit(context, builder, Z.dtype)
        bld = builder
        Za, Ya, wa, ra = (e.array(signature.args[i], args[i]) for i in (0, 3, 4, 5))
        nbv, i0v = args[1], args[2]
        k = bld.extract_value(Za.shape, 0)
        mask = e.mask(nbv)
        if weighted:
            w = e.load(e.ptr(wa, None, i0v), mask)  # spare rows: 0
        else:
            w = bld.select(mask, e.vconst(1), e.vconst(0))
        last = bld.sub(nbv, e.const(1))
        ys = [bld.add(i0v, bld.select(bld.icmp_signed("<", e.const(r), nbv), e.const(r), last))
              for r in range(e.L)]
        zero = e.vconst(0)
        with cgutils.for_range(bld, k) as loop:
            c = loop.index
            zp = bld.bitcast(e.ptr(Za, c, e.const(0)), e.vty.as_pointer())
            z = bld.load(zp, align=e.size)
            y = ir.Constant(e.vty, ir.Undefined)
            for r, i in enumerate(ys):  # Y may be strided: lane by lane
                y = bld.insert_element(y, e.scalar(e.ptr(Ya, i, c)), ir.Constant(I32, r))
            if loss == SQUARED:
                q = bld.fsub(z, y)
                ell = bld.fmul(q, q)
                delta = bld.fmul(w, q)
            else:
                q = e.exp_nonpositive(bld.fneg(e.unary("fabs", z)))  # e^{−|z|}
                ell = bld.fadd(bld.fsub(e.select_max(z, zero), bld.fmul(z, y)), e.log1p_small(q))
                sig = bld.fdiv(e.vconst(1), bld.fadd(e.vconst(1), q))  # σ(|z|)
                sz = bld.select(bld.fcmp_ordered(">=", z, zero), sig, bld.fmul(q, sig))
                delta = bld.fmul(w, bld.fsub(sz, y))  # w (σ(z) − y)
                right = bld.icmp_unsigned("==", bld.fcmp_ordered(">", z, zero),
                                          bld.fcmp_ordered(">", y, e.vconst(0.5)))
                e.accumulate(ra, bld.add(k, e.const(1)), bld.select(right, w, zero))
            delta = bld.select(mask, delta, zero)  # spare rows: 0, whatever Z held
            # w ℓ, and exactly 0 where w = 0 (rows of another split drop out even if ℓ = inf)
            wl = bld.select(bld.fcmp_ordered("!=", w, zero), bld.fmul(w, ell), zero)
            e.accumulate(ra, k, wl)
            bld.store(delta, zp, align=e.size)
            e.accumulate(ra, c, delta)
        e.accumulate(ra, bld.add(k, e.const(2)), w)
        return context.get_dummy_value()

    return sig, codegen


@njit(fastmath=FASTMATH, error_model="numpy", inline="always", cache=True)
def _block_loss_(Z, nb, i0, Y, weights, has_w, loss, acc):
    """:func:`block_loss` for squared error or bce, with or without weights."""
    if loss == SQUARED:
        if has_w:
            block_loss(Z, nb, i0, Y, weights, acc, SQUARED, 1)
        else:
            block_loss(Z, nb, i0, Y, weights, acc, SQUARED, 0)
    elif has_w:
        block_loss(Z, nb, i0, Y, weights, acc, BCE, 1)
    else:
        block_loss(Z, nb, i0, Y, weights, acc, BCE, 0)


@njit(fastmath=FASTMATH, error_model="numpy", inline="always", cache=True)
def acc_flush_(acc, rest):
    """rest += the lane sums of acc, acc ← 0: float32 lane sums join the float64 totals."""
    for i in range(acc.shape[0]):
        t = F32(0)
        for r in range(acc.shape[1]):
            t += acc[i, r]
            acc[i, r] = 0
        rest[i] += t


@intrinsic
def softmax_block(typingctx, Z, r0, nb, i0, labels, weights, acc, WEIGHTED):
    r"""Cross-entropy on ``ROW_BLOCK`` float32 rows in vector registers:
    Z[:, r0 : r0+8] (k classes, class-major) → w·(softmax(z) − onehot(y)).

    Rows i0 … i0+nb−1 (spare rows weigh 0). Adds w δ per class to acc[:k], and w ℓ,
    w·[right], w to acc[k], acc[k+1], acc[k+2], lane by lane (the caller sums the
    lanes, :func:`acc_flush_`). Three passes over the classes: the maximum m
    (and the first argmax, and z_y); e_c = e^{z_c − m} (kept in Z) and their sum;
    δ_c = w e_c / Σ e − w [c = y]. ℓ = log Σ e − (z_y − m).
    """
    weighted = _literal(WEIGHTED)
    if weighted is None or Z.dtype != types.float32:
        return None
    sig = types.void(Z, r0, nb, i0, labels, weights, acc, WEIGHTED)

    def codegen(context, builder, signature, args):
        e = _Emit(context, builder, Z.dtype)
        bld = builder
        Za, la, wa, ga = (e.array(signature.args[i], args[i]) for i in (0, 4, 5, 6))
        r0v, nbv, i0v = args[1], args[2], args[3]
        k = bld.extract_value(Za.shape, 0)
        vi = ir.VectorType(I32, e.L)
        mask = e.mask(nbv)
        if weighted:
            w = e.load(e.ptr(wa, None, i0v), mask)  # spare rows: 0
        else:
            w = bld.select(mask, e.vconst(1), e.vconst(0))
        # the block's labels (contiguous integers), as int32 lanes; spare rows: 0
        lab_ty = context.get_value_type(signature.args[4].dtype)
        vl = ir.VectorType(lab_ty, e.L)
        lp = bld.bitcast(e.ptr(la, None, i0v), vl.as_pointer())
        fn = e.function(f"llvm.masked.load.v{e.L}i{lab_ty.width}.p0", vl,
                        [lp.type, I32, mask.type, vl])
        lab = bld.call(fn, [lp, ir.Constant(I32, lab_ty.width // 8), mask, ir.Constant(vl, None)])
        if lab_ty.width != 32:
            lab = bld.trunc(lab, vi) if lab_ty.width > 32 else bld.sext(lab, vi)

        def z_ptr(c):
            return bld.bitcast(e.ptr(Za, c, r0v), e.vty.as_pointer())

        # pass 1: m = max_c z_c, the first argmax, z_y
        z0 = bld.load(z_ptr(e.const(0)), align=e.size)
        mx = cgutils.alloca_once_value(bld, z0)
        arg = cgutils.alloca_once_value(bld, ir.Constant(vi, [0] * e.L))
        zy = cgutils.alloca_once_value(bld, bld.select(
            bld.icmp_signed("==", lab, ir.Constant(vi, [0] * e.L)), z0, e.vconst(0)))
        with cgutils.for_range(bld, bld.sub(k, e.const(1))) as loop:
            c = bld.add(loop.index, e.const(1))
            ci = e.splat(bld.trunc(c, I32), vi)
            z = bld.load(z_ptr(c), align=e.size)
            bigger = bld.fcmp_ordered(">", z, bld.load(mx))
            bld.store(bld.select(bigger, z, bld.load(mx)), mx)
            bld.store(bld.select(bigger, ci, bld.load(arg)), arg)
            bld.store(bld.select(bld.icmp_signed("==", lab, ci), z, bld.load(zy)), zy)
        m = bld.load(mx)
        # pass 2: e_c = e^{z_c − m}, in place, and their sum
        den = cgutils.alloca_once_value(bld, e.vconst(0))
        with cgutils.for_range(bld, k) as loop:
            p = z_ptr(loop.index)
            ex = e.exp_nonpositive(bld.fsub(bld.load(p, align=e.size), m))
            bld.store(ex, p, align=e.size)
            bld.store(bld.fadd(bld.load(den), ex), den)
        total = bld.fsub(e.log_normal(bld.load(den)), bld.fsub(bld.load(zy), m))
        # pass 3: δ_c = w e_c / Σ e − w [c = y]
        scale = bld.fdiv(w, bld.load(den))
        with cgutils.for_range(bld, k) as loop:
            c = loop.index
            p = z_ptr(c)
            is_y = bld.icmp_signed("==", lab, e.splat(bld.trunc(c, I32), vi))
            delta = bld.fsub(bld.fmul(bld.load(p, align=e.size), scale),
                             bld.select(is_y, w, e.vconst(0)))
            delta = bld.select(mask, delta, e.vconst(0))  # spare rows: 0, whatever Z held
            bld.store(delta, p, align=e.size)
            e.accumulate(ga, c, delta)
        zero = e.vconst(0)
        e.accumulate(ga, k, bld.select(bld.fcmp_ordered("!=", w, zero), bld.fmul(w, total), zero))
        e.accumulate(ga, bld.add(k, e.const(1)),
                     bld.select(bld.icmp_signed("==", bld.load(arg), lab), w, zero))
        e.accumulate(ga, bld.add(k, e.const(2)), w)
        return context.get_dummy_value()

    return sig, codegen


def softmax_rows(Z, m, i0, labels, weights, has_w, V, rest):
    """Cross-entropy on the m rows of a float32 tile, :func:`softmax_block` by
    :func:`softmax_block` (V's first 8 columns collect the sums lane by lane); compiled
    code only, and a no-op for float64 (whose branch never calls it)."""
    raise NotImplementedError


@overload(softmax_rows, jit_options={"fastmath": FASTMATH, "error_model": "numpy"})
def _softmax_rows(Z, m, i0, labels, weights, has_w, V, rest):
    if Z.dtype != types.float32:
        return lambda Z, m, i0, labels, weights, has_w, V, rest: None

    def impl(Z, m, i0, labels, weights, has_w, V, rest):
        acc = V[:, :ROW_BLOCK]  # (k + 3, 8): lane-wise sums for this tile
        acc[:] = 0
        for r0 in range(0, m, ROW_BLOCK):
            nb = min(ROW_BLOCK, m - r0)
            if has_w:
                softmax_block(Z, r0, nb, i0 + r0, labels, weights, acc, 1)
            else:
                softmax_block(Z, r0, nb, i0 + r0, labels, weights, acc, 0)
        acc_flush_(acc, rest)

    return impl


# --- one thread's rows ------------------------------------------------------------------------
def _tile_rows(d: int, itemsize: int) -> int:
    """Rows per tile: as many as fit in ``TILE_BYTES``, a multiple of ``ROW_BLOCK``."""
    rows = TILE_BYTES // max(1, d * itemsize)
    rows = min(MAX_TILE_ROWS, max(MIN_TILE_ROWS, rows))
    return rows // ROW_BLOCK * ROW_BLOCK


@njit(error_model="numpy", cache=True)
def prefetch_plan_(k, d, row_bytes, itemsize, rows):
    """Cache lines to prefetch per vector step of a forward block of ``rows`` rows of
    ``row_bytes`` (0, 1, 2, 4 or 8): enough that the block's class pairs together
    prefetch as many rows as the block has."""
    lanes = VECTOR_BYTES // itemsize
    steps = class_blocks_(k) * ((d + lanes - 1) // lanes)
    need = ((rows * row_bytes + 63) // 64 + steps - 1) // steps
    return 1 if need <= 1 else 2 if need <= 2 else 4 if need <= 4 else 8


@njit(nogil=True, fastmath=FASTMATH, error_model="numpy", cache=True)
def direct_rows_(X, Y, labels, weights, has_w, W, b, loss, start, stop, R, G, rest):
    """Rows start … stop−1 read in place (X in W's dtype, rows contiguous): per tile of
    R rows the forward product, the loss and the backward product (module docstring),
    prefetching ``PREFETCH_AHEAD`` rows on. Adds into G (W's rows, d padded) and
    ``rest`` (k + 3: k outputs). With one row fewer in W than outputs (cross-entropy,
    see :func:`pass_sums`), the last output's z is 0."""
    k = rest.shape[0] - 3
    Z, V, bits, w, mx, den = scratch_(k, R, W)
    A = np.zeros((W.shape[0], G.shape[1]), W.dtype)  # the sums of up to FLUSH rows
    pf = prefetch_plan_(W.shape[0], W.shape[1], X.strides[0], X.itemsize, FWD_ROWS)
    pending = 0
    for i0 in range(start, stop, R):
        m = min(R, stop - i0)
        forward_tile_(X, i0, m, W, b, Z, X, i0 + PREFETCH_AHEAD, pf)  # Z = (X_tile Wᵀ + b)ᵀ
        for r in range(m if W.shape[0] < k else 0):
            Z[k - 1, r] = 0
        loss_tile_(Z, m, i0, Y, labels, weights, has_w, loss, V, bits, w, mx, den, rest)  # Z ← w δ
        backward_tile_(X, i0, m, W.shape[1], Z, 0, A)  # A += (w Δ)ᵀ X_tile (W's rows)
        pending += m
        if pending >= FLUSH:
            _flush_(A, G, F32(0))
            pending = 0
    _flush_(A, G, F32(0))


@njit(nogil=True, fastmath=FASTMATH, error_model="numpy", cache=True)
def streamed_rows_(X, Y, labels, weights, has_w, W, b, loss, start, stop, R, G, rest):
    """As :func:`direct_rows_`, for one or two outputs with squared error or bce, where
    the pass is bound by memory: each block of ``ROW_BLOCK`` rows goes through the
    forward product, the loss and the backward product at once, while its rows are in
    the L1 cache, the loss in vector registers (:func:`block_loss`). (Tiles leave the
    memory idle during their loss and backward, and a backward from L2 competes with
    the forward's prefetches for the cache's miss buffers: 45 ns a row instead of 17,
    single-threaded.) The sums go into a buffer in W's dtype, added into the float64 G
    every ``FLUSH`` rows."""
    k, d = W.shape
    Z = np.zeros((k, ROW_BLOCK), W.dtype)
    A = np.zeros((k, G.shape[1]), W.dtype)
    acc = np.zeros((k + 3, ROW_BLOCK), W.dtype)  # the loss's sums, lane by lane
    pf = prefetch_plan_(k, d, X.strides[0], X.itemsize, FWD_ROWS)
    for i0 in range(start, stop, ROW_BLOCK):
        nb = min(ROW_BLOCK, stop - i0)
        for r0 in range(0, ROW_BLOCK, FWD_ROWS):  # Z = (X_b Wᵀ + b)ᵀ, prefetching its own rows
            _fwd_block_(X, i0, r0, nb, W, b, 0, k, Z, X, (i0 + r0) * X.strides[0], pf)
        _block_loss_(Z, nb, i0, Y, weights, has_w, loss, acc)  # Z ← w δ
        backward_tile_(X, i0, nb, d, Z, 0, A)  # A += (w Δ)ᵀ X_b
        if (i0 - start) % FLUSH == FLUSH - ROW_BLOCK:
            _flush_(A, G, F32(0))
            acc_flush_(acc, rest)
    _flush_(A, G, F32(0))
    acc_flush_(acc, rest)


@njit(nogil=True, fastmath=FASTMATH, error_model="numpy", cache=True)
def copied_rows_(X, Y, labels, weights, has_w, mu, inv_sigma, standardize, W, b, loss,
                 start, stop, R, G, rest):
    """As :func:`direct_rows_`, each tile first copied into a buffer in W's dtype —
    standardized on the way, x' = (x − μ)·(1/σ), when ``standardize`` — while the
    forward product of the previous tile prefetches it."""
    d = W.shape[1]
    k = rest.shape[0] - 3
    T = np.empty((R, d), W.dtype)
    Z, V, bits, w, mx, den = scratch_(k, R, W)
    pf = prefetch_plan_(W.shape[0], d, X.strides[0], T.itemsize, FWD_ROWS)
    mu_t = np.empty(d, W.dtype)
    s_t = np.empty(d, W.dtype)
    for j in range(d):
        mu_t[j] = mu[j] if standardize else 0
        s_t[j] = inv_sigma[j] if standardize else 1
    for i0 in range(start, stop, R):
        m = min(R, stop - i0)
        for r in range(m):
            for j in range(d):
                T[r, j] = X[i0 + r, j]  # in W's dtype
            if standardize:
                for j in range(d):
                    T[r, j] = (T[r, j] - mu_t[j]) * s_t[j]
        forward_tile_(T, 0, m, W, b, Z, X, i0 + R, pf)  # and prefetch the next tile of X
        for r in range(m if W.shape[0] < k else 0):
            Z[k - 1, r] = 0
        loss_tile_(Z, m, i0, Y, labels, weights, has_w, loss, V, bits, w, mx, den, rest)
        backward_tile_(T, 0, m, d, Z, 0, G)


@njit(nogil=True, fastmath=FASTMATH, error_model="numpy", cache=True)
def streamed_copied_rows_(X, Y, labels, weights, has_w, mu, inv_sigma, standardize, W, b, loss,
                          start, stop, G, rest):
    """:func:`streamed_rows_` for X in another dtype than W's, or standardized: each
    block of ``ROW_BLOCK`` rows is first copied into a buffer in W's dtype (in L1),
    x' = (x − μ)·(1/σ) when ``standardize``, while the next rows are prefetched."""
    k, d = W.shape
    T = np.zeros((ROW_BLOCK, d), W.dtype)
    Z = np.zeros((k, ROW_BLOCK), W.dtype)
    A = np.zeros((k, G.shape[1]), W.dtype)
    acc = np.zeros((k + 3, ROW_BLOCK), W.dtype)
    mu_t = np.empty(d, W.dtype)
    s_t = np.empty(d, W.dtype)
    for j in range(d):
        mu_t[j] = mu[j] if standardize else 0
        s_t[j] = inv_sigma[j] if standardize else 1
    pf = prefetch_plan_(k, d, X.strides[0], T.itemsize, FWD_ROWS)
    for i0 in range(start, stop, ROW_BLOCK):
        nb = min(ROW_BLOCK, stop - i0)
        for r in range(nb):
            for j in range(d):
                T[r, j] = X[i0 + r, j]  # in W's dtype
            if standardize:
                for j in range(d):
                    T[r, j] = (T[r, j] - mu_t[j]) * s_t[j]
        for r0 in range(0, ROW_BLOCK, FWD_ROWS):  # and prefetch the next block of X
            _fwd_block_(T, 0, r0, nb, W, b, 0, k, Z, X,
                        (i0 + ROW_BLOCK + r0) * X.strides[0], pf)
        _block_loss_(Z, nb, i0, Y, weights, has_w, loss, acc)
        backward_tile_(T, 0, nb, d, Z, 0, A)
        if (i0 - start) % FLUSH == FLUSH - ROW_BLOCK:
            _flush_(A, G, F32(0))
            acc_flush_(acc, rest)
    _flush_(A, G, F32(0))
    acc_flush_(acc, rest)


@njit(nogil=True, error_model="numpy", cache=True)
def _flush_(A, G, zero):
    """G += A (float64), A ← 0: the data-dtype partial sum joins the float64 total."""
    k, d = A.shape
    for c in range(k):
        for j in range(d):
            G[c, j] += A[c, j]
            A[c, j] = zero


# --- the pass and the gradient ----------------------------------------------------------------
@njit(error_model="numpy", cache=True)
def _gather_(sums, G, rest):
    """sums += Σ over threads of [G (k, d) | rest (k + 3)]."""
    t_count, k, _ = G.shape
    d = (sums.shape[0] - k - 3) // k
    for t in range(t_count):
        for c in range(k):
            for j in range(d):
                sums[c * d + j] += G[t, c, j]
        for i in range(k + 3):
            sums[k * d + i] += rest[t, i]


_POOL = None
_LOCAL = threading.local()


def _partials(t_count: int, k: int, d_padded: int) -> tuple[np.ndarray, np.ndarray]:
    """Each thread's partial sums, G (t_count, k, d_padded) and rest (t_count, k + 3),
    float64: kept between passes (per calling thread, so concurrent passes never share
    them), so a pass over wide rows allocates nothing. Freeing and re-mapping a buffer of
    this size each pass costs page faults and, with threads running, TLB shoot-downs."""
    key = (t_count, k, d_padded)
    cached = getattr(_LOCAL, "partials", None)
    if cached is None or cached[0] != key:
        # rows of ``rest`` a cache line apart: the threads never write to the same line
        cached = _LOCAL.partials = (key, np.zeros((t_count, k, d_padded)), np.zeros((t_count, max(8, k + 3)))[:, : k + 3])
    return cached[1], cached[2]


def _pool(n_threads: int):
    global _POOL
    if _POOL is None or _POOL._max_workers < n_threads:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="gdlab-pass")
    return _POOL


def pass_threads(n: int, d: int, n_threads: int) -> int:
    """Threads for a pass over (n, d): each gets ``MIN_ROWS_PER_THREAD`` rows or
    ``MIN_ELEMENTS_PER_THREAD`` values (wide data: few rows, many values), at most n."""
    worth = max(n // MIN_ROWS_PER_THREAD, n * d // MIN_ELEMENTS_PER_THREAD)
    return max(1, min(n_threads, worth, n))


def pass_sums(
    X: np.ndarray, Y: np.ndarray, labels: np.ndarray, weights: np.ndarray | None, W: np.ndarray,
    b: np.ndarray, loss: int, n_threads: int, sums: np.ndarray, *, mu: np.ndarray | None = None,
    inv_sigma: np.ndarray | None = None,
) -> None:
    r"""One read of X at (W, b); ADDS the pass's sums into ``sums``.

    Parameters
    ----------
    X : ndarray of shape (n, ≥d), float32 or float64
        Rows contiguous; only the first d = W.shape[1] columns are features (a block
        whose last column is the target can be passed as is). Its dtype may differ
        from W's: everything is computed in W's dtype.
    Y : ndarray of shape (n, k)
        Float targets for squared error and bce (a strided view such as
        ``block[:, d:d+1]`` is fine); a dummy for cross-entropy (see :func:`targets`).
    labels : ndarray of shape (n,), int64
        Class indices in [0, k) for cross-entropy (not checked); a dummy otherwise.
    weights : ndarray of shape (n,) or None
        Row weights w_i (0 drops a row: another split, padding); None: all 1.
    W, b : ndarrays of shape (k, d) and (k,)
        The parameters, in the compute dtype.
    loss : int
        A code of :data:`LOSS_CODES`.
    n_threads : int
        At most this many threads (see :func:`pass_threads`).
    sums : ndarray of shape (k·d + k + 3,), float64
        ``[G | g_b | Σwℓ | Σw·[right] | Σw]`` with G = Σ w δ xᵀ (row-major) and
        g_b = Σ w δ (δ, ℓ unscaled: module docstring). Accumulated into, so that the
        chunks of a stream, or the processes of a DDP run (one all-reduce of this
        buffer), add up before :func:`finish`.
    mu, inv_sigma : ndarrays of shape (d,) or None
        Standardize each row as it is loaded, x' = (x − μ)·inv_sigma (in W's dtype),
        so that a raw block never needs a standardized copy in memory.
    """
    n = X.shape[0]
    k, d = W.shape
    dt = W.dtype
    if X.ndim != 2 or X.shape[1] < d:
        raise ValueError(f"X must be 2-D with at least {d} columns, got shape {X.shape}")
    if sums.shape != (sums_size(k, d),) or sums.dtype != np.float64:
        raise ValueError(f"sums must be float64 of shape ({sums_size(k, d)},), got "
                         f"{sums.dtype} {sums.shape}")
    if n == 0:
        return
    W, b = np.ascontiguousarray(W), np.ascontiguousarray(b)
    if loss == CROSS_ENTROPY:
        labels = np.ascontiguousarray(labels, np.int64)
        if labels.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {labels.shape}")
    else:
        Y = Y.reshape(n, 1) if Y.ndim == 1 else Y
        if Y.shape != (n, k):
            raise ValueError(f"Y must have shape ({n}, {k}), got {Y.shape}")
        if Y.dtype != dt:
            Y = Y.astype(dt)
    if weights is not None and np.shape(weights) != (n,):
        raise ValueError(f"weights must have shape ({n},), got {np.shape(weights)}")
    has_w = weights is not None
    weights = np.ascontiguousarray(weights, dt) if has_w else _DUMMIES.setdefault(("w", dt), np.ones(1, dt))
    standardize = mu is not None or inv_sigma is not None
    in_place = not standardize and X.dtype == dt and X.strides[1] == X.itemsize and X.strides[0] > 0
    if standardize:
        mu = np.zeros(d, dt) if mu is None else np.asarray(mu, dt)
        inv_sigma = np.ones(d, dt) if inv_sigma is None else np.asarray(inv_sigma, dt)
    else:
        mu = inv_sigma = _DUMMIES.setdefault(("mu", dt), np.zeros(1, dt))
    if in_place and _cache_resident_wide(n, d, dt.itemsize, n_threads):
        _blas_pass(X, Y, labels, weights, has_w, W, b, loss, sums)
        return
    # Cross-entropy depends on z only through its differences, and Σ_c δ_c = 0 in every
    # row: with W' = W[:-1] − W[-1] (and b'), z'_{k−1} = 0, and G's last row is minus the
    # sum of the others: 1/k fewer multiply-adds in both products.
    shift = loss == CROSS_ENTROPY and k >= 3
    if shift:
        W, b = W[:-1] - W[-1], b[:-1] - b[-1]
    R = _tile_rows(d, dt.itemsize)
    streamed = k <= 2 and loss != CROSS_ENTROPY and dt == np.float32  # see streamed_rows_
    lanes = VECTOR_BYTES // dt.itemsize
    t_count = pass_threads(n, d, n_threads)
    G, rest = _partials(t_count, k, -(-d // lanes) * lanes)  # rows padded to whole vectors
    bounds = [n * t // t_count for t in range(t_count + 1)]

    def part(t: int) -> None:
        lo, hi = bounds[t], bounds[t + 1]
        G[t].fill(0.0)  # each thread clears its own partial sums
        rest[t].fill(0.0)
        Gt = G[t, : W.shape[0]]
        if in_place and streamed:
            streamed_rows_(X, Y, labels, weights, has_w, W, b, loss, lo, hi, R, Gt, rest[t])
        elif streamed:
            streamed_copied_rows_(X, Y, labels, weights, has_w, mu, inv_sigma, standardize, W, b,
                                  loss, lo, hi, Gt, rest[t])
        elif in_place:
            direct_rows_(X, Y, labels, weights, has_w, W, b, loss, lo, hi, R, Gt, rest[t])
        else:
            copied_rows_(X, Y, labels, weights, has_w, mu, inv_sigma, standardize, W, b, loss,
                         lo, hi, R, Gt, rest[t])

    futures = [_pool(t_count).submit(part, t) for t in range(1, t_count)]
    part(0)  # this thread takes the first range: one hand-off fewer
    for f in futures:
        f.result()
    if shift:
        G[:, -1] = -G[:, :-1].sum(1)
    _gather_(sums, G, rest)


def _cache_resident_wide(n: int, d: int, itemsize: int, n_threads: int) -> bool:
    """Whether X is wide (``WIDE_MIN_FEATURES`` columns or more) and small enough to stay
    in the last-level cache between two reads (``BLAS_MAX_BYTES``), with every core
    allowed: then two BLAS matrix-vector products beat one fused read. Their threads
    wait for work spinning, so a pass of a few hundred µs pays no hand-off; and with X
    in cache, reading it twice costs little. Rows that stream from memory keep the fused
    kernel, as does a pass limited to fewer threads (BLAS would take every core)."""
    return (d >= WIDE_MIN_FEATURES and n * d * itemsize <= BLAS_MAX_BYTES
            and n_threads >= _CORES)


def _blas_pass(X, Y, labels, weights, has_w, W, b, loss, sums) -> None:
    """:func:`pass_sums` on cache-resident wide rows: Z = W Xᵀ + b by BLAS, the same
    per-row loss and w·δ as the kernel (:func:`loss_tile_`, on all n rows as one
    tile), then G = (w Δ) X by BLAS, summed ``FLUSH`` rows at a time in W's dtype and
    across them in float64, like the kernel."""
    n = X.shape[0]
    k, d = W.shape
    Xd = X[:, :d]
    Z, V, bits, w, mx, den = scratch_(k, n, W)
    Z[:, :n] = W @ Xd.T  # (k, d) @ (d, n) -> (k, n): class-major, as loss_tile_ takes it
    Z[:, :n] += b[:, None]
    rest = np.zeros(k + 3)
    loss_tile_(Z, n, 0, Y, labels, weights, has_w, loss, V, bits, w, mx, den, rest)
    G = sums[: k * d].reshape(k, d)
    for a in range(0, n, FLUSH):
        G += Z[:, a : min(a + FLUSH, n)] @ Xd[a : a + FLUSH]  # (k, m) @ (m, d) -> (k, d)
    sums[k * d :] += rest


@njit(error_model="numpy", cache=True)
def finish_(G, gb, W, scale, l2, l1, gW, gbo):
    """gW ← scale·G + λ₂W + λ₁ sign(W), gbo ← scale·gb (in W's dtype); returns
    ‖(gW, gbo)‖, computed in float64 before the rounding."""
    k, d = W.shape
    sq = 0.0
    for c in range(k):
        for j in range(d):
            w = W[c, j]
            g = scale * G[c, j] + l2 * w
            if l1 != 0.0:  # sign(0) = 0: the subgradient that leaves a zero weight alone
                g += l1 * (1.0 if w > 0 else -1.0 if w < 0 else 0.0)
            sq += g * g
            gW[c, j] = g
        g = scale * gb[c]
        sq += g * g
        gbo[c] = g
    return math.sqrt(sq)


def finish(sums: np.ndarray, W: np.ndarray, *, scale: float, l2: float, l1: float,
           gW: np.ndarray, gb: np.ndarray) -> float:
    r"""The gradient from the sums of :func:`pass_sums`.

    gW ← scale·G + λ₂W + λ₁ sign(W) (a subgradient; sign(0) = 0), gb ← scale·g_b, in
    W's dtype (biases carry no penalty); returns ‖(gW, gb)‖, computed in float64 before
    the rounding. ``scale`` is the caller's: 2/(Σw·k) for mse, 1/(Σw·k) for half-mse
    and bce, 1/Σw for cross-entropy.
    """
    k, d = W.shape
    G = sums[: k * d].reshape(k, d)
    return finish_(G, sums[k * d : k * d + k], W, float(scale), float(l2), float(l1), gW, gb)


def fused_pass(X, Y, labels, W, b, loss, n_threads, *, scale, l2, gW, gb_out):
    """One pass over X (n, d) at (W, b): writes the gradient ``scale``·Σ δ xᵀ + λW into
    ``gW`` (k, d) and ``scale``·Σ δ into ``gb_out`` (k,); returns (Σ ℓ, correct, norm).

    :func:`pass_sums` then :func:`finish`, without weights or L1.
    """
    k, d = W.shape
    sums = np.zeros(sums_size(k, d))
    pass_sums(X, Y, labels, None, W, b, loss, n_threads, sums)
    norm = finish(sums, W, scale=scale, l2=l2, l1=0.0, gW=gW, gb=gb_out)
    return float(sums[-3]), float(sums[-2]), norm


# --- a whole mini-batch epoch in one compiled loop --------------------------------------------
MB_TILE = 16  # rows of a mini-batch handled together: 16 rows of d = 100 float32 are 6 KB (L1)
CACHE_LINE = 64  # bytes
SGD, MOMENTUM, NESTEROV = 0, 1, 2
RULE_CODES = {"sgd": SGD, "momentum": MOMENTUM, "nesterov": NESTEROV}


@intrinsic
def prefetch_(typingctx, flat, i):
    """Start loading the cache line that holds ``flat[i]`` (LLVM's ``llvm.prefetch``: a
    hint that retires at once, so the load overlaps the work before the value is used)."""

    def codegen(context, builder, signature, args):
        e = _Emit(context, builder, signature.args[0].dtype)
        e.prefetch(e.ptr(e.array(signature.args[0], args[0]), None, args[1]))
        return context.get_dummy_value()

    return types.void(flat, i), codegen


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def prefetch_rows_(flat, d, idx, step):
    """Prefetch every cache line of the rows ``idx`` of X, given as ``flat`` (n·d,)."""
    for r in range(idx.shape[0]):
        base = idx[r] * d
        for j in range(0, d, step):
            prefetch_(flat, base + j)
        prefetch_(flat, base + d - 1)


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def forward_rows_(X, idx, m, W, b, Z, zero):
    """Z[:, :m] ← (X[idx[:m]] Wᵀ + b)ᵀ, four rows at a time, each row read by its index
    (no gathered copy): (m, d) @ (d, k) -> (k, m), class-major as :func:`loss_tile_`
    takes it. Four independent rows keep four cache misses in flight at once."""
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
            Z[c, r] = s0 + b[c]
            Z[c, r + 1] = s1 + b[c]
            Z[c, r + 2] = s2 + b[c]
            Z[c, r + 3] = s3 + b[c]
        r += 4
    while r < m:
        for c in range(k):
            s0 = zero
            for j in range(d):
                s0 += X[idx[r], j] * W[c, j]
            Z[c, r] = s0 + b[c]
        r += 1


@njit(fastmath=FASTMATH, error_model="numpy", cache=True)
def backward_rows_(X, idx, m, D, A):
    """A += D[:, :m] X[idx[:m]], four rows at a time (the rows are in L1 by now):
    (k, m) @ (m, d) -> (k, d)."""
    k, d = A.shape
    r = 0
    while r + 4 <= m:
        i0, i1, i2, i3 = idx[r], idx[r + 1], idx[r + 2], idx[r + 3]
        for c in range(k):
            d0, d1, d2, d3 = D[c, r], D[c, r + 1], D[c, r + 2], D[c, r + 3]
            for j in range(d):
                A[c, j] += d0 * X[i0, j] + d1 * X[i1, j] + d2 * X[i2, j] + d3 * X[i3, j]
        r += 4
    while r < m:
        for c in range(k):
            d0 = D[c, r]
            for j in range(d):
                A[c, j] += d0 * X[idx[r], j]
        r += 1


@njit(nogil=True, fastmath=FASTMATH, error_model="numpy", cache=True)
def minibatch_epoch_(X, Y, labels, weights, has_w, order, batch_size, loss, half, rule, lr,
                     l2, l1, momentum, W, b, bufW, bufb, has_buf, losses):
    r"""One epoch of mini-batch updates of one linear layer, in place on W (k, d), b (k,).

    Batch t holds the rows ``order[t·B : (t+1)·B]`` (the last one may be shorter), read
    from X by index. For each batch of m rows, with weights w_i (1 without ``has_w``) and
    N = m (cross-entropy) or k·m — the mean of the weighted row losses, as every engine
    takes weights (``gdlab.losses``; the feeds scale them to average 1)::

        L_t = (1/N) Σ_i w_i ℓ_i,   g_W = (c/N) Σ_i w_i δ_i x_iᵀ + λ₂W + λ₁ sign(W),
        g_b = (c/N) Σ_i w_i δ_i

    (c = 2 for mse, else 1; ℓ and δ as in :func:`loss_tile_`), then the update of
    ``gdlab.engines.base.update_``: ``sgd`` p ← p − η g; ``momentum`` v ← μv + g (v = g
    the first time), p ← p − η v; ``nesterov`` the same v, p ← p − η (g + μv). The
    velocities live in ``bufW``, ``bufb`` (``has_buf``: they hold a previous step's). A
    batch whose rows all weigh 0 has a zero data gradient (only the penalties move it).

    Writes L_t into ``losses[t]`` and stops after the first batch whose loss is not
    finite (as the training loop does). Returns (batches run, ‖(g_W, g_b)‖ of the last).
    Sums are float64 across ``FLUSH`` rows, in X's dtype within them.
    """
    n = X.shape[0]
    k, d = W.shape
    A = np.zeros((k, d), X.dtype)  # Σ w δ xᵀ in X's dtype, flushed into G every FLUSH rows
    zero = A[0, 0]
    G = np.zeros((k, d))
    rest = np.zeros(k + 3)  # Σ w δ per class, Σ w ℓ, Σ w·[right], Σ w: as loss_tile_ adds them
    gW = np.empty((k, d), X.dtype)
    gbo = np.empty(k, X.dtype)
    Z, V, bits, w, mx, den = scratch_(k, MB_TILE, W)
    Yg = np.empty((MB_TILE, Y.shape[1]), Y.dtype)
    labg = np.empty(MB_TILE, labels.dtype)
    wg = np.empty(MB_TILE, weights.dtype)
    flat = X.reshape(-1)  # X is C-contiguous: a view
    step = max(1, CACHE_LINE // X.itemsize)
    n_batches = (n + batch_size - 1) // batch_size
    norm = 0.0
    for t in range(n_batches):
        start, stop = t * batch_size, min((t + 1) * batch_size, n)
        G[:] = 0.0
        rest[:] = 0.0
        pending = 0
        for t0 in range(start, stop, MB_TILE):  # gradient of the batch, a tile at a time
            idx = order[t0 : min(t0 + MB_TILE, stop)]
            mt = idx.shape[0]
            # the next tile's rows are random cache misses: start them now, so that they
            # arrive while this tile is computed (about twice the speed on a 2M-row X)
            prefetch_rows_(flat, X.shape[1], order[t0 + MB_TILE : t0 + 2 * MB_TILE], step)
            for r in range(mt):  # the tile's targets and weights, by index
                if loss == CROSS_ENTROPY:
                    labg[r] = labels[idx[r]]
                else:
                    for c in range(Y.shape[1]):
                        Yg[r, c] = Y[idx[r], c]
                if has_w:
                    wg[r] = weights[idx[r]]
            forward_rows_(X, idx, mt, W, b, Z, zero)  # Z = (X_tile Wᵀ + b)ᵀ
            loss_tile_(Z, mt, 0, Yg, labg, wg, has_w, loss, V, bits, w, mx, den, rest)  # Z ← w δ
            backward_rows_(X, idx, mt, Z, A)  # A += (w Δ)ᵀ X_tile
            pending += mt
            if pending >= FLUSH or t0 + MB_TILE >= stop:
                _flush_(A, G, zero)
                pending = 0
        total, rows = rest[k], float(stop - start)
        if loss == CROSS_ENTROPY:
            scale = 1.0 / rows
            mean = total / rows
        else:
            scale = (1.0 if half or loss == BCE else 2.0) / (rows * k)
            mean = total / (rows * k) * (0.5 if half else 1.0)
        norm = finish_(G, rest[:k], W, scale, l2, l1, gW, gbo)  # gW, gbo ← the gradient
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
                    momentum, bufW, bufb, has_buf, weights=None, l1=0.0) -> tuple[np.ndarray, float]:
    """Run :func:`minibatch_epoch_`; returns (the loss of each batch run, the last
    batch's gradient norm). ``rule`` is a name of :data:`RULE_CODES`; ``weights`` (n,)
    or None (all 1) weigh the rows of X, ``l1`` adds λ₁ sign(W) to the gradient."""
    n_batches = -(-X.shape[0] // batch_size)
    losses = np.empty(n_batches)
    has_w = weights is not None
    dt = X.dtype
    weights = np.asarray(weights, dt) if has_w else _DUMMIES.setdefault(("w", dt), np.ones(1, dt))
    done, norm = minibatch_epoch_(
        X, Y, labels, weights, has_w, order, batch_size, loss, half, RULE_CODES[rule], lr, l2,
        float(l1), momentum, W, b, bufW, bufb, has_buf, losses,
    )
    return losses[:done], norm
