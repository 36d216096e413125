"""One playground run: ``gdlab.train`` itself, paused between updates.

The page's numbers must be the numbers ``gdlab train`` gives, so the playground does not
re-implement the training loop: :class:`Session` runs :func:`gdlab.train` with the page's
settings in a worker thread, and a :class:`~gdlab.train.Callback` parks that thread at
the points where the run is between two updates::

    on_train_begin                  before the first update
    on_step_end   (mid-epoch)       after an update, the epoch not yet over
    on_epoch_end  (not the last)    after an epoch's evaluation

Each permit the page grants lets exactly one update happen; while the thread is parked
the page may read the model. Everything else — seeding, the split, standardization,
batches (``Batcher.epoch(epoch)`` depends only on the seed and the epoch), the engine,
schedules, stopping, the final metrics — is ``gdlab.train``'s own code, so the
parameters after the last update equal those of ``gdlab.train`` with the same settings,
whatever the pauses.

A new learning rate takes effect at the next epoch (``gdlab.train`` sets the rate per
epoch, and each history row has one rate); with full-batch ``gd`` that is the next
update. It continues from the current parameters and optimizer state.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import torch

from ..data import split_dataset
from ..errors import DivergedError, GdlabError
from ..train import (
    Callback,
    TrainState,
    check_compatible,
    evaluate_loss,
    lr_at,
    make_model,
    prepare,
    train,
)
from . import limits
from .settings import Settings

# torch.manual_seed and weight init use one process-wide generator: a run holds this lock
# from seeding until its model exists, so pages starting together get gdlab.train's weights.
_SEED_LOCK = threading.Lock()


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
    (100, 1.873, 'max_epochs')
    """

    def __init__(self, settings: Settings, *, view: dict | None = None):
        self.settings = settings
        self.cfg = settings.config()
        self.data = settings.load_data()
        self.kind, self.loss = settings.model, settings.loss
        check_compatible(self.kind, self.loss, self.data)
        self.task = self.data.task
        self.dtype = torch.float64 if self.cfg.dtype == "float64" else torch.float32
        self.notes: list[str] = []
        # the tensors gdlab.train will make (same code, no randomness), for the panels
        self.prep = prepare(self.data, self.cfg, dtype=self.dtype, device="cpu", log=self.notes.append)
        self.splits = split_dataset(self.data, test_fraction=self.cfg.test_fraction,
                                    val_fraction=self.cfg.val_fraction, seed=self.cfg.seed)
        n_train = int(self.prep.X_train.shape[0])
        self.batch_size = min(self.cfg.resolved_batch_size(n_train), n_train)
        self.n_batches = math.ceil(n_train / self.batch_size)
        self.view = view
        self.message: str | None = None  # why the run stopped early, in one line
        self.result = None  # the Run gdlab.train returned
        self.state: TrainState | None = None
        self.model = self.engine = None
        self.n_params = 0
        self.initial_loss: float | None = None
        self._pending = _empty_frame()  # what happened since the last frame
        self._in_epoch = 0  # updates made in the epoch under way
        self._epoch_lr = lr_at(self.cfg, 1)
        self._cond = threading.Condition()
        self._permits = 0
        self._parked = self._finished = self._stopping = False
        self._error: BaseException | None = None
        model = self._start_model(settings.start)
        self._thread = threading.Thread(target=self._work, args=(model,), daemon=True,
                                        name="gdlab-playground-run")
        self._thread.start()
        self._wait_until_parked()
        if self._error is not None:
            raise self._error

    def _start_model(self, start):
        """None (gdlab.train builds the model), or a two-parameter model set to ``start``."""
        if start is None:
            return None
        with _SEED_LOCK:
            model = make_model(self.kind, self.data, self.cfg)
        n = sum(p.numel() for p in model.parameters())
        if n != 2:
            raise GdlabError(f"start sets (w, b) of a two-parameter model; {self.kind} on "
                             f"{self.data.name} has {n} parameters")
        with torch.no_grad():
            model.layers[0].weight.fill_(start[0])
            model.layers[0].bias.fill_(start[1])
        return model

    # --- the worker thread ----------------------------------------------------------------
    def _work(self, model) -> None:
        _SEED_LOCK.acquire()  # released once the model exists (on_train_begin)
        self._holds_seed = True
        try:
            self.result = train(model, self.data, config=self.cfg, callbacks=[_Pauses(self)])
        except DivergedError as e:
            self.result, self.message = e.run, str(e)
        except _Stopped:
            pass
        except BaseException as e:  # reported to the page (GdlabError) or as internal
            self._error = e
        finally:
            if self._holds_seed:
                self._holds_seed = False
                _SEED_LOCK.release()
            with self._cond:
                self._finished, self._parked = True, False
                self._cond.notify_all()

    def _park(self) -> None:
        """(Worker) Wait between two updates until the page allows the next one."""
        with self._cond:
            self._parked = True
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
            self.cfg.lr = self.settings.lr  # gdlab.train reads it when the next epoch starts

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
        return self._epoch_lr if self._in_epoch else lr_at(self.cfg, self.state.epoch + 1)

    @property
    def next_epoch_lr(self) -> float:
        return lr_at(self.cfg, self.state.epoch + (2 if self._in_epoch else 1))

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
        s.n_params = int(sum(p.numel() for p in state.model.parameters()))
        s.initial_loss = state.initial_loss
        s._holds_seed = False
        _SEED_LOCK.release()
        s._park()

    def on_step_end(self, state: TrainState, step: int, loss: float) -> None:
        s = self.s
        s._in_epoch += 1
        if s._in_epoch == 1:  # the rate gdlab.train set when this epoch started
            s._epoch_lr = lr_at(s.cfg, state.epoch + 1)
        with s._cond:
            s._pending["steps"].append([step, state.epoch + s._in_epoch / s.n_batches, _finite(loss)])
            if s.two_params and step < limits.MAX_PATH_POINTS:  # + the start point
                s._pending["path"].append(s.params().tolist())
        if s._in_epoch < s.n_batches and math.isfinite(loss):
            s._park()

    def on_epoch_end(self, state: TrainState, entry: dict) -> None:
        s = self.s
        s._in_epoch = 0
        shown = dict(entry)
        if s.prep.X_test is not None:  # the test split too, for the curve (training never sees it)
            shown["test_loss"], shown["test_accuracy"] = evaluate_loss(
                s.model, s.loss, s.prep.X_test, s.prep.y_test, s.task)
        with s._cond:
            s._pending["entries"].append(shown)
        if state.stopped_reason is None and state.epoch < s.cfg.epochs:
            s._park()


def _empty_frame() -> dict:
    return {"steps": [], "path": [], "entries": []}


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a diverged loss travels as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
