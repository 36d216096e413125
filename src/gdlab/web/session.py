"""One playground run: ``gdlab.train`` itself, paused between updates.

The page's numbers must be the numbers ``gdlab train`` gives, so the playground does not
re-implement the training loop: :class:`Session` builds the run with
:func:`gdlab.setup.build` and runs :func:`gdlab.train.fit` and
:func:`gdlab.train.finish` — what :func:`gdlab.train` runs — with the page's settings in
a worker thread, and a :class:`~gdlab.callbacks.Callback` parks that thread at the points
where the run is between two updates::

    on_train_begin                  before the first update
    on_step_end   (mid-epoch)       after an update, the epoch not yet over
    on_epoch_end  (not the last)    after an epoch's evaluation

Each permit the page grants lets exactly one update happen; while the thread is parked
the page may read the model. Everything else — seeding, the split, standardization,
batches (each epoch's order depends only on the seed and the epoch), the engine,
schedules, stopping, the final metrics — is ``gdlab.train``'s own code, so the
parameters after the last update equal those of ``gdlab.train`` with the same settings,
whatever the pauses.

A new learning rate reaches the loop through its ``lr_fn`` hook (:class:`LiveRate`),
which the loop reads when an epoch starts: it takes effect at the next epoch (each
history row has one rate); with full-batch ``gd`` that is the next update. The config
itself never changes; the run continues from the current parameters and optimizer state.

For the update panel every update leaves a :class:`LastUpdate`: the parameters and the
optimizer state before and after it, where it fell in its epoch and its learning rate —
what :mod:`gdlab.web.updates` needs to recompute that update's gradient with the run's
own engine. For the path, a :class:`Trail` keeps the parameters after each update.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..callbacks import Callback
from ..errors import DivergedError, GdlabError
from ..evaluate import loss_and_accuracy
from ..setup import build, initial_model
from ..train import TrainState, finish, fit, lr_at
from . import limits
from .settings import Settings

# torch.manual_seed and weight init use one process-wide generator: a run holds this lock
# while its model is built, so pages starting together get gdlab.train's weights.
_SEED_LOCK = threading.Lock()


class LiveRate:
    """The learning-rate hook of a run the page may retune: ``rate(epoch)`` is the
    configured schedule applied to the latest base rate (set from any thread)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self._base = cfg.lr
        self._lock = threading.Lock()

    def set(self, lr: float) -> None:
        with self._lock:
            self._base = float(lr)

    def __call__(self, epoch: int) -> float:
        with self._lock:
            base = self._base
        return lr_at(self.cfg, epoch, base)


@dataclass(frozen=True)
class Snapshot:
    """The parameters (cloned, in ``model.parameters()`` order) and the optimizer state
    (``engine.state_dict()``) at one moment of the run."""

    params: tuple[torch.Tensor, ...]
    state: dict

    @classmethod
    def take(cls, model, engine) -> Snapshot:
        return cls(tuple(p.detach().clone() for p in model.parameters()), engine.state_dict())

    def flat(self) -> np.ndarray:
        return np.concatenate([p.double().reshape(-1).cpu().numpy() for p in self.params])


@dataclass(frozen=True)
class LastUpdate:
    """One update as it happened: ``before`` → ``after``, the ``index``-th batch (0-based)
    of ``epoch``, at learning rate ``lr``, with batch loss ``loss`` (before the update)."""

    step: int
    epoch: int
    index: int
    lr: float
    loss: float
    before: Snapshot
    after: Snapshot


class Trail:
    """The parameters after each update, for drawing the optimizer's path.

    A small model (at most ``limits.TRAIL_FULL_PARAMS`` parameters) keeps every
    parameter, so its path can be projected onto any pair afterwards; a larger one keeps
    only the pair on show, and choosing another pair starts its path afresh where the
    run stands. The path stops growing at ``limits.MAX_PATH_POINTS`` points, or when a
    full trail holds ``limits.MAX_TRAIL_VALUES`` values.
    """

    def __init__(self, start: np.ndarray, pair: tuple[int, ...]):
        self.full = start.size <= limits.TRAIL_FULL_PARAMS
        self.cap = (min(limits.MAX_PATH_POINTS, limits.MAX_TRAIL_VALUES // start.size)
                    if self.full else limits.MAX_PATH_POINTS)
        self.pair = tuple(pair)
        self.since = 0  # the update the kept path starts after
        self.points: list[np.ndarray] = [self._keep(start)]

    def _keep(self, params: np.ndarray) -> np.ndarray:
        return params.copy() if self.full else params[list(self.pair)].copy()

    def add(self, params: np.ndarray) -> None:
        if len(self.points) < self.cap:
            self.points.append(self._keep(params))

    def __len__(self) -> int:
        return len(self.points)

    def projected(self, start: int = 0) -> list[list[float]]:
        """The path from point ``start`` on, as [θ_i, θ_j] of the pair on show."""
        pts = self.points[start:]
        if not pts:
            return []
        arr = np.stack(pts)
        return (arr[:, list(self.pair)] if self.full else arr).tolist()

    def show(self, pair: tuple[int, ...], now: np.ndarray, step: int) -> None:
        """Show ``pair`` from now on (a small model re-projects its whole path)."""
        self.pair = tuple(pair)
        if not self.full:
            self.since, self.points = step, [self._keep(now)]


class _Tensors:
    """The splits as the run sees them (standardized tensors), for the panels."""

    def __init__(self, feed, standardizer):
        self.standardizer = standardizer
        for split in ("train", "val", "test"):
            piece = next(feed.pieces(split, everywhere=True), None)
            setattr(self, f"X_{split}", None if piece is None else piece.X)
            setattr(self, f"y_{split}", None if piece is None else piece.y)


class _Stopped(Exception):
    """The page went away (or started another run): end this run's thread."""


class Session:
    """A training run the page advances update by update (see the module docstring).

    Parameters
    ----------
    settings : Settings
        Every setting of the run (``gdlab.web.settings.parse_settings``).
    view : dict, optional
        The (w, b) window of the loss surface to keep, when it holds the start point.

    Raises
    ------
    GdlabError
        For settings that cannot train (a loss that does not fit the task, a start point
        on a model with more than two parameters, data too large for the engine).

    Examples
    --------
    >>> from gdlab.web.settings import parse_settings
    >>> with Session(parse_settings({"lesson": "liu-er-gd"})) as s:
    ...     s.run(100), round(float(s.params()[0]), 3), s.status
    (100, 2.0, 'max_epochs')
    """

    def __init__(self, settings: Settings, *, view: dict | None = None):
        self.settings = settings
        self.cfg = settings.config()
        self.data = settings.load_data()
        self.notes: list[str] = []
        with _SEED_LOCK:  # the same setup gdlab.train makes (seeded init under the lock)
            model = self._start_model(settings.start)
            self.setup = build(self.data, self.cfg, model=model, log=self.notes.append)
        self.notes += self.setup.notes
        self.kind, self.loss, self.task = self.setup.kind, self.setup.loss, self.setup.task
        self.dtype = self.setup.dtype
        self.prep = _Tensors(self.setup.feed, self.setup.standardizer)  # for the panels
        self.splits = self.setup.splits
        self.batch_size = self.setup.feed.batch_size
        self.n_batches = self.setup.feed.n_batches
        self.rate = LiveRate(self.cfg)
        self.view = view
        self.message: str | None = None  # why the run stopped early, in one line
        self.notice: dict | None = None  # the same for the page's catalogue: key and values
        self.result = None  # the Run gdlab.train's finish returned
        self.state: TrainState | None = None
        self.model, self.engine = self.setup.model, self.setup.engine
        self.n_params = int(sum(p.numel() for p in self.model.parameters()))
        self.names = param_names(self.model)
        self.pair = self._check_pair(settings.slice) if settings.slice is not None else (
            (0, 1) if self.n_params >= 2 else (0,))
        self.initial_loss: float | None = None
        self.last: LastUpdate | None = None  # the latest update, for the update panel
        self.trail: Trail | None = None  # the path (made when the run starts)
        self._snap: Snapshot | None = None  # parameters and optimizer state now
        self._pending = _empty_frame()  # what happened since the last frame
        self._in_epoch = 0  # updates made in the epoch under way
        self._epoch_lr = self.rate(1)
        self._cond = threading.Condition()
        self._permits = 0
        self._parked = self._finished = self._stopping = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, daemon=True, name="gdlab-playground-run")
        self._thread.start()
        self._wait_until_parked()
        if self._error is not None:
            raise self._error
        if settings.slice is None and self.n_params > 2:  # the slice the first update moves most
            from .updates import steepest_pair

            self.show_pair(steepest_pair(self, self._snap))

    def _check_pair(self, pair) -> tuple[int, int]:
        i, j = pair
        if self.n_params < 3:
            raise GdlabError(f"slice chooses two of a larger model's parameters; this model has "
                             f"{self.n_params}, all on show")
        for k in (i, j):
            if not 0 <= k < self.n_params:
                raise GdlabError(f"slice: parameter {k} does not exist; the model has "
                                 f"{self.n_params} (0 to {self.n_params - 1})")
        if i == j:
            raise GdlabError(f"slice needs two different parameters, got {i} twice")
        return (i, j)

    def show_pair(self, pair) -> None:
        """Draw the slice over parameters ``pair`` (indices in ``model.parameters()`` order)."""
        pair = self._check_pair(pair)
        with self._cond:
            self.pair = pair
            self.trail.show(pair, self.params(), self.state.step)

    def _start_model(self, start):
        """The model the run starts from: None (the setup builds it), every parameter 0
        (``start="zeros"``, as Ng's course starts), or (w, b) / (w,) set on a model with
        that many parameters (a bias-free model may also be given b = 0)."""
        if start is None:
            return None
        model = initial_model(self.data, self.cfg)
        if start == "zeros":
            with torch.no_grad():
                for p in model.parameters():
                    p.zero_()
            return model
        n = sum(p.numel() for p in model.parameters())
        values = list(start)
        if n == 1 and len(values) == 2 and values[1] == 0:
            values = values[:1]  # y = w·x: b = 0 is what having no bias means
        if n != len(values):
            what = "(w, b)" if len(values) == 2 else "w"
            raise GdlabError(f"start sets {what} of a {len(values)}-parameter model; {model.kind} "
                             f"on {self.data.name} has {n} parameters")
        with torch.no_grad():
            for p, value in zip(model.parameters(), values, strict=True):
                p.fill_(value)
        return model

    # --- the worker thread ----------------------------------------------------------------
    def _work(self) -> None:
        started = time.perf_counter()
        try:
            hooks = [_Pauses(self)]
            state = fit(self.setup.engine, self.setup.feed, cfg=self.cfg, callbacks=hooks,
                        lr_fn=self.rate)
            self.result = finish(self.setup, state, started=started, log=lambda _m: None)
        except DivergedError as e:  # said for the page: its learning-rate slider
            self.result = e.run
            lr = self.settings.lr  # the slider's rate (it may have moved since the start)
            self.message = f"{e.what}; try a smaller learning rate than {lr:g} (the lr slider)"
            above = "ended above" in e.what  # (gdlab.train: the final loss above the start)
            self.notice = {"key": "banner.ended_above" if above else "banner.diverged",
                           "epoch": e.epoch, "lr": lr}
        except _Stopped:
            pass
        except BaseException as e:  # reported to the page (GdlabError) or as internal
            self._error = e
        finally:
            with self._cond:
                self._finished, self._parked = True, False
                self._cond.notify_all()

    def _park(self) -> None:
        """(Worker) Wait between two updates until the page allows the next one."""
        with self._cond:
            self._parked = True
            if self._permits == 0:  # (only then is the page's thread waiting for this)
                self._cond.notify_all()
            while self._permits == 0 and not self._stopping:
                self._cond.wait()
            if self._stopping:
                raise _Stopped
            self._permits -= 1
            self._parked = False

    def _wait_until_parked(self) -> None:
        with self._cond:
            while not self._finished and not (self._parked and self._permits == 0):
                self._cond.wait()

    # --- what the page calls ------------------------------------------------------------------
    def run(self, updates: int, *, until_epoch_end: bool = False) -> int:
        """Make up to ``updates`` updates (stopping where the epoch ends, if asked) and
        return how many were made; the run is parked again (or over) on return."""
        with self._cond:
            if self._finished or updates < 1:
                return 0
            if until_epoch_end:
                updates = min(updates, self.n_batches - self._in_epoch)
            before = self.state.step
            self._permits = updates
            self._cond.notify_all()
        self._wait_until_parked()
        return self.state.step - before

    def step(self) -> bool:
        """One update; False when the run is over."""
        return self.run(1) == 1

    def set_lr(self, lr: float) -> None:
        """Use ``lr`` from the next epoch on (the run keeps its parameters and state)."""
        with self._cond:
            self.settings = self.settings.with_values(lr=lr)
            self.rate.set(self.settings.lr)  # the loop reads it when the next epoch starts

    def close(self) -> None:
        """End the run's thread (the page closed or started another run)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- where the run stands ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self._finished

    @property
    def status(self) -> str:
        """ready while it can go on; else why it stopped (max_epochs, diverged, tol, ...)."""
        if self.result is not None:
            return self.result.stopped_reason
        return "stopped" if self._finished else "ready"

    @property
    def lr(self) -> float:
        """The learning rate of the next update."""
        return self._epoch_lr if self._in_epoch else self.rate(self.state.epoch + 1)

    @property
    def next_epoch_lr(self) -> float:
        return self.rate(self.state.epoch + (2 if self._in_epoch else 1))

    @property
    def two_params(self) -> bool:
        return self.n_params == 2

    def params(self) -> np.ndarray:
        """All parameters flattened in ``model.parameters()`` order (float64)."""
        return np.concatenate([p.detach().double().reshape(-1).cpu().numpy()
                               for p in self.model.parameters()])

    def take_pending(self) -> dict:
        """The updates and epochs since the last call (for the next frame)."""
        with self._cond:
            pending, self._pending = self._pending, _empty_frame()
        return pending


class _Pauses(Callback):
    """Parks gdlab.train between updates and records what the page draws."""

    def __init__(self, session: Session):
        self.s = session

    def on_train_begin(self, state: TrainState) -> None:
        s = self.s
        s.state, s.model, s.engine = state, state.model, state.engine
        s.initial_loss = state.initial_loss
        s._snap = Snapshot.take(s.model, s.engine)
        s.trail = Trail(s._snap.flat(), s.pair)
        s._park()

    def on_step_end(self, state: TrainState, step: int, loss: float) -> None:
        s = self.s
        s._in_epoch += 1
        if s._in_epoch == 1:  # the rate the loop set when this epoch started
            s._epoch_lr = s.rate(state.epoch + 1)
        after = Snapshot.take(s.model, s.engine)
        with s._cond:
            s.last = LastUpdate(step=step, epoch=state.epoch + 1, index=s._in_epoch - 1,
                                lr=s._epoch_lr, loss=loss, before=s._snap, after=after)
            s._snap = after
            s._pending["steps"].append([step, state.epoch + s._in_epoch / s.n_batches, _finite(loss)])
            s.trail.add(after.flat())
        if s._in_epoch < s.n_batches and math.isfinite(loss):
            s._park()

    def on_epoch_end(self, state: TrainState, entry: dict) -> None:
        s = self.s
        s._in_epoch = 0
        shown = dict(entry)
        if s.prep.X_test is not None:  # the test split too, for the curve (training never sees it)
            shown["test_loss"], shown["test_accuracy"] = loss_and_accuracy(
                s.model, s.loss, s.prep.X_test, s.prep.y_test, s.task)
        with s._cond:
            s._pending["entries"].append(shown)
        if state.stopped_reason is None and state.epoch < s.cfg.epochs:
            s._park()


def param_names(model) -> list[str]:
    """Readable names in ``model.parameters()`` order: w and b for one weight,
    w1…wd / W[j,k] and b[j] otherwise ("layer 2 " before the names of a second layer)."""
    layers = list(model.layers)
    names: list[str] = []
    for li, layer in enumerate(layers):
        prefix = f"layer {li + 1} " if len(layers) > 1 else ""
        out_f, in_f = layer.weight.shape
        if out_f == 1 and in_f == 1:
            names.append(f"{prefix}w")
        elif out_f == 1:
            names += [f"{prefix}w{k + 1}" for k in range(in_f)]
        else:
            names += [f"{prefix}W[{j + 1},{k + 1}]" for j in range(out_f) for k in range(in_f)]
        if layer.bias is not None:
            names += [f"{prefix}b"] if out_f == 1 else [f"{prefix}b[{j + 1}]" for j in range(out_f)]
    return names


def _empty_frame() -> dict:
    return {"steps": [], "entries": []}


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a diverged loss travels as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
