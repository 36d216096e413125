"""Optional TensorBoard logging: scalars per epoch, when the tensorboard package is installed."""

from __future__ import annotations

from .errors import GdlabError
from .train import Callback

INSTALL_HINT = "pip install tensorboard  (or: pip install 'gdlab[tensorboard]')"


class TensorBoardCallback(Callback):
    """Write train/val loss, accuracy, lr and gradient norm per epoch as TensorBoard scalars."""

    def __init__(self, writer_cls):
        self._writer_cls = writer_cls
        self.writer = None

    @classmethod
    def create(cls) -> TensorBoardCallback:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise GdlabError(
                f"--tensorboard needs the tensorboard package, which is not installed: {INSTALL_HINT}"
            ) from None
        return cls(SummaryWriter)

    def open(self, logdir) -> None:
        self.writer = self._writer_cls(log_dir=str(logdir))

    def on_epoch_end(self, state, entry: dict) -> None:
        if self.writer is None:
            return
        e = entry["epoch"]
        for key in ("train_loss", "val_loss", "accuracy", "val_accuracy", "lr", "grad_norm"):
            if entry.get(key) is not None:
                group = "loss" if key.endswith("loss") else "accuracy" if "accuracy" in key else "optim"
                self.writer.add_scalar(f"{group}/{key}", entry[key], e)

    def on_train_end(self, state) -> None:
        if self.writer is not None:
            self.writer.close()
