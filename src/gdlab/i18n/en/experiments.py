"""``gdlab compare``, ``gdlab sweep`` and ``gdlab surface``: what they print while they run
and the tables they end with."""

MESSAGES = {
    "exp.status.ok": "ok",
    "exp.status.diverged": "diverged at epoch {epoch}",
    "exp.status.refused": "refused: {why}",
    "compare.headline": ("training on {data} with {optimizer}, lr {lr}, {epochs} epochs, {dtype}, "
                         "seed {seed}, through {n} engines ..."),
    "compare.h.engine": "engine",
    "compare.h.final_loss": "final loss",
    "compare.h.diff": "max |Δθ| vs {ref}",
    "compare.h.seconds": "s / epoch",
    "compare.h.speed": "speed vs slowest",
    "compare.h.status": "status",
    "compare.seconds_note": "seconds are measurements on this machine: they vary from run to run.",
    "exp.written": "table written to {path}",
    "sweep.headline": "sweeping {n} learning rates on {data} ({optimizer}, {epochs} epochs):",
    "sweep.progress": "  lr {lr:<10g} final train loss {loss:<12.6g} {status}",
    "sweep.h.lr": "lr",
    "sweep.h.train": "final train loss",
    "sweep.h.val": "final val loss",
    "sweep.best": "← best",
    "sweep.title": "Learning-rate sweep on {data} ({optimizer}, {epochs} epochs)",
    "exp.figure": "figure: {path}",
    "surface.headline": "paths on {data} ({n} rows), lr {lr}, {epochs} epochs:",
    "surface.progress": "  {label} {updates:>6} updates   final loss {loss:<12.6g}{status}",
    "surface.animation": "animation: {path} ({frames} frames, one per recorded step)",
}
