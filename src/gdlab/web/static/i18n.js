// The page's two languages. Every text the page writes is looked up by key in a catalogue,
// static/i18n-en.json or static/i18n-zh.json (the same keys in both: a test checks), with
// {name} placeholders filled in. A missing key shows as the key itself, never as a silent
// English line. Numbers are formatted the same way in both languages.

export const LANGUAGES = ["en", "zh"];

let current = "en";
let catalogue = {};
const loaded = {};

// The page's language: ?lang= in its address, else the browser's (zh* → Chinese), else English.
export function pickLanguage(search = location.search, languages = navigator.languages || [navigator.language]) {
  const asked = new URLSearchParams(search).get("lang");
  if (LANGUAGES.includes(asked)) return asked;
  const first = String((languages && languages[0]) || "en").toLowerCase();
  return first.startsWith("zh") ? "zh" : "en";
}

export function language() { return current; }

export async function useLanguage(code) {
  if (!LANGUAGES.includes(code)) code = "en";
  if (!loaded[code]) loaded[code] = await (await fetch(`/static/i18n-${code}.json`)).json();
  current = code;
  catalogue = loaded[code];
  document.documentElement.lang = code === "zh" ? "zh-CN" : "en";
  document.title = t("page.title");
}

export function has(key) { return Object.prototype.hasOwnProperty.call(catalogue, key); }

export function t(key, args = {}) {
  if (!has(key)) {
    console.warn(`gdlab playground: no "${key}" in the ${current} catalogue`);
    return key;
  }
  return catalogue[key].replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

// Put the catalogue's texts into the elements that name a key:
// data-i18n (text), data-i18n-title (tooltip), data-i18n-aria (aria-label).
export function translatePage(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
}
