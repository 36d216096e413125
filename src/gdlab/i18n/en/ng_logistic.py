"""Andrew Ng, week 2 (``gdlab lesson ng-logistic``)."""

MESSAGES = {
    "ng-logistic.title": "Andrew Ng week 2: logistic regression as a neural network",
    "ng-logistic.summary": ("vectorized forward/backward by hand, the computational graph, squared "
                            "error vs cross-entropy; digits or --data catvnoncat .h5"),
    "ng-logistic.explanation": (
        "Logistic regression is a one-neuron network: the forward pass computes Z = wᵀX + b "
        "and A = σ(Z) for all examples in one matrix product, the backward pass follows the "
        "computational graph back (dZ = A − Y, dw = X·dZᵀ/m, db = mean(dZ)), and the "
        "hand-written gradients match autograd, which records the same graph while the forward "
        "code runs (PyTorch's graph is dynamic, built anew each pass, where a static graph is "
        "declared first and then fed data), and gdlab's engines. The loss is one example's "
        "error; the cost is its mean over the training set. With cross-entropy the gradient "
        "with respect to Z is A − Y, large when the prediction is confidently wrong; with the "
        "squared error it is multiplied by σ'(Z) = A(1 − A), which is almost 0 there, so "
        "training crawls (and the squared-error cost is not convex in w). The sign of the "
        "cross-entropy's second term matters: written with the wrong sign, as in the notes, "
        "minimizing it pushes the label-0 examples towards class 1. Descent moves against the "
        "gradient of the cost; maximizing the log-likelihood by gradient ascent is the same "
        "step, since the log-likelihood is the negated cost. On the course's cat images (2000 "
        "iterations, lr 0.005) train accuracy reaches 99% while test accuracy is 70%: the model "
        "memorizes 209 pictures of 12288 pixels."),
    "ng-logistic.digit": "digit",
    "ng-logistic.standin": "digits {pos} vs {neg}",
    "ng-logistic.n_classes": "{n} classes",
    "ng-logistic.numeric": "a numeric target",
    "ng-logistic.not_binary": "--data {source}: logistic regression needs two classes; it has {what}",
    "ng-logistic.no_test_split": "{source} has no test split: using a stratified 20% of it (seed 0)",
    "ng-logistic.data": "data: {name}; classes 0 = {c0!r}, 1 = {c1!r}",
    "ng-logistic.shapes": ("train_set_x: {x} (one unrolled image per column), train_set_y: {y}; "
                           "test: {m_test} examples; {ones} of {m} training labels are 1"),
    "ng-logistic.h.pass": "== 1. the vectorized forward and backward pass, checked against autograd ==",
    "ng-logistic.grad_check": ("at a random w: cost {cost:.6f}; hand-written dw, db vs autograd: "
                               "largest difference {diff:.2g}"),
    "ng-logistic.ascent": ("one gradient-ascent step on the log-likelihood −J and one descent step "
                           "on J land on the same w (largest difference {diff:.2g})"),
    "ng-logistic.h.graph": "== 2. the computational graph of one example, forward and backward ==",
    "ng-logistic.graph_forward": (
        "one example, x = ({x1:g}, {x2:g}), y = {y:g}, with w = ({w1:g}, {w2:g}), b = {b:g}: "
        "forward z = w₁x₁ + w₂x₂ + b = {z:.6f}, a = σ(z) = {a:.6f}, "
        "L = −[y log a + (1 − y) log(1 − a)] = {loss:.6f}"),
    "ng-logistic.graph_backward": (
        "backward, right to left by the chain rule: ∂L/∂a = {da:.6f}, ∂L/∂z = a − y = {dz:.6f}, "
        "∂L/∂w₁ = x₁·∂L/∂z = {dw1:.6f}, ∂L/∂w₂ = x₂·∂L/∂z = {dw2:.6f}, ∂L/∂b = {db:.6f} "
        "(gdlab's manual engine; autograd agrees to {diff:.2g}); drawn in ng-graph.png"),
    "ng-logistic.h.train": "== 3. training: {iterations} iterations, learning rate {lr}, cross-entropy ==",
    "ng-logistic.library": (
        "gdlab.train(LogisticRegression, optimizer='gd'), on its default fast engine, reaches "
        "the same parameters (largest difference {diff:.2g}) and test accuracy {acc:g} %"),
    "ng-logistic.h.losses": "== 4. squared error vs cross-entropy on a sigmoid output ==",
    "ng-logistic.sign_run": (
        "Minimizing the notes' formula instead ({iterations} iterations from w = 0) drives "
        "every prediction towards class 1: train accuracy {acc:.2f} % ({share:.2f} % of the "
        "labels are 1), its cost {cost:.4f} and still falling."),
    "ng-logistic.one_example": "one example with label y = 1 (z < 0: the prediction is wrong):",
    "ng-logistic.col.ce": "CE loss",
    "ng-logistic.col.se": "SE loss",
    "ng-logistic.from_zero": "from w = 0 (every prediction 0.5), {iterations} iterations:",
    "ng-logistic.name.ce": "cross-entropy",
    "ng-logistic.name.se": "squared error",
    "ng-logistic.acc_line": "  {name} train accuracy {train:.2f} %, test accuracy {test:.2f} %",
    "ng-logistic.wrong_start": ("from a confidently wrong start (w, b = −2 x the trained ones: train "
                                "accuracy {acc:.2f} %), {iterations} iterations:"),
    "ng-logistic.erratum.threshold": (
        "the notes call b a threshold (阈值). b is the bias, the intercept of z = wᵀx + b; "
        "the prediction turns to class 1 where z > 0, that is where wᵀx > −b. Trained here, "
        "b = {b:.4f}, so the threshold on wᵀx is −b = {minus_b:.4f}, not b."),
    "ng-logistic.erratum.sign": (
        "the notes write the cross-entropy as −y log ŷ + (1 − y) log(1 − ŷ): its second term "
        "has the wrong sign. For an example with y = 0 their loss is {wrong:.6f} when ŷ = 0.9 "
        "(wrong) and {right:.6f} when ŷ = 0.1 (right): lower for the wrong answer, and "
        "unbounded below. The cross-entropy −[y log ŷ + (1 − y) log(1 − ŷ)] gives "
        "{true_wrong:.6f} and {true_right:.6f}."),
    "ng-logistic.fig.cost_title": "Cost per iteration: cross-entropy versus squared error on {name}, lr {lr}",
    "ng-logistic.fig.acc_title": "Train accuracy: cross-entropy versus squared error on {name}, lr {lr}",
    "ng-logistic.fig.iteration": "iteration (one gradient step on all examples)",
    "ng-logistic.fig.from_zero": "From w = 0",
    "ng-logistic.fig.from_wrong": "From a confidently wrong w",
    "ng-logistic.fig.cost_y": "cost (mean loss over the training set)",
    "ng-logistic.fig.acc_y": "train accuracy (%)",
    "ng-logistic.fig.ce_cost": "cross-entropy cost −mean[y log a + (1−y) log(1−a)]",
    "ng-logistic.fig.se_cost": "squared-error cost mean ½(a − y)²",
    "ng-logistic.fig.dz_title": "∂loss/∂z for one example, y = 1",
    "ng-logistic.fig.ce_dz": "cross-entropy: a − y",
    "ng-logistic.fig.se_dz": "squared error: (a − y)·a(1 − a)",
    "ng-logistic.fig.boundary": "Test examples of {name} and the trained logistic regression",
    "ng-logistic.fig.graph_title": "The computational graph of logistic regression for one example",
    "ng-logistic.fig.graph_sub": ("Each box: its formula, the value the forward pass computes (black) "
                                  "and the gradient ∂L/∂node the backward pass computes (red)"),
    "ng-logistic.fig.red": "red channel",
    "ng-logistic.fig.green": "green channel",
    "ng-logistic.fig.blue": "blue channel",
    "ng-logistic.fig.grey": "one grey channel (8 x 8 pixels)",
    "ng-logistic.fig.weight_bar": "weight (red: a bright pixel pushes towards class 1)",
    "ng-logistic.fig.weights_title_grey": "The learned weights w as an image ({name})",
    "ng-logistic.fig.weights_title": "The learned weights w as images, one per colour channel ({name})",
}
