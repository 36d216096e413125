// gdlab playground page: reads the settings from the URL, asks the server (which trains with
// the gdlab library) for the run, sends the controls over one WebSocket and draws what comes
// back. The page computes nothing about training itself.

import { Axes, COLORS, formatNumber, hexToRgb, lossColors, probaColors } from "./plot.js";

const $ = (id) => document.getElementById(id);

// Everything the page knows; `window.playground` exposes it (read-only use) to tests and to
// anyone curious in the browser console.
const state = {
  options: null,
  settings: null, // the run's settings, normalized by the server
  query: null, // the same as URL parameters
  info: null,
  data: null,
  surface: null,
  path: [], // [w, b] after each update, starting with the start point
  steps: [], // [update, epoch (fractional), batch loss]
  history: [], // one entry per finished epoch
  frame: null, // the latest frame: parameters, fit, metrics, status
  playing: false,
  connected: false,
  surfaceAxes: null,
};
window.playground = state;

const MAX_STEPS_KEPT = 20000; // batch losses kept for the curve (older ones thinned)

// --- talking to the server ---------------------------------------------------------------
let socket = null;
let pendingSetup = null;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect(initialSettings) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/api/ws`);
  pendingSetup = initialSettings;
  socket.addEventListener("open", () => {
    state.connected = true;
    send({ type: "setup", settings: pendingSetup });
  });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    handlers[message.type]?.(message);
  });
  socket.addEventListener("close", () => {
    state.connected = false;
    state.playing = false;
    showError("The connection to the gdlab server was closed. Is `gdlab serve` still running? Reload the page to reconnect.");
    setStatus("disconnected");
  });
}

const handlers = {
  snapshot(m) {
    state.settings = m.settings;
    state.query = m.query;
    state.info = m.info;
    state.data = m.data;
    state.surface = m.surface;
    state.path = m.surface && !m.surface.reason ? [m.surface.start] : [];
    state.steps = [];
    state.history = [];
    state.frame = null;
    writeUrl(m.query);
    showSettings();
    showLesson();
    applyFrame(m.frame);
  },
  frame(m) { applyFrame(m); },
  settings(m) {
    state.settings = m.settings;
    state.query = m.query;
    writeUrl(m.query);
    showSettings();
    if (state.frame) Object.assign(state.frame, { lr: m.lr, next_lr: m.next_lr });
    redraw();
  },
  error(m) {
    showError(m.message);
    showSettings(); // put the controls back to the settings in use
  },
};

function applyFrame(f) {
  if (f.surface) state.surface = f.surface; // the path left the window: a wider one
  for (const s of f.steps) state.steps.push(s);
  if (state.steps.length > MAX_STEPS_KEPT) state.steps = state.steps.filter((_, i) => i % 2 === 0);
  for (const p of f.path) state.path.push(p);
  for (const e of f.entries) state.history.push(e);
  state.frame = f;
  state.playing = Boolean(f.playing);
  if (f.message) showError(f.message);
  redraw();
}

// --- settings <-> controls <-> URL --------------------------------------------------------
function writeUrl(query) {
  const params = new URLSearchParams(query);
  history.replaceState(null, "", `${location.pathname}?${params.toString()}`);
}

function change(key, value) {
  if (!state.settings) return;
  let raw = { ...state.settings, [key]: value };
  if (key === "lesson") {
    raw = value ? { lesson: value } : { ...state.settings, lesson: null };
  }
  if (key === "data") Object.assign(raw, { n: null, noise: null, data_seed: null, model: null, loss: null, start: null, batch_size: null });
  if (key === "model") Object.assign(raw, { loss: null, start: null });
  if (key === "optimizer") raw.batch_size = null;
  hideError();
  send({ type: "setup", settings: raw });
}

function fillSelect(id, values, labels = null) {
  const select = $(id);
  select.innerHTML = "";
  values.forEach((v, i) => {
    const option = document.createElement("option");
    option.value = v;
    option.textContent = labels ? labels[i] : v;
    select.append(option);
  });
}

function setupControls() {
  const o = state.options;
  fillSelect("data", o.datasets.map((d) => d.name), o.datasets.map((d) => `${d.name} (${d.n_features}-D, ${d.task})`));
  fillSelect("model", o.models, o.models.map((m) => ({ linear: "linear regression", logistic: "logistic regression", softmax: "softmax regression", mlp: "MLP (hidden layers)" })[m] || m));
  fillSelect("activation", o.activations);
  fillSelect("loss", o.losses);
  fillSelect("optimizer", o.optimizers, o.optimizers.map((v) => ({ gd: "gd (full batch)", sgd: "sgd (one sample)", minibatch: "mini-batch sgd" })[v] || v));
  fillSelect("engine", o.engines, o.engines.map((v) => (v === "auto" ? "auto (as gdlab train)" : v)));
  fillSelect("dtype", o.dtypes);
  for (const lesson of o.lessons) {
    const option = document.createElement("option");
    option.value = lesson.name;
    option.textContent = lesson.title;
    $("lesson").append(option);
  }
  const L = o.limits;
  $("n").max = L.MAX_SAMPLES;
  $("noise").max = Math.min(L.MAX_NOISE, 2);
  $("epochs").max = L.MAX_EPOCHS;
  $("batch_size").max = L.MAX_SAMPLES;
  $("speed").max = (Math.ceil(Math.log10(L.MAX_STEPS_PER_SECOND) * 100) / 100).toFixed(2); // its top is the limit

  for (const el of document.querySelectorAll("[data-key]")) {
    const key = el.dataset.key;
    el.addEventListener("change", () => {
      let value = el.type === "checkbox" ? el.checked : el.value;
      if (el.type === "range") value = Number(value);
      if (el.type === "number" && value === "") value = null;
      change(key, value);
    });
  }
  for (const id of ["n", "noise", "test_fraction", "val_fraction"]) {
    $(id).addEventListener("input", () => { $(`${id}-out`).textContent = formatSlider(id, Number($(id).value)); });
  }
  $("lesson").addEventListener("change", () => change("lesson", $("lesson").value || null));
  $("lr").addEventListener("input", () => { $("lr-out").textContent = formatNumber(lrFromSlider(), 3); });
  $("lr").addEventListener("change", () => send({ type: "lr", value: lrFromSlider() }));
  $("speed").addEventListener("input", () => { $("speed-out").textContent = `${speedFromSlider()}/s`; });
  $("speed").addEventListener("change", () => send({ type: "speed", value: speedFromSlider() }));
  $("regenerate").addEventListener("click", () => change("data_seed", Math.floor(Math.random() * 1e6)));
  $("play").addEventListener("click", () => send({ type: state.playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("epoch").addEventListener("click", () => send({ type: "epoch" }));
  $("reset").addEventListener("click", () => { hideError(); send({ type: "reset" }); });
  $("error-close").addEventListener("click", hideError);
  $("surface-canvas").addEventListener("click", onSurfaceClick);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const act = { " ": state.playing ? "pause" : "play", s: "step", e: "epoch", r: "reset" }[event.key];
    if (act) { event.preventDefault(); send({ type: act }); }
  });
  window.addEventListener("resize", () => redraw());
}

function lrFromSlider() { return Number(Math.pow(10, Number($("lr").value)).toPrecision(3)); }
function speedFromSlider() {
  const top = state.options.limits.MAX_STEPS_PER_SECOND;
  return Math.min(top, Math.max(1, Math.round(Math.pow(10, Number($("speed").value)))));
}
function formatSlider(id, v) {
  if (id === "test_fraction" || id === "val_fraction") return `${Math.round(v * 100)}%`;
  return formatNumber(v, 3);
}

// Put the server's settings into the controls.
function showSettings() {
  const s = state.settings;
  if (!s) return;
  const facts = state.options.datasets.find((d) => d.name === s.data);
  for (const el of document.querySelectorAll("[data-key]")) {
    const value = s[el.dataset.key];
    if (el.type === "checkbox") el.checked = Boolean(value);
    else if (Array.isArray(value)) el.value = value.join(",");
    else el.value = value === null || value === undefined ? "" : value;
  }
  $("lesson").value = s.lesson || "";
  $("lr").value = Math.log10(s.lr);
  $("lr-out").textContent = formatNumber(s.lr, 3);
  $("speed").value = Math.log10(s.speed);
  $("speed-out").textContent = `${s.speed}/s`;
  for (const id of ["n", "noise", "test_fraction", "val_fraction"]) {
    $(`${id}-out`).textContent = s[id] === null ? "fixed" : formatSlider(id, s[id]);
  }
  toggle("n", facts.n === null);
  toggle("noise", facts.noise === null);
  toggle("data_seed", facts.data_seed === null);
  toggle("regenerate", facts.data_seed === null);
  $("noise-label").textContent = facts.noise_name === "std" ? "Cluster spread" : "Noise";
  $("data-description").textContent = facts.description;
  if (s.noise !== null && s.noise > Number($("noise").max)) $("noise").max = Math.min(state.options.limits.MAX_NOISE, s.noise);
  for (const el of document.querySelectorAll(".mlp-only")) el.classList.toggle("hidden-setting", s.model !== "mlp");
  const batched = !["gd", "sgd"].includes(s.optimizer);
  document.querySelector(".batch-only").classList.toggle("hidden-setting", !batched);
  if (batched && (s.batch_size === null || s.batch_size === undefined)) $("batch_size").placeholder = "32 (default)";
  document.querySelector(".momentum-only").classList.toggle("hidden-setting", !["momentum", "nesterov"].includes(s.optimizer));
}

function toggle(id, disabled) {
  const el = $(id);
  el.disabled = disabled;
  (el.closest("label") || el).classList.toggle("disabled-setting", disabled);
}

function showLesson() {
  const lesson = state.info.lesson;
  $("lesson-panel").hidden = !lesson;
  document.querySelector("main").classList.toggle("no-lesson", !lesson);
  if (!lesson) return;
  $("lesson-title").textContent = lesson.title;
  $("lesson-summary").textContent = lesson.summary;
  const box = $("lesson-text");
  box.innerHTML = "";
  for (const para of String(lesson.explanation).split(/\n\s*\n/)) {
    const p = document.createElement("p");
    p.textContent = para.trim();
    box.append(p);
  }
}

// --- messages on the page -----------------------------------------------------------------
function showError(text) {
  $("error-text").textContent = text;
  $("error").hidden = false;
}
function hideError() { $("error").hidden = true; }

function runStatus() {
  const f = state.frame;
  if (!f) return "loading";
  if (state.playing) return "playing";
  if (f.status !== "ready") return f.status; // max_epochs, diverged, tol, ...
  return f.step > 0 ? "paused" : "ready";
}

function setStatus(status) {
  document.body.dataset.status = status;
  const f = state.frame;
  if (!f || status === "disconnected") { $("status").textContent = status; return; }
  const words = { max_epochs: "done", diverged: "diverged", tol: "converged (tol)", grad_tol: "converged (gradient)", early_stopping: "early stop" };
  const pending = f.next_lr !== f.lr && !["max_epochs", "diverged"].includes(status) ? ` (${formatNumber(f.next_lr, 3)} from the next epoch)` : "";
  $("status").textContent = `epoch ${f.epoch}/${state.info.epochs} · update ${f.step} · lr ${formatNumber(f.lr, 3)}${pending} · ${words[status] || status}`;
  $("play").textContent = state.playing ? "❚❚ Pause" : "▶ Play";
  const over = !["ready", "paused", "playing"].includes(status);
  for (const id of ["play", "step", "epoch"]) $(id).disabled = over;
}

// --- drawing -------------------------------------------------------------------------------------
let drawQueued = false;
function redraw() {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    if (!state.frame) return;
    setStatus(runStatus());
    drawData();
    drawSurface();
    drawLoss();
    drawNumbers();
  });
}

const SPLIT_STYLE = {
  train: { label: "train", fill: true, radius: 3.2 },
  val: { label: "validation", fill: true, radius: 2.6 },
  test: { label: "test", fill: false, radius: 3.4 },
};

function legend(id, items) {
  const box = $(id);
  box.innerHTML = "";
  for (const [color, label, dot] of items) {
    const span = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    if (color.startsWith("linear")) swatch.style.width = "34px";
    if (dot) swatch.className = "dot";
    span.append(swatch, label);
    box.append(span);
  }
}

function drawData() {
  const info = state.info, fit = state.frame.fit, data = state.data;
  const canvas = $("data-canvas");
  const splits = ["train", "val", "test"].filter((k) => data[k]);
  const items = [];
  if (fit.kind === "line") {
    const ys = splits.flatMap((k) => data[k].y);
    let lo = Math.min(...ys), hi = Math.max(...ys);
    const pad = 0.1 * (hi - lo || 1);
    const ax = new Axes(canvas, { xlim: [info.view.lo[0], info.view.hi[0]], ylim: [lo - pad, hi + pad] });
    ax.frame({ xlabel: info.feature_names[0], ylabel: fit.proba ? `P(${info.target_name} = 1)` : info.target_name });
    const colors = { train: COLORS[0], val: COLORS[2], test: COLORS[1] };
    for (const k of splits) {
      const st = SPLIT_STYLE[k];
      ax.points(data[k].X.map((r) => r[0]), data[k].y, { color: colors[k], fill: st.fill, radius: st.radius });
      items.push([colors[k], `${st.label} (${data[k].y.length})`, true]);
    }
    ax.clip();
    ax.line(fit.x, fit.y, { color: "#111", width: 2.5 });
    ax.unclip();
    items.push(["#111", "model"]);
    $("data-title").textContent = info.task === "regression" ? "Data and fitted line" : "Data and P(class 1)";
  } else if (fit.kind === "boundary") {
    const ax = new Axes(canvas, { xlim: fit.x, ylim: fit.y });
    const n = fit.n;
    if (fit.p) {
      ax.heatmap(fit.p, n, n, fit.x, fit.y, (p) => [...probaColors(p), 150]);
      ax.contours(fit.p, n, n, fit.x, fit.y, [0.5], { color: "#222", width: 1.5, alpha: 0.8 });
    } else {
      const k = info.classes.length;
      ax.heatmap(fit.cls, n, n, fit.x, fit.y, (c, idx) => {
        const [r, g, b] = hexToRgb(COLORS[c % COLORS.length]);
        const strength = Math.max(0, (fit.conf[idx] - 1 / k) / (1 - 1 / k));
        return [r, g, b, 40 + 120 * strength];
      });
    }
    ax.frame({ xlabel: info.feature_names[0], ylabel: info.feature_names[1], grid: false });
    for (const s of splits) {
      const st = SPLIT_STYLE[s];
      ax.points(data[s].X.map((r) => r[0]), data[s].X.map((r) => r[1]), {
        colors: data[s].y.map((c) => COLORS[c % COLORS.length]), fill: st.fill, radius: st.radius, edge: st.fill ? "#fff" : null, alpha: 0.95,
      });
    }
    info.classes.forEach((c, i) => items.push([COLORS[i % COLORS.length], `class ${c}`, true]));
    items.push(["#888", "filled: train · ring: test"]);
    $("data-title").textContent = fit.p ? "Data and P(class 1) (line: 0.5)" : "Data and predicted class";
  } else if (info.task === "regression") {
    const all = splits.flatMap((k) => data[k].y.concat(fit.pred[k].filter(Number.isFinite)));
    const lo = Math.min(...all), hi = Math.max(...all);
    const ax = new Axes(canvas, { xlim: [lo, hi], ylim: [lo, hi] });
    ax.frame({ xlabel: `true ${info.target_name}`, ylabel: `predicted ${info.target_name}` });
    ax.line([lo, hi], [lo, hi], { color: "#999", width: 1, dash: [5, 4] });
    const colors = { train: COLORS[0], val: COLORS[2], test: COLORS[1] };
    for (const k of splits) {
      const st = SPLIT_STYLE[k];
      ax.points(data[k].y, fit.pred[k], { color: colors[k], fill: st.fill, radius: st.radius - 0.6, alpha: 0.7 });
      items.push([colors[k], SPLIT_STYLE[k].label, true]);
    }
    items.push(["#999", "perfect prediction"]);
    $("data-title").textContent = `Predicted against true (${info.n_features} features)`;
  } else {
    const xs = splits.flatMap((k) => data[k].X.map((r) => r[0])), ys = splits.flatMap((k) => data[k].X.map((r) => r[1]));
    const ax = new Axes(canvas, { xlim: [Math.min(...xs), Math.max(...xs)], ylim: [Math.min(...ys), Math.max(...ys)] });
    ax.frame({ xlabel: info.feature_names[0], ylabel: info.feature_names[1] });
    for (const s of splits) {
      const wrong = data[s].y.map((c, i) => c !== fit.pred[s][i]);
      ax.points(data[s].X.map((r) => r[0]), data[s].X.map((r) => r[1]), { colors: data[s].y.map((c) => COLORS[c % COLORS.length]), radius: 2.6, alpha: 0.75 });
      const bad = data[s].X.filter((_, i) => wrong[i]);
      ax.points(bad.map((r) => r[0]), bad.map((r) => r[1]), { color: "#c00", fill: false, radius: 5 });
    }
    info.classes.forEach((c, i) => items.push([COLORS[i % COLORS.length], `class ${c}`, true]));
    items.push(["#c00", "misclassified now"]);
    $("data-title").textContent = `First two of ${info.n_features} features`;
  }
  legend("data-legend", items);
}

function drawSurface() {
  const canvas = $("surface-canvas");
  const sf = state.surface;
  canvas.dataset.pathLength = String(state.path.length);
  if (!sf || sf.reason) {
    const { ctx, width, height } = (new Axes(canvas, { xlim: [0, 1], ylim: [0, 1] }));
    ctx.clearRect(0, 0, width, height);
    $("surface-empty").hidden = false;
    $("surface-empty").textContent = sf ? `${sf.reason}. Choose a 1-feature data set (line-1d, toy-1d) with linear or logistic regression to see it.` : "";
    $("surface-hint").hidden = true;
    $("surface-legend").innerHTML = "";
    state.surfaceAxes = null;
    return;
  }
  $("surface-empty").hidden = true;
  $("surface-hint").hidden = false;
  const ax = new Axes(canvas, { xlim: sf.w, ylim: sf.b, equal: true });
  state.surfaceAxes = ax;
  const n = sf.n;
  const finite = sf.z.filter((v) => v !== null && v > 0);
  const zmin = Math.min(...finite), zmax = Math.max(...finite);
  const l0 = Math.log(zmin), l1 = Math.log(zmax);
  ax.heatmap(sf.z, n, n, sf.w, sf.b, (v) => (v === null ? [255, 255, 255, 255] : [...lossColors(l1 > l0 ? (Math.log(Math.max(v, zmin)) - l0) / (l1 - l0) : 0), 255]));
  const levels = [];
  for (let k = 1; k <= 14; k++) levels.push(zmin + (zmax - zmin) * (k / 14) ** 2);
  ax.contours(sf.z, n, n, sf.w, sf.b, levels, { color: "#10243a", width: 0.7, alpha: 0.55 });
  ax.frame({ xlabel: `w  (${sf.units})`, ylabel: "b", grid: false });
  if (sf.optimum) ax.marker(sf.optimum[0], sf.optimum[1], { color: "#ffd400", size: 9, label: "minimum" });
  const path = state.path;
  if (path.length) {
    ax.clip();
    ax.line(path.map((p) => p[0]), path.map((p) => p[1]), { color: "#e8112d", width: 2 });
    if (path.length <= 400) ax.points(path.map((p) => p[0]), path.map((p) => p[1]), { color: "#e8112d", radius: 2, edge: "#fff" });
    ax.unclip();
    ax.marker(path[0][0], path[0][1], { color: "#fff", size: 9, shape: "square", label: "start" });
    const last = path[path.length - 1];
    ax.marker(last[0], last[1], { color: "#e8112d", size: 10, shape: "circle" });
  }
  legend("surface-legend", [["#e8112d", `path (${path.length - 1} updates)`], ["#ffd400", "minimum", true],
    ["linear-gradient(90deg, #1b3a6b, #5aa6a8, #fbf7d5)", `${sf.loss} over the training rows (colour: log scale)`]]);
}

function onSurfaceClick(event) {
  const ax = state.surfaceAxes;
  if (!ax) return;
  const rect = event.target.getBoundingClientRect();
  const px = event.clientX - rect.left, py = event.clientY - rect.top;
  if (!ax.inside(px, py)) return;
  const [w, b] = ax.invert(px, py);
  const unit = Math.pow(10, Math.floor(Math.log10((ax.x1 - ax.x0) / 500))); // ≈ one pixel
  const round = (v) => Number((Math.round(v / unit) * unit).toPrecision(12));
  hideError();
  send({ type: "start", w: round(w), b: round(b) });
}

function drawLoss() {
  const canvas = $("loss-canvas");
  const h = state.history, steps = state.steps, info = state.info;
  const values = [info.initial_loss, ...steps.map((s) => s[2]), ...h.flatMap((e) => [e.train_loss, e.val_loss, e.test_loss])]
    .filter((v) => v !== null && v !== undefined && Number.isFinite(v) && v > 0);
  const lo = values.length ? Math.min(...values) : 0.1, hi = values.length ? Math.max(...values) : 1;
  const lastEpoch = steps.length ? steps[steps.length - 1][1] : 0;
  const ax = new Axes(canvas, { xlim: [0, Math.max(1, lastEpoch)], ylim: [lo / 1.3, hi * 1.3], logy: true });
  ax.frame({ xlabel: "epoch", ylabel: `${info.loss} loss` });
  ax.clip();
  // a batch loss is measured before its update: draw it where that update starts
  if (steps.length) ax.line(steps.map((s) => s[1] - 1 / info.n_batches), steps.map((s) => s[2]), { color: "#9aa4ae", width: 1, alpha: 0.7 });
  const epochs = [0, ...h.map((e) => e.epoch)];
  const series = [["train_loss", COLORS[0], "train"], ["val_loss", COLORS[2], "validation"], ["test_loss", COLORS[1], "test"]];
  const items = [["#9aa4ae", "batch loss (each update)"]];
  for (const [key, color, label] of series) {
    if (key !== "train_loss" && !h.some((e) => e[key] !== null && e[key] !== undefined)) continue;
    const ys = [key === "train_loss" ? info.initial_loss : null, ...h.map((e) => e[key] ?? null)];
    ax.line(epochs, ys, { color, width: 2 });
    if (h.length <= 60) ax.points(epochs, ys.map((v) => v ?? NaN), { color, radius: 2.5 });
    items.push([color, label]);
  }
  ax.unclip();
  legend("loss-legend", items);
  canvas.dataset.lastLoss = h.length ? String(h[h.length - 1].train_loss) : String(info.initial_loss);
}

function row(table, cells, header = false) {
  const tr = document.createElement("tr");
  cells.forEach((c, i) => {
    const td = document.createElement(header && i === 0 ? "th" : "td");
    td.textContent = c;
    tr.append(td);
  });
  table.append(tr);
}

function drawNumbers() {
  const f = state.frame, info = state.info, m = f.metrics;
  const mt = $("metrics").querySelector("tbody");
  mt.innerHTML = "";
  row(mt, ["epoch", `${f.epoch} / ${info.epochs}`], true);
  row(mt, ["updates", `${f.step}  (${info.n_batches} per epoch)`], true);
  row(mt, ["learning rate", formatNumber(f.lr, 4) + (f.next_lr !== f.lr ? ` → ${formatNumber(f.next_lr, 4)} next epoch` : "")], true);
  for (const split of ["train", "val", "test"]) {
    if (m[`${split}_loss`] === undefined) continue;
    const name = { train: "train", val: "validation", test: "test" }[split];
    row(mt, [`${name} loss`, formatNumber(m[`${split}_loss`], 6)], true);
    if (m[`${split}_accuracy`] !== undefined) row(mt, [`${name} accuracy`, `${(100 * m[`${split}_accuracy`]).toFixed(1)}%`], true);
  }

  const table = $("params");
  const body = table.querySelector("tbody");
  body.innerHTML = "";
  const p = f.params;
  table.dataset.values = JSON.stringify(p.values);
  table.dataset.dataUnits = JSON.stringify(p.data_units);
  const units = p.data_units && p.data_units.weight ? [...[].concat(...[p.data_units.weight]).flat(), ...p.data_units.bias] : null;
  $("units-head").textContent = units ? "in data units" : "";
  if (p.values) {
    p.names.forEach((name, i) => row(body, [name, formatNumber(p.values[i], 6), units && units.length === p.values.length ? formatNumber(units[i], 6) : ""], true));
  } else {
    row(body, [`${p.count} parameters`, "(too many to list)", ""], true);
  }
  const notes = info.notes.length ? ` · ${info.notes.join("; ")}` : "";
  $("run-info").textContent = `${info.n_train} train / ${info.n_val} validation / ${info.n_test} test rows · batch ${info.batch_size} · ${info.model} (${info.n_params} parameters), ${info.loss} loss · engine ${info.engine}${info.standardized ? " · features standardized (parameters act on standardized x)" : ""}${notes}`;
}

// --- start --------------------------------------------------------------------------------------
async function main() {
  try {
    state.options = await (await fetch("/api/options")).json();
  } catch (err) {
    showError(`Cannot reach the gdlab server (${err}).`);
    return;
  }
  setupControls();
  let initial = {};
  const response = await fetch(`/api/setup${location.search}`);
  const body = await response.json();
  if (response.ok) {
    initial = body.settings;
  } else {
    showError(`The settings in this link were refused: ${body.error}. Showing the defaults instead.`);
  }
  connect(initial);
}

main();
