"""GDClassifier: logistic / softmax regression (or an MLP) by gradient descent, scikit-learn style."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from ..models import predict_proba
from ._base import COMMON_ATTRIBUTES, COMMON_PARAMETERS, FLOATS, SPARSE, BaseGD, dense


class GDClassifier(ClassifierMixin, BaseGD):
    """Logistic regression (two classes) or softmax regression (more) by gradient descent.

    For two classes the model is P(y = classes_[1] | x) = σ(z), z = x wᵀ + b, trained on
    the mean binary cross-entropy (``loss="bce"``)::

        J(w, b) = −(1/n) Σᵢ [yᵢ log σ(zᵢ) + (1 − yᵢ) log(1 − σ(zᵢ))] + (α/2)‖w‖²
        ∂J/∂w   = (1/n) Σᵢ (σ(zᵢ) − yᵢ) xᵢ + α w

    For k > 2 classes the k logits z = x Wᵀ + b give P = softmax(z), and the loss is the
    cross-entropy −log P_y (``loss="cross-entropy"``), with ∂J/∂W = (P − Y)ᵀ X / n + α W
    (Y one-hot).

    Parameters
    ----------
    loss : {"log_loss", "bce", "cross-entropy"}, default="log_loss"
        ``log_loss`` picks ``bce`` (one logit, sigmoid) for two classes and
        ``cross-entropy`` (k logits, softmax) for more; ``cross-entropy`` uses k logits
        even for two classes; ``bce`` needs exactly two classes.
    {common_parameters}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss: None (all 1), ``"balanced"`` (class c weighs
        n / (k · n_c) on the rows given to ``fit``, as scikit-learn defines it), or a dict
        from class label to weight (classes not named weigh 1). They multiply any
        ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    coef_ : ndarray of shape (1, n_features) or (n_logits, n_features)
        Weights of a linear model (not available for an MLP: see ``coefs_``).
    intercept_ : ndarray of shape (1,) or (n_logits,)
        Biases of a linear model.
    {common_attributes}

    See Also
    --------
    GDRegressor : least squares the same way.

    Notes
    -----
    ``sample_weight`` weighs each row's loss (only ratios matter): weights that are small
    whole multiples of one another repeat rows, so the fit equals a fit on the repeated
    rows exactly; any other weights are row weights in every batch's weighted mean. ``validation_scores_`` are accuracies.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from gdlab.sklearn import GDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), GDClassifier(random_state=0)).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    """

    _parameter_constraints: ClassVar[dict] = {
        **BaseGD._parameter_constraints,
        "loss": [StrOptions({"log_loss", "bce", "cross-entropy"})],
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        *,
        loss="log_loss",
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
        class_weight=None,
    ):
        self.class_weight = class_weight
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
        name = type(self).__name__
        if n_classes < 2:
            raise ValueError(f"{name} needs at least 2 classes, got {n_classes} class")
        if self.loss == "bce" and n_classes != 2:
            raise ValueError(
                f"{name}: loss='bce' needs exactly 2 classes, got {n_classes}; "
                "use loss='log_loss' or 'cross-entropy'"
            )
        softmax = self.loss == "cross-entropy" or n_classes > 2
        kind = "mlp" if self._hidden() else ("softmax" if softmax else "logistic")
        if softmax:
            return kind, "cross-entropy", n_classes, "multiclass"
        return kind, "bce", 1, "binary"

    def _val_score(self, entry: dict, y_val: np.ndarray) -> float:
        return entry["val_accuracy"]  # accuracy on the validation rows

    def _class_weights(self, y: np.ndarray, classes) -> np.ndarray | None:
        """Each row's weight under ``class_weight``: "balanced" gives class c the weight
        n / (k · n_c) as scikit-learn defines it; a dict maps labels to weights (others 1)."""
        if self.class_weight is None:
            return None
        n_classes = len(classes)
        if self.class_weight == "balanced":
            counts = np.bincount(y, minlength=n_classes).astype(np.float64)
            present = counts > 0
            per_class = np.ones(n_classes)
            per_class[present] = len(y) / (present.sum() * counts[present])
            return per_class[y]
        per_class = np.ones(n_classes)
        labels = {str(c): i for i, c in enumerate(np.asarray(classes).tolist())}
        for label, weight in self.class_weight.items():
            key = str(label)
            if key not in labels:
                raise ValueError(f"{type(self).__name__}: class_weight names {label!r}, which is "
                                 f"not a class of y ({', '.join(labels)})")
            if not (isinstance(weight, int | float) and np.isfinite(weight) and weight >= 0):
                raise ValueError(f"{type(self).__name__}: class_weight[{label!r}] must be a "
                                 f"number ≥ 0, got {weight!r}")
            per_class[labels[key]] = float(weight)
        return per_class[y]

    def _classes(self, y) -> np.ndarray:
        check_classification_targets(y)
        return np.unique(y)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train for up to ``max_iter`` epochs (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (any sortable values).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, ≥ 0 (see Notes).

        Returns
        -------
        self : GDClassifier
        """
        X, y = validate_data(self, X, y, dtype=FLOATS, accept_sparse=SPARSE)
        X = dense(X)
        classes = self._classes(y)
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes to train, got 1 class "
                f"({classes[0].tolist()!r})"
            )
        if self.warm_start and hasattr(self, "classes_") and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True needs the classes of the previous fit {self.classes_.tolist()}, "
                f"got {classes.tolist()}; set warm_start=False to start afresh"
            )
        return self._fit(X, np.searchsorted(classes, y), sample_weight, partial=False, classes=classes)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one epoch on (X, y), continuing the weights, optimizer state and schedule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class label that will ever occur; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GDClassifier
        """
        first = not hasattr(self, "model_")
        if classes is not None:
            given = self._classes(np.asarray(classes))
            if not first and not np.array_equal(given, self.classes_):
                raise ValueError(
                    f"classes={given.tolist()} differs from the classes of earlier calls "
                    f"{self.classes_.tolist()}"
                )
        elif first:
            raise ValueError("classes must be passed on the first call to partial_fit")
        classes = given if first else self.classes_
        X, y = validate_data(self, X, y, dtype=FLOATS, reset=first, accept_sparse=SPARSE)
        X = dense(X)
        check_classification_targets(y)
        unknown = np.setdiff1d(y, classes)
        if unknown.size:
            raise ValueError(
                f"y contains labels not in classes {classes.tolist()}: {unknown[:5].tolist()}"
            )
        return self._fit(X, np.searchsorted(classes, y), sample_weight, partial=True, classes=classes)

    def decision_function(self, X) -> np.ndarray:
        """Logits: shape (n_samples,) for two classes (> 0 means classes_[1]), else
        (n_samples, n_classes)."""
        out = self._forward(X)
        if out.shape[1] == 1:
            return out[:, 0]
        if out.shape[1] == 2:  # two softmax logits: only their difference matters
            return out[:, 1] - out[:, 0]
        return out

    @torch.no_grad()
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), rows summing to 1."""
        out = torch.from_numpy(self._forward(X))
        return predict_proba(lambda z: z, out).numpy()

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Predicted class labels, shape (n_samples,)."""
        d = self.decision_function(X)
        idx = (d > 0).astype(np.int64) if d.ndim == 1 else d.argmax(axis=1)
        return self.classes_[idx]


GDClassifier.__doc__ = GDClassifier.__doc__.replace(
    "{common_parameters}", COMMON_PARAMETERS
).replace("{common_attributes}", COMMON_ATTRIBUTES)
