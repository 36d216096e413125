"""scikit-learn's own estimator checks over GDRegressor and GDClassifier.

Each estimator runs the full suite twice: with its defaults (a linear model) and as an
MLP. A check listed in :func:`expected_failed_checks` is marked xfail (strictly: it must
fail); every other check must pass, with warnings as errors (pyproject.toml).
"""

from __future__ import annotations

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import one_torch_thread
from gdlab.sklearn import GDClassifier, GDRegressor

# The MLPs get lr=0.01 (lr="auto" caps η at 0.001 with hidden layers, slow enough that
# some random initial weights need more than max_iter epochs on the checks' 20-row sets,
# and warnings are errors here) and a fixed random_state, so the suite is deterministic.
ESTIMATORS = [
    GDRegressor(),
    GDClassifier(),
    GDRegressor(hidden_layer_sizes=(8,), activation="tanh", lr=0.01, random_state=0),
    GDClassifier(hidden_layer_sizes=(8,), activation="tanh", random_state=0),
]

@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


def expected_failed_checks(estimator) -> dict[str, str]:
    """The checks each estimator is known to fail, with the reason: none.

    ``check_sample_weight_equivalence_on_dense_data`` passes because whole-number weights
    are honoured by repeating rows and the check's ~30 repeated rows fit in one batch of
    32. On data larger than a batch, the weighted rows are shuffled differently from the
    repeated ones, so mini-batch fits agree only in expectation (as for SGDRegressor).
    """
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
