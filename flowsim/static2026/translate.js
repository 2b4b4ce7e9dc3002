// configure(translate_bar) on a non-English page (FLOW_2026 Dec. 7: Chrome's translate bar in
// generation profiles): the page looks as if Chrome's translator had translated it. `<html>` gets
// `translated-ltr`, and every visible text node outside `.notranslate`, `[translate=no]` and
// `mat-icon` is wrapped in Chrome's two `<font style="vertical-align: inherit;">` elements holding
// the English text. Re-applied after every re-render, as Chrome does; a reload shows it again
// (flowsim cannot see the browser's flags: the driver's defence is to notice
// `html.translated-ltr|translated-rtl` and reload with `hl=en`, or refuse).
import { englishOf } from "./i18n.js";

const SKIP_TAGS = new Set(["SCRIPT", "STYLE", "TEXTAREA", "INPUT", "SELECT", "NOSCRIPT", "MAT-ICON", "CODE"]);
const ours = new WeakSet(); // the inner <font> elements this translator made

function excluded(node) {
  for (let el = node.parentElement; el; el = el.parentElement) {
    if (ours.has(el)) return true;
    if (SKIP_TAGS.has(el.tagName)) return true;
    if (el.classList && el.classList.contains("notranslate")) return true;
    if (el.getAttribute && el.getAttribute("translate") === "no") return true;
  }
  return false;
}

function font(child) {
  const el = document.createElement("font");
  el.setAttribute("style", "vertical-align: inherit;");
  el.append(child);
  return el;
}

/** Wrap every untranslated text node of the page. */
function pass(lang) {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.textContent.trim() && !excluded(n)) found.push(n);
  }
  for (const n of found) {
    const inner = font(document.createTextNode(englishOf(lang, n.textContent)));
    ours.add(inner);
    n.replaceWith(font(inner));
  }
}

/** Start translating the `lang` page (and keep translating what the page re-renders). */
export function translatePage(lang) {
  document.documentElement.classList.add("translated-ltr");
  let timer = null;
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; pass(lang); }, 30);
  };
  new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true, characterData: true });
  schedule();
}
