"""Exports: a run as one ONNX or TorchScript file, its preprocessing inside.

``run.model`` is the plain module on *encoded and standardized* inputs. An export wraps
it in everything ``gdlab predict`` does before and after, so the file alone turns raw
rows into ``predict``'s outputs:

    raw columns → fill missing cells → one-hot categories → (x − μ)/σ → cast to the
    model's dtype → layers → prediction (and probabilities)

**ONNX** (:func:`export_onnx`; needs ``pip install 'gdlab[export]'``). Opset 21 and
``ai.onnx.ml`` 4, IR version 10 (onnx ≥ 1.16, onnxruntime ≥ 1.20). Inputs: one per raw
column, named as the column, shape ``[N, 1]``:

- a numeric column is ``tensor(double)``: float64, because gdlab fills and standardizes
  in float64 and the table's numbers are float64 (float32 would round values such as
  0.00632 or 4268.45 before the mean is taken off). Booleans are 0/1. NaN is missing
  and becomes the training fill (``IsNaN`` + ``Where``).
- a categorical column is ``tensor(string)``: the cell's text, compared exactly (pass
  stripped strings, as gdlab's reader strips them). A ``LabelEncoder`` maps each training
  category to its one-hot slot; the empty string and every missing token of
  :data:`gdlab.data.columns.MISSING_TOKENS` (``NA``, ``?``, ``null``, …) map to the fill
  category's slot; anything else (a category unseen in training) to no slot: all zeros.

Outputs: ``prediction``, shape ``[N]`` — values for regression (``[N, k]`` for k
targets), the class *label* for classifiers (``tensor(int64)`` when every class is an
integer, otherwise ``tensor(string)``, the label's text as ``gdlab predict`` writes it);
and for classifiers ``probabilities``, ``[N, n_classes]`` in the order of
``run.classes`` (binary: ``[1 − σ(z), σ(z)]``; more: softmax). Values and probabilities
have the model's dtype (float32 unless trained with ``dtype="float64"``).

**TorchScript** (:func:`export_torchscript`). TorchScript takes no strings comfortably,
so the scripted module takes the *raw-coded* matrix that
:func:`~gdlab.data.load_features` returns: ``tensor of shape (N, n_columns)``, float64
(other float dtypes are converted), columns in ``input_names`` order, numbers as
numbers, a category as its code (its index in that column's ``categories``), NaN for a
missing cell, −1 (or any code not among the training categories) for an unseen one. It
returns a dict: ``"prediction"`` (values; or the class index, int64) and for
classifiers ``"probabilities"``. The column description (names, kinds, categories in
code order, fills, classes) rides in the archive as the extra file ``gdlab.json``.
``torch.jit.load`` reads it back without unpickling any Python object.

With ``impute="none"`` there is no fill: a missing cell gives NaN outputs for its row
(``gdlab predict`` refuses such rows). Neither format checks for infinite numbers (NaN
or inf outputs follow), which ``gdlab predict`` refuses too.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .data.columns import MISSING_TOKENS
from .errors import GdlabError
from .io import atomic_write_bytes
from .run import Run

FORMATS = ("onnx", "torchscript")
ONNX_OPSET = 21  # a stable opset supported since onnxruntime 1.20 (and onnx 1.16)
ONNX_ML_OPSET = 4  # ai.onnx.ml: LabelEncoder-4
ONNX_IR_VERSION = 10  # onnx 1.16's IR; newer onnx writes IR 11+, which older runtimes refuse
DESCRIPTION_VERSION = 1
TORCHSCRIPT_EXTRA = "gdlab.json"
INSTALL_HINT = "pip install 'gdlab[export]'"
_TASK_CODES = {"regression": 0, "binary": 1, "multiclass": 2}


@dataclass(frozen=True)
class _Input:
    """One raw column as the exports see it."""

    name: str
    kind: str  # "numeric" | "categorical"
    categories: tuple[str, ...] | None  # code order (categorical)
    kept: tuple[int, ...] | None  # codes with a one-hot column, in output order
    fill: float | None  # a number, a category code, or None (no filling)


# --- the public functions ---------------------------------------------------------------------
def export(run_or_folder: Run | str | os.PathLike, fmt: str, path: str | os.PathLike) -> Path:
    """Write a run as ``fmt`` (``"onnx"`` or ``"torchscript"``) to ``path``.

    Parameters
    ----------
    run_or_folder : Run or path-like
        A trained run, or a run folder (read with :func:`gdlab.load_run`).
    fmt : {"onnx", "torchscript"}
        The file format (see the module docstring for inputs and outputs).
    path : path-like
        The file to write, atomically; its folder must exist.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    GdlabError
        For an unknown format, a missing folder, non-finite weights, or (ONNX) onnx not
        installed.

    Examples
    --------
    >>> import gdlab, tempfile, pathlib
    >>> run = gdlab.train(data="iris", epochs=5, quiet=True)
    >>> out = export(run, "torchscript", pathlib.Path(tempfile.mkdtemp()) / "iris.pt")
    >>> out.suffix
    '.pt'
    """
    if fmt not in FORMATS:
        raise GdlabError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if isinstance(run_or_folder, Run):
        run = run_or_folder
    else:
        from .checkpoint import load_run

        run = load_run(run_or_folder)
    return export_onnx(run, path) if fmt == "onnx" else export_torchscript(run, path)


def export_onnx(run: Run, path: str | os.PathLike) -> Path:
    """Write ``run`` as an ONNX model taking the raw columns (see the module docstring).

    Parameters
    ----------
    run : Run
        A trained or loaded run.
    path : path-like
        The ``.onnx`` file to write; its folder must exist.

    Returns
    -------
    Path
        ``path``.
    """
    path = _check_out(path)
    model = onnx_model(run)
    atomic_write_bytes(path, model.SerializeToString())
    return path


def export_torchscript(run: Run, path: str | os.PathLike) -> Path:
    """Write ``run`` as a TorchScript archive taking raw-coded rows (see the module docstring).

    Parameters
    ----------
    run : Run
        A trained or loaded run.
    path : path-like
        The ``.pt`` file to write; its folder must exist.

    Returns
    -------
    Path
        ``path``.
    """
    path = _check_out(path)
    module = torchscript_module(run)
    buf = io.BytesIO()
    extra = {TORCHSCRIPT_EXTRA: json.dumps(description(run, "torchscript"), allow_nan=False)}
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; the format is asked for
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(module, buf, _extra_files=extra)
    atomic_write_bytes(path, buf.getvalue())
    return path


def description(run: Run, fmt: str) -> dict:
    """What an export takes and gives, as plain data (ONNX: the ``gdlab`` metadata entry;
    TorchScript: the ``gdlab.json`` extra file).

    ``columns`` lists the raw inputs in order: ``name``, ``kind``, and for categories
    ``categories`` (code order: a code is an index into it), ``onehot`` (those with an
    output column) and ``fill`` (the category a missing cell takes; a number for numeric
    columns; null without filling).
    """
    from . import __version__

    columns = []
    for col in _inputs(run):
        entry = {"name": col.name, "kind": col.kind}
        if col.kind == "categorical":
            entry["categories"] = list(col.categories)
            entry["onehot"] = [col.categories[c] for c in col.kept]
            entry["fill"] = None if col.fill is None else col.categories[int(col.fill)]
        else:
            entry["fill"] = col.fill
        columns.append(entry)
    dtype = str(_dtype(run)).removeprefix("torch.")
    if fmt == "onnx":
        inputs = "one input per column, shape [N, 1]: numeric double (NaN missing), categorical string"
        missing = ["", *MISSING_TOKENS]
    else:
        inputs = ("one float64 tensor (N, n_columns): numbers, category codes (index into "
                  "categories), NaN missing, -1 unseen")
        missing = ["NaN"]
    classifier = run.task != "regression"
    return {
        "format": fmt, "version": DESCRIPTION_VERSION, "gdlab": __version__,
        "task": run.task, "target": run.target_name, "classes": run.classes,
        "inputs": inputs, "missing": sorted(set(missing), key=missing.index), "columns": columns,
        "outputs": {
            "prediction": (("class label" if fmt == "onnx" else "class index (int64)")
                           if classifier else f"value ({dtype})"),
            **({"probabilities": f"(N, {len(run.classes)}) {dtype}, in the order of classes"}
               if classifier else {}),
        },
    }


# --- what a run holds, for both formats -------------------------------------------------------
def _inputs(run: Run) -> list[_Input]:
    prep = run.preprocessor
    if prep is None or prep.columns is None:
        return [_Input(name, "numeric", None, None, None) for name in run.input_names]
    return [
        _Input(c.name, c.kind, c.categories, kept, fill)
        for c, kept, fill in zip(prep.columns, prep.onehot, prep.fill, strict=True)
    ]


def _dtype(run: Run) -> torch.dtype:
    return next(run.model.parameters()).dtype


def check_exportable(run: Run) -> None:
    """Refuse a model with a non-finite weight (a diverged run): its exports would give NaN.

    Raises
    ------
    GdlabError
        Naming the first such layer.
    """
    for i, layer in enumerate(run.model.layers):
        for name, p in layer.named_parameters():
            if not torch.isfinite(p).all():
                raise GdlabError(f"the model has non-finite weights (layers.{i}.{name}; the run "
                                 "diverged): nothing to export; train again with a smaller "
                                 "learning rate")


def _layers(run: Run) -> list[nn.Linear]:
    check_exportable(run)
    return list(run.model.layers)


def _standardization(run: Run, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    std = run.standardizer
    if std is None:
        return None
    mean, scale = np.asarray(std.mean_, dtype=np.float64), np.asarray(std.scale_, dtype=np.float64)
    if mean.shape != (n,) or scale.shape != (n,):
        raise GdlabError(f"the standardization has {mean.size} features, the model takes {n}")
    return mean, scale


def _check_out(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.is_dir():
        raise GdlabError(f"{path}: is a folder; give a file name to export to")
    if not path.parent.is_dir():
        raise GdlabError(f"{path}: the folder {path.parent} does not exist")
    return path


# --- ONNX --------------------------------------------------------------------------------------
class _Graph:
    """Nodes and constants of an ONNX graph under generated names (``gdlab/…``)."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.constants, self.count = [], [], 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"gdlab/{hint}_{self.count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.name(hint)
        self.constants.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op: str, inputs: list[str], *, out: str | None = None, domain: str = "",
           **attrs) -> str:
        out = out or self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [out], domain=domain, **attrs))
        return out


def onnx_model(run: Run):
    """The checked ONNX ``ModelProto`` of ``run`` (see the module docstring).

    Raises
    ------
    GdlabError
        When onnx is not installed (the line says ``pip install 'gdlab[export]'``), for
        non-finite weights, or a column name an ONNX graph cannot carry.
    """
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise GdlabError(f"ONNX export needs the onnx package: {INSTALL_HINT}") from None

    columns = _inputs(run)
    layers = _layers(run)
    g = _Graph(helper, numpy_helper)
    inputs, blocks = [], []
    for col in columns:
        if col.kind == "numeric":
            inputs.append(helper.make_tensor_value_info(col.name, TensorProto.DOUBLE, ["N", 1]))
            blocks.append(_onnx_numeric(g, col))
        else:
            inputs.append(helper.make_tensor_value_info(col.name, TensorProto.STRING, ["N", 1]))
            if col.kept:  # a column with no category in training has no output column
                blocks.append(_onnx_categorical(g, col))
    x = g.op("Concat", blocks, axis=1)  # (N, 1) and (N, k_j) blocks -> (N, d)
    scaled = _standardization(run, layers[0].in_features)
    if scaled is not None:  # (x − μ) / σ in float64, as Standardizer.transform
        x = g.op("Div", [g.op("Sub", [x, g.const("mean", scaled[0])]), g.const("std", scaled[1])])
    dtype = _dtype(run)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    if np_dtype == np.float32:
        x = g.op("Cast", [x], to=TensorProto.FLOAT)
    z = _onnx_layers(g, x, layers, run.model.activation, np_dtype)
    elem = TensorProto.FLOAT if np_dtype == np.float32 else TensorProto.DOUBLE
    outputs = _onnx_outputs(g, z, run, elem, TensorProto, helper)
    graph = helper.make_graph(g.nodes, "gdlab", inputs, outputs, g.constants,
                              doc_string=f"gdlab {run.task} model: raw columns in, "
                                         "preprocessing included")
    model = helper.make_model(
        graph, producer_name="gdlab", ir_version=ONNX_IR_VERSION,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET),
                       helper.make_opsetid("ai.onnx.ml", ONNX_ML_OPSET)],
    )
    helper.set_model_props(model, {"gdlab": json.dumps(description(run, "onnx"), allow_nan=False)})
    _check_names(columns)
    onnx.checker.check_model(model, full_check=True)
    return model


def _onnx_numeric(g: _Graph, col: _Input) -> str:
    if col.fill is None:  # impute="none": NaN flows through to the outputs
        return col.name
    fill = g.const("fill", np.array([[col.fill]]))
    return g.op("Where", [g.op("IsNaN", [col.name]), fill, col.name])  # (N, 1) double


def _onnx_categorical(g: _Graph, col: _Input) -> str:
    """(N, 1) strings -> (N, len(kept)) float64 one-hot: slot of each string, then slot == j."""
    from onnx import TensorProto

    keys = [col.categories[c] for c in col.kept]
    values = list(range(len(keys)))
    missing = [t for t in dict.fromkeys(["", *MISSING_TOKENS]) if t not in keys]
    # the fill category's slot; -2 (no slot, then NaN) without filling
    fill_slot = col.kept.index(int(col.fill)) if col.fill is not None else -2
    slot = g.op("LabelEncoder", [col.name], domain="ai.onnx.ml",
                keys_strings=keys + missing, values_int64s=values + [fill_slot] * len(missing),
                default_int64=-1)  # (N, 1) int64; -1: unseen, all zeros
    equal = g.op("Equal", [slot, g.const("slots", np.arange(len(keys)))])  # (N, 1) == (k,) -> (N, k)
    hot = g.op("Cast", [equal], to=TensorProto.DOUBLE)
    if col.fill is None:  # a missing category makes its row NaN, as a missing number does
        gap = g.op("Where", [g.op("Equal", [slot, g.const("gap", np.array(-2))]),
                             g.const("nan", np.array(np.nan)), g.const("zero", np.array(0.0))])
        hot = g.op("Add", [hot, gap])
    return hot


def _onnx_layers(g: _Graph, x: str, layers: list[nn.Linear], activation: str | None,
                 np_dtype) -> str:
    for i, layer in enumerate(layers):
        weight = layer.weight.detach().cpu().numpy().astype(np_dtype)
        args = [x, g.const(f"weight{i}", weight)]
        if layer.bias is not None:
            args.append(g.const(f"bias{i}", layer.bias.detach().cpu().numpy().astype(np_dtype)))
        x = g.op("Gemm", args, transB=1)  # (N, d_in) @ (d_out, d_in)ᵀ + b -> (N, d_out)
        if i < len(layers) - 1:
            x = g.op({"sigmoid": "Sigmoid", "relu": "Relu", "tanh": "Tanh"}[activation], [x])
    return x


def _onnx_outputs(g: _Graph, z: str, run: Run, elem: int, TensorProto, helper) -> list:
    k = run.model.layers[-1].out_features
    if run.task == "regression":
        if k == 1:
            g.op("Reshape", [z, g.const("flat", np.array([-1]))], out="prediction")  # (N,)
            return [helper.make_tensor_value_info("prediction", elem, ["N"])]
        g.op("Identity", [z], out="prediction")
        return [helper.make_tensor_value_info("prediction", elem, ["N", k])]
    if k == 1:  # [1 − σ(z), σ(z)], as gdlab.models.predict_proba
        p = g.op("Sigmoid", [z])
        one = g.const("one", np.array(1.0, dtype=np.float32 if elem == TensorProto.FLOAT else np.float64))
        g.op("Concat", [g.op("Sub", [one, p]), p], axis=1, out="probabilities")
    else:
        g.op("Softmax", [z], axis=1, out="probabilities")
    index = g.op("ArgMax", ["probabilities"], axis=1, keepdims=0)  # (N,), the first maximum
    labels, label_type = _labels(run.classes, TensorProto)
    g.op("Gather", [g.const("classes", labels), index], axis=0, out="prediction")
    return [helper.make_tensor_value_info("prediction", label_type, ["N"]),
            helper.make_tensor_value_info("probabilities", elem, ["N", len(run.classes)])]


def _labels(classes: list, TensorProto) -> tuple[np.ndarray, int]:
    """The class labels as a constant: int64 when all are integers, else their text."""
    if all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in classes):
        return np.array(classes, dtype=np.int64), TensorProto.INT64
    return np.array([str(c) for c in classes], dtype=object), TensorProto.STRING


def _check_names(columns: list[_Input]) -> None:
    for col in columns:
        if not col.name:
            raise GdlabError("a column with an empty name cannot be an ONNX input; rename it")
        if col.name in ("prediction", "probabilities") or col.name.startswith("gdlab/"):
            raise GdlabError(f"column {col.name!r}: the name is taken by the ONNX graph's own "
                             "outputs or nodes; rename the column")


# --- TorchScript ------------------------------------------------------------------------------
class RawCodedModel(nn.Module):
    r"""``run.model`` with gdlab's preprocessing in front, on raw-coded rows (scriptable).

    For input ``x`` of shape (n, c) (raw-coded, float64) and output column o of the
    encoded matrix, with source column s(o):

    - fill: x ← fill where x is NaN (columns without a fill keep NaN);
    - encode: e[:, o] = x[:, s(o)] for a numeric column, and 1[x[:, s(o)] = code(o)] for
      a one-hot column (+ x·0, so a NaN left unfilled stays NaN);
    - standardize: e ← (e − μ)/σ; cast to the model's dtype; z = layers(e).

    Returns ``{"prediction": z[:, 0]}`` for regression (``z`` for several targets), or
    ``{"prediction": argmax p, "probabilities": p}`` with p = [1 − σ(z), σ(z)] (binary)
    or softmax(z) (multiclass).
    """

    def __init__(self, run: Run):
        super().__init__()
        columns = _inputs(run)
        layers = _layers(run)
        source, code = [], []
        for j, col in enumerate(columns):
            if col.kind == "numeric":
                source.append(j)
                code.append(np.nan)
            else:
                source.extend([j] * len(col.kept))
                code.extend(float(c) for c in col.kept)
        d = layers[0].in_features
        if len(source) != d:
            raise GdlabError(f"the columns encode to {len(source)} features, the model takes {d}")
        scaled = _standardization(run, d) or (np.zeros(d), np.ones(d))
        f64 = torch.float64
        self.register_buffer("fill", torch.tensor(
            [np.nan if c.fill is None else c.fill for c in columns], dtype=f64))
        self.register_buffer("source", torch.tensor(source, dtype=torch.int64))
        self.register_buffer("code", torch.tensor(code, dtype=f64))
        self.register_buffer("numeric", torch.isnan(torch.tensor(code, dtype=f64)))
        self.register_buffer("mean", torch.tensor(scaled[0], dtype=f64))
        self.register_buffer("scale", torch.tensor(scaled[1], dtype=f64))
        self.register_buffer("like", torch.empty(0, dtype=_dtype(run)))  # the model's dtype
        body = []
        act = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
        for i, layer in enumerate(layers):
            copy = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                             dtype=layer.weight.dtype)
            copy.load_state_dict(layer.state_dict())
            body.append(copy)
            if i < len(layers) - 1:
                body.append(act[run.model.activation]())
        self.body = nn.Sequential(*body).requires_grad_(False)
        self.n_columns = len(columns)
        self.task = _TASK_CODES[run.task]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        if x.dim() != 2 or x.size(1) != self.n_columns:
            raise ValueError(f"expected raw-coded rows of shape (n, {self.n_columns}), "
                             f"got {list(x.shape)}")
        x = x.to(torch.float64)
        x = torch.where(torch.isnan(x), self.fill, x)  # fill missing cells
        picked = x.index_select(1, self.source)  # (n, c) -> (n, d): each output's column
        hot = (picked == self.code).to(torch.float64) + picked * 0.0
        e = torch.where(self.numeric, picked, hot)  # numbers as they are, categories one-hot
        e = ((e - self.mean) / self.scale).to(self.like.dtype)
        z = self.body(e)  # (n, d) -> (n, k)
        if self.task == 0:
            return {"prediction": z[:, 0] if z.size(1) == 1 else z}
        if self.task == 1:
            p = torch.sigmoid(z)
            proba = torch.cat([1 - p, p], dim=1)
        else:
            proba = torch.softmax(z, dim=1)
        return {"prediction": proba.argmax(dim=1), "probabilities": proba}


def torchscript_module(run: Run):
    """``torch.jit.script`` of :class:`RawCodedModel` for ``run``."""
    with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; the format is asked for
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(RawCodedModel(run).eval())
