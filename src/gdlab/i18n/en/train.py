"""``gdlab train``: its headline, summary, divergence message and run figures.

The command line (``commands/train.py``, ``runfolder.py``, ``train.py``) can print these
instead of its f-strings; the fields carry the same values, formatted the same way.
"""

MESSAGES = {
    "train.model.linear": "linear regression",
    "train.model.logistic": "logistic regression",
    "train.model.softmax": "softmax regression",
    "train.model.mlp": "MLP",
    "train.task.regression": "regression",
    "train.task.binary": "binary",
    "train.task.multiclass": "multiclass",
    "train.headline": ("training {model} on {data} ({rows} rows, {features}, "
                       "{task}{streamed}) with {optimizer}, lr {lr}, {epochs}{processes}"),
    "train.features.one": "1 feature",
    "train.features.many": "{n} features",
    "train.epochs.one": "1 epoch",
    "train.epochs.many": "{n} epochs",
    "train.headline.streamed": ", streamed from disk",
    "train.headline.processes": ", {n} processes",
    "train.done": ("done: {model} on {data}, {epochs} ({reason}), {optimizer} batch "
                   "{batch}, lr {lr}, engine {engine}, {device} {dtype}, {seconds:.2f} s"),
    "train.rows": "  rows: {train} train, {val} validation, {test} test",
    "train.loss": "  {loss} loss: train {train}",
    "train.loss_missing": "  train loss: -",
    "train.loss_val": ", validation {val}",
    "train.test": "  test: {scores}",
    "train.learned": "  learned: {equation}",
    "train.true": "  true:    w = {w}, b = {b}",
    "train.folder": "  run folder: {folder}",
    # stopped_reason values as the summary shows them (English keeps metrics.json's words)
    "train.reason.max_epochs": "max_epochs",
    "train.reason.tol": "tol",
    "train.reason.early_stopping": "early_stopping",
    "train.reason.grad_tol": "grad_tol",
    "train.reason.diverged": "diverged",
    # divergence (exit code 3)
    "train.diverged": "training diverged at epoch {epoch} (loss {loss:.4g}, started at {initial:.4g})",
    "train.ended_above": "training ended above where it started (loss {loss:.4g}, started at {initial:.4g})",
    "train.kept": "{what} (the run so far is kept in {folder})",
    "train.hint_cli": "{what}; try a smaller learning rate than --lr {lr:g}",
    "train.hint": "{what}; try a smaller learning rate than lr {lr:g}",
    "train.hint_slider": "{what}; try a smaller learning rate than {lr:g} (the lr slider)",
    "train.early_restore": "early stopping: restored the weights of epoch {epoch} (best validation loss {loss:.6g})",
    # figures.py: the run figures of `gdlab train`
    "figures.what": "{model} on {data}",
    "figures.loss": "Loss per epoch — {what} ({optimizer}, lr {lr})",
    "figures.fit": "Fit — {what}",
    "figures.boundary": "Decision boundary — {what}",
    "figures.confusion": "Confusion matrix — {what}, {where} ({n} rows)",
    "figures.rows.test": "test split",
    "figures.rows.train": "training rows",
    "figures.rows.first_chunk_test": "the test rows of the first chunk",
    "figures.rows.first_chunk": "the first chunk",
}
