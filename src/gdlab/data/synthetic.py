"""Synthetic data sets: the ones in the course notes and the classic 2-D toys.

Every generator is a pure function of its keyword settings and ``seed``: the same
settings give the same rows. Settings may be numbers or numeric strings; a bad value
raises :class:`~gdlab.errors.GdlabError` naming it.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_blobs, make_circles, make_classification, make_moons

from gdlab.data.checks import (
    check_count,
    check_non_negative,
    check_number,
    check_open_unit,
    check_seed,
    check_vector,
)
from gdlab.data.dataset import Dataset

# seed-004 calls make_classification(..., random_state=42); that is this set's default.
CLASSIFICATION_SEED = 42


def _names(d: int) -> list[str]:
    return [f"x{j + 1}" for j in range(d)]


def _regression(
    name: str, X: np.ndarray, y: np.ndarray, w: list, b: float, names: list[str] | None = None
) -> Dataset:
    return Dataset(
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.float64),
        feature_names=names or _names(X.shape[1]),
        target_name="y",
        task="regression",
        name=name,
        meta={"true_w": [float(v) for v in w], "true_b": float(b)},
    )


def _classification(name: str, X: np.ndarray, y: np.ndarray, n_classes: int) -> Dataset:
    """Wrap integer labels ``0..n_classes-1``; the labels are their own class names."""
    return Dataset(
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.int64),
        feature_names=_names(X.shape[1]),
        target_name="y",
        task="binary" if n_classes == 2 else "multiclass",
        classes=list(range(n_classes)),
        name=name,
    )


def synthetic_linear(
    *, n: int = 1000, w: object = (2.0, -3.4), b: float = 4.2, noise: float = 0.01, seed: int = 0
) -> Dataset:
    """The d2l 3.2 regression set: ``y = Xw + b + ε``.

    ``X ~ N(0, 1)`` of shape ``(n, len(w))`` and ``ε ~ N(0, noise²)``. The true ``w``
    and ``b`` are kept in ``meta["true_w"]`` and ``meta["true_b"]``.

    Examples
    --------
    >>> data = synthetic_linear(n=5, w=[1.0], b=0.0, noise=0.0)
    >>> data.X.shape, bool(np.allclose(data.y, data.X[:, 0]))
    ((5, 1), True)
    """
    n, w, b = check_count("n", n), check_vector("w", w), check_number("b", b)
    noise = check_non_negative("noise", noise)
    rng = np.random.default_rng(check_seed(seed))
    X = rng.normal(0.0, 1.0, size=(n, w.size))  # (n, d)
    y = X @ w + b + rng.normal(0.0, noise, size=n)  # (n, d) @ (d,) -> (n,)
    return _regression("synthetic-linear", X, y, list(w), b)


def toy_1d() -> Dataset:
    """Liu Er's lecture 3 data: ``x = [1, 2, 3]``, ``y = 2x``."""
    x = np.array([1.0, 2.0, 3.0])
    return _regression("toy-1d", x.reshape(-1, 1), 2.0 * x, [2.0], 0.0, names=["x"])


def line_1d(*, noise: float = 0.1, w: float = 1.0, b: float = -1.0, seed: int = 0) -> Dataset:
    """The Coursera module 2 line: ``y = w·x + b + ε`` with ``x`` from −3 to 2.9 by 0.1.

    60 points, as ``torch.arange(-3, 3, 0.1)`` gives; ``ε ~ N(0, noise²)``.
    """
    noise, w, b = check_non_negative("noise", noise), check_number("w", w), check_number("b", b)
    rng = np.random.default_rng(check_seed(seed))
    x = -3.0 + 0.1 * np.arange(60)  # torch.arange(-3, 3, 0.1): 60 points, 3 excluded
    y = w * x + b + rng.normal(0.0, noise, size=x.size)
    return _regression("line-1d", x.reshape(-1, 1), y, [w], b, names=["x"])


def classification(*, n: int = 1000, seed: int | None = None) -> Dataset:
    """seed-004's binary set: ``make_classification`` with 4 features, 2 informative.

    ``seed=None`` uses the notes' ``random_state=42``.
    """
    n = check_count("n", n, minimum=4)
    seed = CLASSIFICATION_SEED if seed is None else check_seed(seed)
    X, y = make_classification(
        n_samples=n, n_features=4, n_informative=2, n_redundant=0, random_state=seed
    )
    return _classification("classification", X, y, 2)


def blobs(*, n: int = 300, centers: int = 3, std: float = 1.0, seed: int = 0) -> Dataset:
    """Gaussian blobs in 2-D, one class per center (``make_blobs``)."""
    centers = check_count("centers", centers, minimum=2)
    n = check_count("n", n, minimum=centers)
    std = check_non_negative("std", std)
    X, y = make_blobs(
        n_samples=n, centers=centers, n_features=2, cluster_std=std, random_state=check_seed(seed)
    )
    return _classification("blobs", X, y, centers)


def moons(*, n: int = 200, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Two interleaving half circles (``make_moons``); not linearly separable."""
    n, noise = check_count("n", n, minimum=2), check_non_negative("noise", noise)
    X, y = make_moons(n_samples=n, noise=noise, random_state=check_seed(seed))
    return _classification("moons", X, y, 2)


def circles(*, n: int = 200, noise: float = 0.1, factor: float = 0.5, seed: int = 0) -> Dataset:
    """A small circle inside a large one (``make_circles``); ``factor`` is the radius ratio."""
    n, noise = check_count("n", n, minimum=2), check_non_negative("noise", noise)
    factor = check_open_unit("factor", factor)
    X, y = make_circles(n_samples=n, noise=noise, factor=factor, random_state=check_seed(seed))
    return _classification("circles", X, y, 2)


def xor(*, n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """XOR: points uniform in [−1, 1]², label 1 where ``x1`` and ``x2`` differ in sign.

    Labels come from the clean points; then each point moves by ``N(0, noise²)`` jitter,
    so with noise some points cross the axes.
    """
    n, noise = check_count("n", n, minimum=2), check_non_negative("noise", noise)
    rng = np.random.default_rng(check_seed(seed))
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    X = X + rng.normal(0.0, noise, size=X.shape)
    return _classification("xor", X, y, 2)
