// gdlab playground page: reads the settings from the URL, asks the server (which trains with
// the gdlab library) for the run, sends the controls over one WebSocket and draws what comes
// back. The page computes nothing about training itself. Its texts come from the catalogues
// (i18n.js); the language follows ?lang=, else the browser, and the switch in the header.

import { Axes, COLORS, formatNumber, hexToRgb, lossColors, probaColors } from "./plot.js";
import { language, pickLanguage, t, translatePage, useLanguage } from "./i18n.js";
import { drawUpdate } from "./update.js";

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
  path: [], // the path on the surface: [w, b] (or the slice's pair) after each update
  steps: [], // [update, epoch (fractional), batch loss]
  history: [], // one entry per finished epoch
  frame: null, // the latest frame: parameters, fit, metrics, status
  update: null, // the last update, as the update panel shows it
  freeSettings: null, // the settings of free play, restored when a lesson is left
  uploads: {}, // uploaded tables this page knows: name → facts
  uploadFile: null, // the last uploaded file (to read it again with another target)
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
    showError(t("error.closed"));
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
    state.path = m.surface && m.surface.path ? m.surface.path : [];
    state.steps = [];
    state.history = [];
    state.frame = null;
    state.update = null;
    if (!m.settings.lesson) state.freeSettings = m.settings;
    if (m.info.facts.kind === "upload") rememberUpload(m.info.facts);
    writeUrl(m.query);
    showSettings();
    showLesson();
    showPairPick();
    applyFrame(m.frame);
  },
  frame(m) { applyFrame(m); },
  settings(m) {
    state.settings = m.settings;
    state.query = m.query;
    if (m.lesson) state.info.lesson = m.lesson; // (its text in the page's language)
    if (!m.settings.lesson) state.freeSettings = m.settings;
    writeUrl(m.query);
    showSettings();
    showLesson();
    if (state.frame) Object.assign(state.frame, { lr: m.lr, next_lr: m.next_lr });
    redraw();
  },
  surface(m) {
    state.surface = m.surface;
    state.path = m.surface.path || [];
    showPairPick();
    redraw();
  },
  error(m) {
    showError(m.message);
    showSettings(); // put the controls back to the settings in use
    showPairPick();
  },
};

function applyFrame(f) {
  if (f.surface) state.surface = f.surface; // out of date: a wider window, or a slice that moved
  for (const s of f.steps) state.steps.push(s);
  if (state.steps.length > MAX_STEPS_KEPT) state.steps = state.steps.filter((_, i) => i % 2 === 0);
  for (const p of f.path) state.path.push(p);
  for (const e of f.entries) state.history.push(e);
  if (f.update) state.update = f.update;
  state.frame = f;
  state.playing = Boolean(f.playing);
  if (f.notice) showError(t(f.notice.key, { epoch: f.notice.epoch, lr: formatNumber(f.notice.lr, 4) }));
  else if (f.message) showError(f.message);
  redraw();
}

// --- settings <-> controls <-> URL --------------------------------------------------------
function writeUrl(query) {
  const params = new URLSearchParams(query);
  history.replaceState(null, "", `${location.pathname}?${params.toString()}`);
}

// Settings that a change makes meaningless: the server fills them in again.
const RESETS = {
  data: { n: null, noise: null, data_seed: null, model: null, loss: null, start: null, batch_size: null, slice: null },
  model: { loss: null, start: null, slice: null },
  bias: { slice: null },
  hidden: { start: null, slice: null },
  optimizer: { batch_size: null },
};

function change(key, value) {
  if (!state.settings) return;
  const lang = language();
  let raw = { ...state.settings, [key]: value, lang };
  if (key === "lesson") {
    // a lesson starts from its own settings; leaving it restores free play as it was
    raw = value ? { lesson: value, lang } : { ...(state.freeSettings || {}), lesson: null, lang };
  }
  Object.assign(raw, RESETS[key] || {});
  if (key === "bias" && Array.isArray(raw.start)) {
    // the start point keeps w: without a bias it is (w), with one (w, 0) — the notes' y = w·x
    raw.start = value ? [raw.start[0], 0] : raw.start.length === 2 && raw.start[1] !== 0 ? null : [raw.start[0]];
  }
  hideError();
  send({ type: "setup", settings: raw });
}

function fillSelect(id, values, labels = null) {
  const select = $(id);
  const keep = select.value;
  select.innerHTML = "";
  values.forEach((v, i) => {
    const option = document.createElement("option");
    option.value = v;
    option.textContent = labels ? labels[i] : v;
    select.append(option);
  });
  if (values.map(String).includes(keep)) select.value = keep;
}

// The menus, in the page's language (again after a language switch).
function fillMenus() {
  const o = state.options;
  const sets = [...o.datasets, ...Object.values(state.uploads)];
  fillSelect("data", sets.map((d) => d.name), sets.map(dataLabel));
  fillSelect("model", o.models, o.models.map((m) => t(`model.${m}`)));
  fillSelect("activation", o.activations);
  fillSelect("loss", o.losses);
  fillSelect("optimizer", o.optimizers, o.optimizers.map((v) => t(`optimizer.${v}`)));
  fillSelect("engine", o.engines, o.engines.map((v) => (v === "auto" ? t("engine.auto") : v)));
  fillSelect("dtype", o.dtypes);
  const lesson = $("lesson");
  for (const option of [...lesson.options].slice(1)) option.remove();
  for (const item of o.lessons) {
    const option = document.createElement("option");
    option.value = item.name;
    option.textContent = item.title;
    lesson.append(option);
  }
  if (state.settings) lesson.value = state.settings.lesson || "";
}

function dataLabel(d) {
  const task = t(`task.${d.task}`);
  if (d.kind === "upload") return t("data.upload.label", { file: d.filename, features: d.n_features, task });
  return `${d.name} (${d.n_features}-D, ${task})`;
}

function setupControls() {
  fillMenus();
  const L = state.options.limits;
  $("n").max = L.MAX_SAMPLES;
  $("noise").max = Math.min(L.MAX_NOISE, 2);
  $("epochs").max = L.MAX_EPOCHS;
  $("batch_size").max = L.MAX_SAMPLES;
  $("l1").max = $("l2").max = L.MAX_PENALTY;
  $("speed").max = (Math.ceil(Math.log10(L.MAX_STEPS_PER_SECOND) * 100) / 100).toFixed(2); // its top is the limit
  $("lang").value = language();

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
  $("speed").addEventListener("input", () => { $("speed-out").textContent = t("train.speed.value", { n: speedFromSlider() }); });
  $("speed").addEventListener("change", () => send({ type: "speed", value: speedFromSlider() }));
  $("regenerate").addEventListener("click", () => change("data_seed", Math.floor(Math.random() * 1e6)));
  $("play").addEventListener("click", () => send({ type: state.playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("epoch").addEventListener("click", () => send({ type: "epoch" }));
  $("reset").addEventListener("click", () => { hideError(); send({ type: "reset" }); });
  $("error-close").addEventListener("click", hideError);
  $("surface-canvas").addEventListener("click", onSurfaceClick);
  $("lang").addEventListener("change", () => switchLanguage($("lang").value));
  $("upload").addEventListener("click", () => $("upload-file").click());
  $("upload-file").addEventListener("change", () => {
    const file = $("upload-file").files[0];
    $("upload-file").value = "";
    if (file) uploadTable(file, null);
  });
  $("upload-target").addEventListener("change", () => {
    if (state.uploadFile) uploadTable(state.uploadFile, $("upload-target").value);
  });
  for (const id of ["pair-x", "pair-y", "pair-x-n", "pair-y-n"]) $(id).addEventListener("change", onPairPick);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const act = { " ": state.playing ? "pause" : "play", s: "step", e: "epoch", r: "reset" }[event.key];
    if (act) { event.preventDefault(); send({ type: act }); }
  });
  window.addEventListener("resize", () => redraw());
}

async function switchLanguage(code) {
  await useLanguage(code);
  translatePage();
  try {
    state.options.lessons = (await (await fetch(`/api/options?lang=${code}`)).json()).lessons;
  } catch (err) { /* the menu keeps its titles */ }
  fillMenus();
  send({ type: "lang", value: code }); // the server keeps it in the URL and sends the lesson's text
  if (!state.connected) { const q = new URLSearchParams(location.search); q.set("lang", code); writeUrl(Object.fromEntries(q)); }
  showSettings();
  showLesson();
  showPairPick();
  redraw();
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
  if (!s || !state.info) return;
  const facts = state.info.facts;
  for (const el of document.querySelectorAll("[data-key]")) {
    const value = s[el.dataset.key];
    if (el.type === "checkbox") el.checked = Boolean(value);
    else if (Array.isArray(value)) el.value = value.join(",");
    else el.value = value === null || value === undefined ? "" : value;
  }
  $("lesson").value = s.lesson || "";
  $("lang").value = language();
  $("lr").value = Math.log10(s.lr);
  $("lr-out").textContent = formatNumber(s.lr, 3);
  $("speed").value = Math.log10(s.speed);
  $("speed-out").textContent = t("train.speed.value", { n: s.speed });
  for (const id of ["n", "noise", "test_fraction", "val_fraction"]) {
    $(`${id}-out`).textContent = s[id] === null ? t("data.fixed") : formatSlider(id, s[id]);
  }
  toggle("n", facts.n === null);
  toggle("noise", facts.noise === null);
  toggle("data_seed", facts.data_seed === null);
  toggle("regenerate", facts.data_seed === null);
  $("noise-label").textContent = t(facts.noise_name === "std" ? "data.spread" : "data.noise");
  $("data-description").textContent = describeData(facts);
  if (s.noise !== null && s.noise > Number($("noise").max)) $("noise").max = Math.min(state.options.limits.MAX_NOISE, s.noise);
  for (const el of document.querySelectorAll(".mlp-only")) el.classList.toggle("hidden-setting", s.model !== "mlp");
  for (const el of document.querySelectorAll(".upload-only")) el.classList.toggle("hidden-setting", facts.kind !== "upload");
  if (facts.kind === "upload") {
    const columns = [...facts.feature_names, facts.target_name];
    fillSelect("upload-target", columns);
    $("upload-target").value = facts.target_name;
  }
  const batched = !["gd", "sgd"].includes(s.optimizer);
  document.querySelector(".batch-only").classList.toggle("hidden-setting", !batched);
  document.querySelector(".shuffle-only").classList.toggle("hidden-setting", s.optimizer === "gd" || s.batch_size === "full");
  if (batched && (s.batch_size === null || s.batch_size === undefined)) $("batch_size").placeholder = t("train.batch.default");
  document.querySelector(".momentum-only").classList.toggle("hidden-setting", !["momentum", "nesterov"].includes(s.optimizer));
}

function describeData(facts) {
  if (facts.kind === "upload") return t("data.upload.desc", { file: facts.filename, rows: facts.rows, target: facts.target_name });
  const key = `data.desc.${facts.name}`;
  return t(key);
}

function toggle(id, disabled) {
  const el = $(id);
  el.disabled = disabled;
  (el.closest("label") || el).classList.toggle("disabled-setting", disabled);
}

function showLesson() {
  const lesson = state.info && state.info.lesson;
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

// --- uploading a table -------------------------------------------------------------------
function rememberUpload(facts) {
  if (!state.uploads[facts.name]) {
    state.uploads[facts.name] = facts;
    fillMenus();
    if (state.settings) $("data").value = state.settings.data;
  }
}

async function uploadTable(file, target) {
  const limit = state.options.limits.MAX_UPLOAD_BYTES;
  hideError();
  if (file.size > limit) {
    showError(t("upload.too_big", { file: file.name, size: file.size.toLocaleString(), limit: limit.toLocaleString() }));
    return;
  }
  const query = new URLSearchParams({ name: file.name });
  if (target) query.set("target", target);
  let body;
  try {
    const response = await fetch(`/api/upload?${query}`, { method: "POST", headers: { "content-type": "text/csv" }, body: await file.arrayBuffer() });
    body = await response.json();
    if (!response.ok) { showError(t("upload.refused", { error: body.error })); return; }
  } catch (err) {
    showError(t("upload.failed", { error: String(err) }));
    return;
  }
  state.uploadFile = file;
  rememberUpload(body);
  change("data", body.name);
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
  if (!f || status === "disconnected") { $("status").textContent = t(`status.${status}`); return; }
  const pending = f.next_lr !== f.lr && !["max_epochs", "diverged"].includes(status) ? t("status.next_lr", { lr: formatNumber(f.next_lr, 3) }) : "";
  $("status").textContent = t("status.line", {
    epoch: f.epoch, epochs: state.info.epochs, step: f.step, lr: formatNumber(f.lr, 3), pending, status: t(`status.${status}`),
  });
  $("play").textContent = state.playing ? t("controls.pause") : t("controls.play");
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
    drawUpdate(state.update, state.info);
  });
}

const SPLIT_STYLE = {
  train: { label: "split.train", fill: true, radius: 3.2 },
  val: { label: "split.val", fill: true, radius: 2.6 },
  test: { label: "split.test", fill: false, radius: 3.4 },
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
      items.push([colors[k], `${t(st.label)} (${data[k].y.length})`, true]);
    }
    ax.clip();
    ax.line(fit.x, fit.y, { color: "#111", width: 2.5 });
    ax.unclip();
    items.push(["#111", t("data.model")]);
    $("data-title").textContent = t(info.task === "regression" ? "data.title.line" : "data.title.proba");
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
    info.classes.forEach((c, i) => items.push([COLORS[i % COLORS.length], t("data.class", { c }), true]));
    items.push(["#888", t("data.filled_ring")]);
    $("data-title").textContent = t(fit.p ? "data.title.boundary" : "data.title.classes");
  } else if (info.task === "regression") {
    const all = splits.flatMap((k) => data[k].y.concat(fit.pred[k].filter(Number.isFinite)));
    const lo = Math.min(...all), hi = Math.max(...all);
    const ax = new Axes(canvas, { xlim: [lo, hi], ylim: [lo, hi] });
    ax.frame({ xlabel: t("data.true", { y: info.target_name }), ylabel: t("data.predicted", { y: info.target_name }) });
    ax.line([lo, hi], [lo, hi], { color: "#999", width: 1, dash: [5, 4] });
    const colors = { train: COLORS[0], val: COLORS[2], test: COLORS[1] };
    for (const k of splits) {
      const st = SPLIT_STYLE[k];
      ax.points(data[k].y, fit.pred[k], { color: colors[k], fill: st.fill, radius: st.radius - 0.6, alpha: 0.7 });
      items.push([colors[k], t(SPLIT_STYLE[k].label), true]);
    }
    items.push(["#999", t("data.perfect")]);
    $("data-title").textContent = t("data.title.predicted", { d: info.n_features });
  } else if (fit.proba) {
    // two classes, many features: each row at its P(class 1), in the band of its true class
    const ax = new Axes(canvas, { xlim: [0, 1], ylim: [-0.5, 1.5] });
    ax.frame({ xlabel: t("data.proba_axis"), ylabel: t("data.true_class") });
    ax.line([0.5, 0.5], [-0.5, 1.5], { color: "#555", width: 1, dash: [5, 4] });
    for (const s of splits) {
      const st = SPLIT_STYLE[s];
      const jitter = data[s].y.map((c, i) => c + 0.34 * (((i * 0.6180339887) % 1) - 0.5)); // fixed, not random
      ax.points(fit.proba[s], jitter, { colors: data[s].y.map((c) => COLORS[c % COLORS.length]), fill: st.fill, radius: st.radius - 0.6, alpha: 0.8 });
    }
    info.classes.forEach((c, i) => items.push([COLORS[i % COLORS.length], t("data.class", { c }), true]));
    items.push(["#888", t("data.filled_ring")]);
    $("data-title").textContent = t("data.title.proba_rows", { d: info.n_features });
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
    info.classes.forEach((c, i) => items.push([COLORS[i % COLORS.length], t("data.class", { c }), true]));
    items.push(["#c00", t("data.misclassified")]);
    $("data-title").textContent = t("data.title.first_two", { d: info.n_features });
  }
  legend("data-legend", items);
}

function emptySurface(text) {
  const canvas = $("surface-canvas");
  const { ctx, width, height } = new Axes(canvas, { xlim: [0, 1], ylim: [0, 1] });
  ctx.clearRect(0, 0, width, height);
  $("surface-empty").hidden = false;
  $("surface-empty").textContent = text;
  $("surface-hint").hidden = true;
  $("surface-legend").innerHTML = "";
  $("surface-note").textContent = "";
  state.surfaceAxes = null;
}

function drawSurface() {
  const canvas = $("surface-canvas");
  const sf = state.surface;
  canvas.dataset.pathLength = String(state.path.length);
  canvas.dataset.kind = sf ? String(sf.kind) : "";
  if (!sf || !sf.kind) {
    $("surface-title").textContent = t("surface.title.plane");
    emptySurface(sf ? t("surface.none", { model: t(`model.${state.info.model}`), loss: state.info.loss, n: state.info.n_params }) : "");
    return;
  }
  $("surface-empty").hidden = true;
  if (sf.kind === "curve") { drawCurve(sf); return; }
  const slice = sf.kind === "slice";
  $("surface-title").textContent = slice ? t("surface.title.slice", { a: sf.names[0], b: sf.names[1] }) : t("surface.title.plane");
  $("surface-hint").hidden = slice;
  const ax = new Axes(canvas, { xlim: sf.w, ylim: sf.b, equal: true });
  state.surfaceAxes = slice ? null : ax;
  const n = sf.n;
  const finite = sf.z.filter((v) => v !== null && v > 0);
  const zmin = Math.min(...finite), zmax = Math.max(...finite);
  const l0 = Math.log(zmin), l1 = Math.log(zmax);
  ax.heatmap(sf.z, n, n, sf.w, sf.b, (v) => (v === null ? [255, 255, 255, 255] : [...lossColors(l1 > l0 ? (Math.log(Math.max(v, zmin)) - l0) / (l1 - l0) : 0), 255]));
  const levels = [];
  for (let k = 1; k <= 14; k++) levels.push(zmin + (zmax - zmin) * (k / 14) ** 2);
  ax.contours(sf.z, n, n, sf.w, sf.b, levels, { color: "#10243a", width: 0.7, alpha: 0.55 });
  const unit = t(sf.units === "raw x" ? "surface.units.raw" : "surface.units.standardized");
  ax.frame({ xlabel: slice ? sf.names[0] : `w  (${unit})`, ylabel: slice ? sf.names[1] : "b", grid: false });
  const lowest = sf.optimum_exact ? t("surface.minimum") : t("surface.lowest");
  if (sf.optimum) ax.marker(sf.optimum[0], sf.optimum[1], { color: "#ffd400", size: 9, label: lowest });
  const path = state.path;
  if (path.length) {
    ax.clip();
    ax.line(path.map((p) => p[0]), path.map((p) => p[1]), { color: "#e8112d", width: 2 });
    if (path.length <= 400) ax.points(path.map((p) => p[0]), path.map((p) => p[1]), { color: "#e8112d", radius: 2, edge: path.length <= 60 ? "#fff" : null });
    ax.unclip();
    if (!slice || sf.since === 0) ax.marker(path[0][0], path[0][1], { color: "#fff", size: 9, shape: "square", label: t("surface.start") });
    const last = path[path.length - 1];
    ax.marker(last[0], last[1], { color: "#e8112d", size: 10, shape: "circle" });
  }
  const objective = sf.penalized ? t("surface.objective.penalized", { loss: sf.loss }) : t("surface.objective", { loss: sf.loss });
  legend("surface-legend", [["#e8112d", t(slice ? "surface.path.projected" : "surface.path", { n: path.length - 1 })], ["#ffd400", lowest, true],
    ["linear-gradient(90deg, #1b3a6b, #5aa6a8, #fbf7d5)", objective]]);
  $("surface-note").textContent = slice ? t("surface.slice.note", { others: sf.n_params - 2, step: sf.step })
    + (sf.since > 0 ? " " + t("surface.slice.since", { step: sf.since }) : "") : "";
}

function drawCurve(sf) {
  const canvas = $("surface-canvas");
  $("surface-title").textContent = t("surface.title.curve");
  $("surface-hint").hidden = false;
  const path = state.path;
  const ys = [...sf.z, ...path.map((p) => p[1])].filter((v) => v !== null && Number.isFinite(v));
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const ax = new Axes(canvas, { xlim: sf.w, ylim: [Math.min(0, lo), hi + 0.05 * (hi - lo || 1)] });
  state.surfaceAxes = ax;
  const unit = t(sf.units === "raw x" ? "surface.units.raw" : "surface.units.standardized");
  ax.frame({ xlabel: `w  (${unit})`, ylabel: t("surface.loss_axis", { loss: sf.loss }) });
  ax.clip();
  ax.line(sf.x, sf.z, { color: "#1b3a6b", width: 2 });
  if (path.length) {
    ax.line(path.map((p) => p[0]), path.map((p) => p[1]), { color: "#e8112d", width: 1, alpha: 0.6 });
    ax.points(path.map((p) => p[0]), path.map((p) => p[1]), { color: "#e8112d", radius: 2.5, edge: "#fff" });
  }
  ax.unclip();
  const lowest = sf.optimum_exact ? t("surface.minimum") : t("surface.lowest");
  if (sf.optimum) ax.marker(sf.optimum[0], sf.optimum[1], { color: "#ffd400", size: 9, label: lowest });
  if (path.length) {
    ax.marker(path[0][0], path[0][1], { color: "#fff", size: 9, shape: "square", label: t("surface.start") });
    const last = path[path.length - 1];
    ax.marker(last[0], last[1], { color: "#e8112d", size: 10, shape: "circle" });
  }
  const objective = sf.penalized ? t("surface.objective.penalized", { loss: sf.loss }) : t("surface.objective", { loss: sf.loss });
  legend("surface-legend", [["#e8112d", t("surface.path", { n: path.length - 1 })], ["#ffd400", lowest, true], ["#1b3a6b", objective]]);
  $("surface-note").textContent = t("surface.curve.note");
}

function onSurfaceClick(event) {
  const ax = state.surfaceAxes, sf = state.surface;
  if (!ax || !sf || !["plane", "curve"].includes(sf.kind)) return;
  const rect = event.target.getBoundingClientRect();
  const px = event.clientX - rect.left, py = event.clientY - rect.top;
  if (!ax.inside(px, py)) return;
  const [w, b] = ax.invert(px, py);
  const unit = Math.pow(10, Math.floor(Math.log10((ax.x1 - ax.x0) / 500))); // ≈ one pixel
  const round = (v) => Number((Math.round(v / unit) * unit).toPrecision(12));
  hideError();
  send(sf.kind === "curve" ? { type: "start", w: round(w) } : { type: "start", w: round(w), b: round(b) });
}

// The two parameters a slice is over: menus of names (or numbers for very large models).
function showPairPick() {
  const sf = state.surface, info = state.info;
  const show = Boolean(sf && sf.kind === "slice");
  $("pair-pick").hidden = !show;
  if (!show) return;
  const names = info.param_names;
  for (const [k, id] of [[0, "pair-x"], [1, "pair-y"]]) {
    $(id).hidden = !names;
    $(`${id}-n`).hidden = Boolean(names);
    if (names) {
      fillSelect(id, names.map((_, i) => i), names);
      $(id).value = String(sf.pair[k]);
    } else {
      $(`${id}-n`).max = info.n_params - 1;
      $(`${id}-n`).value = sf.pair[k];
    }
  }
}

function onPairPick() {
  const names = state.info.param_names;
  const i = Number(names ? $("pair-x").value : $("pair-x-n").value);
  const j = Number(names ? $("pair-y").value : $("pair-y-n").value);
  if (i === j) { showError(t("surface.pair.same")); showPairPick(); return; }
  hideError();
  send({ type: "slice", params: [i, j] });
}

function drawLoss() {
  const canvas = $("loss-canvas");
  const h = state.history, steps = state.steps, info = state.info;
  const values = [info.initial_loss, ...steps.map((s) => s[2]), ...h.flatMap((e) => [e.train_loss, e.val_loss, e.test_loss])]
    .filter((v) => v !== null && v !== undefined && Number.isFinite(v) && v > 0);
  const lo = values.length ? Math.min(...values) : 0.1, hi = values.length ? Math.max(...values) : 1;
  const lastEpoch = steps.length ? steps[steps.length - 1][1] : 0;
  const ax = new Axes(canvas, { xlim: [0, Math.max(1, lastEpoch)], ylim: [lo / 1.3, hi * 1.3], logy: true });
  ax.frame({ xlabel: t("loss.epoch"), ylabel: t("loss.axis", { loss: info.loss }) });
  ax.clip();
  // a batch loss is measured before its update: draw it where that update starts
  if (steps.length) ax.line(steps.map((s) => s[1] - 1 / info.n_batches), steps.map((s) => s[2]), { color: "#9aa4ae", width: 1, alpha: 0.7 });
  const epochs = [0, ...h.map((e) => e.epoch)];
  const series = [["train_loss", COLORS[0], "split.train"], ["val_loss", COLORS[2], "split.val"], ["test_loss", COLORS[1], "split.test"]];
  const items = [["#9aa4ae", t("loss.batch")]];
  for (const [key, color, label] of series) {
    if (key !== "train_loss" && !h.some((e) => e[key] !== null && e[key] !== undefined)) continue;
    const ys = [key === "train_loss" ? info.initial_loss : null, ...h.map((e) => e[key] ?? null)];
    ax.line(epochs, ys, { color, width: 2 });
    if (h.length <= 60) ax.points(epochs, ys.map((v) => v ?? NaN), { color, radius: 2.5 });
    items.push([color, t(label)]);
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
  row(mt, [t("numbers.epoch"), `${f.epoch} / ${info.epochs}`], true);
  row(mt, [t("numbers.updates"), t("numbers.updates.value", { step: f.step, n: info.n_batches })], true);
  row(mt, [t("numbers.lr"), formatNumber(f.lr, 4) + (f.next_lr !== f.lr ? t("numbers.lr.next", { lr: formatNumber(f.next_lr, 4) }) : "")], true);
  for (const split of ["train", "val", "test"]) {
    if (m[`${split}_loss`] === undefined) continue;
    row(mt, [t(`numbers.${split}_loss`), formatNumber(m[`${split}_loss`], 6)], true);
    if (m[`${split}_accuracy`] !== undefined) row(mt, [t(`numbers.${split}_accuracy`), `${(100 * m[`${split}_accuracy`]).toFixed(1)}%`], true);
  }

  const table = $("params");
  const body = table.querySelector("tbody");
  body.innerHTML = "";
  const p = f.params;
  table.dataset.values = JSON.stringify(p.values);
  table.dataset.dataUnits = JSON.stringify(p.data_units);
  const units = p.data_units && p.data_units.weight ? [...[].concat(...[p.data_units.weight]).flat(), ...p.data_units.bias] : null;
  $("units-head").textContent = units ? t("numbers.data_units") : "";
  if (p.values) {
    p.names.forEach((name, i) => row(body, [name, formatNumber(p.values[i], 6), units && units.length === p.values.length ? formatNumber(units[i], 6) : ""], true));
  } else {
    row(body, [t("numbers.too_many", { n: p.count }), "", ""], true);
  }
  const parts = [t("info.rows", { train: info.n_train, val: info.n_val, test: info.n_test }), t("info.batch", { b: info.batch_size }),
    t("info.model", { model: t(`model.${info.model}`), n: info.n_params, loss: info.loss }), t("info.engine", { engine: info.engine })];
  if (!info.bias) parts.push(t("info.no_bias"));
  if (!info.shuffle && info.n_batches > 1) parts.push(t("info.in_order"));
  if (info.standardized) parts.push(t("info.standardized"));
  if (info.notes.length) parts.push(info.notes.join("; "));
  $("run-info").textContent = parts.join(" · ");
}

// --- start --------------------------------------------------------------------------------------
async function main() {
  const lang = pickLanguage();
  try {
    await useLanguage(lang);
    translatePage();
    state.options = await (await fetch(`/api/options?lang=${lang}`)).json();
  } catch (err) {
    showError(`Cannot reach the gdlab server (${err}).`);
    return;
  }
  setupControls();
  setStatus("connecting");
  let initial = {};
  const response = await fetch(`/api/setup${location.search}`);
  const body = await response.json();
  if (response.ok) {
    initial = body.settings;
  } else {
    showError(t("error.bad_link", { error: body.error }));
  }
  connect({ ...initial, lang });
}

main();
