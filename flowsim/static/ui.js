// Small UI kit: elements, icons, toasts, dialogs, listboxes and menus rendered like Flow's
// (portals at the end of <body>, items that appear a moment after a menu opens).
"use strict";
const FS = (window.FS = { boot: window.__FLOWSIM__ });

FS.h = function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
};
const h = FS.h;

// Icons are ligature text, so accessible names contain the icon word (as in Flow).
FS.icon = (name, cls) => h("i", { class: "google-symbols" + (cls ? " " + cls : "") }, name);

FS.api = async function api(method, url, body, raw) {
  const init = { method, headers: {} };
  if (raw) { init.body = raw; init.headers["Content-Type"] = raw.type || "application/octet-stream"; }
  else if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  const resp = await fetch(url, init);
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (resp.status === 401 && data && data.redirect) {
    window.location.href = data.redirect;
    throw new Error("signed out");
  }
  return { status: resp.status, ok: resp.ok, data };
};

FS.toast = function toast(text, opts) {
  opts = opts || {};
  const list = document.querySelector('section[aria-label="Notifications alt+T"] ol');
  const li = h("li", { "data-sonner-toast": "", role: "status" },
    h("div", { "data-title": "" }, text));
  const dismiss = () => li.remove();
  if (opts.actions) {
    li.append(h("div", { class: "row" }, opts.actions.map((a) =>
      h("button", { type: "button", onclick: () => { dismiss(); if (a.onClick) a.onClick(); } }, a.label))));
  }
  list.prepend(li);
  if (!opts.sticky) setTimeout(dismiss, opts.duration || 8000);
  return { el: li, dismiss };
};

// Notices the server reports (high demand, unusual activity), shown top right.
FS.setNotices = function setNotices(notices) {
  const box = document.getElementById("system-notices");
  const current = [...box.children].map((c) => c.textContent).join("\n");
  if (current === (notices || []).join("\n")) return;
  box.replaceChildren(...(notices || []).map((n) => h("div", { role: "alert" }, n)));
};

let dialogSeq = 0;
FS.dialog = function dialog(opts) {
  const id = "dlg-title-" + (++dialogSeq);
  const box = h("div", { role: "dialog", "aria-modal": opts.modal === false ? null : "true",
    "aria-labelledby": opts.title ? id : null, "aria-label": opts.title ? null : opts.label },
  opts.title ? h("h2", { id }, opts.title) : null, opts.body || []);
  const backdrop = h("div", { class: "backdrop" + (opts.modal === false ? " clear" : "") }, box);
  const close = () => { backdrop.remove(); document.removeEventListener("keydown", onKey); if (opts.onClose) opts.onClose(); };
  const onKey = (e) => { if (e.key === "Escape" && opts.escape !== false) close(); };
  if (opts.outsideCloses) backdrop.addEventListener("mousedown", (e) => { if (e.target === backdrop) close(); });
  document.addEventListener("keydown", onKey);
  document.body.append(backdrop);
  return { el: box, close };
};

function placeBelow(pop, anchor) {
  const r = anchor.getBoundingClientRect();
  pop.style.left = Math.max(4, Math.min(r.left, window.innerWidth - 240)) + "px";
  const below = r.bottom + 4;
  if (below + 220 > window.innerHeight) pop.style.bottom = (window.innerHeight - r.top + 4) + "px";
  else pop.style.top = below + "px";
}

// A popover closed by Escape or a click outside both it and its anchor.
FS.popover = function popover(anchor, role, onClose) {
  const pop = h("div", { class: "popover", role, tabindex: "-1" });
  placeBelow(pop, anchor);
  const close = () => {
    pop.remove(); document.removeEventListener("mousedown", onDown, true);
    document.removeEventListener("keydown", onKey, true);
    if (onClose) onClose();
  };
  const onDown = (e) => { if (!pop.contains(e.target) && !anchor.contains(e.target)) close(); };
  const onKey = (e) => { if (e.key === "Escape") { e.stopPropagation(); close(); } };
  document.addEventListener("mousedown", onDown, true);
  document.addEventListener("keydown", onKey, true);
  document.body.append(pop);
  return { el: pop, close };
};

// A combobox button: click → listbox of options; picking one calls onPick(value).
FS.combobox = function combobox(opts) {
  const btn = h("button", { type: "button", role: "combobox", "aria-expanded": "false",
    "aria-haspopup": "listbox", "aria-labelledby": opts.labelledby || null, class: opts.cls || null });
  let open = null;
  const render = () => {
    const cur = opts.options.find((o) => o.value === opts.get()) || opts.options[0];
    // The chevron is CSS, so the button's text is exactly the icon word and the value.
    btn.replaceChildren(...[cur.icon ? FS.icon(cur.icon) : null, h("span", {}, cur.label)].filter(Boolean));
  };
  btn.addEventListener("click", () => {
    if (open) { open.close(); return; }
    const id = "listbox-" + (++dialogSeq);
    open = FS.popover(btn, "listbox", () => { open = null; btn.setAttribute("aria-expanded", "false"); btn.removeAttribute("aria-controls"); });
    open.el.id = id;
    btn.setAttribute("aria-expanded", "true");
    btn.setAttribute("aria-controls", id);
    for (const o of opts.options) {
      open.el.append(h("div", { role: "option", "aria-selected": String(o.value === opts.get()),
        "data-value": o.value, onclick: () => { const p = open; p.close(); opts.onPick(o.value); render(); } },
      o.icon ? FS.icon(o.icon) : null, h("span", {}, o.label)));
    }
  });
  render();
  btn.refresh = render;
  return btn;
};

// A menu whose items render a little after it opens, like Flow's.
FS.menu = function menu(anchor, items, delay) {
  anchor.setAttribute("aria-expanded", "true");
  const m = FS.popover(anchor, "menu", () => anchor.setAttribute("aria-expanded", "false"));
  setTimeout(() => {
    if (!m.el.isConnected) return;
    for (const it of items) {
      const el = h("div", { role: "menuitem", tabindex: "-1", "aria-disabled": it.disabled ? "true" : null,
        "aria-haspopup": it.submenu ? "menu" : null },
      it.icon ? FS.icon(it.icon) : null, h("span", {}, it.label),
      it.badge ? h("span", { class: "badge" }, it.badge) : null);
      el.addEventListener("click", () => {
        if (it.submenu) { FS.menu(el, it.submenu(), delay); return; }
        m.close(); if (it.onClick) it.onClick();
      });
      m.el.append(el);
    }
  }, delay === undefined ? 250 : delay);
  return m;
};

FS.download = function download(url) {
  const a = h("a", { href: url, download: "" });
  document.body.append(a); a.click(); a.remove();
};
