// The update panel: the run's last update, number by number, with its rule.
// The server sends what the engine did (gdlab.web.updates): for each parameter the value
// before, the gradient g (its data part and penalty part), the rule's own values (velocity,
// Adam's moments) and the value after. This file only lays them out.

import { formatNumber } from "./plot.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const f6 = (v) => formatNumber(v, 6);
const paren = (v) => (v !== null && v < 0 ? `(${f6(v)})` : f6(v));

// The rule as a formula (symbols only: the same in both languages).
const RULES = {
  sgd: "θ ← θ − η·g",
  momentum: "v ← μ·v + g,   θ ← θ − η·v",
  nesterov: "v ← μ·v + g,   θ ← θ − η·(g + μ·v)",
  adam: "m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²,   θ ← θ − η·m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)",
};

// The arithmetic of one parameter's update, with its numbers.
function working(u, r) {
  const lr = f6(u.lr);
  if (u.rule === "sgd") return `${f6(r.old)} − ${lr} × ${paren(r.grad)} = ${f6(r.new)}`;
  if (u.rule === "momentum" || u.rule === "nesterov") {
    const mu = f6(u.hyper.momentum);
    const v = r.v_old === null ? `v = g = ${f6(r.v)}` : `v = ${mu} × ${paren(r.v_old)} + ${paren(r.grad)} = ${f6(r.v)}`;
    const step = u.rule === "momentum" ? paren(r.v) : `(${f6(r.grad)} + ${mu} × ${paren(r.v)})`;
    return `${v};   θ = ${f6(r.old)} − ${lr} × ${step} = ${f6(r.new)}`;
  }
  if (u.rule === "adam") {
    return `θ = ${f6(r.old)} − ${lr} × ${paren(r.m_hat)} / (√${f6(r.v_hat)} + ${formatNumber(u.hyper.eps, 2)}) = ${f6(r.new)}`;
  }
  return "";
}

function cell(tr, text, tag = "td", cls = "") {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  tr.append(el);
  return el;
}

export function drawUpdate(u, info) {
  const panel = $("update-panel");
  panel.dataset.update = JSON.stringify(u);
  const head = $("update-table").querySelector("thead");
  const body = $("update-table").querySelector("tbody");
  head.innerHTML = "";
  body.innerHTML = "";
  if (!u) {
    $("update-where").textContent = "";
    $("update-formula").textContent = t("update.none");
    $("update-note").textContent = "";
    return;
  }
  $("update-where").textContent = t(u.full_batch ? "update.where.full" : "update.where", {
    step: u.step, epoch: u.epoch, batch: u.batch, n_batches: u.n_batches, rows: u.rows,
    lr: formatNumber(u.lr, 4), loss: f6(u.loss),
  });
  const penalized = u.l1 > 0 || u.l2 > 0;
  let grad = t("update.gradient", { loss: info.loss, rows: u.rows });
  if (penalized) grad += "   " + t("update.gradient.penalty", { l2: formatNumber(u.l2, 4), l1: formatNumber(u.l1, 4) });
  let hyper = "";
  if (u.rule === "momentum" || u.rule === "nesterov") hyper = `   (μ = ${formatNumber(u.hyper.momentum, 4)})`;
  if (u.rule === "adam") hyper = `   (β₁ = ${formatNumber(u.hyper.beta1, 4)}, β₂ = ${formatNumber(u.hyper.beta2, 4)}, ε = ${formatNumber(u.hyper.eps, 2)}, t = ${u.hyper.t})`;
  $("update-formula").textContent = "";
  const rule = document.createElement("code");
  rule.textContent = RULES[u.rule] + hyper;
  const gline = document.createElement("span");
  gline.textContent = grad;
  $("update-formula").append(rule, document.createElement("br"), gline);

  const cols = [["name", t("update.col.param")], ["old", t("update.col.old")], ["grad", "g"]];
  if (penalized) cols.push(["data_grad", "∂L/∂θ"], ["penalty", t("update.col.penalty")]);
  if (u.rule === "momentum" || u.rule === "nesterov") cols.push(["v_old", t("update.col.v_old")], ["v", "v"]);
  if (u.rule === "adam") cols.push(["m", "m"], ["v", "v"], ["m_hat", "m̂"], ["v_hat", "v̂"]);
  cols.push(["working", t("update.col.working")], ["new", t("update.col.new")]);
  const htr = document.createElement("tr");
  for (const [, label] of cols) cell(htr, label, "th");
  head.append(htr);
  for (const r of u.params) {
    const tr = document.createElement("tr");
    tr.dataset.index = String(r.index);
    for (const [key] of cols) {
      if (key === "name") cell(tr, r.name, "th");
      else if (key === "working") cell(tr, working(u, r), "td", "working");
      else if (key === "v_old" && r.v_old === null) cell(tr, t("update.first"));
      else cell(tr, f6(r[key]), "td", key);
    }
    body.append(tr);
  }
  const notes = [];
  if (!u.all) notes.push(t("update.summary", { count: u.count, shown: u.params.length, gnorm: f6(u.grad_norm), snorm: f6(u.step_norm) }));
  if (u.rule === "sgd" && u.params.length) {
    const r = u.params[0];
    notes.push(t("update.check", { name: r.name, value: f6((r.old - r.new) / u.lr) }));
  }
  if (!u.full_batch) notes.push(t(u.shuffle ? "update.order.shuffled" : "update.order.in_order"));
  $("update-note").textContent = notes.join("  ");
}
