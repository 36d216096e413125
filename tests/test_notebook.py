"""gdlab in Jupyter: a real notebook executed headless, and the display forms behind it.

The notebook (tests/notebooks/train_and_display.ipynb) runs in a kernel started with
this very interpreter: the test writes a kernelspec into a temporary JUPYTER_PATH (with
the same gdlab on PYTHONPATH), so nothing is installed globally and a fresh clone's
``make test`` finds it. The kernel talks to the test over localhost only.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from PIL import Image

import gdlab
from gdlab import display
from gdlab.callbacks import ProgressLog, progress_bar_class, wants_progress

NOTEBOOK = Path(__file__).parent / "notebooks" / "train_and_display.ipynb"
KERNEL = "gdlab-test"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _non_blank_png(data: bytes | str) -> Image.Image:
    raw = base64.b64decode(data) if isinstance(data, str) else data
    img = Image.open(io.BytesIO(raw)).convert("RGB")
    colors = np.unique(np.asarray(img).reshape(-1, 3), axis=0)
    assert len(colors) > 10, f"the PNG is blank ({len(colors)} colours)"
    return img


@pytest.fixture
def this_kernel(tmp_path, monkeypatch) -> str:
    """A kernelspec for this interpreter in a temporary JUPYTER_PATH; every Jupyter and
    IPython folder under tmp_path, so the test writes nothing outside it."""
    jupyter = tmp_path / "jupyter"
    spec = jupyter / "kernels" / KERNEL
    spec.mkdir(parents=True)
    src = str(Path(gdlab.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "gdlab tests (this interpreter)",
        "language": "python",
        "env": {"PYTHONPATH": path},
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    return KERNEL


@pytest.fixture
def executed(this_kernel, tmp_path):
    """The notebook after running every cell (cwd: tmp_path); its code cells."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, kernel_name=this_kernel, timeout=180, startup_timeout=180,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return [c for c in nb.cells if c.cell_type == "code"]


def _data(cell, mime: str) -> list:
    return [o["data"][mime] for o in cell.outputs if mime in o.get("data", {})]


@pytest.mark.timeout(600)
def test_notebook_runs_and_shows_the_run(executed, tmp_path):
    dataset, training, summary, quiet, figure = executed

    for cell in executed:  # nothing failed, nothing warned
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
        stderr = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        assert "Warning" not in stderr, stderr
        assert "Traceback" not in stderr, stderr

    assert "synthetic-linear" in _data(dataset, "text/plain")[0]
    assert "gdlab Dataset" in _data(dataset, "text/html")[0]

    # the live plot: a display handle updated in place — one image however many frames
    mode, frames = re.fullmatch(r"\('(\w+)', (\d+)\)", _data(training, "text/plain")[-1]).groups()
    assert mode == "notebook"
    assert int(frames) >= 2  # the first epoch and the end, at least
    images = _data(training, "image/png")
    assert len(images) == 1
    _non_blank_png(images[0])
    assert not (tmp_path / "live.png").exists()  # no file in notebook mode
    # the progress bar is tqdm's notebook widget, and it replaces the epoch lines
    assert _data(training, WIDGET)
    streams = "".join(o.get("text", "") for o in training.outputs if o.output_type == "stream")
    assert "train_loss" not in streams, streams

    # the run: a summary and its loss plot in HTML, one line as text
    page = _data(summary, "text/html")[0]
    for shown in ("gdlab Run", "linear", "synthetic-linear", "max_epochs", "25 of 25",
                  "weight", "bias", "test", "r2"):
        assert shown in page, shown
    plot = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert plot is not None
    _non_blank_png(plot.group(1))
    assert "http://" not in page
    assert "https://" not in page
    assert "<script" not in page
    text = _data(summary, "text/plain")[0]
    assert text.startswith("Run(linear on 'synthetic-linear', 25 epochs, stopped: max_epochs")
    assert "\n" not in text
    assert "grad_norm" not in text

    assert quiet.outputs == []  # quiet=True, progress=True: no bar, no line

    _non_blank_png(_data(figure, "image/png")[0])


# --- the display forms, in this process ---------------------------------------------------------
@pytest.fixture(scope="module")
def run():
    return gdlab.train(gdlab.LinearRegression(2), gdlab.load("synthetic-linear", n=200, seed=0),
                       optimizer="gd", lr=0.1, epochs=8, seed=0, quiet=True)


def test_run_repr_is_one_line_without_history(run):
    text = repr(run)
    assert text == display.run_repr(run)
    assert text.startswith("Run(linear on 'synthetic-linear', 8 epochs, stopped: max_epochs, "
                           "train_loss ")
    assert "test r2 " in text
    assert "val_loss " in text
    assert "\n" not in text
    assert "epoch'" not in text
    assert len(text) < 200


def test_run_html_is_self_contained(run):
    page = run._repr_html_()
    assert "8 of 8" in page
    assert "max_epochs" in page
    assert "ran every epoch" in page
    assert "<code>weight</code>" in page  # 3 parameters: listed
    _non_blank_png(re.search(r'base64,([^"]+)"', page).group(1))
    assert not re.search(r"(src|href)=\"(?!data:)", page)  # no request for anything
    assert "<script" not in page
    assert "<style" not in page
    assert "<img" not in display.run_html(run, plot=False)


def test_run_html_of_classifier_and_of_many_parameters():
    cls = gdlab.train(data="iris", epochs=3, seed=0, quiet=True, test_fraction=0.2)
    page = display.run_html(cls, plot=False)
    assert "softmax" in page
    assert "accuracy" in page
    assert "confusion" in page
    mlp = gdlab.train(data="iris", model="mlp", hidden=(10,), epochs=2, seed=0, quiet=True)
    page = display.run_html(mlp, plot=False)
    assert "parameters" in page
    assert "<code>layers.0.weight</code>" not in page


def test_run_html_escapes_and_survives_a_bare_run(run):
    from dataclasses import replace

    odd = replace(run, config={**run.config, "data": "<b>x</b>.csv"}, history=[], steps=None)
    page = display.run_html(odd)
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;.csv" in page
    assert "no history to plot" in page
    bare = replace(run, config={}, metrics={}, history=[])
    assert display.run_repr(bare).startswith("Run(LinearRegression, 0 epochs")


def test_dataset_html_shows_shape_classes_and_first_rows():
    iris = gdlab.load("iris")
    page = display.dataset_html(iris)
    assert "150 × 4 features" in page
    assert "multiclass" in page
    assert "setosa (50)" in page
    assert "… 145 more rows" in page
    assert page.count("<tr>") == 1 + 5 + 1 + 4  # header, 5 rows, "more", 4 info rows


def test_dataset_html_names_categories_and_marks_missing_cells():
    from types import SimpleNamespace

    X = np.array([[0.0, 1.5], [2.0, np.nan], [1.0, 3.0]])  # island as codes; a missing mass
    columns = [SimpleNamespace(name="island", categories=("Biscoe", "Dream", "Torgersen")),
               SimpleNamespace(name="mass", categories=None)]
    ds = SimpleNamespace(X=X, y=np.array([0, 1, 0]), feature_names=["island", "mass"],
                         target_name="sex", task="binary", classes=["f", "m"], name="p.csv",
                         X_test=None, columns=columns, meta={"notes": ["left out 'id'"]})
    page = display.dataset_html(ds)
    assert ">Biscoe<" in page
    assert ">Torgersen<" in page
    assert ">Dream<" in page
    assert ">—<" in page
    assert "1 (imputed when training)" in page
    assert "categorical" in page
    assert "left out &#x27;id&#x27;" in page
    assert "f (2), m (1)" in page


def test_dataset_html_cuts_wide_tables():
    wide = gdlab.Dataset(X=np.zeros((3, 15)), y=np.zeros(3), feature_names=[f"x{i}" for i in range(15)])
    page = display.dataset_html(wide)
    assert "… 3 more</th>" in page
    assert ">x11<" in page
    assert ">x12<" not in page


def test_figure_png_of_a_plain_matplotlib_figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), dpi=50)  # no canvas attached, no pyplot
    fig.subplots().plot([0, 1, 2], [2, 0, 1])
    img = _non_blank_png(display.figure_png(fig))
    assert img.size == (150, 100)
    assert display.png_data_uri(b"\x89PNG").startswith("data:image/png;base64,")


def test_in_notebook_is_false_outside_a_kernel():
    assert display.in_notebook() is False


# --- progress: bars, lines and quiet -------------------------------------------------------------
def test_quiet_with_progress_prints_nothing(capsys):
    gdlab.train(data="synthetic-linear", epochs=25, seed=0, quiet=True, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ""
    assert not wants_progress(True, quiet=True, epochs=25)


class _State:
    epoch, stopped_reason = 0, None


def _entries(n):
    return [{"epoch": e, "train_loss": 1.0 / e, "val_loss": None} for e in range(1, n + 1)]


def test_progress_in_a_notebook_shows_a_bar_and_no_lines(monkeypatch):
    lines, bars = [], []

    class FakeBar:
        def __init__(self, **kw):
            bars.append(kw)

        def update(self, n): ...
        def set_postfix(self, **kw): ...
        def write(self, line): lines.append(line)
        def close(self): ...

    monkeypatch.setattr("gdlab.callbacks.progress_bar_class", lambda *, notebook: FakeBar)
    cb = ProgressLog(20, log=lines.append, progress=True, notebook=True)
    cb.on_train_begin(_State())
    for entry in _entries(20):
        cb.on_epoch_end(_State(), entry)
    cb.on_train_end(_State())
    assert lines == []
    assert bars[0]["leave"] is True

    cb = ProgressLog(20, log=lines.append, progress=True, notebook=False)  # a terminal
    cb.on_train_begin(_State())
    for entry in _entries(20):
        cb.on_epoch_end(_State(), entry)
    assert [line.split()[1] for line in lines] == ["1/20", "2/20", "4/20", "6/20", "8/20",
                                                   "10/20", "12/20", "14/20", "16/20",
                                                   "18/20", "20/20"]
    assert bars[1]["leave"] is False


def test_progress_bar_without_ipywidgets_is_the_text_bar(monkeypatch):
    from tqdm.notebook import tqdm as notebook_bar
    from tqdm.std import tqdm as text_bar

    assert progress_bar_class(notebook=True) is notebook_bar  # ipywidgets: in the dev extra
    assert progress_bar_class(notebook=False) is text_bar
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed
    assert progress_bar_class(notebook=True) is text_bar  # and no warning (they are errors)
