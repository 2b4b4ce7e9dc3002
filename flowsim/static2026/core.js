// Shared pieces of the flow2026 page: boot data, element builder, Material-like icons, the CDK
// overlay stack (Escape closes one overlay per press), Material menus, the batchexecute wire
// and snack bars. No framework: the markup imitates what Angular Material renders.
import { label } from "./i18n.js";

export const boot = window.__FLOWSIM__ || {};
export const cfg = boot.config || {};
export const account = boot.account || {};
export const lang = boot.lang || "en";

/** Translated label. */
export function t(key, params) { return label(lang, key, params); }

/** A number from the configuration with a default. */
export function num(name, dflt) {
  const v = cfg[name];
  return typeof v === "number" ? v : dflt;
}

/** Build an element: attrs may hold class, text, on<event> handlers, booleans (present/absent). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A Material font icon: the ligature is the element's text (FLOW_2026 §4). */
export function icon(ligature, extra = "") {
  return h("mat-icon", {
    role: "img", "aria-hidden": "true", "data-mat-icon-type": "font",
    class: `mat-icon notranslate google-symbols mat-icon-no-color ${extra}`.trim(),
  }, ligature);
}

/** A plain Material icon button named by its aria-label. */
export function iconButton(ligature, aria, onclick, cls = "") {
  return h("button", { type: "button", class: `mdc-icon-button mat-mdc-icon-button ${cls}`.trim(),
    "aria-label": aria, onclick }, icon(ligature));
}

// ---- CDK overlays -------------------------------------------------------------------------
let container = null;
const stack = []; // open overlays, topmost last

function overlayContainer() {
  if (!container || !container.isConnected) {
    container = document.querySelector(".cdk-overlay-container") || h("div", { class: "cdk-overlay-container" });
    document.body.append(container);
  }
  // Angular keeps the container as the last child of body.
  if (document.body.lastElementChild !== container) document.body.append(container);
  return container;
}

/**
 * Open an overlay pane. backdrop: "transparent" (closes on click), "dark" (modal, no close on
 * click) or null. anchor: an element to sit next to (above it, or at its right with side).
 * Returns {pane, close}.
 */
export function openOverlay({ content, backdrop = "transparent", anchor = null, place = "above",
  paneClass = "", onClose = null, closeOnBackdrop = backdrop === "transparent", escape = true }) {
  const root = overlayContainer();
  let back = null;
  if (backdrop) {
    back = h("div", { class: `cdk-overlay-backdrop cdk-overlay-backdrop-showing ${
      backdrop === "dark" ? "cdk-overlay-dark-backdrop" : "cdk-overlay-transparent-backdrop"}` });
    root.append(back);
  }
  const pane = h("div", { class: `cdk-overlay-pane ${paneClass}`.trim() }, content);
  root.append(pane);
  const entry = { pane, back, escape, closed: false, close: null };
  entry.close = () => {
    if (entry.closed) return;
    entry.closed = true;
    pane.remove();
    if (back) back.remove();
    const i = stack.indexOf(entry);
    if (i >= 0) stack.splice(i, 1);
    if (onClose) onClose();
  };
  if (back && closeOnBackdrop) back.addEventListener("click", () => entry.close());
  stack.push(entry);
  position(pane, anchor, place);
  return entry;
}

function position(pane, anchor, place) {
  if (!anchor) { pane.classList.add("cdk-global-centered"); return; }
  const r = anchor.getBoundingClientRect();
  pane.style.position = "absolute";
  if (place === "above") {
    pane.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - 380))}px`;
    pane.style.bottom = `${window.innerHeight - r.top + 8}px`;
  } else if (place === "below") {
    pane.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - 300))}px`;
    pane.style.top = `${r.bottom + 4}px`;
  } else if (place === "side") {
    pane.style.left = `${Math.min(r.right + 8, window.innerWidth - 260)}px`;
    pane.style.top = `${Math.max(8, Math.min(r.top, window.innerHeight - 320))}px`;
  } else if (place === "below-right") {
    pane.style.right = `${Math.max(8, window.innerWidth - r.right)}px`;
    pane.style.top = `${r.bottom + 4}px`;
  }
}

/** Close every open overlay (navigation inside the page). */
export function closeAll() { for (const e of [...stack].reverse()) e.close(); }

/** How many overlays are open now. */
export function openCount() { return stack.length; }

document.addEventListener("keydown", (ev) => {
  if (ev.key !== "Escape" || !stack.length) return;
  const top = stack[stack.length - 1];
  if (!top.escape) return;
  ev.preventDefault();
  top.close(); // one overlay per press (FLOW_2026 §5)
}, true);

// ---- Material menus -----------------------------------------------------------------------
/** A menu item: {icon, text, onclick, disabled, haspopup, keepOpen, cls}. */
export function menuItem(item, close) {
  const btn = h("button", {
    type: "button", role: "menuitem", class: `mat-mdc-menu-item mat-focus-indicator ${item.cls || ""}`.trim(),
    disabled: item.disabled || false, "aria-disabled": item.disabled ? "true" : "false",
    "aria-haspopup": item.haspopup ? "menu" : null,
    onclick: (ev) => {
      ev.stopPropagation();
      if (item.disabled) return;
      if (!item.keepOpen) close();
      item.onclick && item.onclick(ev);
    },
  }, item.icon ? icon(item.icon) : null, h("span", { class: "mat-mdc-menu-item-text" }, item.text),
  item.badge ? h("span", { class: "menu-badge" }, item.badge) : null);
  return h("flow-menu-item", {}, btn);
}

/** Open a Material menu next to `anchor`. Returns {panel, content, close, setItems}. */
export function openMenu(anchor, items, { panelClass = "", place = "below", onClose = null } = {}) {
  const content = h("div", { class: "mat-mdc-menu-content" });
  const panel = h("div", { role: "menu", tabindex: "-1",
    class: `mat-mdc-menu-panel mat-mdc-elevation-specific ${panelClass}`.trim() }, content);
  const ov = openOverlay({ content: panel, anchor, place, paneClass: "menu-pane", onClose: () => {
    if (anchor) anchor.setAttribute("aria-expanded", "false");
    onClose && onClose();
  } });
  if (anchor) anchor.setAttribute("aria-expanded", "true");
  const setItems = (list) => content.replaceChildren(...list.map((it) => menuItem(it, ov.close)));
  setItems(items);
  return { panel, content, close: ov.close, setItems, overlay: ov };
}

// ---- snack bars ---------------------------------------------------------------------------
/** A Material snack bar at the bottom centre (no backdrop); it goes away by itself. */
export function snack(text, ms = 8000) {
  const root = overlayContainer();
  const el = h("div", { class: "cdk-overlay-pane snack-pane" },
    h("mat-snack-bar-container", { class: "mat-mdc-snack-bar-container" },
      h("div", { class: "mat-mdc-snack-bar-label", role: "status", "aria-live": "polite" }, text),
      h("button", { type: "button", class: "mat-mdc-snack-bar-action",
        onclick: () => el.remove() }, t("dismiss"))));
  root.append(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

// ---- the batchexecute wire (FLOW_2026 §7, docs/flowsim-2026-contract.md) --------------------
let reqid = 100000 + Math.floor(Math.random() * 9000);
// A session id per page load, like the real `f.sid` (a signed 64-bit number as text).
const fsid = (Math.random() < 0.5 ? "-" : "") + String(1 + Math.floor(Math.random() * 9))
  + Array.from({ length: 18 }, () => Math.floor(Math.random() * 10)).join("");

/** The JSON chunks of an `rt=c` reply: `)]}'`, then length lines and one JSON array each (the
 * length is not trusted: a chunk is read line by line until it parses). */
export function replyChunks(text) {
  const body = text.startsWith(")]}'") ? text.slice(4) : text;
  const out = [];
  let buf = [];
  for (const line of body.split("\n")) {
    const s = line.trim();
    if (!buf.length && (!s || /^\d+$/.test(s))) continue;
    buf.push(line);
    try {
      out.push(JSON.parse(buf.join("\n")));
      buf = [];
    } catch (e) { /* a chunk over several lines: read on */ }
  }
  return out;
}

function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  return out;
}

/** A status element (`[3]`, `[7, null, [["PUBLIC_ERROR_…", "message"]]]`) as {code, reason, message}. */
export function statusError(status) {
  const code = Array.isArray(status) ? status[0] : (typeof status === "number" ? status : null);
  const texts = strings(status);
  const reason = texts.find((s) => /^PUBLIC_ERROR_[A-Z0-9_]+$/.test(s)) || null;
  const message = texts.filter((s) => s !== reason).join(" ");
  return { code, reason: reason || `status_${code}`, message: message || t("generic_error") };
}

/**
 * Call one rpc; resolves to its result (Flow's rpcs: a positional array). A status row resolves
 * to {error:{code,reason,message}}; a 401 navigates to /about; other HTTP errors resolve to
 * {error:{reason:"http_<status>"}}.
 */
export async function rpc(id, payload) {
  reqid += 100000;
  const qs = new URLSearchParams({ rpcids: id, "source-path": location.pathname, bl: boot.build || "",
    "f.sid": fsid, hl: lang, _reqid: String(reqid), rt: "c" });
  const freq = JSON.stringify([[[id, JSON.stringify(payload), null, "generic"]]]);
  const body = `f.req=${encodeURIComponent(freq)}&at=${encodeURIComponent(boot.at || "")}&`;
  let res;
  try {
    res = await fetch(`/_/AiSandboxAngularFrontend/data/batchexecute?${qs}`, {
      method: "POST", body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8", "X-Same-Domain": "1" },
    });
  } catch (e) {
    return { error: { reason: "network", message: t("generic_error") } };
  }
  if (res.status === 401) {
    location.href = "/about";
    return new Promise(() => {}); // the page is going away
  }
  let text;
  try {
    text = await res.text();
  } catch (e) {
    // The body broke off (a reply lost on the way): the page knows nothing of the result.
    return { error: { reason: "network", message: t("generic_error") } };
  }
  if (!res.ok) return { error: { reason: `http_${res.status}`, message: t("generic_error"), detail: text } };
  const rows = replyChunks(text).flat();
  const row = rows.find((e) => Array.isArray(e) && e[0] === "wrb.fr" && e[1] === id);
  if (!row) return { error: { reason: "bad_reply", message: t("generic_error") } };
  if (typeof row[2] === "string") {
    const result = JSON.parse(row[2]);
    // A page of the next build knows where its rpc's positions moved (configure(wire_drift)).
    if ((cfg.wire_drift || []).includes(id) && Array.isArray(result)) result.splice(2, 1);
    return result;
  }
  if (row[5] !== null && row[5] !== undefined) return { error: statusError(row[5]) };
  return { error: { reason: "no_result", message: t("generic_error") } };
}

/** Sleep. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
