"""What the page's panels draw, as plain numbers: the server computes, the page draws.

- **data**: the raw rows of each split (train / validation / test), in the data's units;
- **surface**: for two-parameter models (one feature, linear or logistic regression), the
  exact loss L(w, b) = (1/m) Σᵢ ℓ(w·xᵢ + b, yᵢ) over the training rows on a grid
  (``gdlab.viz.surface_grid``), in the units the model sees (standardized x when
  standardization is on), with the minimizer (w*, b*);
- **fit**: the fitted line for one feature, P(class) over the plane for two features,
  else the prediction for every row;
- **params** and **metrics**: the parameters after the last update and the losses now.
"""

from __future__ import annotations

import numpy as np
import torch

from ..evaluate import loss_and_accuracy as evaluate_loss
from ..metrics import model_params
from ..models import predict_proba
from ..viz import optimum_2param, surface_grid
from ..viz.surface import SURFACE_LOSSES
from . import limits
from .lessons import playground_lessons
from .session import Session, _finite

MAX_SHOWN_PARAMS = 100  # the page lists parameters one by one up to this many


class Panels:
    """Builds the panel payloads of one :class:`Session` (grids are fixed per session)."""

    def __init__(self, session: Session):
        self.session = session
        X = session.data.X
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.08 * np.where(hi > lo, hi - lo, 1.0)
        self.lo, self.hi = lo - pad, hi + pad  # the data view, per feature
        self._grid = None
        if session.data.n_features == 2 and session.task != "regression":
            g = limits.BOUNDARY_GRID
            xs = np.linspace(self.lo[0], self.hi[0], g)
            ys = np.linspace(self.lo[1], self.hi[1], g)
            gx, gy = np.meshgrid(xs, ys)  # rows: x2, columns: x1
            self._grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self._start = self._optimum = self._seen = None  # the surface's fixed points
        self._line = None
        if session.data.n_features == 1:
            self._line = np.linspace(self.lo[0], self.hi[0], limits.CURVE_POINTS).reshape(-1, 1)

    # --- once per run -------------------------------------------------------------------
    def snapshot(self) -> dict:
        """Everything the page draws when a run is set up (or reset)."""
        s = self.session
        return {
            "type": "snapshot",
            "settings": s.settings.to_json(),
            "query": s.settings.to_query(),
            "info": self.info(),
            "data": self.data(),
            "surface": self.surface(),
            "frame": self.frame(),
        }

    def info(self) -> dict:
        s = self.session
        d, prep = s.data, s.prep
        lesson = None
        if s.settings.lesson is not None:
            item = playground_lessons()[s.settings.lesson]
            lesson = {"name": item.name, "title": item.title, "summary": item.summary,
                      "explanation": item.explanation}
        return {
            "data": d.name, "description": d.meta.get("description", ""), "task": d.task,
            "n_features": d.n_features, "feature_names": list(d.feature_names),
            "target_name": d.target_name, "classes": [str(c) for c in d.classes or []],
            "n_train": int(prep.X_train.shape[0]),
            "n_val": 0 if prep.X_val is None else int(prep.X_val.shape[0]),
            "n_test": 0 if prep.X_test is None else int(prep.X_test.shape[0]),
            "model": s.kind, "loss": s.loss, "engine": s.engine.name,
            "optimizer": s.cfg.optimizer, "batch_size": s.batch_size,
            "n_batches": s.n_batches, "epochs": s.cfg.epochs, "n_params": s.n_params,
            "standardized": prep.standardizer is not None,
            "initial_loss": _finite(s.initial_loss),
            "notes": list(s.notes), "lesson": lesson,
            "view": {"lo": self.lo.tolist(), "hi": self.hi.tolist()},
        }

    def data(self) -> dict:
        """The raw rows of each split (features in the data's units)."""
        sp = self.session.splits

        def rows(X, y):
            if X is None:
                return None
            return {"X": np.round(np.asarray(X, dtype=np.float64), 6).tolist(),
                    "y": np.asarray(y).tolist()}

        return {"train": rows(sp.X_train, sp.y_train), "val": rows(sp.X_val, sp.y_val),
                "test": rows(sp.X_test, sp.y_test)}

    def surface(self) -> dict:
        """The exact loss over (w, b) around the start, the minimizer and the path so far;
        or why there is none."""
        s = self.session
        if not s.two_params:
            return {"reason": f"the (w, b) loss surface needs a model with exactly two "
                              f"parameters; {s.kind} on {s.data.name} has {s.n_params}"}
        if s.loss not in SURFACE_LOSSES:
            return {"reason": f"no (w, b) surface for the {s.loss} loss"}
        X = s.prep.X_train.double().numpy()
        y = s.prep.y_train.double().numpy().reshape(-1)
        if self._start is None:
            self._start = s.params()
            self._optimum = optimum_2param(X, y, loss=s.loss)
            self._seen = np.stack([self._start, self._start])  # the path's bounding box
        points = [*self._seen] + ([self._optimum] if self._optimum is not None else [])
        view = s.view
        if view is None or not all(_inside(p, view) for p in self._seen):
            view = _square_view(np.array(points))
        *_, Z = surface_grid(X, y, loss=s.loss, model_kind=s.kind, w_range=view["w"],
                             b_range=view["b"], n=limits.SURFACE_GRID)
        s.view = view
        return {
            "w": list(view["w"]), "b": list(view["b"]), "n": limits.SURFACE_GRID,
            "z": [_finite(v) for v in Z.ravel().tolist()],  # row i: b_i; column j: w_j
            "optimum": None if self._optimum is None else list(self._optimum),
            "start": self._start.tolist(), "loss": s.loss,
            "units": "standardized x" if s.prep.standardizer is not None else "raw x",
        }

    # --- after every frame ------------------------------------------------------------------
    def frame(self) -> dict:
        """What changed: new updates, path points and epochs; parameters, fit and metrics now.

        When the path has left the loss surface's window, a wider surface comes along.
        """
        s = self.session
        pending = s.take_pending()
        frame = {
            **pending,
            "step": s.state.step, "epoch": s.state.epoch, "status": s.status,
            "message": s.message, "lr": s.lr, "next_lr": s.next_epoch_lr,
            "params": self.params(), "fit": self.fit(), "metrics": self.metrics(),
        }
        path = np.array(pending["path"], dtype=np.float64).reshape(-1, 2)
        path = path[np.all(np.abs(path) <= limits.MAX_ABS_START, axis=1)]  # finite, not absurd
        if self._start is not None and s.view is not None and len(path):
            self._seen = np.stack([np.minimum(self._seen[0], path.min(axis=0)),
                                   np.maximum(self._seen[1], path.max(axis=0))])
            if not all(_inside(p, s.view) for p in self._seen):
                frame["surface"] = self.surface()
        return frame

    def params(self) -> dict:
        s = self.session
        values = s.params()
        if values.size > MAX_SHOWN_PARAMS:
            return {"count": int(values.size), "names": None, "values": None, "data_units": None}
        return {"count": int(values.size), "names": _param_names(s.model),
                "values": values.tolist(),
                "data_units": model_params(s.model, s.prep.standardizer)
                if s.prep.standardizer is not None else None}

    def metrics(self) -> dict:
        s, prep = self.session, self.session.prep
        out: dict = {}
        for split, X, y in (("train", prep.X_train, prep.y_train), ("val", prep.X_val, prep.y_val),
                            ("test", prep.X_test, prep.y_test)):
            if X is None:
                continue
            loss, acc = evaluate_loss(s.model, s.loss, X, y, s.task)
            out[f"{split}_loss"] = _finite(loss)
            if acc is not None:
                out[f"{split}_accuracy"] = acc
        return out

    def fit(self) -> dict:
        s = self.session
        if self._line is not None:
            y = self._outputs(self._line)
            if s.task == "regression":
                return {"kind": "line", "x": self._line[:, 0].tolist(),
                        "y": [_finite(v) for v in y[:, 0].tolist()]}
            return {"kind": "line", "x": self._line[:, 0].tolist(),
                    "y": np.round(self._proba(self._line)[:, -1], 5).tolist(), "proba": True}
        if self._grid is not None:
            proba = self._proba(self._grid)
            n = limits.BOUNDARY_GRID
            out = {"kind": "boundary", "n": n, "x": [self.lo[0], self.hi[0]],
                   "y": [self.lo[1], self.hi[1]]}
            if proba.shape[1] == 2:
                out["p"] = np.round(proba[:, 1], 4).tolist()
            else:
                out["cls"] = proba.argmax(axis=1).tolist()
                out["conf"] = np.round(proba.max(axis=1), 3).tolist()
            return out
        sp = s.splits
        pred = {}
        for split, X in (("train", sp.X_train), ("val", sp.X_val), ("test", sp.X_test)):
            if X is None:
                continue
            out = self._outputs(X)
            if s.task == "regression":
                pred[split] = [_finite(v) for v in out[:, 0].tolist()]
            else:
                pred[split] = (out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0)
                               ).astype(int).tolist()
        return {"kind": "rows", "pred": pred}

    @torch.no_grad()
    def _outputs(self, X_raw: np.ndarray) -> np.ndarray:
        s = self.session
        X = s.prep.standardizer.transform(X_raw) if s.prep.standardizer is not None else X_raw
        out = s.model(torch.as_tensor(X, dtype=s.dtype))
        return out.double().numpy()

    @torch.no_grad()
    def _proba(self, X_raw: np.ndarray) -> np.ndarray:
        s = self.session
        X = s.prep.standardizer.transform(X_raw) if s.prep.standardizer is not None else X_raw
        return predict_proba(s.model, torch.as_tensor(X, dtype=s.dtype)).double().numpy()


def _param_names(model) -> list[str]:
    """Readable names: w and b for one weight, w1…wd / W[j,k] and b[j] otherwise."""
    layers = list(model.layers)
    names: list[str] = []
    for li, layer in enumerate(layers):
        prefix = f"L{li + 1} " if len(layers) > 1 else ""
        out_f, in_f = layer.weight.shape
        if out_f == 1 and in_f == 1:
            names.append(f"{prefix}w")
        elif out_f == 1:
            names += [f"{prefix}w{k + 1}" for k in range(in_f)]
        else:
            names += [f"{prefix}W[{j + 1},{k + 1}]" for j in range(out_f) for k in range(in_f)]
        names += [f"{prefix}b"] if out_f == 1 else [f"{prefix}b[{j + 1}]" for j in range(out_f)]
    return names


def _inside(point: np.ndarray, view: dict) -> bool:
    return bool(view["w"][0] <= point[0] <= view["w"][1] and view["b"][0] <= point[1] <= view["b"][1])


def _square_view(points: np.ndarray) -> dict:
    """A square (w, b) window around ``points`` (start, minimizer, path), with a margin."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    center = (lo + hi) / 2
    half = max(0.65 * float((hi - lo).max()), 1.0)
    return {"w": (float(center[0] - half), float(center[0] + half)),
            "b": (float(center[1] - half), float(center[1] + half))}
