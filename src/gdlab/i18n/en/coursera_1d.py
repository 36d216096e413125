"""Coursera "Deep Neural Networks with PyTorch", module 2 (``gdlab lesson coursera-1d``)."""

MESSAGES = {
    "coursera-1d.title": "Coursera PyTorch module 2: 1-D linear regression with nn.Linear",
    "coursera-1d.summary": ("nn.Linear, a custom module, state_dict; slope and bias by GD, SGD and "
                            "mini-batches in course order; learning rates"),
    "coursera-1d.explanation": (
        "nn.Linear treats each row of its input as one sample, so one call predicts many; "
        "calling the model runs its forward(), and state_dict() is a dictionary of the "
        "parameter tensors (changing a value there changes the model). With Gaussian noise on "
        "the line, minimizing the mean squared error is the right fit; larger noise only "
        "spreads the points. The cost is the loss averaged over a batch; gradient descent "
        "steps against its gradient, which on the contour plot is perpendicular to the "
        "contours — and so points at the minimum only where the contours are circles. One "
        "epoch is one pass over the data: batch GD makes 1 update per epoch, SGD 60 and "
        "mini-batches 60/size, so after 10 epochs the small-batch runs are near the minimum "
        "while batch GD is still on its way. The order of the rows matters for SGD: in the "
        "course's order (x rising) consecutive updates pull the line towards one stretch of "
        "the data at a time, and the cost after the first epoch is far higher than with rows "
        "shuffled every epoch. Too small a learning rate barely moves; too large overshoots "
        "the valley and zig-zags, or grows every step and diverges (gdlab stops and says so). "
        "Stop after a fixed number of epochs, or when the loss stops decreasing."),
    "coursera-1d.h.prediction": "== 1. prediction with nn.Linear, a custom module, state_dict() ==",
    "coursera-1d.linear": "torch.manual_seed(1); nn.Linear(1, 1): weight {w:.4f}, bias {b:.4f}",
    "coursera-1d.rows": "x = [[1], [2], [3]] (one sample per row) -> model(x) = [{values}]",
    "coursera-1d.forward": "model(x) runs model.forward(x): the same values: {same}",
    "coursera-1d.custom": ("custom module LR(1, 1) (nn.Module subclass, same seed) gives the same "
                           "predictions: {same}"),
    "coursera-1d.state": "state_dict() keys: {keys}; values: {values}",
    "coursera-1d.state_set": ("after state_dict()['linear.weight'][0, 0] = 1 and "
                              "['linear.bias'][0] = -1: model(x) = [{values}]"),
    "coursera-1d.gdlab_keys": "(gdlab.LinearRegression is such a module; its keys are {keys})",
    "coursera-1d.h.noise": "== 2. the noise: Gaussian noise around y = x - 1 ==",
    "coursera-1d.noise_line": ("noise N(0, {noise}²): least-squares line w = {w:.3f}, b = {b:.3f}; "
                               "points spread {spread:.3f} around it"),
    "coursera-1d.h.train": ("== 3. training w and b from w = {w0:g}, b = {b0:g}, lr {lr}, {epochs} "
                            "epochs, on {n} points =="),
    "coursera-1d.h.course_order": "-- in the course's order: every epoch visits the rows as they come, x rising (--no-shuffle) --",
    "coursera-1d.h.shuffled": "-- beside it: the rows shuffled every epoch (gdlab's default) --",
    "coursera-1d.opt.batch GD": "batch GD",
    "coursera-1d.opt.SGD": "SGD",
    "coursera-1d.opt.mini-batch 5": "mini-batch 5",
    "coursera-1d.opt.mini-batch 10": "mini-batch 10",
    "coursera-1d.opt.mini-batch 20": "mini-batch 20",
    "coursera-1d.epoch_col": "epoch (cost after it)",
    "coursera-1d.updates": "updates",
    "coursera-1d.final": "{name} {n:>3} updates -> w = {w:.4f}, b = {b:.4f}",
    "coursera-1d.order_why": (
        "After SGD's first epoch the cost is {ordered:.6g} in course order and {shuffled:.6g} "
        "shuffled. In course order x rises from {x0:g} to {x1:g}, so consecutive updates see "
        "similar rows and pull the line towards one stretch of the data at a time: after that "
        "epoch it is at (w, b) = ({w:.3f}, {b:.3f}). Shuffled, consecutive updates see rows "
        "from everywhere and their pulls average out."),
    "coursera-1d.h.lr": "== 4. the learning rate (batch GD, {epochs} epochs) ==",
    "coursera-1d.epoch_col_lr": "epoch",
    "coursera-1d.rate.small": "too small",
    "coursera-1d.rate.good": "good",
    "coursera-1d.rate.overshoots": "too large: overshoots",
    "coursera-1d.rate.diverges": "too large: diverges",
    "coursera-1d.rate_line": "lr {lr:<6g} {verdict} {status}",
    "coursera-1d.diverged_at": "diverged at epoch {epoch}",
    "coursera-1d.final_cost": "final cost {cost:.4g}",
    "coursera-1d.stopping": (
        "stopping rule: with lr {lr}, at most 1000 epochs and --tol {tol:g} --patience "
        "{patience}, batch GD stopped after {epochs} epochs ({reason}: the cost stopped "
        "falling by more than {tol:g}), at cost {cost:.5f}"),
    "coursera-1d.erratum.points_to_minimum": (
        "the notes say the gradient points towards the minimum. At the start (w, b) = "
        "({w0:g}, {b0:g}) the descent direction −∇L = ({gw:.2f}, {gb:.2f}) is {angle:.1f}° "
        "away from the straight line to the minimum ({w:.3f}, {b:.3f}): −∇L is perpendicular "
        "to the contour through the point, which points at the minimum only where the "
        "contours are circles (see the two arrows at the start in coursera-surface.png)."),
    "coursera-1d.erratum.plot_sign": (
        "the course's contour-plot helper computes w·x − b instead of w·x + b, so its picture "
        "is the surface mirrored in b: it shows the minimum at b = {mb:.3f} instead of "
        "{b:.3f}, where the real cost is {mirrored:.4g} (at the real minimum: {least:.4g}). "
        "gdlab's surfaces evaluate w·x + b."),
    "coursera-1d.fig.surface": ("Course order: batch GD, SGD and mini-batches from (w, b) = "
                                "({w0:g}, {b0:g}), lr {lr}, {epochs} epochs"),
    "coursera-1d.fig.surface_shuffled": ("Rows shuffled every epoch: the same runs from (w, b) = "
                                         "({w0:g}, {b0:g}), lr {lr}, {epochs} epochs"),
    "coursera-1d.fig.animation": "Course order, step by step, from (w, b) = ({w0:g}, {b0:g}), lr {lr}",
    "coursera-1d.fig.lr": "Batch GD from (w, b) = ({w0:g}, {b0:g}) at four learning rates",
    "coursera-1d.fig.lr_surface": "Batch GD paths at four learning rates (the diverging one leaves the view)",
    "coursera-1d.fig.noise_title": "The noise the fit assumes: Gaussian offsets from the line y = x − 1",
    "coursera-1d.fig.noise_line": "the line y = x − 1",
    "coursera-1d.fig.noise_points": "points with noise σ = {noise:g}",
    "coursera-1d.fig.noise_hist": "offsets, σ = {noise:g} (histogram)",
    "coursera-1d.fig.noise_pdf": "Gaussian density N(0, {noise:g}²)",
    "coursera-1d.fig.noise_data_title": "60 points x = −3 … 2.9 around the line",
    "coursera-1d.fig.noise_hist_title": "How far the points lie from the line",
    "coursera-1d.fig.noise_x": "offset from the line: y − (x − 1)",
    "coursera-1d.fig.noise_y": "probability density",
}
