"""Dive into Deep Learning 3.2–3.3 (``gdlab lesson d2l-linear``)."""

MESSAGES = {
    "d2l-linear.title": "Dive into Deep Learning 3.2-3.3: linear regression from scratch and concise",
    "d2l-linear.summary": ("vectorization timing and its crossover; linear regression from scratch "
                           "(½ squared loss) and with nn.Linear + MSELoss"),
    "d2l-linear.explanation": (
        "A Python loop pays the interpreter's cost once per element, one vector operation pays "
        "it once (a few microseconds however short the vector), so the loop wins only on tiny "
        "data — the crossovers above — and loses by orders of magnitude beyond: write the math "
        "for the whole batch at once. That is also why `gdlab compare toy-1d` (3 rows) shows "
        "the scalar engine fastest: compare engines on data of a few hundred rows or more. "
        "Both trainings recover w ≈ [2, −3.4] and b ≈ 4.2 in 3 epochs (300 iterations of batch "
        "10: an epoch is one pass over the data, an iteration one update). They differ at the "
        "same learning rate because d2l's scratch loss is ½(ŷ − y)² while MSELoss is (ŷ − y)² "
        "without the ½: the concise gradient is twice as large, so lr 0.03 there takes the "
        "steps scratch takes at lr 0.06 (the run above lands on the same parameters). The "
        "reduction matters the same way: d2l sums the loss over the batch and divides by the "
        "batch size inside its sgd(); summing without dividing would multiply the step by the "
        "batch size. gdlab always averages over the batch and names the ½ in the loss "
        "(half-mse versus mse), so the learning rate means the same thing in every engine."),
    "d2l-linear.data": "data: {n} rows, 2 features ~ N(0, 1), y = X·{w} + {b} + N(0, {noise}²)",
    "d2l-linear.first_row": "features[0] = {x}, label[0] = {y:.4f}",
    "d2l-linear.h.vector": "== vectorization: add two {n}-vectors ==",
    "d2l-linear.loop_time": "element by element in a Python loop: {seconds:.5f} sec",
    "d2l-linear.vector_time": "one vector operation a + b:          {seconds:.5f} sec ({us:.1f} µs)",
    "d2l-linear.ratio": "the vector operation is {ratio:.0f}x faster (a measurement: it varies by machine)",
    "d2l-linear.erratum.timer": (
        "the notes time one a + b with time.time() and print it with '%.5f sec': here that "
        "prints {printed}. One a + b takes about {per_call:.2g} µs (the mean of 1000 calls), "
        "less than the 10 µs the format can show, and time.time() (a float of seconds since "
        "1970) moves in steps of {step:.3g} µs: a single timing measures the clock and the "
        "first call's warm-up ({first:.3g} µs this time), not the addition. Time many calls "
        "with time.perf_counter() and divide, as above."),
    "d2l-linear.h.pays": "== where vectorization starts to pay (timings: they vary by machine) ==",
    "d2l-linear.col.n": "n",
    "d2l-linear.col.loop": "Python loop (µs)",
    "d2l-linear.col.vector": "one tensor a + b (µs)",
    "d2l-linear.col.ratio": "loop / tensor",
    "d2l-linear.pays_vector": (
        "Adding two lists of n Python floats costs time in proportion to n; one tensor call "
        "costs about {call:.2g} µs whatever the length, so here it wins from n = {n} on."),
    "d2l-linear.pays_vector_none": (
        "On this machine the loop stayed ahead at some length up to n = {n} (one tensor call "
        "costs about {call:.2g} µs): a busy machine makes short timings noisy; run it again."),
    "d2l-linear.pays_engines_none": (
        "On this machine the scalar engine was not behind at every size up to {rows} rows "
        "(scalar / manual = {ratio:.2f} there): a busy machine makes short timings noisy; run "
        "it again."),
    "d2l-linear.col.rows": "rows",
    "d2l-linear.col.scalar": "scalar engine (ms / epoch)",
    "d2l-linear.col.manual": "manual engine (ms / epoch)",
    "d2l-linear.col.ratio_engines": "scalar / manual",
    "d2l-linear.pays_engines": (
        "The same for a whole training: full-batch GD on synthetic-linear, gdlab's scalar "
        "engine (Python floats and loops) against its manual engine (vectorized tensors). The "
        "manual engine is faster from {n} rows on, {ratio:.0f}x at {rows} rows: `gdlab compare "
        "toy-1d` has 3 rows, too few to show it; `gdlab compare synthetic-linear` shows it."),
    "d2l-linear.h.scratch": "== from scratch: ½ squared loss, batch {batch}, lr {lr}, {epochs} epochs ==",
    "d2l-linear.scratch_epoch": "epoch {epoch}, loss {train_loss:f}",
    "d2l-linear.w_error": "error in estimating w: [{w0:.6f}, {w1:.6f}]",
    "d2l-linear.b_error": "error in estimating b: {b:.6f}",
    "d2l-linear.h.concise": "== concise: nn.Linear, MSELoss, torch.optim.SGD, same start, lr {lr} ==",
    "d2l-linear.concise_epoch": "epoch {epoch}, loss: {train_loss:f}",
    "d2l-linear.h.differ": "== why they differ at the same learning rate ==",
    "d2l-linear.same_units": ("after epoch 1, in the same units (mean (ŷ − y)²): scratch "
                              "{scratch:.6f}, concise {concise:.6f}"),
    "d2l-linear.same_exact": "the very same parameters",
    "d2l-linear.same_rounding": "the same parameters up to float32 rounding ({diff:.2g})",
    "d2l-linear.twice": ("MSELoss has no ½, so its gradient is 2x the scratch one: scratch at lr "
                         "{lr:g} ends at {same}"),
    "d2l-linear.fig.x2": "feature 2 (x₂)",
    "d2l-linear.fig.label": "label y",
    "d2l-linear.fig.scatter_sub": ("Slope ≈ −3.4 (the true w₂); the spread comes from feature 1, "
                                   "not the tiny noise"),
    "d2l-linear.fig.scatter_title": "d2l 3.2 synthetic data: the second feature against the label",
    "d2l-linear.fig.scratch": "scratch, ½ squared loss, lr {lr:g}",
    "d2l-linear.fig.concise": "concise, MSELoss, lr {lr:g}",
    "d2l-linear.fig.per_epoch": "Per epoch (epoch 0: the start)",
    "d2l-linear.fig.per_update": "First 100 updates (batch loss)",
    "d2l-linear.fig.mse_all": "mean (ŷ − y)² over all rows",
    "d2l-linear.fig.mse_batch": "mean (ŷ − y)² over the batch",
    "d2l-linear.fig.update_axis": "update (iteration)",
    "d2l-linear.fig.loss_title": "Same start, same batches: MSELoss at lr 0.03 moves like ½ squared loss at lr 0.06",
    "d2l-linear.fig.loop_series": "Python loop over n floats",
    "d2l-linear.fig.vector_series": "one tensor operation a + b",
    "d2l-linear.fig.n_axis": "n (numbers added)",
    "d2l-linear.fig.us_axis": "microseconds, log scale",
    "d2l-linear.fig.vector_panel": "Adding two vectors of n numbers",
    "d2l-linear.fig.scalar_series": "scalar engine (Python floats)",
    "d2l-linear.fig.manual_series": "manual engine (vectorized tensors)",
    "d2l-linear.fig.rows_axis": "rows of synthetic-linear",
    "d2l-linear.fig.ms_axis": "milliseconds per full-batch epoch, log scale",
    "d2l-linear.fig.engine_panel": "One epoch of gradient descent",
    "d2l-linear.fig.speed_title": "A loop costs time per element, one vector operation about the same for any n",
}
