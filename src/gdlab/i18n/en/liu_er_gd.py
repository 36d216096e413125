"""Liu Er, lecture 3 (``gdlab lesson liu-er-gd``)."""

MESSAGES = {
    "liu-er-gd.title": "Liu Er lecture 3: gradient descent and SGD on y = 2x, by hand",
    "liu-er-gd.summary": ("GD and per-sample SGD on y=2x in Python floats and float32; "
                          "whose number the notes print"),
    "liu-er-gd.explanation": (
        "The gradient ∂cost/∂w = mean of 2x(xw − y) is negative while w < 2 (the cost falls "
        "as w grows), so stepping against it, w ← w − 0.01·grad, moves w up towards 2: that "
        "is gradient descent; stepping with the gradient would climb the cost (ascent). The "
        "cost is the loss averaged over all samples; full-batch GD makes one update per epoch "
        "(100 updates), per-sample SGD one per sample (300 updates over the same 100 epochs), "
        "so after 100 epochs SGD is much closer to 2 — because it made three times the "
        "updates, not because it is stochastic: it visits the samples in order. The notes "
        "print 7.999998569488525 under their GD code, but GD gives 7.999777758621207 in "
        "Python floats and 7.999777317047119 in float32: the notes' number is what per-sample "
        "SGD gives in float32, however it is computed (a tensor with autograd, NumPy by hand, "
        "gdlab's engines). With autograd PyTorch builds the graph of (x·w − y)² as the code "
        "runs (a dynamic graph), backward() fills w.grad and frees the graph, and the next "
        "forward builds a new one."),
    "liu-er-gd.data": "data x = {x}, y = {y}; model y = w·x, w = {w0}; lr {lr}; {epochs} epochs",
    "liu-er-gd.h.gd": "== 1. full-batch gradient descent, Python floats (the notes' first program) ==",
    "liu-er-gd.h.sgd": "== 2. per-sample SGD, Python floats (the notes' second program) ==",
    "liu-er-gd.h.f32": "== 3. per-sample SGD on a float32 tensor, gradient by autograd ==",
    "liu-er-gd.h.which": "== which configuration prints the notes' number? ==",
    "liu-er-gd.h.faster": "== does SGD converge faster? ==",
    "liu-er-gd.config.GD, Python floats": "GD, Python floats",
    "liu-er-gd.config.SGD, Python floats": "SGD, Python floats",
    "liu-er-gd.config.GD, float32 autograd": "GD, float32 autograd",
    "liu-er-gd.config.SGD, float32 autograd": "SGD, float32 autograd",
    "liu-er-gd.config.GD, float32 NumPy": "GD, float32 NumPy by hand",
    "liu-er-gd.config.SGD, float32 NumPy": "SGD, float32 NumPy by hand",
    "liu-er-gd.config.GD, float32 gdlab": "GD, float32 gdlab.train",
    "liu-er-gd.config.SGD, float32 gdlab": "SGD, float32 gdlab.train",
    "liu-er-gd.notes_mark": "  <- the notes' number",
    "liu-er-gd.config_line": "  {label} {updates:>3} updates  predict(4) = {value!r}{mark}",
    "liu-er-gd.engines_line": (
        "(gdlab.train: y = w·x without a bias, rows in order, the same digits from the "
        "{engines} engines; in float64 GD gives {gd64!r}, SGD {sgd64!r})"),
    "liu-er-gd.faster_gd": "  full-batch GD   {updates:>3} updates at lr {lr:g}: |w − 2| = {err:.3g}",
    "liu-er-gd.faster_sgd": "  per-sample SGD  {updates:>3} updates at lr {lr:g}: |w − 2| = {err:.3g}",
    "liu-er-gd.faster_gd_long": "  full-batch GD   {updates:>3} updates at lr {lr:g}: |w − 2| = {err:.3g}",
    "liu-er-gd.faster_gd_lr": ("  full-batch GD   {updates:>3} updates at lr {lr:g}: |w − 2| = {err:.3g} "
                               "(predict(4) = {predict!r})"),
    "liu-er-gd.erratum.stochastic": (
        "the notes call this loop stochastic gradient descent, but it visits x = 1, 2, 3 in "
        "the same order every epoch: nothing in it is random, and a second run prints the "
        "same {again!r}. Stochastic means the order (or the batch) is drawn at random: "
        "shuffling the three samples every epoch (seed {seed}) gives {shuffled!r}. In gdlab "
        "--optimizer sgd shuffles; --no-shuffle keeps the course order."),
    "liu-er-gd.erratum.float32": (
        "the notes print {notes!r} under their GD code, but that code gives {gd!r} in Python "
        "floats and {gd32!r} in float32. {notes!r} is what per-sample SGD gives in float32 — "
        "every float32 SGD above: a tensor with autograd, NumPy by hand, gdlab's engines — so "
        "it came from the SGD loop run on float32 numbers (the course's next lecture uses "
        "float32 tensors)."),
    "liu-er-gd.erratum.faster": (
        "the notes conclude that SGD converges faster. Over 100 epochs it makes 3x the updates "
        "of GD (300 against 100); update for update they are alike (GD with 300 updates: "
        "|w − 2| = {gd_long:.3g}, SGD: {sgd:.3g}), and GD with a 3x larger step, lr {lr:g}, "
        "gets closer in its 100 updates than SGD in 300: {gd_lr:.3g}."),
    "liu-er-gd.fig.title": "Liu Er lecture 3: y = w·x on x = [1, 2, 3], y = 2x, lr 0.01",
    "liu-er-gd.fig.cost_title": "Cost / loss per epoch",
    "liu-er-gd.fig.cost_y": "squared error",
    "liu-er-gd.fig.gd_cost": "GD: cost (mean over 3 samples) before the update",
    "liu-er-gd.fig.sgd_loss": "SGD: last sample's loss after its update",
    "liu-er-gd.fig.f32_loss": "SGD, float32 autograd: last sample's loss before its update",
    "liu-er-gd.fig.w_title": "w per epoch (the answer is w = 2)",
    "liu-er-gd.fig.gd_w": "GD, {n} updates",
    "liu-er-gd.fig.sgd_w": "SGD, {n} updates",
    "liu-er-gd.fig.f32_w": "SGD, float32 autograd",
    "liu-er-gd.fig.gap_title": "Distance to the answer |w − 2|",
    "liu-er-gd.fig.gd_fast": "GD, lr {lr:g}, {n} updates",
}
