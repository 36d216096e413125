"""The four engines agree (parity), each goes downhill, and the scalar engine's limits.

Parity is the core test of every hand-written engine (STYLE.md §3): the same seeded
float64 data, the same initial parameters and the same batch order through ``scalar``,
``manual``, ``autograd`` and ``nn`` give the same losses, gradients and parameters.
"""

from __future__ import annotations

import copy

import pytest
import torch

from gdlab.engines import ENGINES, RULES, make_engine
from gdlab.errors import GdlabError
from gdlab.models import MLP, LinearRegression, LogisticRegression, SoftmaxRegression

N, D = 20, 3
STEPS = 5
TOL = {"rtol": 1e-10, "atol": 1e-12}  # float64 engines differ only by summation order
LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adam": 0.01}
BATCH = {"gd": N, "sgd": 1, "minibatch": 4}

# id: (model factory, loss, L2 strength)
CASES = {
    "linear-mse": (lambda: LinearRegression(D), "mse", 0.0),
    "linear-half-mse-l2": (lambda: LinearRegression(D), "half-mse", 0.1),
    "logistic-bce": (lambda: LogisticRegression(D), "bce", 0.0),
    "logistic-bce-l2": (lambda: LogisticRegression(D), "bce", 0.05),
    "softmax-ce-l2": (lambda: SoftmaxRegression(D, 3), "cross-entropy", 0.1),
    "mlp-sigmoid-bce": (lambda: MLP(D, 1, (4,), "sigmoid"), "bce", 0.0),
    "mlp-relu-mse-l2": (lambda: MLP(D, 1, (4,), "relu"), "mse", 0.1),
    "mlp-tanh-half-mse": (lambda: MLP(D, 1, (4,), "tanh"), "half-mse", 0.0),
    "mlp3-relu-ce-l2": (lambda: MLP(D, 3, (5, 4), "relu"), "cross-entropy", 0.05),
    "mlp3-tanh-ce": (lambda: MLP(D, 3, (5, 4), "tanh"), "cross-entropy", 0.0),
}


def make_data(loss: str, *, dtype=torch.float64, seed: int = 0):
    """Seeded (X, y) of N rows: a noisy line, two classes or three classes."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(N, D, generator=g, dtype=torch.float64)
    w = torch.tensor([[2.0, -3.4, 1.0], [-1.0, 0.5, 2.0], [0.3, 1.0, -2.0]], dtype=torch.float64)
    scores = X @ w.T + 0.5 * torch.randn(N, 3, generator=g, dtype=torch.float64)  # (n, 3)
    if loss == "cross-entropy":
        y = scores.argmax(1)  # (n,) int64
    elif loss == "bce":
        y = (scores[:, :1] > 0).to(dtype)  # (n, 1) in {0, 1}
    else:
        y = (scores[:, :1] + 4.2).to(dtype)  # (n, 1)
    return X.to(dtype), y


def batches(batch_size: int, steps: int = STEPS, seed: int = 1) -> list[torch.Tensor]:
    """The same shuffled batch order for every engine."""
    order = torch.randperm(N, generator=torch.Generator().manual_seed(seed))
    return [order[(s * batch_size) % N :][:batch_size] for s in range(steps)]


def train(name, model, X, y, idx, *, loss, rule, l2, lr):
    """Run ``name`` over the batches; record everything the engines must agree on."""
    engine = make_engine(name, model, loss=loss, rule=rule, l2=l2)
    engine.check_data(*X.shape)
    rec = {"loss": [], "grads": [], "step_loss": [], "norm": []}
    for i in idx:
        value, grads = engine.loss_and_grads(X[i], y[i])
        rec["loss"].append(value)
        rec["grads"].append(grads)
        step_loss, norm = engine.step(X[i], y[i], lr=lr)
        rec["step_loss"].append(step_loss)
        rec["norm"].append(norm)
    rec["params"] = [p.detach().clone() for p in model.parameters()]
    return rec


def supports(name: str, model) -> bool:
    return name != "scalar" or len(model.layers) == 1


def test_registry_order():
    assert list(ENGINES) == ["scalar", "manual", "autograd", "nn", "fast"]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("mode", list(BATCH))
@pytest.mark.parametrize("case", list(CASES))
def test_engines_agree(case, mode, rule):
    factory, loss, l2 = CASES[case]
    torch.manual_seed(0)
    model = factory().double()
    X, y = make_data(loss)
    idx = batches(BATCH[mode])
    settings = {"loss": loss, "rule": rule, "l2": l2, "lr": LR[rule]}
    names = [n for n in ENGINES if supports(n, model)]
    runs = {n: train(n, copy.deepcopy(model), X, y, idx, **settings) for n in names}
    ref = runs["nn"]
    assert ref["loss"] == ref["step_loss"]
    for name in names:
        got = runs[name]
        torch.testing.assert_close(got["loss"], ref["loss"], **TOL, msg=f"{name}: loss")
        torch.testing.assert_close(got["step_loss"], ref["loss"], **TOL, msg=f"{name}: step loss")
        torch.testing.assert_close(got["grads"], ref["grads"], **TOL, msg=f"{name}: gradients")
        torch.testing.assert_close(got["norm"], ref["norm"], **TOL, msg=f"{name}: grad norm")
        torch.testing.assert_close(got["params"], ref["params"], **TOL, msg=f"{name}: params")
    # the run really moved (otherwise agreeing would prove little)
    assert not torch.equal(ref["params"][0], model.layers[0].weight)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("name", list(ENGINES))
def test_state_dict_round_trip(name, rule):
    """Stopping mid-training and resuming from state_dict continues identically."""
    loss = "cross-entropy"
    torch.manual_seed(0)
    model = (SoftmaxRegression(D, 3) if name == "scalar" else MLP(D, 3, (5,), "tanh")).double()
    X, y = make_data(loss)
    idx = batches(4, steps=6)
    settings = {"loss": loss, "rule": rule, "l2": 0.05}
    straight = make_engine(name, model, **settings)
    for i in idx[:3]:
        straight.step(X[i], y[i], lr=LR[rule])
    resumed_model = copy.deepcopy(model)
    resumed = make_engine(name, resumed_model, **settings)
    resumed.load_state_dict(straight.state_dict())
    for i in idx[3:]:
        a, _ = straight.step(X[i], y[i], lr=LR[rule])
        b, _ = resumed.step(X[i], y[i], lr=LR[rule])
        assert a == b
    for p, q in zip(model.parameters(), resumed_model.parameters(), strict=True):
        assert torch.equal(p, q)


@pytest.mark.parametrize("rule", ["momentum", "adam"])
@pytest.mark.parametrize("name", ["manual", "autograd"])
def test_scalar_state_resumes_in_tensor_engines(name, rule):
    """scalar, manual and autograd save the same named optimizer state."""
    torch.manual_seed(0)
    model = SoftmaxRegression(D, 3).double()
    X, y = make_data("cross-entropy")
    idx = batches(4, steps=4)
    settings = {"loss": "cross-entropy", "rule": rule}
    scalar = make_engine("scalar", model, **settings)
    for i in idx[:2]:
        scalar.step(X[i], y[i], lr=LR[rule])
    other = make_engine(name, copy.deepcopy(model), **settings)
    other.load_state_dict(scalar.state_dict())
    for i in idx[2:]:
        scalar.step(X[i], y[i], lr=LR[rule])
        other.step(X[i], y[i], lr=LR[rule])
    assert sorted(other.state_dict()) == sorted(scalar.state_dict())
    torch.testing.assert_close(list(other.model.parameters()), list(model.parameters()), **TOL)


# --- goes the right way (STYLE.md §4): one test per engine × model ---------------------
MODELS = {
    "linear": (lambda: LinearRegression(D), "mse"),
    "logistic": (lambda: LogisticRegression(D), "bce"),
    "softmax": (lambda: SoftmaxRegression(D, 3), "cross-entropy"),
    "mlp": (lambda: MLP(D, 1, (4,), "sigmoid"), "bce"),
    "mlp3": (lambda: MLP(D, 3, (5, 4), "relu"), "cross-entropy"),
}


@pytest.mark.parametrize(
    ("name", "kind"),
    [(n, k) for n in ENGINES for k in MODELS if n != "scalar" or not k.startswith("mlp")],
)
def test_loss_goes_down(name, kind):
    factory, loss = MODELS[kind]
    torch.manual_seed(0)
    model = factory()  # float32: the usual dtype
    X, y = make_data(loss, dtype=torch.float32)
    engine = make_engine(name, model, loss=loss)
    start, _ = engine.loss_and_grads(X, y)
    for _ in range(20):
        engine.step(X, y, lr=0.1)
    end, _ = engine.loss_and_grads(X, y)
    assert end < start


# --- the scalar engine's limits and its float64 arithmetic --------------------------------
def test_scalar_refuses_large_data():
    engine = make_engine("scalar", LinearRegression(100), loss="mse")
    with pytest.raises(GdlabError, match=r"limited to 20,000 values .*150,000 \(1,500 × 100\)"):
        engine.check_data(1500, 100)
    engine.check_data(200, 100)  # 20,000 is allowed


def test_scalar_refuses_large_batch_without_check_data():
    engine = make_engine("scalar", LinearRegression(100), loss="mse")
    X, y = torch.zeros(300, 100), torch.zeros(300, 1)
    with pytest.raises(GdlabError, match=r"30,000 \(300 × 100\).*--engine manual"):
        engine.step(X, y, lr=0.1)


def test_scalar_refuses_mlp():
    with pytest.raises(GdlabError, match=r"scalar engine .*mlp.*--engine manual"):
        make_engine("scalar", MLP(D, 1, (4,)), loss="mse")


def test_scalar_computes_in_float64_whatever_the_dtype():
    torch.manual_seed(0)
    model32 = LogisticRegression(D)  # float32 parameters
    model64 = copy.deepcopy(model32).double()  # the same numbers, exactly
    X, y = make_data("bce", dtype=torch.float32)
    scalar = make_engine("scalar", model32, loss="bce", rule="adam")
    manual = make_engine("manual", model64, loss="bce", rule="adam")
    for i in batches(4):
        a, _ = scalar.step(X[i], y[i], lr=0.05)
        b, _ = manual.step(X[i].double(), y[i].double(), lr=0.05)
        assert a == pytest.approx(b, rel=1e-12)  # a float32 computation is off by ~1e-8
    assert model32.layers[0].weight.dtype == torch.float32
    for p32, p64 in zip(model32.parameters(), model64.parameters(), strict=True):
        torch.testing.assert_close(p32, p64.float(), rtol=2e-7, atol=0)


def test_scalar_rereads_parameters_changed_outside():
    """Restoring weights in the model (best-weight restore, resume) reaches the engine."""
    torch.manual_seed(0)
    model = LinearRegression(D).double()
    X, y = make_data("mse")
    engine = make_engine("scalar", model, loss="mse")
    saved = copy.deepcopy(model.state_dict())
    first, _ = engine.step(X, y, lr=0.1)
    engine.step(X, y, lr=0.1)
    model.load_state_dict(saved)
    again, _ = engine.step(X, y, lr=0.1)
    assert again == first


# --- the autograd engine cleans up after itself -------------------------------------------
def test_autograd_leaves_no_grads_and_works_under_no_grad():
    torch.manual_seed(0)
    model = MLP(D, 1, (4,), "tanh").double()
    X, y = make_data("mse")
    engine = make_engine("autograd", model, loss="mse", l2=0.1)
    with torch.no_grad():
        first, _ = engine.step(X, y, lr=0.1)
    second, _ = engine.step(X, y, lr=0.1)
    assert second < first
    assert all(p.grad is None for p in model.parameters())
