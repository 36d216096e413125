"""The result of a training run: plain data plus the trained model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .models import predict_proba


@dataclass(repr=False)
class Run:
    """What ``gdlab.train`` returns and ``gdlab.load_run`` reads back.

    Attributes
    ----------
    model : nn.Module
        The trained model as a plain module: it takes the *encoded and standardized*
        inputs (one-hot columns, filled cells, ``standardizer`` applied), not the raw
        table; :meth:`predict` and :meth:`predict_proba` take raw rows and do that first.
    history : list of dict
        One dict per epoch: epoch, train_loss, val_loss, lr, grad_norm, seconds, and for
        classifiers accuracy and val_accuracy.
    metrics : dict
        The contents of metrics.json (DESIGN.md).
    config : dict
        Every resolved setting.
    steps : list of dict or None
        The batch loss of each update: {"step", "epoch" (fractional), "loss"}.
    path : ndarray of shape (n_updates + 1, n_params) or None
        The parameters after each update (first row: the start), with ``record_path``.
    """

    model: nn.Module
    history: list[dict]
    metrics: dict
    config: dict
    task: str
    feature_names: list[str]
    target_name: str = "y"
    classes: list | None = None
    standardizer: object | None = None
    steps: list[dict] | None = None
    path: np.ndarray | None = None
    initial_loss: float | None = None
    notes: list[str] = field(default_factory=list)
    status: str | None = None  # how a loaded run ended (model.json), when known
    preprocessor: object | None = None  # gdlab.data.Preprocessor: filling and one-hot encoding

    @property
    def input_names(self) -> list[str]:
        """The raw columns :meth:`predict` takes, in order (before one-hot encoding)."""
        prep = self.preprocessor
        if prep is not None and getattr(prep, "columns", None) is not None:
            return [c.name for c in prep.columns]
        return list(self.feature_names)

    # --- how a run shows itself (gdlab.display): one line in a terminal, a summary and the
    # loss plot in Jupyter; never the whole history
    def __repr__(self) -> str:
        from .display import run_repr

        return run_repr(self)

    def _repr_pretty_(self, p, cycle: bool) -> None:  # IPython's terminal
        p.text(repr(self))

    def _repr_html_(self) -> str:
        from .display import run_html

        return run_html(self)

    @property
    def stopped_reason(self) -> str | None:
        return self.metrics.get("stopped_reason", self.status)

    def history_frame(self):
        """The history as a pandas DataFrame, one row per epoch."""
        import pandas as pd

        return pd.DataFrame(self.history)

    def encode(self, X) -> np.ndarray:
        """Raw rows (an array as ``load_features`` gives it, or a DataFrame) as the model's
        input columns: cells filled and categories one-hot (before standardization)."""
        X = self._coded(X)
        return self.preprocessor.transform(X) if self.preprocessor is not None else X

    def _tensor(self, X, *, encoded: bool = False) -> torch.Tensor:
        X = np.asarray(X, dtype=np.float64) if encoded else self.encode(X)
        if self.standardizer is not None:
            X = self.standardizer.transform(X)
        p = next(self.model.parameters())
        return torch.as_tensor(X, dtype=p.dtype, device=p.device)

    def _coded(self, X) -> np.ndarray:
        """Raw rows as the preprocessor takes them: a DataFrame's columns by name (a dict of
        columns, or a Series as one row, likewise), coded as ``gdlab predict`` codes a file's
        (:func:`gdlab.data.features.code_frame`), or an array of numbers as it is."""
        from .errors import GdlabError

        if isinstance(X, dict) or (hasattr(X, "index") and hasattr(X, "to_frame") and not hasattr(X, "columns")):
            import pandas as pd

            X = pd.DataFrame(X) if isinstance(X, dict) else X.to_frame().T  # a Series: one row
        if not (hasattr(X, "columns") and hasattr(X, "iloc")):  # not a pandas DataFrame
            return self._numbers(X)
        from .data.columns import Column
        from .data.features import code_frame

        prep = self.preprocessor
        columns = list(prep.columns) if prep is not None and getattr(prep, "columns", None) else \
            [Column(name) for name in self.input_names]
        twice = sorted({str(c) for c in X.columns[X.columns.duplicated()]})
        if twice:
            raise GdlabError(f"the rows name the column(s) {', '.join(map(repr, twice))} more than once")
        missing = [c.name for c in columns if c.name not in X.columns]
        if missing:
            raise GdlabError(f"the rows lack the column(s) {', '.join(map(repr, missing))} "
                             f"the model was trained on ({', '.join(c.name for c in columns)})")
        strict = prep is None or prep.columns is None or prep.impute == "none"
        coded, _unseen, problem = code_frame(X, columns, strict=strict)
        if problem:
            row, name, what = problem
            label = X.index[row]
            label = label.item() if hasattr(label, "item") else label
            raise GdlabError(f"row {row} (index {label!r}), column {name!r}: {what}")
        return coded

    def _numbers(self, X) -> np.ndarray:
        """An array of raw-coded rows, checked: numbers, one column per training column, and
        no missing cell where nothing fills it."""
        from .errors import GdlabError

        d = len(self.input_names)
        try:
            A = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise GdlabError(
                f"the rows must be numbers (an array of n × {d}) or a pandas DataFrame with the "
                f"training columns ({', '.join(self.input_names[:8])}{', …' if d > 8 else ''}), "
                f"whose categories may be text; got {type(X).__name__} holding something else") from None
        if A.ndim == 2 and A.shape[1] != d:
            raise GdlabError(f"the rows have {A.shape[1]} column(s); the model was trained on {d} "
                             f"({', '.join(self.input_names[:8])}{', …' if d > 8 else ''})")
        fills = self.preprocessor is not None and self.preprocessor.columns is not None \
            and self.preprocessor.impute != "none"
        if A.ndim == 2 and not fills and np.isnan(A).any():
            row, j = (int(i) for i in np.argwhere(np.isnan(A))[0])
            raise GdlabError(f"row {row}, column {self.input_names[j]!r}: missing value (NaN), "
                             "and this model has nothing to fill it with")
        return A

    @torch.no_grad()
    def decision(self, X, *, encoded: bool = False) -> np.ndarray:
        """Raw model outputs (predictions or logits) for raw feature rows X, shape (n, k)
        (``encoded=True``: X is already in the model's columns, see :meth:`encode`)."""
        return self.model(self._tensor(X, encoded=encoded)).double().cpu().numpy()

    @torch.no_grad()
    def predict_proba(self, X, *, encoded: bool = False) -> np.ndarray:
        """Class probabilities for raw feature rows X, shape (n, n_classes)."""
        if self.task == "regression":
            from .errors import GdlabError

            raise GdlabError("predict_proba is for classifiers; this run is a regression (use predict)")
        return predict_proba(self.model, self._tensor(X, encoded=encoded)).double().cpu().numpy()

    def predict(self, X, *, encoded: bool = False) -> np.ndarray:
        """Predictions for raw feature rows X: values (regression) or class labels."""
        if self.task == "regression":
            out = self.decision(X, encoded=encoded)
            return out[:, 0] if out.shape[1] == 1 else out
        idx = self.predict_proba(X, encoded=encoded).argmax(axis=1)
        return np.asarray(self.classes, dtype=object)[idx]
