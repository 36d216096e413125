"""GDRegressor: linear regression (or an MLP) trained by gradient descent, scikit-learn style."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import validate_data

from ._base import COMMON_ATTRIBUTES, COMMON_PARAMETERS, FLOATS, SPARSE, BaseGD, dense


class GDRegressor(RegressorMixin, BaseGD):
    """Least-squares regression trained by gradient descent on gdlab's engines.

    With ``hidden_layer_sizes=()`` the model is ŷ = x wᵀ + b, trained on (``loss="mse"``)::

        J(w, b) = (1/n) Σᵢ (ŷᵢ − yᵢ)² + (α/2)‖w‖²
        ∂J/∂w   = (2/n) Σᵢ (ŷᵢ − yᵢ) xᵢ + α w,    ∂J/∂b = (2/n) Σᵢ (ŷᵢ − yᵢ)

    ``loss="half-mse"`` halves the first term (d2l's squared loss), and so its gradient.

    Parameters
    ----------
    loss : {"mse", "half-mse"}, default="mse"
        Squared error, mean over the batch; ``half-mse`` is ½(ŷ − y)² (half the gradient).
    {common_parameters}

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Weights w of a linear model (not available for an MLP: see ``coefs_``).
    intercept_ : ndarray of shape (1,)
        Bias b of a linear model.
    {common_attributes}

    See Also
    --------
    GDClassifier : logistic and softmax regression the same way.
    gdlab.train : the same training on gdlab's own data sets, with run folders.

    Notes
    -----
    ``sample_weight`` weighs each row's loss (only ratios matter): weights that are small
    whole multiples of one another repeat rows, so the fit equals a fit on the repeated
    rows exactly; any other weights are row weights in every batch's weighted mean. Input is not standardized: use a
    ``Pipeline`` with ``StandardScaler`` for features on different scales.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.sklearn import GDRegressor
    >>> X = np.array([[1.0], [2.0], [3.0]]); y = 2 * X[:, 0]
    >>> reg = GDRegressor(optimizer="gd", lr=0.1, max_iter=2000, tol=None, alpha=0.0,
    ...                   random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 3), np.round(reg.predict([[4.0]]), 3)
    (array([2.]), array([8.]))
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseGD._parameter_constraints,
        "loss": [StrOptions({"mse", "half-mse"})],
    }

    def __init__(
        self,
        *,
        loss="mse",
        hidden_layer_sizes=(),
        activation="relu",
        optimizer="minibatch",
        lr="auto",
        learning_rate="constant",
        power_t=0.5,
        lr_step=10,
        lr_gamma=0.5,
        batch_size=None,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        alpha=0.0001,
        penalty="l2",
        l1_ratio=0.15,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        engine="auto",
        device="cpu",
        dtype="float64",
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.lr = lr
        self.learning_rate = learning_rate
        self.power_t = power_t
        self.lr_step = lr_step
        self.lr_gamma = lr_gamma
        self.batch_size = batch_size
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.alpha = alpha
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.engine = engine
        self.device = device
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _architecture(self, n_classes):
        kind = "mlp" if self._hidden() else "linear"
        return kind, self.loss, 1, "regression"

    def _val_score(self, entry: dict, y_val: np.ndarray) -> float:
        """R² on the validation rows: 1 − MSE / Var(y), from the entry's validation loss."""
        mse = entry["val_loss"] * (2.0 if self.loss == "half-mse" else 1.0)
        var = float(np.var(y_val))
        if var == 0.0:  # scikit-learn's r2_score convention for a constant target
            return 1.0 if mse == 0.0 else 0.0
        return 1.0 - mse / var

    def _layout_coef(self, w: np.ndarray) -> np.ndarray:
        return w[:, 0].copy()  # (n_features, 1) -> (n_features,)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train for up to ``max_iter`` epochs (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, ≥ 0 (see Notes).

        Returns
        -------
        self : GDRegressor
        """
        X, y = validate_data(self, X, y, dtype=FLOATS, y_numeric=True, accept_sparse=SPARSE)
        X = dense(X)
        return self._fit(X, np.asarray(y, dtype=np.float64), sample_weight, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train one epoch on (X, y), continuing the weights, optimizer state and schedule.

        ``tol`` and ``early_stopping`` do not apply: the caller decides when to stop.

        Returns
        -------
        self : GDRegressor
        """
        first = not hasattr(self, "model_")
        X, y = validate_data(self, X, y, dtype=FLOATS, y_numeric=True, reset=first, accept_sparse=SPARSE)
        X = dense(X)
        return self._fit(X, np.asarray(y, dtype=np.float64), sample_weight, partial=True)

    def predict(self, X) -> np.ndarray:
        """Predicted values ŷ, ndarray of shape (n_samples,)."""
        return self._forward(X)[:, 0]


GDRegressor.__doc__ = GDRegressor.__doc__.replace(
    "{common_parameters}", COMMON_PARAMETERS
).replace("{common_attributes}", COMMON_ATTRIBUTES)
