"""scikit-learn estimators on gdlab's trainer: :class:`GDRegressor` and :class:`GDClassifier`.

They follow the scikit-learn estimator contract (``__init__`` only stores its keyword
arguments, parameter constraints declared as data, ``validate_data`` on input, learned
attributes ending in ``_``, ``fit`` returns ``self``, ``ConvergenceWarning`` at the epoch
limit) and pass ``sklearn.utils.estimator_checks`` (see tests/test_sklearn_checks.py).

>>> from gdlab.sklearn import GDRegressor, GDClassifier
"""

from __future__ import annotations

from .classifier import GDClassifier
from .regressor import GDRegressor

__all__ = ["GDClassifier", "GDRegressor"]
