"""What the page's panels draw, as plain numbers: the server computes, the page draws.

- **data**: the raw rows of each split (train / validation / test), in the data's units;
- **surface**: the loss over the parameters with the path (:mod:`gdlab.web.surface`:
  the exact (w, b) plane, a one-parameter curve, or a slice through a larger model);
- **fit**: the fitted line for one feature, P(class) over the plane for two features,
  else the prediction for every row;
- **update**: the latest update with its gradient, rule and values (:mod:`gdlab.web.updates`);
- **params** and **metrics**: the parameters after the last update and the losses now.
"""

from __future__ import annotations

import numpy as np
import torch

from ..evaluate import loss_and_accuracy as evaluate_loss
from ..metrics import model_params
from ..models import predict_proba
from . import limits, updates
from .lessons import lesson_text
from .session import Session, _finite, param_names
from .settings import data_facts
from .surface import Surface

MAX_SHOWN_PARAMS = 100  # the page lists parameters one by one up to this many
MAX_NAMED_PARAMS = 1000  # the slice's menus name parameters up to this many (else numbers)


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
        self.surface_panel = Surface(session)
        self.names = param_names(session.model)
        self._described = None  # the update the page's update panel shows
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
            "frame": self.frame(fresh=True),
        }

    def info(self) -> dict:
        s = self.session
        d, prep = s.data, s.prep
        lesson = None
        if s.settings.lesson is not None:
            lesson = {"name": s.settings.lesson, **lesson_text(s.settings.lesson, s.settings.lang)}
        return {
            "data": d.name, "description": d.meta.get("description", ""), "task": d.task,
            "n_features": d.n_features, "feature_names": list(d.feature_names),
            "target_name": d.target_name, "classes": [str(c) for c in d.classes or []],
            "n_train": int(prep.X_train.shape[0]),
            "n_val": 0 if prep.X_val is None else int(prep.X_val.shape[0]),
            "n_test": 0 if prep.X_test is None else int(prep.X_test.shape[0]),
            "model": s.kind, "loss": s.loss, "engine": s.engine.name,
            "optimizer": s.cfg.optimizer, "rule": s.cfg.rule(), "batch_size": s.batch_size,
            "bias": s.cfg.bias, "shuffle": s.cfg.shuffle, "l1": s.cfg.l1, "l2": s.cfg.l2,
            "n_batches": s.n_batches, "epochs": s.cfg.epochs, "n_params": s.n_params,
            "standardized": prep.standardizer is not None,
            "initial_loss": _finite(s.initial_loss),
            "notes": list(s.notes), "lesson": lesson, "lang": s.settings.lang,
            "facts": data_facts(s.settings.data),
            "param_names": s.names if s.n_params <= MAX_NAMED_PARAMS else None,
            "pair": list(s.pair),
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
        """The surface panel as it is now, with the whole path (see :mod:`gdlab.web.surface`)."""
        return self.surface_panel.snapshot()

    # --- after every frame ------------------------------------------------------------------
    def frame(self, *, fresh: bool = False) -> dict:
        """What changed: new updates, path points and epochs; parameters, fit, metrics and
        the latest update now. A new surface comes along when the one on the page is out
        of date (the path left its window; a slice that moved, at once when ``fresh``)."""
        s = self.session
        pending = s.take_pending()
        frame = {
            **pending,
            "path": self.surface_panel.new_points(),
            "step": s.state.step, "epoch": s.state.epoch, "status": s.status,
            "message": s.message, "notice": s.notice, "lr": s.lr, "next_lr": s.next_epoch_lr,
            "params": self.params(), "fit": self.fit(), "metrics": self.metrics(),
        }
        last = s.last
        if last is not None and last is not self._described:
            frame["update"] = updates.describe(s, last, self.names)
            self._described = last
        surface = self.surface_panel.refreshed(fresh=fresh)
        if surface is not None:
            frame["surface"] = surface
        return frame

    def params(self) -> dict:
        s = self.session
        values = s.params()
        if values.size > MAX_SHOWN_PARAMS:
            return {"count": int(values.size), "names": None, "values": None, "data_units": None}
        return {"count": int(values.size), "names": self.names,
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
        pred, proba = {}, {}
        for split, X in (("train", sp.X_train), ("val", sp.X_val), ("test", sp.X_test)):
            if X is None:
                continue
            out = self._outputs(X)
            if s.task == "regression":
                pred[split] = [_finite(v) for v in out[:, 0].tolist()]
            else:
                pred[split] = (out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0)
                               ).astype(int).tolist()
            if s.task == "binary":  # P(class 1) of each row: how well the model separates them
                proba[split] = np.round(self._proba(X)[:, -1], 5).tolist()
        return {"kind": "rows", "pred": pred, **({"proba": proba} if proba else {})}

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

