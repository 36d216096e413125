"""Standardization: x' = (x − μ) / σ per feature, fitted on training rows only."""

from __future__ import annotations

import numpy as np

from gdlab.errors import GdlabError


class Standardizer:
    """Scale each feature to mean 0 and standard deviation 1.

    ``μ`` and ``σ`` are the mean and population standard deviation (``ddof=0``) of the
    rows given to :meth:`fit`; a constant column has ``σ = 0``, stored as 1 so the
    column passes through centred.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
        σ, with zeros replaced by 1.

    Examples
    --------
    >>> s = Standardizer().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> s.transform(np.array([[3.0, 5.0]])).tolist()
    [[1.0, 0.0]]
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """Compute ``μ`` and ``σ`` from ``X`` of shape (n_samples, n_features); return self."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise GdlabError(f"Standardizer.fit needs a non-empty 2-D array, got shape {X.shape}")
        if np.isnan(X).any():  # raw-coded data must go through the Preprocessor first
            row, j = (int(i) for i in np.argwhere(np.isnan(X))[0])
            raise GdlabError(
                f"Standardizer.fit: training row {row}, column {j} is missing (NaN); fill missing "
                "cells first (gdlab.data.Preprocessor)"
            )
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)  # population std (ddof=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def _fitted(self, n_features: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        if self.mean_ is None or self.scale_ is None:
            raise GdlabError("the Standardizer is not fitted; call fit(X_train) first")
        if n_features is not None and n_features != self.mean_.size:
            raise GdlabError(
                f"the Standardizer was fitted on {self.mean_.size} features, got {n_features}"
            )
        return self.mean_, self.scale_

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return ``(X − μ) / σ``, shape (n_samples, n_features)."""
        X = np.asarray(X, dtype=np.float64)
        mean, scale = self._fitted(X.shape[-1])
        return (X - mean) / scale

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Return ``Z·σ + μ``: standardized rows back in original units."""
        Z = np.asarray(Z, dtype=np.float64)
        mean, scale = self._fitted(Z.shape[-1])
        return Z * scale + mean

    def unscale_linear(self, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Express a linear layer fitted on standardized inputs in original units.

        With ``z = (x − μ)/σ``, ``W z + b = (W/σ) x + (b − (W/σ) μ)``, so the layer in
        original units has ``W' = W / σ`` (column-wise) and ``b' = b − W' μ``.

        Parameters
        ----------
        weight : ndarray of shape (n_outputs, n_features) or (n_features,)
        bias : ndarray of shape (n_outputs,) or scalar

        Returns
        -------
        weight, bias : ndarray
            Same shapes as given, float64.
        """
        weight = np.asarray(weight, dtype=np.float64)
        bias = np.asarray(bias, dtype=np.float64)
        mean, scale = self._fitted(weight.shape[-1])
        with np.errstate(invalid="ignore", over="ignore"):  # a diverged run's inf stays inf/NaN
            w = weight / scale  # (k, d) / (d,) -> (k, d)
            b = bias - w @ mean  # (k,) - (k, d) @ (d,) -> (k,)
        return w, b

    def to_dict(self) -> dict[str, list[float]]:
        """``{"mean": [...], "std": [...]}`` as plain lists (for JSON)."""
        mean, scale = self._fitted()
        return {"mean": mean.tolist(), "std": scale.tolist()}

    @classmethod
    def from_dict(cls, state: dict) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`to_dict`'s output."""
        try:
            mean = np.asarray(state["mean"], dtype=np.float64)
            scale = np.asarray(state["std"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as err:
            raise GdlabError(
                f"bad standardization record (need 'mean' and 'std' lists): {err}"
            ) from None
        if mean.ndim != 1 or mean.shape != scale.shape or np.any(scale <= 0):
            raise GdlabError(
                "bad standardization record: 'mean' and 'std' must be lists of equal length "
                "with std > 0"
            )
        standardizer = cls()
        standardizer.mean_, standardizer.scale_ = mean, scale
        return standardizer
