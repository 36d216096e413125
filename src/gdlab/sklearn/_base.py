"""What GDRegressor and GDClassifier share: parameters, constraints and the fit.

The estimators are thin. They validate input with scikit-learn's own helpers, make a
:class:`gdlab.config.TrainConfig` from their parameters, build model, engine and feed
with :func:`gdlab.setup.build` — exactly what ``gdlab.train`` builds — and run the epoch
loop :func:`gdlab.train.fit`. Nothing is standardized here: put a ``StandardScaler`` in
front in a ``Pipeline``.

The objective, over the n training rows with weights wᵢ (1 without sample or class
weights), the penalty R over weight matrices W_l (never biases)::

    J(θ) = Σᵢ wᵢ ℓ(f_θ(xᵢ), yᵢ) / Σᵢ wᵢ + α R(W)
    R = ½‖W‖² ("l2"), ‖W‖₁ ("l1"), ρ‖W‖₁ + (1 − ρ)/2 ‖W‖² ("elasticnet", ρ = l1_ratio)

as scikit-learn's SGD estimators name them (L1 enters as its subgradient α·sign(W)).

and each update is θ ← θ − η_t · rule(∇J on a batch) (see ``gdlab.engines.base``).
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..callbacks import BestWeights, Callback, ProgressLog
from ..config import ACTIVATIONS, DEVICES, DTYPES, ENGINE_NAMES, OPTIMIZERS, SCHEDULES, TrainConfig
from ..data import Dataset, split_dataset
from ..data.split import Splits
from ..errors import GdlabError
from ..models import build_model
from ..setup import build
from ..train import TrainState, fit
from ._weights import as_multiplicities, checked_weights, repeat_rows

FLOATS = (np.float64, np.float32)  # accepted as they are; anything else becomes float64
SPARSE = ("csr", "csc", "coo")  # sparse input (a one-hot encoder's) is made dense, if it fits
DENSE_MEMORY_SHARE = 0.25  # of the available memory, at most, for a densified sparse X


def dense(X):
    """A sparse matrix as a dense array (the engines read dense rows), refused with one
    line when it would not fit in memory; a dense array as it is."""
    if not hasattr(X, "toarray"):
        return X
    from ..data.stream import available_memory

    need = X.shape[0] * X.shape[1] * X.dtype.itemsize
    if need > DENSE_MEMORY_SHARE * available_memory():
        raise ValueError(f"a sparse X of shape {X.shape} would need {need / 1e9:.1f} GB as a dense "
                         "array; gdlab's engines train on dense rows")
    return X.toarray()


class _ValidationScore(Callback):
    """Adds ``val_score`` (R² or accuracy on the validation rows) to each history entry."""

    def __init__(self, score):
        self.score = score

    def on_epoch_end(self, state: TrainState, entry: dict) -> None:
        if entry["val_loss"] is not None:
            entry["val_score"] = self.score(entry)


class BaseGD(BaseEstimator):
    """Shared machinery; see :class:`GDRegressor` and :class:`GDClassifier` for the API."""

    _parameter_constraints: ClassVar[dict] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "optimizer": [StrOptions(set(OPTIMIZERS))],
        "lr": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "lr_step": [Interval(Integral, 1, None, closed="left")],
        "lr_gamma": [Interval(Real, 0, 1, closed="right")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"full"}), None],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "engine": [StrOptions(set(ENGINE_NAMES))],
        "device": [StrOptions(set(DEVICES))],
        "dtype": [StrOptions(set(DTYPES))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # made dense (when it fits): a one-hot encoder's output
        return tags

    # --- what a subclass defines -------------------------------------------------------
    def _architecture(self, n_classes: int | None) -> tuple[str, str, int, str]:
        """(model kind, gdlab loss name, number of outputs, task) for the settings."""
        raise NotImplementedError

    def _val_score(self, entry: dict, y_val: np.ndarray) -> float:
        """The validation score (R² or accuracy) of one history entry."""
        raise NotImplementedError

    # --- fitted parameters --------------------------------------------------------------
    @property
    def coef_(self) -> np.ndarray:
        """Weights of a linear model (hidden_layer_sizes=()); see the class docstring."""
        return self._layout_coef(self._single_layer(self.coefs_, "coef_"))

    @property
    def intercept_(self) -> np.ndarray:
        """Bias of a linear model (hidden_layer_sizes=())."""
        return self._single_layer(self.intercepts_, "intercept_").copy()

    def _layout_coef(self, w: np.ndarray) -> np.ndarray:
        return w.T.copy()

    def _single_layer(self, layers: list, what: str) -> np.ndarray:
        if len(layers) != 1:
            raise AttributeError(
                f"{what} exists only for linear models (hidden_layer_sizes=()); this is an "
                f"MLP with {len(layers)} layers: see coefs_ and intercepts_"
            )
        return layers[0]

    # --- the fit --------------------------------------------------------------------------
    def _hidden(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if not all(isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}")
        return tuple(int(h) for h in sizes)

    def _penalties(self) -> tuple[float, float]:
        """(λ₂, λ₁) of gdlab's objective from scikit-learn's penalty, alpha and l1_ratio."""
        alpha = float(self.alpha)
        if self.penalty is None:
            return 0.0, 0.0
        if self.penalty == "l1":
            return 0.0, alpha
        if self.penalty == "elasticnet":
            return alpha * (1.0 - float(self.l1_ratio)), alpha * float(self.l1_ratio)
        return alpha, 0.0

    def _class_weights(self, y: np.ndarray, classes) -> np.ndarray | None:
        """Each row's class weight (None: no class_weight)."""
        return None

    def _config(self, kind: str, loss: str, *, lr: float, epochs: int, partial: bool) -> TrainConfig:
        name = type(self).__name__
        if self.batch_size is not None and self.optimizer in ("gd", "sgd"):
            if not (self.optimizer == "sgd" and self.batch_size == 1):
                raise ValueError(
                    f"{name}: batch_size={self.batch_size!r} conflicts with "
                    f"optimizer={self.optimizer!r}, which uses "
                    + ("the full batch" if self.optimizer == "gd" else "one row per update")
                    + "; use optimizer='minibatch' or batch_size=None"
                )
        l2, l1 = self._penalties()
        return TrainConfig.from_kwargs(
            model=kind, hidden=self._hidden(), activation=self.activation,
            optimizer=self.optimizer, batch_size=self.batch_size, lr=lr,
            epochs=epochs, engine=self.engine, loss=loss, l2=l2, l1=l1,
            momentum=float(self.momentum), betas=(float(self.beta_1), float(self.beta_2)),
            eps=float(self.epsilon), schedule=self.learning_rate, lr_step=int(self.lr_step),
            lr_gamma=float(self.lr_gamma), power_t=float(self.power_t),
            tol=None if partial or self.tol is None else float(self.tol),
            patience=int(self.n_iter_no_change), early_stopping=self.early_stopping and not partial,
            val_fraction=float(self.validation_fraction),
            test_fraction=0.0, standardize=False, device=self.device, dtype=self.dtype,
            quiet=not self.verbose,
        )

    def _fit(self, X, y, sample_weight, *, partial: bool, classes=None):
        """Train on validated ``X`` and encoded ``y`` (float targets or class indices)."""
        try:
            return self._train(X, y, sample_weight, partial=partial, classes=classes)
        except GdlabError as e:  # the library's own refusals, in scikit-learn's error type
            raise ValueError(f"{type(self).__name__}: {e}") from e

    def _train(self, X, y, sample_weight, *, partial: bool, classes):
        name = type(self).__name__
        n_classes = None if classes is None else len(classes)
        kind, loss, n_out, task = self._architecture(n_classes)
        continuing = hasattr(self, "model_") and (partial or self.warm_start)
        state = self._state if continuing and partial else TrainState()
        if not continuing:  # one seed per fresh start: initial weights, split, batch order
            self._seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

        # --- data: weights (repeated rows, or row weights), the validation split ----------
        weights = checked_weights(sample_weight, X)
        class_w = self._class_weights(y, classes)
        if weights is not None and not (weights > 0).any():
            raise ValueError(f"{name}: every sample_weight is 0; at least one row must count")
        counts = as_multiplicities(weights) if class_w is None else None
        if counts is None and class_w is not None:
            weights = class_w if weights is None else weights * class_w
        elif counts is not None or (weights is not None and np.all(weights == weights[0])):
            weights = None  # repeated rows carry them, or they are all equal
        X_tr, y_tr, w_tr, X_val, y_val, w_val = self._split(X, y, counts, weights, task, n_classes,
                                                            partial=partial)

        # --- settings: the learning rate (kept across partial_fit calls), the config -------
        keep_lr = continuing and partial and self.lr == "auto"
        lr = self.lr_ if keep_lr else self.lr
        cfg = self._config(kind, loss, lr=lr, epochs=state.epoch + (1 if partial else self.max_iter),
                           partial=partial)
        if task != "regression" and not partial and np.unique(y_tr).size < 2:
            raise ValueError(
                f"{name} needs rows of at least 2 classes to train on, got 1 class "
                f"({classes[y_tr[0]].tolist()!r})" + (" after dropping rows of zero sample_weight"
                                            if counts is not None else "")
            )

        # --- model, engine and feed (gdlab.setup.build), the fitted model continued -----------
        if continuing:
            self._check_architecture(kind, X.shape[1], n_out)
            model = self.model_
        else:
            with torch.random.fork_rng(devices=[]):  # seeded init, global RNG left alone
                torch.random.default_generator.manual_seed(self._seed)  # the CPU's: the weights
                model = build_model(kind, X.shape[1], n_out, hidden=cfg.hidden,
                                    activation=cfg.activation)
        data_task = task if task == "regression" else ("binary" if n_classes == 2 else "multiclass")
        data = Dataset(
            X=X_tr, y=y_tr, feature_names=[f"x{j}" for j in range(X.shape[1])], task=data_task,
            classes=None if n_classes is None else list(range(n_classes)), name=name,
        )
        splits = Splits(X_train=X_tr, y_train=y_tr, X_val=X_val, y_val=y_val,
                        train_index=np.arange(len(y_tr)),
                        val_index=None if X_val is None else np.arange(len(y_val)))
        log = print if self.verbose else (lambda _msg: None)
        setup = build(data, cfg.replace(seed=self._seed), model=model, splits=splits, log=log,
                      weights={"train": w_tr, "val": w_val})
        cfg, lr = setup.cfg, setup.cfg.lr
        engine = setup.engine
        opt_key = (setup.engine_name, cfg.rule(), cfg.dtype)
        if continuing and partial and self._optimizer[0] == opt_key:
            engine.load_state_dict({k: v.to(setup.device) for k, v in self._optimizer[1].items()})
        model = setup.model

        # --- the epoch loop (gdlab.train.fit), stopping counters fresh each call -------------
        state.stopped_reason, state.initial_loss, state.no_improve = None, None, 0
        state.best_loss, state.best_state, state.best_epoch = float("inf"), None, 0
        callbacks: list[Callback] = []
        if self.verbose:
            callbacks.append(ProgressLog(cfg.epochs, log=log))
        if cfg.early_stopping:
            callbacks.append(BestWeights())
        if X_val is not None:
            callbacks.append(_ValidationScore(lambda e: self._val_score(e, y_val)))
        state = fit(engine, setup.feed, cfg=cfg, state=state, callbacks=callbacks)
        if state.stopped_reason == "diverged":
            last = state.history[-1]["train_loss"]
            raise ValueError(
                f"{name}: training diverged at epoch {state.epoch} (training loss {last:.4g}, "
                f"started at {state.initial_loss:.4g}); use a smaller lr than {lr:.4g} or "
                "scale the input (e.g. StandardScaler in a Pipeline)"
            )
        if state.best_state is not None:  # early stopping: keep the best validation epoch
            model.load_state_dict(state.best_state)

        # --- learned attributes -----------------------------------------------------------
        self._publish(model, state, classes=classes, lr=lr, partial=partial,
                      validated=X_val is not None)
        self._optimizer = (opt_key, {k: v.cpu() for k, v in engine.state_dict().items()})
        if not partial and state.stopped_reason == "max_epochs":
            self._warn_not_converged()
        return self

    def _publish(self, model, state: TrainState, *, classes, lr: float, partial: bool,
                 validated: bool) -> None:
        """Set the learned attributes from the trained model and its history."""
        self.model_ = model.cpu()
        state.model = state.engine = state.best_state = None
        state.steps = []  # per-update losses are for gdlab's plots, not kept here
        self._state = state  # epoch counter and history, continued by partial_fit
        if classes is not None:
            self.classes_ = classes
        self.coefs_ = [layer.weight.detach().double().T.numpy().copy() for layer in model.layers]
        self.intercepts_ = [layer.bias.detach().double().numpy().copy() for layer in model.layers]
        self.n_iter_ = state.epoch
        self.lr_ = lr
        self.history_ = [dict(e) for e in state.history]
        self.loss_curve_ = [e["train_loss"] for e in state.history]
        if not partial:
            scores = [e["val_score"] for e in state.history if "val_score" in e]
            self.validation_scores_ = scores if validated else None
            self.best_validation_score_ = max(scores) if validated else None

    def _warn_not_converged(self) -> None:
        """ConvergenceWarning when the epoch limit stopped a fit that had a tolerance."""
        if self.tol is None and not self.early_stopping:
            return
        watched = "validation" if self.early_stopping else "training"
        warnings.warn(
            f"{type(self).__name__}: max_iter={self.max_iter} epochs reached before the "
            f"{watched} loss stopped improving by tol={self.tol} for "
            f"{self.n_iter_no_change} epochs; raise max_iter or lr, or scale the input",
            ConvergenceWarning,
            stacklevel=6,  # the caller of fit (through _fit_context, fit, _fit, _train)
        )

    def _split(self, X, y, counts, weights, task: str, n_classes: int | None, *, partial: bool):
        """Training and validation rows (validation only with early stopping), repeated
        by the weights' multiplicities after the split so that no row lands in both, and
        their row weights (None without)."""
        if partial or not self.early_stopping:
            X_tr, y_tr = repeat_rows(X, y, counts)
            return X_tr, y_tr, weights, None, None, None
        data = Dataset(
            X=X, y=y, feature_names=[f"x{j}" for j in range(X.shape[1])],
            task="regression" if task == "regression" else "binary" if n_classes == 2 else "multiclass",
            classes=None if n_classes is None else list(range(n_classes)),
            name=type(self).__name__,
        )
        s = split_dataset(data, test_fraction=0.0, val_fraction=self.validation_fraction,
                          seed=self._seed)
        if s.X_val is None:
            raise ValueError(
                f"{type(self).__name__}: early_stopping=True needs a validation split, but "
                f"{len(y)} rows are too few to carve one; pass more data or early_stopping=False"
            )
        sub = (lambda idx: None) if counts is None else (lambda idx: counts[idx])
        X_tr, y_tr = repeat_rows(s.X_train, s.y_train, sub(s.train_index))
        X_val, y_val = repeat_rows(s.X_val, s.y_val, sub(s.val_index))
        w_tr = None if weights is None else weights[s.train_index]
        w_val = None if weights is None else weights[s.val_index]
        empty = lambda w, y: len(y) == 0 or (w is not None and not (w > 0).any())  # noqa: E731
        if empty(w_val, y_val) or empty(w_tr, y_tr):
            raise ValueError(
                f"{type(self).__name__}: every row of the "
                + ("validation" if empty(w_val, y_val) else "training")
                + " split has zero sample_weight; change random_state or validation_fraction"
            )
        return X_tr, y_tr, w_tr, X_val, y_val, w_val

    def _check_architecture(self, kind: str, n_features: int, n_out: int) -> None:
        hidden = list(self._hidden()) if kind == "mlp" else []
        want = {
            "model": kind, "in_features": n_features, "out_features": n_out, "hidden": hidden,
            "activation": self.activation if kind == "mlp" else None, "bias": True,
        }
        have = self.model_.describe()
        if have != want:
            diff = ", ".join(f"{k} {have[k]!r} → {want[k]!r}" for k in want if have[k] != want[k])
            raise ValueError(
                f"{type(self).__name__} cannot continue training the fitted model ({diff}); "
                "set warm_start=False (or refit instead of partial_fit) to start afresh"
            )

    # --- prediction -------------------------------------------------------------------------
    @torch.no_grad()
    def _forward(self, X) -> np.ndarray:
        """Raw model outputs (predictions or logits) for X, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = dense(validate_data(self, X, reset=False, dtype=FLOATS, accept_sparse=SPARSE))
        p = next(self.model_.parameters())
        return self.model_(torch.tensor(X, dtype=p.dtype)).double().numpy()


# The parameters both estimators share, spliced into their docstrings.
COMMON_PARAMETERS = """\
hidden_layer_sizes : tuple of int, default=()
        Width of each hidden layer. ``()`` is a linear model; anything else an MLP
        with ``activation`` after every hidden layer.
    activation : {"relu", "sigmoid", "tanh"}, default="relu"
        Hidden-layer activation φ (MLP only).
    optimizer : {"minibatch", "gd", "sgd", "momentum", "nesterov", "adam"}, default="minibatch"
        How batches are drawn and the update rule: ``gd`` one full-batch step per epoch,
        ``sgd`` one row per step, ``minibatch`` plain steps on ``batch_size`` rows;
        ``momentum``, ``nesterov`` and ``adam`` use mini-batches too.
    lr : float or "auto", default="auto"
        Learning rate η (the initial one under a schedule). ``"auto"`` chooses it from
        the training rows as ``gdlab train`` does (:func:`gdlab.setup.auto_lr`): η = 1/(c·λ)
        with λ the largest eigenvalue of (1/n) Σ x̃ᵢx̃ᵢᵀ (x̃ = x with a 1 for the bias;
        c = 2 for mse, 1 for half-mse, ¼ for bce, ½ for cross-entropy), so no full-batch
        step of a linear model overshoots whatever the scale of X; for mini-batches of B
        rows 1/(c·(λ + (R² − λ)/B)) (R² the mean of ‖x̃ᵢ‖²), a tenth of it for the squared
        error, whose batch noise grows with the residuals; times 1 − momentum
        for momentum and nesterov; at most 0.1 with hidden layers; 0.001 with ``adam``.
        ``lr_`` is the η used.
    learning_rate : {"constant", "step", "invscaling"}, default="constant"
        Schedule over epochs t = 1, 2, …: ``constant`` η; ``step`` η·lr_gamma^⌊(t−1)/lr_step⌋;
        ``invscaling`` η / t^power_t.
    power_t : float, default=0.5
        Exponent of the ``invscaling`` schedule.
    lr_step : int, default=10
        Epochs between decays of the ``step`` schedule.
    lr_gamma : float, default=0.5
        Decay factor of the ``step`` schedule, in (0, 1].
    batch_size : int, "full" or None, default=None
        Rows per update for the mini-batch optimizers (None: 32, capped at the number
        of rows; "full": every row). Must stay None for ``gd`` and ``sgd``.
    momentum : float, default=0.9
        μ of the ``momentum`` and ``nesterov`` rules.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Adam's ε.
    alpha : float, default=0.0001
        Strength α of the penalty over weight matrices (biases excluded).
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty R: ½‖W‖², ‖W‖₁ (a subgradient step), or ρ‖W‖₁ + (1 − ρ)/2 ‖W‖².
    l1_ratio : float, default=0.15
        ρ of the elastic net, in [0, 1].
    max_iter : int, default=1000
        Most epochs (passes over the data) per call to ``fit``.
    tol : float or None, default=1e-3
        Stop when the monitored loss (training loss, or validation loss with
        ``early_stopping``) has not improved on its best by ``tol`` for
        ``n_iter_no_change`` epochs in a row. None trains for ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    early_stopping : bool, default=False
        Carve ``validation_fraction`` of the rows (stratified for classifiers) as a
        validation split, stop on its loss, and restore the weights of the epoch that
        last improved it by more than ``tol`` (as ``gdlab train`` does).
    validation_fraction : float, default=0.1
        Share of the rows held out when ``early_stopping`` is on.
    engine : str, default="auto"
        Which of gdlab's engines computes the gradients (``gdlab.config.ENGINE_NAMES``:
        ``scalar``, ``manual``, ``autograd``, ``nn``, …); ``auto`` picks as ``gdlab train``
        does.
    device : {"cpu", "auto", "cuda"}, default="cpu"
        Where training runs; the fitted ``model_`` is kept on the CPU.
    dtype : {"float64", "float32"}, default="float64"
        Precision of the computation, whatever the input's dtype.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the batch order and the validation split.
    verbose : int, default=0
        Print the loss on about ten epochs of each fit.
    warm_start : bool, default=False
        Start ``fit`` from the fitted weights instead of new ones (the optimizer state,
        schedule and stopping counters start afresh, as in ``MLPRegressor``)."""

COMMON_ATTRIBUTES = """\
coefs_ : list of ndarray of shape (n_fan_in, n_fan_out)
        Weight matrix of each layer (copies; predictions use ``model_``).
    intercepts_ : list of ndarray of shape (n_fan_out,)
        Bias vector of each layer.
    model_ : torch.nn.Module
        The fitted gdlab model (``gdlab.models``), on the CPU; it takes the input as
        given, so it works with ``gdlab.viz`` figures.
    lr_ : float
        The learning rate η used (``lr`` resolved; fixed at the first ``partial_fit``).
    n_iter_ : int
        Epochs run: by the last ``fit``, or in total since it by ``partial_fit`` calls.
    loss_curve_ : list of float
        Training loss (mean over the rows, without the L2 term) after each epoch.
    history_ : list of dict
        gdlab's per-epoch history (epoch, train_loss, val_loss, lr, grad_norm, …).
    validation_scores_ : list of float or None
        With ``early_stopping``, the score on the validation rows after each epoch.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names."""
