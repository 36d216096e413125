"""The playground server: settings, stepping parity with gdlab.train, the JSON API, the
WebSocket job protocol, bounds, and a real server surviving malformed requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

import gdlab
from conftest import one_torch_thread, playground_server, read_metrics
from gdlab.errors import GdlabError
from gdlab.lessons import LESSONS
from gdlab.models import build_model
from gdlab.web import limits
from gdlab.web.jobs import TokenBucket, parse_command
from gdlab.web.server import bind
from gdlab.web.session import Session
from gdlab.web.settings import parse_settings
from gdlab.web.views import Panels

STATIC = Path(gdlab.__file__).parent / "web" / "static"
PLAYGROUND_LESSONS = [name for name, lesson in LESSONS.items() if lesson.playground]


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def server():
    with playground_server() as port:
        yield port


@pytest.fixture
def client(server):
    with httpx.Client(base_url=f"http://127.0.0.1:{server}", timeout=30) as c:
        yield c


@pytest.fixture
def socket_to(server):
    """Open the page's WebSocket; messages are JSON objects both ways."""
    with contextlib.ExitStack() as stack:
        yield lambda **kw: stack.enter_context(
            connect(f"ws://127.0.0.1:{server}/api/ws", open_timeout=30, **kw))


def send(ws, message) -> None:
    ws.send(message if isinstance(message, str | bytes) else json.dumps(message))


def recv(ws) -> dict:
    return json.loads(ws.recv(timeout=60))


def reference_run(settings):
    """gdlab.train with the playground's settings, built the way a user would."""
    data = gdlab.load(settings.data, **settings.data_kwargs())
    kw = settings.train_kwargs()
    kind = kw.pop("model")
    model = kind
    if settings.start is not None:
        torch.manual_seed(settings.seed)
        model = build_model(kind, data.n_features, 1)
        with torch.no_grad():
            model.layers[0].weight.fill_(settings.start[0])
            model.layers[0].bias.fill_(settings.start[1])
    return gdlab.train(model, data, **kw)


def flat(model) -> np.ndarray:
    return np.concatenate([p.detach().double().reshape(-1).numpy() for p in model.parameters()])


def finish(session: Session) -> None:
    while session.run(10**6):
        pass


# --- settings ------------------------------------------------------------------------------
def test_defaults_are_gdlab_train_defaults_on_line_1d():
    s = parse_settings({})
    assert (s.data, s.model, s.loss, s.optimizer, s.lr, s.epochs) == ("line-1d", "linear", "mse", "minibatch", 0.1, 100)
    assert (s.val_fraction, s.test_fraction, s.standardize, s.seed) == (0.1, 0.2, True, 0)
    assert (s.noise, s.data_seed, s.n) == (0.1, 0, None)  # line-1d: 60 fixed x values


def test_lesson_settings_fill_in_and_explicit_values_win():
    s = parse_settings({"lesson": "coursera-1d"})
    assert (s.data, s.batch_size, s.epochs, s.start, s.standardize) == ("line-1d", 5, 10, (-15.0, -10.0), False)
    s2 = parse_settings({"lesson": "coursera-1d", "lr": "0.02"})
    assert s2.lr == 0.02
    assert s2.start == (-15.0, -10.0)


def test_url_round_trip_keeps_every_setting():
    s = parse_settings({"lesson": "d2l-linear", "noise": "0.5", "hidden": "4,3", "model": "mlp", "seed": 7})
    query = s.to_query()
    assert query["lesson"] == "d2l-linear"
    assert query["init_std"] == "0.01"
    assert query["hidden"] == "4,3"
    assert parse_settings(query).values == s.values


@pytest.mark.parametrize(("raw", "message"), [
    ({"lr": "abc"}, "lr must be a number, got 'abc'"),
    ({"lr": 0}, r"lr must be in \(0, 100\], got 0"),
    ({"data": "nope"}, "data must be one of line-1d, .*got 'nope'"),
    ({"colour": "red"}, "unknown setting 'colour'"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of gd, sgd"),
    ({"standardize": "maybe"}, "standardize must be true or false"),
    ({"start": "1"}, "start must be two numbers 'w,b', got '1'"),
    ({"data": "toy-1d", "n": 10}, "toy-1d has a fixed size; leave n unset"),
    ({"data": "line-1d", "model": "softmax"}, "model softmax needs a class target; line-1d has a numeric target"),
    ({"data": "moons", "loss": "bce", "model": "linear"}, "--loss bce needs a class target"),
    ({"lesson": "no-such"}, "lesson must be one of .*got 'no-such'"),
    ({"hidden": "10,x"}, r"hidden\[1\] must be a number"),
    ({"val_fraction": 0.5, "test_fraction": 0.5}, "sum to 1 or more"),
])
def test_bad_settings_name_the_value(raw, message):
    with pytest.raises(GdlabError, match=message), Session(parse_settings(raw)):
        pass


def test_softmax_on_two_classes_trains_two_outputs_as_gdlab_train_does():
    """One rule for the model and the task (gdlab.setup): the playground no longer refuses
    what gdlab.train accepts."""
    settings = parse_settings({"data": "moons", "model": "softmax", "epochs": 3})
    with one_torch_thread(), Session(settings) as s:
        s.run(10_000)
        assert s.model.out_features == 2
        assert s.status == "max_epochs"
        page = s.params()
    run = gdlab.train(data=settings.load_data(), config=settings.config(), quiet=True)
    np.testing.assert_allclose(page, np.concatenate([p.detach().double().reshape(-1).numpy()
                                                     for p in run.model.parameters()]), rtol=1e-12)


@pytest.mark.parametrize(("key", "limit", "extra"), [
    ("n", limits.MAX_SAMPLES, {"data": "moons"}),
    ("epochs", limits.MAX_EPOCHS, {}),
    ("speed", limits.MAX_STEPS_PER_SECOND, {}),
    ("lr", limits.MAX_LR, {}),
    ("noise", limits.MAX_NOISE, {}),
    ("seed", limits.MAX_SEED, {}),
])
def test_bounds_accept_the_limit_and_refuse_beyond(key, limit, extra):
    assert parse_settings({**extra, key: limit}).values[key] == limit
    beyond = limit * 1.5 if isinstance(limit, float) else limit + 1
    with pytest.raises(GdlabError, match=f"^{key} must be in"):
        parse_settings({**extra, key: beyond})


def test_hidden_layer_bounds():
    wide = ",".join([str(limits.MAX_HIDDEN_UNITS)] * limits.MAX_HIDDEN_LAYERS)
    assert parse_settings({"model": "mlp", "hidden": wide}).hidden == (limits.MAX_HIDDEN_UNITS,) * limits.MAX_HIDDEN_LAYERS
    with pytest.raises(GdlabError, match=rf"hidden\[0\] must be in \[1, {limits.MAX_HIDDEN_UNITS}\]"):
        parse_settings({"model": "mlp", "hidden": str(limits.MAX_HIDDEN_UNITS + 1)})
    with pytest.raises(GdlabError, match=f"at most {limits.MAX_HIDDEN_LAYERS}"):
        parse_settings({"model": "mlp", "hidden": ",".join(["2"] * (limits.MAX_HIDDEN_LAYERS + 1))})


def test_feature_bound(monkeypatch):
    monkeypatch.setattr(limits, "MAX_FEATURES", 1)
    assert parse_settings({"data": "line-1d"}).data == "line-1d"
    with pytest.raises(GdlabError, match="synthetic-linear has 2 features; the playground allows at most 1"):
        parse_settings({"data": "synthetic-linear"})


def test_path_stops_growing_at_its_bound(monkeypatch):
    monkeypatch.setattr(limits, "MAX_PATH_POINTS", 5)
    with Session(parse_settings({"lesson": "liu-er-gd"})) as s:
        panels = Panels(s)
        start = panels.snapshot()["surface"]["start"]
        assert s.run(10) == 10
        path = [start, *panels.frame()["path"]]
    assert len(path) == limits.MAX_PATH_POINTS


def test_start_needs_a_two_parameter_model():
    with pytest.raises(GdlabError, match=r"start sets .* has 3 parameters"):
        Session(parse_settings({"data": "synthetic-linear", "start": "1,2"})).close()


# --- the stepped run equals gdlab.train ------------------------------------------------------
@pytest.mark.parametrize("lesson", PLAYGROUND_LESSONS)
def test_every_lesson_steps_to_the_parameters_gdlab_train_gives(lesson):
    settings = parse_settings({"lesson": lesson})
    session = Session(settings)
    finish(session)
    run = reference_run(settings)
    assert session.status == run.stopped_reason == "max_epochs"
    assert session.state.step == len(run.steps)
    np.testing.assert_array_equal(session.params(), flat(run.model))
    assert [e["train_loss"] for e in session.state.history] == [e["train_loss"] for e in run.history]


def test_d2l_lesson_matches_the_gdlab_train_command(gdlab_cli):
    """The command line itself, with the lesson's settings as flags."""
    settings = parse_settings({"lesson": "d2l-linear"})
    session = Session(settings)
    finish(session)
    result = gdlab_cli("train", "synthetic-linear", "--model", "linear", "--optimizer", "minibatch",
                       "--batch-size", "10", "--lr", "0.03", "--epochs", "3", "--loss", "half-mse",
                       "--init-std", "0.01", "--no-standardize", "--device", "cpu", "--no-plots",
                       "--out", "run", "--quiet")
    assert result.code == 0, result
    params = read_metrics(Path("run"))["params"]
    page = Panels(session).params()
    np.testing.assert_allclose(page["values"], [*params["weight"], *params["bias"]], rtol=0, atol=0)


def test_pausing_anywhere_draws_the_same_batches_as_one_run():
    settings = parse_settings({"data": "moons", "optimizer": "sgd", "epochs": 3, "n": 40})
    a = Session(settings)
    a.run(7)
    a.run(1000, until_epoch_end=True)  # finish epoch 1 (28 updates)
    assert a.state.epoch == 1
    assert a.state.step == 28
    finish(a)
    np.testing.assert_array_equal(a.params(), flat(reference_run(settings).model))


def test_changing_lr_continues_from_the_current_parameters():
    """gd on toy-1d in float64: after the change, one update is w − η′∂L/∂w exactly."""
    settings = parse_settings({"lesson": "liu-er-gd", "dtype": "float64"})
    with Session(settings) as s:
        check_lr_change(s)


def check_lr_change(s):
    s.run(5)
    w, b = s.params()
    s.set_lr(0.05)
    assert s.settings.lr == 0.05
    assert s.settings.to_query()["lr"] == "0.05"
    np.testing.assert_array_equal(s.params(), [w, b])  # nothing moved
    s.step()
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0])
    r = w * x + b - y
    expected = [w - 0.05 * np.mean(2 * r * x), b - 0.05 * np.mean(2 * r)]
    np.testing.assert_allclose(s.params(), expected, rtol=1e-14)
    assert s.state.history[-1]["lr"] == 0.05


def test_lr_changed_mid_epoch_applies_from_the_next_epoch():
    with Session(parse_settings({"lesson": "coursera-1d"})) as s:  # 9 updates per epoch
        s.run(3)
        s.set_lr(0.01)
        assert (s.lr, s.next_epoch_lr) == (0.1, 0.01)
        s.run(100, until_epoch_end=True)
        assert s.state.step == 9
        assert s.lr == 0.01
        s.run(9)
        assert [e["lr"] for e in s.state.history] == [0.1, 0.01]


def test_the_surface_widens_when_the_path_leaves_it():
    with Session(parse_settings({"lesson": "liu-er-gd", "lr": 0.4})) as s:  # overshoots
        panels = Panels(s)
        first = panels.snapshot()["surface"]
        s.run(3)
        frame = panels.frame()
    w, b = frame["path"][-1]
    wider = frame["surface"]
    assert not first["w"][0] <= w <= first["w"][1]
    assert wider["w"][0] <= w <= wider["w"][1]
    assert wider["b"][0] <= b <= wider["b"][1]
    assert wider["start"] == first["start"] == [1.0, 0.0]


def test_divergence_stops_with_a_message():
    s = Session(parse_settings({"lesson": "liu-er-gd", "lr": 5}))
    finish(s)
    assert s.done
    assert s.status == "diverged"
    # the page's banner speaks of its own slider, not of a command-line flag
    assert re.match(r"training diverged at epoch \d+ .*; try a smaller learning rate than 5 \(the lr slider\)$", s.message)


# --- what the panels draw ------------------------------------------------------------------------
def test_surface_is_the_exact_loss_and_the_path_starts_at_the_start_point():
    with Session(parse_settings({"lesson": "coursera-1d"})) as session:
        check_surface_and_path(session)


def check_surface_and_path(session):
    panels = Panels(session)
    snap = panels.snapshot()
    surface = snap["surface"]
    assert surface["start"] == [-15.0, -10.0]
    assert surface["units"] == "raw x"
    n = surface["n"]
    Z = np.array(surface["z"]).reshape(n, n)
    ws, bs = np.linspace(*surface["w"], n), np.linspace(*surface["b"], n)
    X, y = session.prep.X_train.double(), session.prep.y_train.double()
    for i, j in [(0, 0), (40, 17), (n - 1, n - 1)]:
        loss = float(torch.mean((ws[j] * X + bs[i] - y) ** 2))
        assert Z[i, j] == pytest.approx(loss, rel=1e-12)
    w_opt, _b_opt = surface["optimum"]
    assert surface["w"][0] <= -15
    assert surface["w"][1] >= w_opt
    session.run(4)
    frame = panels.frame()
    assert len(frame["path"]) == 4
    assert frame["path"][-1] == session.params().tolist()
    assert frame["params"]["names"] == ["w", "b"]
    assert frame["params"]["values"] == session.params().tolist()


def test_panels_for_each_kind_of_data():
    with Session(parse_settings({"data": "blobs"})) as s:
        boundary = Panels(s).frame()["fit"]
    assert boundary["kind"] == "boundary"
    assert len(boundary["cls"]) == limits.BOUNDARY_GRID**2
    assert set(boundary["cls"]) == {0, 1, 2}
    with Session(parse_settings({})) as s:
        line = Panels(s).frame()["fit"]
    assert line["kind"] == "line"
    assert len(line["x"]) == limits.CURVE_POINTS
    with Session(parse_settings({"data": "classification", "n": 100})) as s:
        rows = Panels(s).snapshot()
    assert rows["frame"]["fit"]["kind"] == "rows"
    assert "reason" in rows["surface"]
    assert len(rows["frame"]["fit"]["pred"]["train"]) == rows["info"]["n_train"] == 70


# --- HTTP --------------------------------------------------------------------------------------------
def test_page_and_assets_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert '<canvas id="surface-canvas"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for name in ("app.js", "plot.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200
        assert len(r.text) > 1000
    for path in STATIC.iterdir():  # nothing is fetched from elsewhere: no CDN, fonts, analytics
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text()), path.name


def test_options_list_the_lessons_and_bounds(client):
    body = client.get("/api/options").json()
    assert [lesson["name"] for lesson in body["lessons"]] == PLAYGROUND_LESSONS
    assert body["limits"]["MAX_SAMPLES"] == limits.MAX_SAMPLES
    assert [d["name"] for d in body["datasets"]][:2] == ["line-1d", "toy-1d"]


def test_setup_returns_normalized_settings_and_the_snapshot(client):
    body = client.get("/api/setup?lesson=coursera-1d&lr=0.05").raise_for_status().json()
    assert body["settings"]["lr"] == 0.05
    assert body["query"]["start"] == "-15,-10"
    assert body["frame"]["params"]["values"] == [-15.0, -10.0]
    mlp = client.post("/api/setup", json={"data": "xor", "model": "mlp", "hidden": [4]})
    assert mlp.raise_for_status().json()["info"]["n_params"] == 17  # 2·4 + 4 + 4 + 1


JSON_TYPE = {"content-type": "application/json"}


@pytest.mark.parametrize(("method", "kwargs", "status", "message"), [
    ("get", {"url": "/api/setup?lr=-1"}, 400, r"lr must be in \(0, 100\], got -1"),
    ("get", {"url": "/api/setup?data=nope"}, 400, "data must be one of"),
    ("get", {"url": "/api/setup?lr=1&lr=2"}, 400, "'lr' is given more than once"),
    ("get", {"url": "/api/setup?x=" + "a" * limits.MAX_QUERY_BYTES}, 414, "query string over the limit"),
    ("post", {"url": "/api/setup", "content": b"lr=1"}, 415, "send a JSON object"),
    ("post", {"url": "/api/setup", "content": b'{"lr":', "headers": JSON_TYPE}, 400, "not valid JSON"),
    ("post", {"url": "/api/setup", "content": b"\xff\xfe", "headers": JSON_TYPE}, 400, "not UTF-8"),
    ("post", {"url": "/api/setup", "json": [1, 2]}, 400, "settings must be a JSON object, got list"),
    ("post", {"url": "/api/setup", "json": {"epochs": limits.MAX_EPOCHS + 1}}, 400, "epochs must be in"),
    ("post", {"url": "/api/setup", "json": {"pad": "x" * limits.MAX_BODY_BYTES}}, 413, "over the limit"),
    ("get", {"url": "/api/nothing"}, 404, "Not Found"),
    ("delete", {"url": "/api/setup"}, 405, "Method Not Allowed"),
    ("get", {"url": "/static/..%2fapp.py"}, 404, "Not Found"),
    ("get", {"url": "/", "headers": {"host": "attacker.example"}}, 400, "unknown Host 'attacker.example'"),
])
def test_malformed_requests_get_a_4xx_with_one_line(client, method, kwargs, status, message):
    r = client.request(method.upper(), **kwargs)
    assert r.status_code == status
    error = r.json()["error"]
    assert re.search(message, error), error
    assert "\n" not in error
    assert client.get("/").status_code == 200  # and the page is still served


def test_streamed_body_without_a_length_is_cut_at_the_limit(client):
    def chunks():
        for _ in range(limits.MAX_BODY_BYTES // 1000 + 2):
            yield b" " * 1000

    r = client.post("/api/setup", content=chunks(), headers=JSON_TYPE)
    assert r.status_code == 413


def raw_request(port: int, payload: bytes) -> bytes:
    """Send bytes as they are; return the reply's head (status line and headers), if any."""
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(payload)
            while b"\r\n\r\n" not in reply and (chunk := s.recv(65536)):
                reply += chunk
        except (TimeoutError, ConnectionResetError, BrokenPipeError):
            pass
    return reply


def test_server_survives_a_burst_of_malformed_requests(server, client):
    big = b"x" * (limits.MAX_BODY_BYTES * 4)
    bad = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,  # a TLS hello
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big * 4 + b"\r\n\r\n",
        b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(big)).encode() + b"\r\n\r\n" + big,
        b"POST /api/setup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 4\r\nConnection: close\r\n\r\n{\"a\"",
        b"GET /api/setup?lr=%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        b"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    ]
    replies: list[bytes] = []
    threads = [threading.Thread(target=lambda p=p: replies.append(raw_request(server, p)))
               for p in bad * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    statuses = {int(m.group(1)) for r in replies if (m := re.match(rb"HTTP/1.1 (\d{3})", r))}
    assert statuses <= set(range(400, 500)), statuses
    assert {400, 413} <= statuses
    # and it still serves the page and trains
    assert client.get("/").status_code == 200
    assert client.get("/api/setup", params={"lesson": "liu-er-gd"}).json()["settings"]["lr"] == 0.01


# --- the WebSocket job ---------------------------------------------------------------------------------
def recv_until(ws, predicate) -> dict:
    while True:
        message = recv(ws)
        if predicate(message):
            return message


def test_job_steps_plays_changes_lr_and_restarts(socket_to):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {"lesson": "coursera-1d", "speed": limits.MAX_STEPS_PER_SECOND}})
    snap = recv(ws)
    assert snap["type"] == "snapshot"
    assert snap["frame"]["step"] == 0
    send(ws, {"type": "step"})
    frame = recv(ws)
    assert (frame["type"], frame["step"], len(frame["path"])) == ("frame", 1, 1)
    send(ws, {"type": "epoch"})
    end = recv_until(ws, lambda m: m["type"] == "frame" and not m["playing"])
    assert (end["epoch"], end["step"]) == (1, 9)  # 42 rows in batches of 5
    send(ws, {"type": "lr", "value": 0.01})
    changed = recv(ws)
    assert (changed["type"], changed["query"]["lr"], changed["lr"]) == ("settings", "0.01", 0.01)
    send(ws, {"type": "play"})
    done = recv_until(ws, lambda m: m["type"] == "frame" and m["status"] == "max_epochs")
    assert done["step"] == 90
    assert not done["playing"]
    assert {e["lr"] for e in done["entries"]} <= {0.01}
    send(ws, {"type": "start", "w": 2.5, "b": -3})
    again = recv(ws)
    assert again["frame"]["params"]["values"] == [2.5, -3.0]
    assert again["query"]["start"] == "2.5,-3"
    assert again["settings"]["lr"] == 0.01  # the changed lr is now the run's setting
    assert again["surface"]["w"] == snap["surface"]["w"]  # the view stays put
    send(ws, {"type": "reset"})
    assert recv(ws)["frame"]["step"] == 0
    wait_for_threads(1)  # one job per page: each new run ended the one before


def wait_for_threads(n: int) -> None:
    for _ in range(600):
        if len(run_threads()) == n:
            break
        time.sleep(0.05)
    assert len(run_threads()) == n


def test_lesson_played_through_the_socket_ends_where_gdlab_train_does(socket_to):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {"lesson": "coursera-1d", "speed": limits.MAX_STEPS_PER_SECOND}})
    snap = recv(ws)
    send(ws, {"type": "play"})
    done = recv_until(ws, lambda m: m["type"] == "frame" and m["status"] == "max_epochs")
    run = reference_run(parse_settings(snap["settings"]))
    assert done["params"]["values"] == flat(run.model).tolist()


@pytest.mark.parametrize(("message", "reply"), [
    ("not json", "message is not valid JSON"),
    ("[1]", "message must be a JSON object, got list"),
    ('{"type": "fly"}', "message type must be one of setup, play"),
    ('{"type": "lr"}', "lr message: missing key 'value'"),
    ('{"type": "step", "n": 5}', "step message: unknown key 'n'"),
    ('{"type": "lr", "value": "fast"}', "lr must be a number, got 'fast'"),
    ('{"type": "speed", "value": 100000}', "speed must be in"),
    ('{"type": "setup", "settings": {"lr": 0}}', r"lr must be in \(0, 100\]"),
    ('{"type": "start", "w": 1, "b": 1e99}', "start must be in"),
    ('{"type": "setup", "settings": "x"}', "settings must be a JSON object"),
    (b"\x00\x01", "messages must be JSON text, not binary"),
])
def test_bad_messages_get_an_error_and_the_job_goes_on(socket_to, message, reply):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {}})
    assert recv(ws)["type"] == "snapshot"
    send(ws, message)
    error = recv(ws)
    assert (error["type"], error["status"]) == ("error", 400)
    assert re.search(reply, error["message"]), error
    send(ws, {"type": "step"})
    assert recv(ws)["step"] == 1


def run_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "gdlab-playground-run"]


def test_closing_the_page_stops_its_job(server):
    with connect(f"ws://127.0.0.1:{server}/api/ws", open_timeout=30) as ws:
        send(ws, {"type": "setup", "settings": {"speed": 1, "epochs": limits.MAX_EPOCHS}})
        recv(ws)
        send(ws, {"type": "play"})
        assert recv(ws)["playing"]
        assert run_threads()
    wait_for_threads(0)  # the server notices the closed socket and ends the run


def test_commands_before_setup_are_refused(socket_to):
    ws = socket_to()
    send(ws, {"type": "play"})
    assert recv(ws)["message"] == "no run yet: send a setup message first"


def test_an_oversized_message_closes_that_socket_only(socket_to):
    ws = socket_to()
    send(ws, {"type": "setup", "settings": {}})
    assert recv(ws)["type"] == "snapshot"
    send(ws, "x" * (limits.MAX_BODY_BYTES + 10))
    with pytest.raises(ConnectionClosed) as closed:
        recv(ws)
    assert closed.value.rcvd.code == 1009  # message too big
    other = socket_to()
    send(other, {"type": "setup", "settings": {}})
    assert recv(other)["type"] == "snapshot"


def test_oversized_text_is_refused_by_the_parser_too():
    with pytest.raises(GdlabError, match=f"over the limit of {limits.MAX_BODY_BYTES}"):
        parse_command(" " * (limits.MAX_BODY_BYTES + 1))


def test_at_most_max_jobs_pages_at_once(socket_to):
    pages = [socket_to() for _ in range(limits.MAX_JOBS)]
    for ws in pages:
        send(ws, {"type": "pause"})
        recv(ws)  # the job is registered
    extra = socket_to()
    refused = recv(extra)
    assert refused["status"] == 503
    assert f"already runs {limits.MAX_JOBS} pages" in refused["message"]
    pages[0].close()  # closing a page frees its job
    for _ in range(200):
        again = socket_to()
        send(again, {"type": "setup", "settings": {}})
        reply = recv(again)
        if reply["type"] == "snapshot":
            break
        time.sleep(0.05)
    assert reply["type"] == "snapshot"


def test_socket_from_another_sites_page_is_refused(socket_to):
    with pytest.raises(InvalidStatus) as refused:
        socket_to(origin="http://attacker.example")
    assert refused.value.response.status_code == 403


def test_token_bucket_holds_updates_to_the_rate():
    """Asking for 3 seconds' worth of updates takes (fake) 2 seconds: one burst, then the rate."""
    now = [0.0]
    slept = []

    async def fake_sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    async def main():
        bucket = TokenBucket(limits.MAX_STEPS_PER_SECOND, clock=lambda: now[0], sleep=fake_sleep)
        for _ in range(30):
            await bucket.take(limits.MAX_STEPS_PER_SECOND // 10)

    asyncio.run(main())
    assert sum(slept) == pytest.approx(2.0)


# --- the command ---------------------------------------------------------------------------------
def test_serve_command_prints_the_url_and_warns_on_all_interfaces():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "gdlab", "serve", "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        match = re.match(r"gdlab playground: (http://127\.0\.0\.1:\d+/) ", line)
        assert match, line
        page = httpx.get(match.group(1), timeout=60)
        assert page.status_code == 200
        assert "<title>gdlab playground</title>" in page.text
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert "warning: --host 0.0.0.0 makes the playground reachable from other machines" in err


def test_serve_refuses_a_busy_port_with_one_line(gdlab_cli):
    busy = bind("127.0.0.1", 0)
    try:
        port = busy.getsockname()[1]
        result = gdlab_cli("serve", "--port", port)
    finally:
        busy.close()
    assert result.code == 2
    assert result.err.strip() == (f"gdlab: error: cannot listen on 127.0.0.1:{port}: Address already "
                                  f"in use; try --port {port + 1}")


def test_serve_open_launches_the_browser_at_the_url(gdlab_cli, monkeypatch):
    import gdlab.web.server as server_module

    opened = threading.Event()
    urls: list[str] = []

    class NoServer:
        def run(self, sockets):
            opened.wait(30)

    monkeypatch.setattr(server_module, "make_server", lambda sock, host: NoServer())
    monkeypatch.setattr(server_module.webbrowser, "open", lambda url: (urls.append(url), opened.set()))
    monkeypatch.setattr(server_module.torch, "set_num_threads", lambda n: None)
    result = gdlab_cli("serve", "--port", "0", "--open")
    assert result.code == 0
    assert len(urls) == 1
    assert result.out.startswith(f"gdlab playground: {urls[0]}")
