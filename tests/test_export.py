"""gdlab export: ONNX (run by onnxruntime) and TorchScript files equal ``predict``.

Every fixture table of tests/tables.py and a set of built-ins is trained, saved, read back
and exported in both formats; new rows with a missing cell and an unseen category go
through the files and through ``run.predict`` / ``run.predict_proba`` (the numbers
``gdlab predict`` writes), and must agree within 1e-5: probabilities absolutely; values
relative to the largest predicted value (a float32 model's own resolution on a price of
24,000 is 0.002, and torch and onnxruntime add up in different orders), and absolutely
for a float64 model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file, save_file

import gdlab
import tables as T
from conftest import cli_error
from gdlab.data import load_features
from gdlab.data.columns import MISSING_TOKENS
from gdlab.export import FORMATS, description, export, export_onnx, export_torchscript, onnx_model

TOL = 1e-5


# --- the tables, and new rows for each: (column, cell) edits on rows of another seed ----------
@dataclass(frozen=True)
class Table:
    write: object  # tests.tables writer
    target: str
    edits: tuple  # (row, column, new text)
    sep: str = ","
    settings: tuple = ()  # extra gdlab.train settings
    encoding: str = "utf-8"
    seeded: bool = True  # the writer takes seed= (new rows from another seed)


TABLES = {
    "penguins": Table(T.write_penguins, "species", (
        (0, "island", "Atlantis"), (1, "bill_length_mm", "NA"), (2, "sex", ""), (3, "sex", "NA"))),
    "penguins-parquet": Table(T.write_penguins, "species", (
        (0, "island", "Atlantis"), (1, "body_mass_g", None), (2, "sex", None))),
    "mtcars-id-column": Table(T.write_mtcars, "mpg", ((0, "wt", ""), (1, "hp", "NA"))),
    "mtcars-cyl-classes": Table(T.write_mtcars, "cyl", ((0, "wt", ""),)),
    "boston-semicolons": Table(T.write_boston, "medv", ((0, "rm", "NA"), (1, "lstat", "")),
                               sep=";"),
    "counts": Table(T.write_counts, "rentals", ((0, "humidity", ""), (1, "temp", "?"))),
    "churn-imbalanced": Table(T.write_imbalanced, "churn", (
        (0, "contract", "three year"), (1, "contract", ""), (2, "tenure", "?"))),
    "churn-balanced-weights": Table(T.write_imbalanced, "churn", (
        (0, "contract", "three year"), (1, "monthly_charges", "")),
        settings=(("class_weight", "balanced"),)),
    "diamonds": Table(T.write_diamonds, "price", (
        (0, "cut", "Excellent"), (1, "color", "NA"), (2, "carat", ""))),
    "diamonds-float64": Table(T.write_diamonds, "price", (
        (0, "cut", "Excellent"), (1, "color", "NA")), settings=(("dtype", "float64"),)),
    "cities-latin1": Table(T.write_cities, "rent", ((0, "city", "Zagreb"), (1, "rooms", "")),
                           encoding="latin-1", seeded=False),
}
# Built-ins are all-numeric arrays (no preprocessor: nothing to fill, as predict refuses NaN).
BUILTINS = {
    "regression": ("synthetic-linear", {}),
    "binary": ("classification", {}),
    "multiclass": ("iris", {}),
    "mlp-tanh": ("moons", {"model": "mlp", "hidden": (8, 8), "activation": "tanh"}),
    "mlp-sigmoid-3-classes": ("blobs", {"model": "mlp", "hidden": (6,), "activation": "sigmoid"}),
    "mlp-relu-digits": ("digits", {"model": "mlp", "hidden": (16,), "activation": "relu"}),
    "no-bias": ("toy-1d", {"bias": False}),
    "no-bias-logistic": ("classification", {"bias": False}),
    "no-standardization": ("wine", {"standardize": False}),
}


def _suffix(key: str) -> str:
    return ".parquet" if key.endswith("parquet") else ".csv"


def _raw(path: Path, table: Table) -> pd.DataFrame:
    """The file's cells as a user's pandas reads them as text (``NA`` stays the text NA)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(object)
    return pd.read_csv(path, sep=table.sep, dtype=str, keep_default_na=False,
                       encoding=table.encoding)


def _write_like(frame: pd.DataFrame, path: Path, table: Table) -> None:
    if path.suffix == ".parquet":
        frame.convert_dtypes().to_parquet(path, index=False)
    else:
        frame.to_csv(path, sep=table.sep, index=False, encoding=table.encoding)


def onnx_feed(model_path: Path, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The ONNX inputs from a frame, using only the file's own ``gdlab`` metadata."""
    meta = onnx.load(str(model_path)).metadata_props
    columns = json.loads(next(p.value for p in meta if p.key == "gdlab"))["columns"]
    feed = {}
    for column in columns:
        cells = frame[column["name"]]
        if column["kind"] == "numeric":
            cells = cells.map(lambda v: {"True": 1.0, "False": 0.0}.get(v, v) if isinstance(v, str) else v)
            feed[column["name"]] = pd.to_numeric(cells, errors="coerce").to_numpy(np.float64)[:, None]
        else:
            feed[column["name"]] = cells.map(lambda v: "" if pd.isna(v) else str(v)
                                             ).to_numpy(dtype=object)[:, None]
    return feed


@dataclass
class Case:
    run: gdlab.Run
    folder: Path
    onnx_path: Path
    pt_path: Path
    X: np.ndarray  # raw-coded new rows, as gdlab predict reads them
    frame: pd.DataFrame  # the same rows as cells


def _export_both(run_dir: Path) -> tuple[Path, Path]:
    onnx_path = export(run_dir, "onnx", run_dir.with_suffix(".onnx"))
    pt_path = export(run_dir, "torchscript", run_dir.with_suffix(".pt"))
    return onnx_path, pt_path


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Train each table and built-in once (saved and read back), export both, read new rows."""
    found: dict[str, Case] = {}

    def get(key: str) -> Case:
        if key in found:
            return found[key]
        folder = tmp_path_factory.mktemp(key)
        if key in TABLES:
            table = TABLES[key]
            path = table.write(folder, f"train{_suffix(key)}")
            run = gdlab.train(data=str(path), target=table.target, seed=0, quiet=True,
                              **dict(table.settings))
            new = table.write(folder, f"new{_suffix(key)}", **({"seed": 1} if table.seeded else {}))
            frame = _raw(new, table).head(12).drop(columns=[table.target])
            for row, column, text in table.edits:
                frame.loc[row, column] = text
            _write_like(frame, new, table)
            frame = _raw(new, table)
            X, _, _ = load_features(new, run.input_names, preprocessor=run.preprocessor)
        else:
            name, settings = BUILTINS[key]
            run = gdlab.train(data=name, seed=0, quiet=True, epochs=30, **settings)
            data = gdlab.load(name)
            rng = np.random.default_rng(1)
            X = data.X[rng.choice(data.n_samples, 12)]
            X = X + rng.normal(0, 0.1, X.shape) * X.std(axis=0)  # new rows near the data
            frame = pd.DataFrame(X, columns=run.input_names)
        gdlab.save(run, folder / "run")
        run = gdlab.load_run(folder / "run")  # what gdlab export reads
        onnx_path, pt_path = _export_both(folder / "run")
        found[key] = Case(run, folder, onnx_path, pt_path, X, frame)
        return found[key]

    return get


def run_onnx(case: Case, frame: pd.DataFrame | None = None) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(str(case.onnx_path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, onnx_feed(case.onnx_path, case.frame if frame is None else frame)),
                    strict=True))


def run_torchscript(case: Case, X: np.ndarray | None = None) -> tuple[dict, dict]:
    extra = {"gdlab.json": ""}
    module = torch.jit.load(str(case.pt_path), _extra_files=extra)
    out = module(torch.as_tensor(case.X if X is None else X, dtype=torch.float64))
    return {k: v.numpy() for k, v in out.items()}, json.loads(extra["gdlab.json"])


def value_difference(run: gdlab.Run, got: np.ndarray, want: np.ndarray) -> float:
    """Max |got − want|: absolute for probabilities and float64 values; for float32 values,
    relative to the largest predicted value (at least 1)."""
    diff = float(np.max(np.abs(np.asarray(got, np.float64) - want)))
    if next(run.model.parameters()).dtype == torch.float32:
        diff /= max(1.0, float(np.max(np.abs(want))))
    return diff


def check_outputs(case: Case, onnx_out: dict, ts_out: dict) -> None:
    run, X = case.run, case.X
    want = run.predict(X)
    if run.task == "regression":
        assert set(onnx_out) == {"prediction"}
        assert set(ts_out) == {"prediction"}
        assert onnx_out["prediction"].shape == want.shape
        assert value_difference(run, onnx_out["prediction"], want) <= TOL
        assert value_difference(run, ts_out["prediction"], want) <= TOL
        return
    proba = run.predict_proba(X)
    assert onnx_out["probabilities"].shape == proba.shape
    assert float(np.max(np.abs(onnx_out["probabilities"] - proba))) <= TOL
    assert float(np.max(np.abs(ts_out["probabilities"] - proba))) <= TOL
    labels = onnx_out["prediction"]
    if all(isinstance(c, int) for c in run.classes):
        assert labels.dtype == np.int64
        assert labels.tolist() == want.tolist()
    else:
        assert labels.tolist() == [str(v) for v in want]
    assert np.asarray(run.classes, dtype=object)[ts_out["prediction"]].tolist() == want.tolist()


# --- parity on every table and built-in -------------------------------------------------------
@pytest.mark.parametrize("key", list(TABLES))
def test_tables_export_equal_predict_on_rows_with_missing_and_unseen(cases, key):
    case = cases(key)
    prep = case.run.preprocessor
    assert np.isnan(case.X).any()  # the new rows do hold a missing cell ...
    if any(c.kind == "categorical" for c in prep.columns):
        assert (case.X == -1).any()  # ... and a category the training rows never had
    check_outputs(case, run_onnx(case), run_torchscript(case)[0])


@pytest.mark.parametrize("key", list(BUILTINS))
def test_builtins_export_equal_predict(cases, key):
    case = cases(key)
    check_outputs(case, run_onnx(case), run_torchscript(case)[0])


def test_onnx_graph_passes_the_checker_with_raw_inputs_and_documented_outputs(cases):
    case = cases("penguins")
    model = onnx.load(str(case.onnx_path))
    onnx.checker.check_model(model, full_check=True)
    assert {o.domain: o.version for o in model.opset_import} == {"": 21, "ai.onnx.ml": 4}
    assert model.ir_version == 10
    inputs = {i.name: (i.type.tensor_type.elem_type, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim])
              for i in model.graph.input}
    assert list(inputs) == case.run.input_names
    assert inputs["island"] == (onnx.TensorProto.STRING, ["N", 1])
    assert inputs["body_mass_g"] == (onnx.TensorProto.DOUBLE, ["N", 1])
    outputs = {o.name: o.type.tensor_type.elem_type for o in model.graph.output}
    assert outputs == {"prediction": onnx.TensorProto.STRING, "probabilities": onnx.TensorProto.FLOAT}
    ops = {n.op_type for n in model.graph.node}
    assert {"LabelEncoder", "IsNaN", "Where", "Sub", "Div", "Gemm", "Softmax", "ArgMax"} <= ops


def test_onnx_missing_tokens_take_the_fill_and_unseen_strings_encode_as_zeros(cases):
    case = cases("penguins")
    prep = case.run.preprocessor
    sex = [c.name for c in prep.columns].index("sex")
    fill = prep.columns[sex].categories[int(prep.fill[sex])]
    base = case.frame.iloc[[5]]
    tokens = ["", *MISSING_TOKENS]
    rows = pd.concat([base] * (len(tokens) + 3), ignore_index=True)
    rows["sex"] = [fill, *tokens, " male", "Male"]  # spaces and case are not stripped or folded
    out = run_onnx(case, rows)["probabilities"]
    np.testing.assert_array_equal(out[1:len(tokens) + 1], np.repeat(out[:1], len(tokens), axis=0))
    X = np.repeat(case.X[[5]], 3, axis=0)
    X[:, sex] = [prep.columns[sex].categories.index(fill), -1, -1]
    np.testing.assert_allclose(out[[0, -2, -1]], case.run.predict_proba(X), atol=TOL, rtol=0)
    # a missing number is the training fill, in both formats
    mass = [c.name for c in prep.columns].index("body_mass_g")
    rows = pd.concat([base] * 2, ignore_index=True)
    rows.loc[0, "body_mass_g"], rows.loc[1, "body_mass_g"] = "NA", repr(prep.fill[mass])
    out = run_onnx(case, rows)["probabilities"]
    assert float(np.max(np.abs(out[0] - out[1]))) == 0.0


def test_builtin_without_filling_gives_nan_for_a_missing_cell(cases):
    case = cases("multiclass")
    frame = case.frame.copy()
    frame.iloc[0, 1] = np.nan
    out = run_onnx(case, frame)["probabilities"]
    assert np.isnan(out[0]).all()
    assert np.isfinite(out[1:]).all()


def test_impute_none_missing_number_or_category_gives_nan_rows(tmp_path):
    path = T.write_imbalanced(tmp_path)  # no missing cell: trains with impute="none"
    run = gdlab.train(data=str(path), seed=0, quiet=True, epochs=20, impute="none")
    case = Case(run, tmp_path, export_onnx(run, tmp_path / "m.onnx"),
                export_torchscript(run, tmp_path / "m.pt"), None, None)
    frame = pd.DataFrame({"tenure": [np.nan, 3.0, 10.0], "monthly_charges": [70.0, 80.0, 50.0],
                          "contract": ["one year", "NA", "two year"]})
    out = run_onnx(case, frame)["probabilities"]
    assert np.isnan(out[:2]).all()
    X = np.array([[10.0, 50.0, 2.0]])  # codes: month-to-month 0, one year 1, two year 2
    np.testing.assert_allclose(out[2:], run.predict_proba(X), atol=TOL, rtol=0)
    ts, _ = run_torchscript(case, np.array([[np.nan, 70.0, 1.0], [3.0, 80.0, np.nan], *X]))
    assert np.isnan(ts["probabilities"][:2]).all()
    np.testing.assert_allclose(ts["probabilities"][2:], run.predict_proba(X), atol=TOL, rtol=0)


def test_torchscript_description_rides_along_and_needs_no_gdlab(cases):
    case = cases("churn-imbalanced")
    out, desc = run_torchscript(case)
    prep = case.run.preprocessor
    assert desc["columns"] == description(case.run, "torchscript")["columns"]
    assert [c["name"] for c in desc["columns"]] == case.run.input_names
    assert desc["columns"][2] == {
        "name": "contract", "kind": "categorical",
        "categories": list(prep.columns[2].categories), "onehot": ["month-to-month", "one year", "two year"],
        "fill": "month-to-month"}
    assert (desc["task"], desc["classes"]) == ("binary", ["no", "yes"])
    assert out["prediction"].dtype == np.int64
    code = ("import sys, torch\nsys.modules['gdlab'] = None  # the archive alone, no gdlab\n"
            "m = torch.jit.load(sys.argv[1])\n"
            "x = torch.tensor([[5.0, 90.0, float('nan')], [60.0, 30.0, -1.0]], dtype=torch.float64)\n"
            "print(m(x)['probabilities'].tolist())")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code, str(case.pt_path)],
                          capture_output=True, text=True, check=True, timeout=120)
    X = np.array([[5.0, 90.0, np.nan], [60.0, 30.0, -1.0]])
    np.testing.assert_allclose(json.loads(done.stdout), case.run.predict_proba(X), atol=TOL, rtol=0)


def test_torchscript_refuses_a_wrong_width(cases):
    case = cases("penguins")
    module = torch.jit.load(str(case.pt_path))
    with pytest.raises(Exception, match=r"expected raw-coded rows of shape \(n, 7\), got \[2, 3\]"):
        module(torch.zeros(2, 3, dtype=torch.float64))


# --- the library's errors ---------------------------------------------------------------------
def test_export_errors_name_the_problem(cases, tmp_path, monkeypatch):
    case = cases("no-bias")
    with pytest.raises(gdlab.GdlabError, match=r"format must be one of onnx, torchscript, got 'tf'"):
        export(case.run, "tf", tmp_path / "m.tf")
    with pytest.raises(gdlab.GdlabError, match=r"the folder .*nowhere does not exist"):
        export(case.run, "onnx", tmp_path / "nowhere" / "m.onnx")
    with pytest.raises(gdlab.GdlabError, match=r"is a folder"):
        export(case.run, "torchscript", tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(gdlab.GdlabError, match=r"pip install 'gdlab\[export\]'"):
        onnx_model(case.run)
    assert FORMATS == ("onnx", "torchscript")


# --- the command ------------------------------------------------------------------------------
def test_cli_train_export_predict_end_to_end(gdlab_cli, tmp_path):
    T.write_penguins(tmp_path)
    table = TABLES["penguins"]
    new = T.write_penguins(tmp_path, "new.csv", n=40, seed=2)
    frame = pd.read_csv(new).drop(columns=["species"])  # pandas' own reading: NaN for NA
    frame.loc[0, "island"], frame.loc[1, "sex"], frame.loc[2, "flipper_length_mm"] = "Atlantis", np.nan, np.nan
    frame.to_csv(new, index=False)
    assert gdlab_cli("train", "penguins.csv", "--target", "species", "--out", "run", "--quiet").code == 0
    r = gdlab_cli("export", "run", "--format", "onnx", "--out", "penguins.onnx")
    assert r.code == 0, r
    assert r.err.strip() == "wrote penguins.onnx (onnx: 7 input columns -> prediction, probabilities)"
    assert gdlab_cli("export", "run", "--format", "torchscript", "--out", "penguins.pt").code == 0
    assert gdlab_cli("export", "run").code == 0  # default: onnx, beside the folder
    assert (tmp_path / "run.onnx").read_bytes() == (tmp_path / "penguins.onnx").read_bytes()
    assert gdlab_cli("predict", "run", "new.csv", "--out", "pred.csv").code == 0
    predicted = pd.read_csv(tmp_path / "pred.csv")
    feed = {c: (frame[[c]].to_numpy(np.float64) if pd.api.types.is_numeric_dtype(frame[c])
                else frame[[c]].fillna("").to_numpy(dtype=object)) for c in frame.columns}
    session = ort.InferenceSession(str(tmp_path / "penguins.onnx"))
    labels, proba = session.run(["prediction", "probabilities"],
                                {i.name: feed[i.name] for i in session.get_inputs()})
    assert labels.tolist() == predicted["prediction"].tolist()
    want = predicted[[f"proba_{c}" for c in ("Adelie", "Chinstrap", "Gentoo")]].to_numpy()
    assert float(np.max(np.abs(proba - want))) <= TOL  # the CSV rounds to 6 places
    assert table.target == "species"


def test_cli_bad_inputs_exit_2_with_one_line(gdlab_cli, tmp_path, cases, monkeypatch):
    run_dir = cases("binary").folder / "run"
    cli_error(gdlab_cli("export", "nope"), "run folder not found: nope")
    cli_error(gdlab_cli("export", run_dir, "--format", "tflite"),
                   "--format must be one of onnx, torchscript, got 'tflite'")
    cli_error(gdlab_cli("export", run_dir, "--out", "missing/m.onnx"),
                   "--out missing/m.onnx: the folder missing does not exist")
    cli_error(gdlab_cli("export", run_dir, "--out", "."), "is a folder")
    (tmp_path / "empty").mkdir()
    cli_error(gdlab_cli("export", "empty", "--out", "m.onnx"), "no model.json")
    partial = tmp_path / "x.partial"
    partial.mkdir()
    for f in run_dir.iterdir():
        (partial / f.name).write_bytes(f.read_bytes())
    cli_error(gdlab_cli("export", partial, "--out", "m.pt", "--format", "torchscript"),
                   "an unfinished run")
    # a diverged run: warned about, as predict does; non-finite weights: nothing to export
    diverged = tmp_path / "diverged"
    diverged.mkdir()
    for f in run_dir.iterdir():
        (diverged / f.name).write_bytes(f.read_bytes())
    desc = json.loads((diverged / "model.json").read_text())
    (diverged / "model.json").write_text(json.dumps({**desc, "status": "diverged"}))
    (diverged / "metrics.json").write_text(json.dumps({"stopped_reason": "diverged"}))
    r = gdlab_cli("export", "diverged", "--out", "d.onnx")
    assert r.code == 0, r
    assert "warning: the run in diverged diverged" in r.err
    weights = load_file(str(diverged / "model.safetensors"))
    save_file({k: torch.full_like(v, float("nan")) for k, v in weights.items()},
              str(diverged / "model.safetensors"))
    cli_error(gdlab_cli("export", "diverged", "--out", "d.onnx"), "non-finite weights")
    monkeypatch.setitem(sys.modules, "onnx", None)
    cli_error(gdlab_cli("export", run_dir, "--out", "m.onnx"),
                   "--format onnx needs the onnx package: pip install 'gdlab[export]'")
    assert not (tmp_path / "m.onnx").exists()


def test_export_help_loads_no_heavy_module():
    code = ("import sys\nfrom gdlab.cli import main\ntry:\n    main(['export', '--help'])\n"
            "except SystemExit:\n    pass\n"
            "print('HEAVY', [m for m in ('torch', 'sklearn', 'matplotlib', 'numba', 'onnx', "
            "'onnxruntime', 'pandas') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert "--format onnx|torchscript" in out
    assert out.rstrip().endswith("HEAVY []")
