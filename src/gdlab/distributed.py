"""Distributed data parallel with PyTorch's own machinery (``torch.distributed``, torchrun).

Each process (rank) holds its own shard of the training rows — a contiguous block of the
in-memory training split, or its share of a stream's chunks — computes the gradient of
its batch, and the gradients are averaged across ranks with one ``all_reduce`` before the
same update is applied everywhere (gloo on CPU, NCCL on GPU). So:

- full-batch GD on N processes computes exactly the full-data gradient, the same as one
  process (up to floating-point summation order);
- mini-batch SGD with batch B on N processes is mini-batch SGD with a global batch of N·B
  (each global batch is the union of the ranks' local batches; each rank shuffles its own
  shard every epoch).

Only rank 0 writes the run folder and prints. Collectives time out (``GDLAB_DIST_TIMEOUT``
seconds, default 120), and torchrun ends every rank when one fails, so a failure anywhere
ends the whole run with a message instead of a hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist

from .errors import GdlabError
from .feeds.memory import shard  # noqa: F401  (re-exported: where a process's rows start and stop)

DEFAULT_TIMEOUT_S = 120


def world() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) outside torchrun."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def launched_by_torchrun() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ or int(os.environ.get("WORLD_SIZE", 1)) > 1


def init(device: torch.device) -> tuple[int, int]:
    """Join the process group (once); returns (rank, world size)."""
    rank, size = world()
    if size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        timeout = timedelta(seconds=float(os.environ.get("GDLAB_DIST_TIMEOUT", DEFAULT_TIMEOUT_S)))
        dist.init_process_group(backend=backend, timeout=timeout)
    return rank, size


class Comm:
    """Sums across ranks; a single-process Comm is the identity (no process group)."""

    def __init__(self, size: int = 1):
        self.size = size

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum of a list of numbers over all ranks."""
        if self.size == 1:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def max(self, values: list[float]) -> list[float]:
        """Element-wise maximum over all ranks."""
        if self.size == 1:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return t.tolist()

    def sum_flat(self, flat: torch.Tensor) -> torch.Tensor:
        """Element-wise sum of one flat buffer over all ranks, in place (one all_reduce):
        how an update's gradient sums, loss sums and counts travel together."""
        if self.size > 1:
            dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        return flat

    def sum_tensors(self, tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        """Element-wise sums over all ranks, in one all_reduce of the packed tensors."""
        if self.size == 1:
            return tensors
        flat = torch.cat([t.reshape(-1) for t in tensors])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        out, i = [], 0
        for t in tensors:
            out.append(flat[i : i + t.numel()].view_as(t))
            i += t.numel()
        return out


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``gdlab <argv>`` under torchrun with ``nproc`` processes on this machine.

    Each process that fails with a gdlab error leaves its one line and exit code in a
    folder the launcher reads afterwards (``GDLAB_ERROR_DIR``), so a bad file shows as the
    child's own message and exit code, not as torchrun's traceback; anything else shows
    what torchrun printed.
    """
    import tempfile

    if nproc < 1:
        raise GdlabError(f"--nproc must be ≥ 1, got {nproc}")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", "-m", "gdlab", *argv]
    with tempfile.TemporaryDirectory(prefix="gdlab-ranks-") as folder:
        env = {**os.environ, "GDLAB_ERROR_DIR": folder}
        proc = subprocess.run(cmd, check=False, env=env, stderr=subprocess.PIPE, text=True)
        reports = sorted(Path(folder).glob("rank-*"), key=lambda p: int(p.name.split("-")[1]))
        if proc.returncode != 0 and reports:
            code, message = reports[0].read_text().split("\n", 1)
            print(f"gdlab: error: {message.strip()}", file=sys.stderr)
            return int(code)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        print(f"gdlab: error: a process of the {nproc}-process run failed (exit code "
              f"{proc.returncode}); torchrun stopped the others — see the messages above",
              file=sys.stderr)
    elif proc.stderr:
        sys.stderr.write(proc.stderr)
    return proc.returncode


def finish() -> None:
    """Wait for every process, then leave the process group."""
    if dist.is_initialized():
        try:
            dist.barrier()
        finally:
            dist.destroy_process_group()
