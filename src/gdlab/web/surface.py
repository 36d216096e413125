"""The surface panel, as numbers: the loss over the parameters, and the path on it.

Which picture a run gets depends on how many parameters it has:

- **plane** — two parameters (one feature, with a bias): the exact loss L(w, b) over the
  training rows on a grid (``gdlab.viz.surface_grid``), in the units the model sees, with
  the minimizer; a click on it starts a run there;
- **curve** — one parameter (one feature, no bias: the notes' y = w·x): L(w) as a curve,
  the path as points on it;
- **slice** — more parameters: L over two chosen parameters θᵢ, θⱼ with every other
  parameter held at its current value (``gdlab.viz.slice.slice_grid``), the path
  projected onto (θᵢ, θⱼ). The slice goes through the current parameters, so it is
  recomputed as the run moves (at most every ``limits.SLICE_REFRESH_SECONDS`` while
  playing); by default the pair is the two parameters with the largest gradient at the
  start (:func:`gdlab.web.updates.steepest_pair`).

Each value is the objective the run minimizes: the data loss plus the penalties
(λ₂/2)·‖W‖² + λ₁·‖W‖₁ on the weights, so with L1 or L2 the path heads for the lowest
point drawn.
"""

from __future__ import annotations

import time

import numpy as np

from ..engines.base import weight_mask
from ..viz import optimum_2param, surface_grid
from ..viz.slice import slice_grid
from ..viz.surface import SURFACE_LOSSES, loss_at
from . import limits
from .session import Session, _finite


class Surface:
    """The surface panel of one :class:`Session`."""

    def __init__(self, session: Session):
        s = self.session = session
        self.kind = _kind(s)
        self.X = s.prep.X_train
        self.y = s.prep.y_train
        mask = weight_mask(s.model)
        self.is_weight = np.concatenate([np.full(p.numel(), w) for p, w in zip(s.model.parameters(), mask,
                                                                              strict=True)])
        self._box: np.ndarray | None = None  # [lo, hi] of the path so far (the pair's coordinates)
        self._optimum = None
        self._sent_step = -1
        self._sent_at = 0.0
        self._sent_points = 0  # path points the page has
        self._pair = session.pair  # the pair the page's slice is over

    # --- the objective ----------------------------------------------------------------------
    def penalty(self, theta: np.ndarray) -> np.ndarray:
        """(λ₂/2)·Σ W² + λ₁·Σ|W| over the weights, for each row of ``theta`` (…, n_params)."""
        cfg = self.session.cfg
        W = theta * self.is_weight
        return 0.5 * cfg.l2 * (W**2).sum(axis=-1) + cfg.l1 * np.abs(W).sum(axis=-1)

    def _penalized(self) -> bool:
        return bool(self.session.cfg.l1 or self.session.cfg.l2)

    # --- what the page gets -------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The panel when the run is set up (or its pair changes): the picture and the path."""
        if self.session.pair != self._pair:  # another pair: another window
            self._pair, self.session.view = self.session.pair, None
        path = self._path_since(0)
        return {**self._draw(), "path": path}

    def new_points(self) -> list:
        """The path points the page does not have yet."""
        return self._path_since(self._sent_points)

    def refreshed(self, *, fresh: bool) -> dict | None:
        """A new picture when the one on the page is out of date: the path left its
        window, or (a slice) the run moved — at once when ``fresh``, else at most every
        ``SLICE_REFRESH_SECONDS``."""
        s = self.session
        if self.kind is None:
            return None
        if self.kind == "slice":
            moved = s.state.step != self._sent_step
            due = fresh or time.monotonic() - self._sent_at >= limits.SLICE_REFRESH_SECONDS
            if moved and due:
                return self._draw()
        if self._left_window():
            return self._draw()
        return None

    def _path_since(self, start: int) -> list:
        """The path from point ``start`` on (and the bounding box grown by it)."""
        s = self.session
        if self.kind is None or s.trail is None:
            return []
        points = s.trail.projected(start)
        self._sent_points = len(s.trail)
        if start == 0:
            self._box = None
        self._grow(points)
        if self.kind == "curve" and points:
            w = np.array(points, dtype=np.float64)[:, 0]
            losses = self._curve_loss(w)
            return [[float(a), _finite(float(b))] for a, b in zip(w, losses, strict=True)]
        return points

    # --- the pictures ----------------------------------------------------------------------------
    def _draw(self) -> dict:
        s = self.session
        if self.kind is None:
            return {"kind": None, "reason": _reason(s)}
        self._sent_step, self._sent_at = s.state.step, time.monotonic()
        return {"plane": self._plane, "curve": self._curve, "slice": self._slice}[self.kind]()

    def _xy(self) -> tuple[np.ndarray, np.ndarray]:
        return self.X.double().numpy(), self.y.double().numpy().reshape(-1)

    def _grow(self, points: list) -> None:
        """Widen the path's bounding box by ``points`` (finite ones, not absurdly far)."""
        if not points:
            return
        pts = np.asarray(points, dtype=np.float64)
        pts = pts[np.all(np.isfinite(pts) & (np.abs(pts) <= limits.MAX_ABS_START), axis=1)]
        if not len(pts):
            return
        box = np.stack([pts.min(axis=0), pts.max(axis=0)])
        self._box = box if self._box is None else np.stack([np.minimum(self._box[0], box[0]),
                                                            np.maximum(self._box[1], box[1])])

    def _left_window(self) -> bool:
        s = self.session
        if s.view is None or self._box is None:
            return False
        keys = ("w",) if self.kind == "curve" else ("w", "b")
        lo, hi = self._box
        return any(not s.view[k][0] <= lo[i] <= hi[i] <= s.view[k][1] for i, k in enumerate(keys))

    def _window(self, extra: list[np.ndarray]) -> dict:
        """A square window holding the path, the current point and ``extra`` points; the
        session's window is kept while it holds them (a new start keeps its view)."""
        s = self.session
        pts = [*([] if self._box is None else [self._box]),
               *[np.asarray(e, dtype=np.float64).reshape(1, -1) for e in extra]]
        if not pts:
            pts = [np.zeros((1, 1 if self.kind == "curve" else 2))]
        pts = np.concatenate(pts)
        view = s.view
        dims = ("w",) if pts.shape[1] == 1 else ("w", "b")
        inside = view is not None and all(
            view[k][0] <= pts[:, i].min() and pts[:, i].max() <= view[k][1] for i, k in enumerate(dims))
        if not inside:
            view = _square_view(pts)
        s.view = view
        return view

    def _plane(self) -> dict:
        s = self.session
        X, y = self._xy()
        if self._optimum is None:
            self._optimum = _plane_optimum(X, y, s.loss, s.cfg.l2) if not s.cfg.l1 else None
        view = self._window([self._optimum] if self._optimum is not None else [])
        *_, Z = surface_grid(X, y, loss=s.loss, model_kind=s.kind, w_range=view["w"],
                             b_range=view["b"], n=limits.SURFACE_GRID)
        if self._penalized():
            ws = np.linspace(*view["w"], limits.SURFACE_GRID)
            Z = Z + (0.5 * s.cfg.l2 * ws**2 + s.cfg.l1 * np.abs(ws))[None, :]
        optimum = self._optimum if self._optimum is not None else _lowest(Z, view)
        return {
            "kind": "plane", "w": list(view["w"]), "b": list(view["b"]), "n": limits.SURFACE_GRID,
            "z": [_finite(v) for v in Z.ravel().tolist()],  # row i: b_i; column j: w_j
            "optimum": None if optimum is None else [float(v) for v in optimum],
            "optimum_exact": self._optimum is not None,
            "start": s.trail.projected()[0], "loss": s.loss, "names": ["w", "b"],
            "penalized": self._penalized(),
            "units": "standardized x" if s.prep.standardizer is not None else "raw x",
        }

    def _curve_loss(self, w: np.ndarray) -> np.ndarray:
        s = self.session
        X, y = self._xy()
        return loss_at(X, y, loss=s.loss, w=w, b=0.0) + 0.5 * s.cfg.l2 * w**2 + s.cfg.l1 * np.abs(w)

    def _curve(self) -> dict:
        s = self.session
        X, y = self._xy()
        if self._optimum is None:
            self._optimum = _curve_optimum(X[:, 0], y, s.loss, s.cfg.l2) if not s.cfg.l1 else None
        view = self._window([[self._optimum]] if self._optimum is not None else [])
        ws = np.linspace(*view["w"], limits.CURVE_POINTS)
        z = self._curve_loss(ws)
        optimum = self._optimum if self._optimum is not None else float(ws[int(np.nanargmin(z))])
        return {
            "kind": "curve", "w": list(view["w"]), "x": ws.tolist(), "z": [_finite(v) for v in z.tolist()],
            "optimum": [optimum, _finite(float(self._curve_loss(np.array([optimum]))[0]))],
            "optimum_exact": self._optimum is not None,
            "start": s.trail.projected()[0], "loss": s.loss, "names": ["w"],
            "penalized": self._penalized(),
            "units": "standardized x" if s.prep.standardizer is not None else "raw x",
        }

    def _slice(self) -> dict:
        s = self.session
        i, j = s.pair
        theta = s.params()
        view = self._window([theta[[i, j]]])
        n = slice_size(s.n_params, int(self.X.shape[0]))
        d1, d2 = np.zeros(theta.size), np.zeros(theta.size)
        d1[i] = d2[j] = 1.0
        a = (view["w"][0] - theta[i], view["w"][1] - theta[i])
        b = (view["b"][0] - theta[j], view["b"][1] - theta[j])
        _, _, Z = slice_grid(s.model, self.X.numpy(), self.y.numpy(), loss=s.loss, d1=d1, d2=d2,
                             a_range=a, b_range=b, n=n)
        if self._penalized():
            A, B = np.meshgrid(np.linspace(*view["w"], n), np.linspace(*view["b"], n))
            grid = np.broadcast_to(theta, (*A.shape, theta.size)).copy()
            grid[..., i], grid[..., j] = A, B
            Z = Z + self.penalty(grid)
        names = s.names
        return {
            "kind": "slice", "w": list(view["w"]), "b": list(view["b"]), "n": n,
            "z": [_finite(float(v)) for v in Z.ravel()], "pair": [i, j],
            "names": [names[i], names[j]], "center": [float(theta[i]), float(theta[j])],
            "optimum": _lowest(Z, view), "optimum_exact": False, "step": s.state.step,
            "n_params": s.n_params, "loss": s.loss, "penalized": self._penalized(),
            "start": s.trail.projected()[0] if s.trail.since == 0 else None,
            "since": s.trail.since,
            "units": "standardized x" if s.prep.standardizer is not None else "raw x",
        }


def _kind(s: Session) -> str | None:
    if s.n_params == 1 and s.data.n_features == 1 and s.loss in SURFACE_LOSSES:
        return "curve"
    if s.n_params == 2 and s.data.n_features == 1 and s.loss in SURFACE_LOSSES:
        return "plane"
    if s.n_params >= 2:
        return "slice"
    return None


def _reason(s: Session) -> str:
    return f"no loss surface for {s.kind} with the {s.loss} loss and {s.n_params} parameter(s)"


def slice_size(n_params: int, rows: int) -> int:
    """Grid points per axis of a slice: as many as ``limits.SLICE_WORK`` allows
    (points² × rows × parameters multiply-adds), between 11 and ``limits.SLICE_GRID``."""
    n = int(np.sqrt(limits.SLICE_WORK / max(1, rows * n_params)))
    return int(min(limits.SLICE_GRID, max(11, n | 1)))  # odd: the centre is a grid point


def _lowest(Z: np.ndarray, view: dict) -> list[float] | None:
    """The grid point with the lowest value (for objectives without a closed-form minimum)."""
    if not np.isfinite(Z).any():
        return None
    i, j = np.unravel_index(int(np.nanargmin(np.where(np.isfinite(Z), Z, np.nan))), Z.shape)
    n_b, n_w = Z.shape
    return [float(np.linspace(*view["w"], n_w)[j]), float(np.linspace(*view["b"], n_b)[i])]


def _plane_optimum(x: np.ndarray, y: np.ndarray, loss: str, l2: float):
    """(w*, b*) of the 1-feature objective: least squares (with the L2 term on w) for the
    squared losses, Newton's method for bce without a penalty; None otherwise."""
    if loss in ("mse", "half-mse") and l2:
        c = 2.0 if loss == "mse" else 1.0  # ∂/∂z of mse is 2(z − y), of half-mse z − y
        x = x[:, 0]
        A = np.array([[c * np.mean(x * x) + l2, c * np.mean(x)], [c * np.mean(x), c]])
        rhs = np.array([c * np.mean(x * y), c * np.mean(y)])
        return tuple(float(v) for v in np.linalg.solve(A, rhs))
    if l2:
        return None
    return optimum_2param(x, y, loss=loss)


def _curve_optimum(x: np.ndarray, y: np.ndarray, loss: str, l2: float) -> float | None:
    """w* of L(w) = mean ℓ(w·x, y) + (λ₂/2)w²: closed form for the squared losses."""
    if loss not in ("mse", "half-mse"):
        return None
    c = 2.0 if loss == "mse" else 1.0
    denom = c * np.mean(x * x) + l2
    return float(c * np.mean(x * y) / denom) if denom > 0 else None


def _square_view(points: np.ndarray) -> dict:
    """A square window around ``points`` (start, minimizer, path), with a margin."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    center = (lo + hi) / 2
    half = max(0.65 * float((hi - lo).max()), 1.0)
    view = {"w": (float(center[0] - half), float(center[0] + half))}
    if points.shape[1] > 1:
        view["b"] = (float(center[1] - half), float(center[1] + half))
    return view


__all__ = ["Surface", "slice_size"]
