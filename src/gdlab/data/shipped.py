"""The data sets scikit-learn ships inside its package (read from local files, no network)."""

from __future__ import annotations

import numpy as np
from sklearn import datasets as skd

from gdlab.data.dataset import Dataset


def _wrap(bunch, name: str, target_name: str, *, classes: list | None) -> Dataset:
    """Turn a scikit-learn ``Bunch`` into a Dataset; ``classes[i]`` names label ``i``."""
    X = np.asarray(bunch.data, dtype=np.float64)
    if classes is None:
        return Dataset(
            X,
            np.asarray(bunch.target, dtype=np.float64),
            [str(f) for f in bunch.feature_names],
            target_name=target_name,
            task="regression",
            name=name,
        )
    return Dataset(
        X,
        np.asarray(bunch.target, dtype=np.int64),
        [str(f) for f in bunch.feature_names],
        target_name=target_name,
        task="binary" if len(classes) == 2 else "multiclass",
        classes=classes,
        name=name,
    )


def diabetes() -> Dataset:
    """442 patients, 10 (centred, scaled) baseline features; target: disease progression."""
    return _wrap(skd.load_diabetes(), "diabetes", "progression", classes=None)


def breast_cancer() -> Dataset:
    """569 tumours, 30 features; classes in scikit-learn's order: malignant (0), benign (1)."""
    bunch = skd.load_breast_cancer()
    return _wrap(bunch, "breast-cancer", "diagnosis", classes=[str(c) for c in bunch.target_names])


def iris() -> Dataset:
    """150 flowers, 4 measurements (cm); classes setosa, versicolor, virginica."""
    bunch = skd.load_iris()
    return _wrap(bunch, "iris", "species", classes=[str(c) for c in bunch.target_names])


def wine() -> Dataset:
    """178 wines, 13 chemical measurements; classes class_0, class_1, class_2 (cultivars)."""
    bunch = skd.load_wine()
    return _wrap(bunch, "wine", "cultivar", classes=[str(c) for c in bunch.target_names])


def digits() -> Dataset:
    """1797 handwritten digits, 8×8 images unrolled to 64 pixels (0–16); classes 0–9."""
    bunch = skd.load_digits()
    return _wrap(bunch, "digits", "digit", classes=[int(c) for c in bunch.target_names])
