"""Training into a run folder — what ``gdlab train`` does around :func:`gdlab.train`.

One writer per run folder: the run holds an exclusive lock (``.NAME.lock`` beside the
folder, with the holder's pid) from start to publish, and builds everything in
``<out>.partial``. While it trains, the checkpoint in there is written by time — at most
every :data:`CHECKPOINT_EVERY_S` seconds, at the end, and on SIGINT/SIGTERM — with the
history appended to ``history.csv`` rather than rewritten, so the cost of a long CLI
run stays the library's. When training ends the run files and figures are written and
the folder replaces ``<out>`` (:func:`gdlab.checkpoint.publish`); a failed run leaves
any earlier ``<out>`` untouched.

``--resume`` continues only an interrupted ``<out>.partial``, and only the same run: the
same data (a fingerprint of its content is kept in the checkpoint) and the same
settings, except ``--epochs``, which may be raised.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from .callbacks import Callback
from .checkpoint import (
    history_columns,
    history_csv,
    load_checkpoint,
    partial_dir,
    publish,
    recover,
    save_checkpoint,
    write_run_files,
)
from .config import TrainConfig
from .distributed import finish, launch, launched_by_torchrun, world
from .errors import DivergedError, GdlabError, Interrupted
from .io import make_folder, writing

CHECKPOINT_EVERY_S = 30.0  # GDLAB_CHECKPOINT_SECONDS overrides it (tests checkpoint every epoch)
RESUMABLE_CHANGES = ("epochs", "quiet")  # what --resume may change


# --- one writer per folder -----------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_lock(out: Path, *, log: Callable[[str], None] = print) -> Iterator[None]:
    """Hold the exclusive lock of run folder ``out`` (a second writer exits 2)."""
    out = Path(out)
    make_folder(out.parent)
    path = out.parent / f".{out.name}.lock"
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise GdlabError(f"run folder {out} is being written by process {holder}; wait for "
                             "it to finish or choose another --out") from None
        previous = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if previous.isdigit() and int(previous) != os.getpid() and partial_dir(out).exists():
            if not _pid_alive(int(previous)):
                log(f"taking over {out} from process {previous}, which stopped without finishing")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock; the small lock file stays (removing it would race)


# --- what the data was ----------------------------------------------------------------------------
def fingerprint(source: str, data) -> dict:
    """What identifies the data a run trains on: the file's size and mtime, and a hash of
    its content (of the rows as loaded; of the statistics pass, for a stream)."""
    h = hashlib.blake2b(digest_size=16)
    if hasattr(data, "X"):
        for array in (data.X, data.y, data.X_test, data.y_test):
            if array is not None:
                h.update(np.ascontiguousarray(array).tobytes())
    else:  # a stream: its statistics pass saw every cell
        h.update(np.asarray([data.n_train, data.n_val, data.n_test], dtype=np.int64).tobytes())
        h.update(np.asarray(data.mean, dtype=np.float64).tobytes())
        h.update(np.asarray(data.std, dtype=np.float64).tobytes())
        h.update(repr(data.classes).encode())
    out = {"source": source, "content": h.hexdigest(), "task": data.task}
    p = Path(source)
    if p.is_file():
        st = p.stat()
        out.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    return out


# --- checkpoints by time, and signals ----------------------------------------------------------------
class CheckpointCallback(Callback):
    """Append the history and save a checkpoint at most every ``every`` seconds, at the
    end, and when asked to stop (SIGINT/SIGTERM, then raises :class:`Interrupted`)."""

    def __init__(self, folder: Path, extra: dict, *, every: float | None = None):
        if every is None:
            every = float(os.environ.get("GDLAB_CHECKPOINT_SECONDS", CHECKPOINT_EVERY_S))
        self.folder, self.extra, self.every = Path(folder), extra, every
        self.written = 0  # history rows already in history.csv
        self.columns: list[str] | None = None
        self.last = time.monotonic()
        self.stop_signal: int | None = None

    def on_train_begin(self, state) -> None:
        self.written = len(state.history)
        history = self.folder / "history.csv"
        if state.history:  # a resumed run: history.csv holds exactly the checkpoint's rows
            self.columns = history_columns(state.history)
            with writing(history):
                history.write_text(history_csv(state.history, columns=self.columns))
        else:
            history.unlink(missing_ok=True)
        self.last = time.monotonic()

    def on_epoch_end(self, state, entry: dict) -> None:
        if self.stop_signal is not None:
            self.save(state)
            code = 128 + self.stop_signal
            name = signal.Signals(self.stop_signal).name
            raise Interrupted(f"{name}: stopped after epoch {state.epoch}; the checkpoint is in "
                              f"{self.folder} — continue with --resume", exit_code=code)
        if time.monotonic() - self.last >= self.every:
            self.save(state)

    def on_train_end(self, state) -> None:
        self.save(state)

    def save(self, state) -> None:
        history = self.folder / "history.csv"
        new = state.history[self.written:]
        if self.columns is None and state.history:
            self.columns = history_columns(state.history)
        if new:
            with writing(history), open(history, "a", newline="") as f:
                f.write(history_csv(new, columns=self.columns, header=self.written == 0))
                f.flush()
                os.fsync(f.fileno())
            self.written = len(state.history)
        save_checkpoint(self.folder, state, extra=self.extra, history_rows=self.written)
        self.last = time.monotonic()


@contextlib.contextmanager
def stop_on_signals(callback: CheckpointCallback) -> Iterator[None]:
    """While training: SIGINT/SIGTERM ask the run to stop after the current epoch, with a
    checkpoint (a second signal stops at once, as usual)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {}

    def ask(signum, _frame):
        if callback.stop_signal is not None:  # a second time: stop now
            signal.signal(signum, before[signum])
            os.kill(os.getpid(), signum)
            return
        callback.stop_signal = signum

    for sig in (signal.SIGINT, signal.SIGTERM):
        before[sig] = signal.signal(sig, ask)
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


# --- train into a folder ------------------------------------------------------------------------------
def train_to_folder(
    data_arg: str,
    cfg: TrainConfig,
    *,
    out: str | None,
    resume: bool = False,
    plots: bool = True,
    tensorboard: bool = False,
    live: bool = False,
    explicit: frozenset[str] | set[str] = frozenset(),
    log: Callable[[str], None] = print,
    headline: Callable | None = None,
    lang: str = "en",
):
    """Train ``data_arg`` with ``cfg`` into run folder ``out``; returns (run, data, folder),
    or None on a process other than rank 0 of a distributed run. ``lang`` is the
    language of the figures."""
    try:
        rank, _ = world()
        if rank != 0:  # every process trains; only rank 0 prints and writes the run folder
            _train_worker(data_arg, cfg, out=out)
            return None
        if resume and out is None:
            raise GdlabError("--resume needs --out: the run folder to continue")
        from .setup import model_kind, open_data

        if resume:
            out_path = Path(out)
            with run_lock(out_path, log=log):
                return _train_locked(data_arg, cfg, out_path, resume=True, plots=plots,
                                     tensorboard=tensorboard, live=live, explicit=explicit,
                                     log=log, headline=headline, lang=lang)
        data, cfg = open_data(data_arg, cfg, log=log)
        out_path = Path(out or f"runs/{time.strftime('%Y%m%d-%H%M%S')}-{model_kind(cfg.model, data.task)}")
        _check_out(out_path)
        with run_lock(out_path, log=log):
            return _train_locked(data_arg, cfg, out_path, resume=False, plots=plots,
                                 tensorboard=tensorboard, live=live, explicit=explicit, log=log,
                                 headline=headline, data=data, lang=lang)
    finally:
        finish()  # leave the process group cleanly (else gloo may abort at exit)


def _check_out(out: Path) -> None:
    resolved = out.resolve()
    if resolved == Path(resolved.anchor) or out.name in ("", ".", ".."):
        raise GdlabError(f"--out {out}: name a folder for the run, not {resolved}")
    if out.exists() and not out.is_dir():
        raise GdlabError(f"--out {out}: exists and is not a folder")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise GdlabError(f"--out {out}: {parent} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "model.json").exists():
        raise GdlabError(f"--out {out}: the folder exists and is not a gdlab run folder; "
                         "choose another --out (a finished run folder is replaced, nothing else)")


def _train_worker(data_arg: str, cfg: TrainConfig, *, out) -> None:
    from .setup import open_data
    from .train import train

    if out is None:
        raise GdlabError("distributed runs need --out so that every process agrees on it")
    data, cfg = open_data(data_arg, cfg.replace(quiet=True), log=lambda _m: None)
    train(None, data, config=cfg, log=lambda _m: None)


def _resume_settings(partial: Path, data_arg: str, cfg: TrainConfig, explicit, log):
    """The checkpoint and the settings to continue with, refusing any change but --epochs."""
    if not (partial / "checkpoint.safetensors").exists():
        out = partial.with_name(partial.name.removesuffix(".partial"))
        raise GdlabError(f"--resume: nothing to resume in {out}: no interrupted run "
                         f"({partial.name} has no checkpoint); start without --resume")
    state, extra = load_checkpoint(partial)
    settings = dict(extra["settings"])
    if "data" in explicit and data_arg != extra["data"]:
        raise GdlabError(f"--resume: the interrupted run trained on {extra['data']}, not "
                         f"{data_arg}; resume without DATA or with the same one")
    new = cfg.to_dict()
    for key in sorted(explicit - {"data", *RESUMABLE_CHANGES}):
        if key in settings and new.get(key) != settings[key]:
            flag = "--" + key.replace("_", "-")
            raise GdlabError(f"--resume: {flag} {new.get(key)} differs from the interrupted "
                             f"run's {settings[key]}; resume with the same settings (only "
                             "--epochs may change)")
    if "epochs" in explicit and cfg.epochs != settings["epochs"]:
        if cfg.epochs < state.epoch:
            raise GdlabError(f"--resume: the run already made {state.epoch} epochs; --epochs "
                             f"{cfg.epochs} would end it before that")
        log(f"--epochs {cfg.epochs}: continuing to {cfg.epochs} epochs (the run was started "
            f"for {settings['epochs']})")
        settings["epochs"] = cfg.epochs
    settings["quiet"] = cfg.quiet
    return state, TrainConfig.from_kwargs(**settings), extra


def _train_locked(data_arg, cfg, out_path: Path, *, resume, plots, tensorboard, live, explicit,
                  log, headline, data=None, lang="en"):
    from .train import train

    partial = partial_dir(out_path)
    recover(out_path, log=log)
    state = None
    if resume:
        state, cfg, extra = _resume_settings(partial, data_arg, cfg, explicit, log)
        data_arg = extra["data"]
        from .setup import open_data

        data, cfg = open_data(data_arg, cfg, log=log)
        now = fingerprint(data_arg, data)
        then = extra.get("fingerprint") or {}
        for key in ("task", "size", "content"):
            if key in then and then[key] != now.get(key):
                raise GdlabError(f"--resume: {data_arg} is not the data the run started on (its "
                                 f"{'content' if key != 'task' else 'task'} changed); start "
                                 "again without --resume")
        log(f"resuming {out_path} after epoch {state.epoch} of {cfg.epochs}")
    else:
        if partial.exists():
            with writing(partial):
                shutil.rmtree(partial)
    make_folder(partial)
    callbacks: list[Callback] = []
    if tensorboard:
        from .tensorboard import TensorBoardCallback  # says how to install it when missing

        tb = TensorBoardCallback.create()
        tb.open(partial / "tensorboard")
        callbacks.append(tb)
    if live:  # one loss plot kept up to date: a window, or <out>.partial/live.png
        from .live import LivePlot

        callbacks.append(LivePlot(out=partial, log=(lambda _m: None) if cfg.quiet else log))
    checkpoints = CheckpointCallback(partial, {"settings": cfg.to_dict(), "data": data_arg,
                                               "fingerprint": fingerprint(data_arg, data)})
    callbacks.append(checkpoints)
    if headline is not None and not cfg.quiet:
        log(headline(data, cfg))
    try:
        with stop_on_signals(checkpoints):
            run = train(None, data, config=cfg, callbacks=callbacks, resume=state,
                        log=(lambda _m: None) if cfg.quiet else log)
    except DivergedError as e:
        write_run_files(e.run, partial)
        raise DivergedError(f"{e.what} (the run so far is kept in {partial})", epoch=e.epoch,
                            lr=e.lr) from None
    write_run_files(run, partial)
    (partial / "live.png").unlink(missing_ok=True)  # the live view: loss.png is its final form
    if plots:
        from .figures import write_run_figures

        write_run_figures(run, data, partial, lang=lang)
    publish(partial, out_path)
    return run, data, out_path


def launch_processes(nproc: int, argv: list[str]) -> int:
    """``gdlab train --nproc N``: the same command under torchrun, N processes here."""
    if launched_by_torchrun():
        return 0
    return launch(nproc, argv)
