"""The playground in headless Chromium (Debian's package; `make test` installs it).

A learner's session: load the page, train on line-1d, watch the loss fall and the path
grow on the loss surface, click the surface for a new start, pause, change the learning
rate, resume, reload the URL; then a lesson from the menu played to its end, whose final
parameters must equal gdlab.train's; then the errors a bad link or a bad value shows.
Screenshots go to $GDLAB_SCREENSHOTS (default: a temporary folder, printed).
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from playwright.sync_api import sync_playwright

import gdlab
from conftest import one_torch_thread, playground_server
from gdlab.lessons import LESSONS
from gdlab.models import build_model
from gdlab.web import limits
from gdlab.web.settings import parse_settings

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CHROMIUM = os.environ.get("GDLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def base_url():
    with one_torch_thread(), playground_server() as port:  # one thread, as `gdlab serve`
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                    "(or point GDLAB_CHROMIUM at a Chromium binary)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("GDLAB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nplayground screenshots: {folder}")
    return folder


@pytest.fixture
def page(browser, base_url):
    """A fresh page that records any request leaving the server and any script error."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = context.new_page()
    pg.outside, pg.errors = [], []
    pg.on("request", lambda r: None if r.url.startswith((base_url, "data:")) else pg.outside.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if "catalogue" in m.text else None)  # a missing text
    yield pg
    context.close()
    assert pg.outside == []  # everything comes from the gdlab server: works offline
    assert pg.errors == []


def wait_for(page, expression: str, *, timeout: float = 60.0):
    """Poll a JavaScript expression until it is truthy (the page's CSP forbids eval, which
    Playwright's wait_for_function needs)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


def status(page) -> str:
    return page.evaluate("document.body.dataset.status")


def shown_params(page) -> list[float]:
    return json.loads(page.get_attribute("#params", "data-values"))


def url_settings(page) -> dict:
    return page.evaluate("Object.fromEntries(new URLSearchParams(location.search))")


def reference_params(settings: dict, data=None) -> list[float]:
    """gdlab.train with the page's settings, the way a user writes it."""
    s = parse_settings(settings)
    data = data if data is not None else gdlab.load(s.data, **s.data_kwargs())
    kw = s.train_kwargs()
    model = kw.pop("model")
    if s.start is not None:
        model = build_model(model, data.n_features, 1, bias=s.bias)
        with torch.no_grad():
            for i, p in enumerate(model.parameters()):
                p.fill_(0.0 if s.start == "zeros" else s.start[i])
    run = gdlab.train(model, data, **kw)
    return torch.cat([p.detach().double().reshape(-1) for p in run.model.parameters()]).tolist()


def test_train_click_pause_change_lr_resume_reload(page, base_url, shots):
    page.goto(f"{base_url}/?data=line-1d&optimizer=gd&lr=0.05&epochs=400&standardize=false&speed=40")
    wait_for(page, "document.body.dataset.status === 'ready'")
    page.screenshot(path=shots / "1-loaded.png", full_page=True)
    initial = page.evaluate("window.playground.info.initial_loss")

    # play: the loss falls and the path grows on the surface
    page.click("#play")
    wait_for(page, "window.playground.history.length >= 10")
    grown = int(page.get_attribute("#surface-canvas", "data-path-length"))
    wait_for(page, f"+document.getElementById('surface-canvas').dataset.pathLength > {grown}")
    losses = page.evaluate("window.playground.history.map(e => e.train_loss)")
    assert all(b < a for a, b in itertools.pairwise([initial, *losses]))  # gd, small lr: every epoch lower
    assert grown >= 11
    page.screenshot(path=shots / "2-training.png", full_page=True)

    # click the surface: a new run starting there
    ax = page.evaluate("(({m, pw, ph, x0, x1, y0, y1}) => ({left: m.left, top: m.top, pw, ph, x0, x1, y0, y1}))(window.playground.surfaceAxes)")
    box = page.locator("#surface-canvas").bounding_box()
    page.mouse.click(box["x"] + ax["left"] + 0.2 * ax["pw"], box["y"] + ax["top"] + 0.25 * ax["ph"])
    wait_for(page, "window.playground.path.length === 1 && document.body.dataset.status === 'ready' && location.search.includes('start=')")
    w, b = page.evaluate("window.playground.path[0]")
    pixel = (ax["x1"] - ax["x0"]) / ax["pw"]
    assert w == pytest.approx(ax["x0"] + 0.2 * (ax["x1"] - ax["x0"]), abs=2 * pixel)
    assert b == pytest.approx(ax["y1"] - 0.25 * (ax["y1"] - ax["y0"]), abs=2 * pixel)
    assert shown_params(page) == [w, b]
    start = [float(v) for v in url_settings(page)["start"].split(",")]
    assert start == pytest.approx([w, b], rel=1e-6)  # the model holds them in float32
    page.screenshot(path=shots / "3-new-start.png", full_page=True)

    # play a little, pause
    page.click("#play")
    wait_for(page, "window.playground.frame.step >= 6")
    page.click("#play")
    wait_for(page, "document.body.dataset.status === 'paused'")
    before = shown_params(page)
    step = page.evaluate("window.playground.frame.step")
    assert page.evaluate("window.playground.path.at(-1)") == before

    # change the learning rate while paused: nothing moves, the URL says so
    page.locator("#lr").fill("-1.5")  # log10 scale: 10^-1.5 = 0.0316
    wait_for(page, "new URLSearchParams(location.search).get('lr') === '0.0316'")
    assert shown_params(page) == before
    assert page.evaluate("window.playground.frame.step") == step
    assert page.inner_text("#lr-out") == "0.0316"

    # resume: it continues from those parameters with the new rate
    page.click("#play")
    wait_for(page, f"window.playground.frame.step >= {step + 5}")
    page.click("#play")
    wait_for(page, "document.body.dataset.status === 'paused'")
    history = page.evaluate("window.playground.history")
    assert {e["lr"] for e in history[step:]} == {0.0316}
    path = page.evaluate("window.playground.path")
    train = page.evaluate("window.playground.data.train")
    x, y = np.array([r[0] for r in train["X"]]), np.array(train["y"])
    (w0, b0), (w1, b1) = path[step], path[step + 1]
    assert (w0, b0) == tuple(before)
    r = w0 * x + b0 - y  # one gd step on the mse from the paused parameters
    assert w1 == pytest.approx(w0 - 0.0316 * np.mean(2 * r * x), rel=1e-5)
    assert b1 == pytest.approx(b0 - 0.0316 * np.mean(2 * r), rel=1e-5)
    page.screenshot(path=shots / "4-after-lr-change.png", full_page=True)

    # reload: the same settings, start point and rate come back
    settings, url = page.evaluate("window.playground.settings"), page.url
    page.reload()
    wait_for(page, "document.body.dataset.status === 'ready'")
    assert page.url == url
    assert page.evaluate("window.playground.settings") == settings
    assert shown_params(page) == [w, b]
    assert page.evaluate("window.playground.path") == [[w, b]]
    assert page.inner_text("#lr-out") == "0.0316"
    assert page.input_value("#data") == "line-1d"
    assert page.input_value("#optimizer") == "gd"
    page.screenshot(path=shots / "5-reloaded.png", full_page=True)


def test_a_lesson_from_the_menu_ends_on_gdlab_trains_parameters(page, base_url, shots):
    page.goto(f"{base_url}/")
    wait_for(page, "document.body.dataset.status === 'ready'")
    page.select_option("#lesson", "coursera-1d")
    wait_for(page, "window.playground.settings.lesson === 'coursera-1d' && document.body.dataset.status === 'ready'")
    lesson = LESSONS["coursera-1d"]
    assert page.inner_text("#lesson-title") == lesson.title
    assert lesson.explanation[:60] in page.inner_text("#lesson-text")
    assert shown_params(page) == [-15.0, -10.0]  # the lesson's start point
    page.locator("#speed").fill(page.get_attribute("#speed", "max"))  # the fastest
    wait_for(page, f"window.playground.settings.speed === {limits.MAX_STEPS_PER_SECOND}")
    page.click("#play")
    wait_for(page, "document.body.dataset.status === 'max_epochs'")
    values = shown_params(page)
    assert values == reference_params(page.evaluate("window.playground.settings"))
    cells = page.locator("#params tbody td:nth-child(2)").all_inner_texts()
    assert [float(c) for c in cells] == pytest.approx(values, rel=1e-5)  # what the learner reads
    assert page.is_disabled("#play")
    page.screenshot(path=shots / "6-lesson-done.png", full_page=True)


def test_bad_settings_show_a_clear_error_on_the_page(page, base_url, shots):
    page.goto(f"{base_url}/?data=line-1d&lr=abc")
    wait_for(page, "!document.getElementById('error').hidden && document.body.dataset.status === 'ready'")
    assert "lr must be a number, got 'abc'" in page.inner_text("#error-text")
    assert url_settings(page)["lr"] == "0.1"  # it fell back to the defaults
    page.screenshot(path=shots / "7-bad-link.png", full_page=True)
    page.click("#error-close")
    page.select_option("#model", "mlp")
    wait_for(page, "window.playground.settings.model === 'mlp'")
    page.fill("#hidden", f"{limits.MAX_HIDDEN_UNITS + 1}")
    page.press("#hidden", "Enter")
    wait_for(page, "!document.getElementById('error').hidden")
    assert f"hidden[0] must be in [1, {limits.MAX_HIDDEN_UNITS}], got {limits.MAX_HIDDEN_UNITS + 1}" in page.inner_text("#error-text")
    assert page.input_value("#hidden") == "10"  # the control shows the settings still in use
    page.screenshot(path=shots / "8-bad-value.png", full_page=True)


def test_the_update_panel_shows_the_numbers_of_the_run(page, base_url, shots):
    """Liu Er's full-batch gd in float64: the panel's gradient is ∂cost/∂θ of the notes,
    its old and new values are the path's last two points, its arithmetic adds up."""
    page.goto(f"{base_url}/?lesson=liu-er-gd&dtype=float64&bias=true&start=1,0&lang=en")  # a (w, b) model
    wait_for(page, "document.body.dataset.status === 'ready'")
    assert "No update yet" in page.inner_text("#update-panel")
    for n in range(1, 4):
        page.click("#step")  # (the panel is drawn at the next animation frame: wait for it)
        wait_for(page, f"(JSON.parse(document.getElementById('update-panel').dataset.update) || {{}}).step === {n}")
    u = json.loads(page.get_attribute("#update-panel", "data-update"))
    path = page.evaluate("window.playground.path")
    (w0, b0), (w1, b1) = path[-2], path[-1]
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    r = w0 * x + b0 - y
    rows = {row["name"]: row for row in u["params"]}
    assert rows["w"]["grad"] == pytest.approx(np.mean(2 * x * r), rel=1e-12)
    assert rows["b"]["grad"] == pytest.approx(np.mean(2 * r), rel=1e-12)
    assert (rows["w"]["old"], rows["b"]["old"]) == (w0, b0)
    assert (rows["w"]["new"], rows["b"]["new"]) == (w1, b1) == tuple(shown_params(page))
    # what the learner reads: the cells and the worked arithmetic
    cells = page.locator("#update-table tbody tr").first.locator("td").all_inner_texts()
    assert float(cells[0]) == pytest.approx(w0, rel=1e-5)
    assert float(cells[1]) == pytest.approx(rows["w"]["grad"], rel=1e-5)
    assert cells[2].startswith(f"{cells[0]} − 0.01 × (")
    assert cells[2].endswith(f"= {cells[3]}")
    assert float(cells[3]) == pytest.approx(w1, rel=1e-5)
    text = page.inner_text("#update-panel")
    assert "update 3 · epoch 3, all 3 training rows · η = 0.01" in text
    assert "θ ← θ − η·g" in text
    page.screenshot(path=shots / "9-update-panel.png", full_page=True)

    # momentum: the velocity carries over from the update before
    page.goto(f"{base_url}/?data=line-1d&optimizer=momentum&batch_size=5&lang=en")
    wait_for(page, "document.body.dataset.status === 'ready'")
    page.click("#step")
    wait_for(page, "window.playground.update && window.playground.update.step === 1")
    first = page.evaluate("window.playground.update")
    page.click("#step")
    wait_for(page, "window.playground.update.step === 2")
    second = page.evaluate("window.playground.update")
    for a, b in zip(first["params"], second["params"], strict=True):
        assert a["v_old"] is None
        assert b["v_old"] == a["v"]
        assert b["v"] == pytest.approx(0.9 * a["v"] + b["grad"], rel=1e-5)
        assert b["new"] == pytest.approx(b["old"] - 0.1 * b["v"], rel=1e-5)
    assert "v ← μ·v + g" in page.inner_text("#update-formula")
    page.screenshot(path=shots / "10-update-momentum.png", full_page=True)


@pytest.fixture
def zh_page(browser, base_url):
    """A page in a browser whose language is Chinese."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("console", lambda m: pg.errors.append(m.text) if "catalogue" in m.text else None)
    yield pg
    context.close()
    assert pg.errors == []


def test_the_page_follows_the_browsers_language_and_its_switch(zh_page, base_url, shots):
    page = zh_page
    page.goto(f"{base_url}/?lesson=coursera-1d")
    wait_for(page, "document.body.dataset.status === 'ready'")
    assert page.evaluate("navigator.language") == "zh-CN"
    assert url_settings(page)["lang"] == "zh"  # kept in the link
    assert page.inner_text("#step") == "单步"
    assert page.inner_text("#play") == "▶ 运行"
    assert "演练场" in page.inner_text("header h1")
    assert page.get_attribute("#reset", "title") == "从起点重新开始这次训练（R）"
    assert "第 0/10 轮" in page.inner_text("#status")
    page.click("#step")
    wait_for(page, "(JSON.parse(document.getElementById('update-panel').dataset.update) || {}).step === 1")
    assert "最近一次更新" in page.inner_text("#update-panel")
    assert "更新前的 θ" in page.inner_text("#update-table")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.screenshot(path=shots / "11-chinese.png", full_page=True)

    page.select_option("#lang", "en")
    wait_for(page, "new URLSearchParams(location.search).get('lang') === 'en'")
    assert page.inner_text("#step") == "Step"
    assert "The last update" in page.inner_text("#update-panel")
    assert page.evaluate("window.playground.frame.step") == 1  # the run goes on: nothing reset
    page.screenshot(path=shots / "12-switched-to-english.png", full_page=True)

    page.goto(f"{base_url}/?lang=zh&data=moons&lr=1000")  # a refused link, said in Chinese
    wait_for(page, "!document.getElementById('error').hidden && document.body.dataset.status === 'ready'")
    assert page.inner_text("#error-text").startswith("这个链接里的设置被拒绝：lr must be in")


def test_an_uploaded_table_trains_with_the_library(page, base_url, shots, tmp_path):
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=60), rng.normal(size=60)
    price = 3 * x1 - 2 * x2 + 1 + 0.1 * rng.normal(size=60)
    table = tmp_path / "houses.csv"
    table.write_text("size,age,price\n" + "".join(f"{a:.4f},{b:.4f},{c:.4f}\n" for a, b, c in zip(x1, x2, price, strict=True)))
    page.goto(f"{base_url}/?epochs=30&lang=en")
    wait_for(page, "document.body.dataset.status === 'ready'")
    page.set_input_files("#upload-file", str(table))
    wait_for(page, "window.playground.settings.data.startsWith('upload:') && document.body.dataset.status === 'ready'")
    assert "houses.csv" in page.inner_text("#data-description")
    assert page.input_value("#upload-target") == "price"
    assert page.evaluate("window.playground.info.n_features") == 2
    page.locator("#speed").fill(page.get_attribute("#speed", "max"))
    wait_for(page, f"window.playground.settings.speed === {limits.MAX_STEPS_PER_SECOND}")
    page.click("#play")
    wait_for(page, "document.body.dataset.status === 'max_epochs'")
    settings = page.evaluate("window.playground.settings")
    assert settings["epochs"] == 30
    assert shown_params(page) == reference_params(settings, data=gdlab.load(str(table)))
    page.screenshot(path=shots / "13-uploaded-table.png", full_page=True)

    bad = tmp_path / "bad.csv"
    bad.write_text("size,price\n1,2\nred,4\n")
    page.set_input_files("#upload-file", str(bad))
    wait_for(page, "!document.getElementById('error').hidden")
    assert page.inner_text("#error-text") == ("The table was refused: bad.csv: line 3, column 'size': "
                                              "'red' is not a number")


def test_leaving_a_lesson_restores_free_play(page, base_url, shots):
    page.goto(f"{base_url}/?data=moons&epochs=40&lr=0.05&lang=en")
    wait_for(page, "document.body.dataset.status === 'ready'")
    free = page.evaluate("window.playground.settings")
    page.select_option("#lesson", "d2l-linear")
    wait_for(page, "window.playground.settings.lesson === 'd2l-linear' && document.body.dataset.status === 'ready'")
    assert page.evaluate("window.playground.settings.epochs") == 3
    page.select_option("#lesson", "")
    wait_for(page, "window.playground.settings.lesson === null && document.body.dataset.status === 'ready'")
    assert page.evaluate("window.playground.settings") == free  # the lesson's epochs=3 did not leak
    assert "lesson=d2l" not in page.url
    assert url_settings(page)["epochs"] == "40"
    assert page.is_hidden("#lesson-panel")
    page.screenshot(path=shots / "14-lesson-left.png", full_page=True)


def test_a_larger_model_shows_a_slice_over_two_chosen_parameters(page, base_url, shots):
    page.goto(f"{base_url}/?data=synthetic-linear&n=100&optimizer=gd&lang=en")
    wait_for(page, "document.body.dataset.status === 'ready'")
    assert page.get_attribute("#surface-canvas", "data-kind") == "slice"
    assert page.is_visible("#pair-pick")
    for _ in range(3):
        page.click("#step")
    wait_for(page, "window.playground.frame.step === 3")
    page.select_option("#pair-x", "0")
    page.select_option("#pair-y", "2")
    wait_for(page, "JSON.stringify(window.playground.surface.pair) === '[0,2]'")
    assert page.evaluate("window.playground.path.length") == 4  # the whole path, re-projected
    assert url_settings(page)["slice"] == "0,2"
    wait_for(page, "document.getElementById('surface-title').textContent === 'Slice of the loss over w1 and b'")
    page.screenshot(path=shots / "15-slice.png", full_page=True)
