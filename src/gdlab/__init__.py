"""gdlab: linear neural networks trained by gradient descent, on PyTorch.

>>> import gdlab
>>> data = gdlab.load("synthetic-linear", n=1000, seed=0)
>>> run = gdlab.train(gdlab.LinearRegression(2), data, optimizer="minibatch",
...                   batch_size=10, lr=0.03, epochs=3, seed=0, quiet=True)

The names below are imported when first used, so ``import gdlab`` (and the command
line, which parses its flags first) does not load PyTorch until it is needed.
"""

from __future__ import annotations

import importlib
import sys
import types

from .errors import DivergedError, GdlabError, SettingError

__version__ = "0.1.0"

_LAZY = {
    "Callback": "gdlab.callbacks",
    "Dataset": "gdlab.data",
    "LivePlot": "gdlab.live",
    "LinearRegression": "gdlab.models",
    "LogisticRegression": "gdlab.models",
    "MLP": "gdlab.models",
    "Run": "gdlab.run",
    "SoftmaxRegression": "gdlab.models",
    "TrainConfig": "gdlab.config",
    "load": "gdlab.data",
    "load_run": "gdlab.checkpoint",
    "save": "gdlab.checkpoint",
}

__all__ = ["DivergedError", "GdlabError", "SettingError", "__version__", "train", *sorted(_LAZY)]


class _Package(types.ModuleType):
    """``gdlab.train`` is the function, even after the module ``gdlab.train`` is imported
    (which the import system records as an attribute of its package)."""

    @property
    def train(self):
        return importlib.import_module("gdlab.train").train

    @train.setter
    def train(self, _module) -> None:
        pass  # the submodule stays reachable as sys.modules["gdlab.train"]


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gdlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"train"})
