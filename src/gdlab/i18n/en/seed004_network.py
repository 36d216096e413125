"""Seed 004: a small network and softmax regression (``gdlab lesson seed004-network``)."""

MESSAGES = {
    "seed004-network.title": "A 4-10-1 sigmoid network and softmax regression in PyTorch (seed 004)",
    "seed004-network.summary": ("4→10→1 sigmoid network with BCE; softmax regression done right beside "
                                "the notes' double softmax"),
    "seed004-network.explanation": (
        "Training is forward then backward: the forward pass computes the prediction and the "
        "loss, backward applies the chain rule from the loss back through each layer (the "
        "hand-written backward of gdlab's manual engine matches autograd) and only fills the "
        "gradients, and the optimizer steps against them. Each full-batch epoch here is one "
        "iteration. For softmax regression, CrossEntropyLoss already applies log-softmax to the "
        "raw outputs (logits); applying softmax first feeds it numbers between 0 and 1, so the "
        "loss it prints cannot drop below a floor (0.551 with 3 outputs) and is not the model's "
        "real cross-entropy, and the extra softmax shrinks the gradients, so training is "
        "slower. The third output for 2-class data is a class that never occurs: it only "
        "learns to be unlikely. The predicted class barely changes, so accuracy looks alike, "
        "but the loss (and the probabilities) are wrong: give the loss the logits, with one "
        "output per class. To see what a classifier learned, plot the features that carry the "
        "signal: here x1 and x2, which the notes plot, carry almost none."),
    "seed004-network.data": ("data: make_classification, {n} rows, {d} features (2 informative), "
                             "classes {classes}, random_state 42"),
    "seed004-network.h.network": ("== 1. network 4 -> 10 -> 1, sigmoid, BCELoss, SGD lr {lr}, {epochs} "
                                  "full-batch epochs =="),
    "seed004-network.model": ("model: Linear(4, 10) -> sigmoid -> Linear(10, 1) -> sigmoid, BCELoss "
                              "(gdlab computes sigmoid + BCE together from the logit, which is stabler)"),
    "seed004-network.backprop_check": ("backpropagation written by hand vs autograd, at the start: "
                                       "largest gradient difference {diff:.2g}"),
    "seed004-network.h.right": "== 2a. softmax regression done right: Linear(4, 2), CrossEntropyLoss on the logits ==",
    "seed004-network.h.notes": "== 2b. the notes' variant: Linear(4, 3), softmax, then CrossEntropyLoss ==",
    "seed004-network.h.difference": "== 2c. the difference, after {epochs} epochs ==",
    "seed004-network.col.variant": "variant",
    "seed004-network.col.printed": "printed loss",
    "seed004-network.col.true": "true cross-entropy",
    "seed004-network.col.accuracy": "accuracy",
    "seed004-network.variant.right: 2 outputs, logits": "right: 2 outputs, logits",
    "seed004-network.variant.3 outputs, logits": "3 outputs, logits",
    "seed004-network.variant.2 outputs, softmax first": "2 outputs, softmax first",
    "seed004-network.variant.notes: 3 outputs, softmax first": "notes: 3 outputs, softmax first",
    "seed004-network.floor": (
        "the printed loss of the notes' variant is {printed:.4f}; with 3 outputs softmax-then-"
        "CrossEntropyLoss cannot go below log(1 + 2/e) = {floor:.4f}"),
    "seed004-network.real": (
        "its real cross-entropy is {notes:.4f} against {right:.4f} done right; accuracy "
        "{notes_acc:.2f}% against {right_acc:.2f}%"),
    "seed004-network.library": (
        "gdlab.train(SoftmaxRegression(4, 2), loss='cross-entropy') matches the plain loop done "
        "right (largest parameter difference {diff:.2g})"),
    "seed004-network.erratum.scatter": (
        "the notes scatter features 0 and 1 (x1, x2) coloured by the prediction, but in this "
        "data those two carry almost no signal: a vote of each row's {k} nearest neighbours in "
        "x1, x2 alone gets {notes:.1%} of the labels right ({share:.1f} % of them are 1, so a "
        "coin toss gets 50 %); in {a}, {b} the same vote gets {best:.1%}. make_classification "
        "shuffles its columns, so the 2 informative features are not the first two. "
        "seed004-scatter.png shows both views."),
    "seed004-network.erratum.backprop": (
        "the notes call backpropagation an optimization algorithm. It only computes the "
        "gradients: loss.backward() moves the parameters by {backward:g}; optimizer.step() "
        "moves them (largest change {step:.3g} at lr {lr:g}). The optimizer (gradient descent) "
        "is the algorithm; backpropagation is how it gets its gradient."),
    "seed004-network.erratum.sgd": (
        "the notes' comment calls torch.optim.SGD a stochastic gradient descent optimizer, but "
        "every step here uses all {rows} rows: {updates} updates in {epochs} epochs is "
        "full-batch gradient descent."),
    "seed004-network.erratum.plt": (
        "the notes' code calls plt.scatter and plt.show but never imports matplotlib.pyplot as "
        "plt: the network program stops with NameError: name 'plt' is not defined after "
        "printing its {lines} lines (10 losses and the accuracy), the softmax program after its "
        "{softmax_lines}. gdlab draws those scatters in seed004-scatter.png."),
    "seed004-network.erratum.linear": (
        "the notes name this network LinearNet and its plot 'Linear Classification', but its "
        "sigmoid hidden layer makes it non-linear: at the midpoint of the first two rows its "
        "logit is {midpoint:.6f}, where a linear (affine) model would give the mean of their "
        "two logits, {mean:.6f}."),
    "seed004-network.fig.network_loss": "4-10-1 sigmoid network: BCE loss and accuracy, lr 0.1",
    "seed004-network.fig.network_boundary": "4-10-1 sigmoid network: predicted probability",
    "seed004-network.fig.softmax_boundary": "Softmax regression done right: predicted probability",
    "seed004-network.fig.predicted": "predicted class {c}",
    "seed004-network.fig.model.network": "4-10-1 network: {acc:.1%} correct",
    "seed004-network.fig.model.right": "softmax done right: {acc:.1%} correct",
    "seed004-network.fig.model.notes": "the notes' softmax: {acc:.1%} correct",
    "seed004-network.fig.row_notes": ("The notes' view: {a} and {b} (features 0 and 1) — a "
                                      "{k}-neighbour vote on them gets {acc:.1%} right"),
    "seed004-network.fig.row_signal": ("Where the signal is: {a} and {b} — a {k}-neighbour vote on "
                                       "them gets {acc:.1%} right"),
    "seed004-network.fig.scatter_title": "Each model's predictions, in the notes' view and in the informative one",
    "seed004-network.fig.floor": "floor of softmax first, {k} outputs: {floor:.3f}",
    "seed004-network.fig.printed_title": "The loss each variant prints",
    "seed004-network.fig.printed_y": "CrossEntropyLoss value",
    "seed004-network.fig.accuracy_title": "Accuracy",
    "seed004-network.fig.accuracy_y": "accuracy",
    "seed004-network.fig.softmax_title": "Softmax regression: logits into CrossEntropyLoss versus softmax first",
}
