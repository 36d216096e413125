"""gdlab: linear neural networks trained by gradient descent, on PyTorch.

>>> import gdlab
>>> data = gdlab.load("synthetic-linear", n=1000, seed=0)
>>> run = gdlab.train(gdlab.LinearRegression(2), data, optimizer="minibatch",
...                   batch_size=10, lr=0.03, epochs=3, seed=0, quiet=True)
"""

from __future__ import annotations

from .checkpoint import load_run, save
from .data import Dataset, load
from .errors import DivergedError, GdlabError
from .models import MLP, LinearRegression, LogisticRegression, SoftmaxRegression
from .run import Run
from .train import Callback, train

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Callback",
    "Dataset",
    "DivergedError",
    "GdlabError",
    "LinearRegression",
    "LogisticRegression",
    "Run",
    "SoftmaxRegression",
    "__version__",
    "load",
    "load_run",
    "save",
    "train",
]
