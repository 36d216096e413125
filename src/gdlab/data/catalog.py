"""What ``gdlab datasets`` lists: the built-in data sets' facts, without building them.

Listing the built-ins must not load scikit-learn (several sets come from it) or PyTorch,
so the command line starts at once; the facts are written down here, once, and a test
builds every set and checks them (tests/test_data.py).
"""

from __future__ import annotations

from typing import NamedTuple


class Facts(NamedTuple):
    """One built-in data set at its default settings."""

    n_samples: int
    n_features: int
    task: str
    n_classes: int  # 0 for regression
    target: str  # the target column's name, as ``export_builtin`` writes it
    description: str


BUILTINS: dict[str, Facts] = {
    "synthetic-linear": Facts(1000, 2, "regression", 0, "y",
                              "d2l 3.2: y = Xw + b + noise, w=[2,-3.4], b=4.2, noise N(0, 0.01²)"),
    "toy-1d": Facts(3, 1, "regression", 0, "y", "Liu Er lecture 3: x = [1, 2, 3], y = 2x"),
    "line-1d": Facts(60, 1, "regression", 0, "y",
                     "Coursera PyTorch module 2: y = x - 1 + N(0, 0.1²), x from -3 to 2.9 by 0.1"),
    "classification": Facts(1000, 4, "binary", 2, "y",
                            "seed-004: make_classification, 4 features (2 informative), random_state=42"),
    "blobs": Facts(300, 2, "multiclass", 3, "y", "3 Gaussian blobs in 2-D"),
    "moons": Facts(200, 2, "binary", 2, "y", "two interleaving half circles, noise 0.2"),
    "circles": Facts(200, 2, "binary", 2, "y", "a circle inside a circle, noise 0.1, factor 0.5"),
    "xor": Facts(200, 2, "binary", 2, "y", "XOR of the signs of x1 and x2, jitter 0.1"),
    "diabetes": Facts(442, 10, "regression", 0, "progression",
                      "scikit-learn: disease progression from 10 baseline features"),
    "breast-cancer": Facts(569, 30, "binary", 2, "diagnosis",
                           "scikit-learn: malignant or benign tumour from 30 features"),
    "iris": Facts(150, 4, "multiclass", 3, "species",
                  "scikit-learn: iris species from 4 flower measurements"),
    "wine": Facts(178, 13, "multiclass", 3, "cultivar",
                  "scikit-learn: wine cultivar from 13 chemical measurements"),
    "digits": Facts(1797, 64, "multiclass", 10, "digit",
                    "scikit-learn: 8x8 digit images (64 pixels, 0-16); the catvnoncat stand-in"),
}


def list_datasets() -> list[dict]:
    """Every built-in data set at its default settings: ``name``, ``n_samples``,
    ``n_features``, ``task``, ``n_classes`` (0 for regression), ``target`` and
    ``description``.

    Examples
    --------
    >>> [d["name"] for d in list_datasets()][:2]
    ['synthetic-linear', 'toy-1d']
    """
    return [{"name": name, **facts._asdict()} for name, facts in BUILTINS.items()]
