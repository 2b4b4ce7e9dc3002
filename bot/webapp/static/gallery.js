// The gallery page: every clip of a batch, selection, and the chat's actions. Plain JS, no
// build step. Data comes from /api (Telegram's init data in the Authorization header on every
// request); text from the server in the user's language; nothing from the server is ever
// parsed as HTML (textContent only).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const msg = $("message");       // taken out of and put back into the page: keep the element
  const POLL_MS = 2500;          // while the batch renders (or 4K / zips are on their way)
  const WATCH_MS = 90000;        // keep polling this long after an action
  const SAVE_MS = 700;           // selection changes are saved (and shown in the chat) after this

  const tg = (window.Telegram && window.Telegram.WebApp) || null;
  const hash = new URLSearchParams(location.hash.slice(1));
  const initData = (tg && tg.initData) || hash.get("tgWebAppData") ||
    sessionStorage.getItem("gallery.initData") || "";
  if (initData) sessionStorage.setItem("gallery.initData", initData);
  const batchId = /^[0-9]{1,15}$/.test(new URLSearchParams(location.search).get("batch") || "")
    ? new URLSearchParams(location.search).get("batch") : null;

  let T = {};                    // the page's words (from the server)
  let batch = null;
  const selected = new Set();
  let selectionDirty = false, saveTimer = null, pollTimer = null, watchUntil = 0;
  const tiles = new Map();       // clip id -> tile element
  const sections = new Map();    // item id -> section element

  function t(key, values) {
    let s = T[key] || key;
    for (const [k, v] of Object.entries(values || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // -- theme ------------------------------------------------------------------------------------
  function applyTheme() {
    let params = tg && tg.themeParams;
    if (!params || !Object.keys(params).length) {
      try { params = JSON.parse(hash.get("tgWebAppThemeParams") || "{}"); } catch (e) { params = {}; }
    }
    const root = document.documentElement;
    for (const [k, v] of Object.entries(params || {})) {
      if (typeof v === "string" && /^#[0-9a-fA-F]{3,8}$/.test(v)) {
        root.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), v);
      }
    }
    if (params && Object.keys(params).length) root.classList.add("tg");
    const scheme = tg && tg.colorScheme;
    if (scheme) root.style.colorScheme = scheme;
  }

  // -- the API ------------------------------------------------------------------------------------
  async function api(path, body) {
    const opts = { headers: { "Authorization": "tma " + initData } };
    if (body !== undefined) {
      opts.method = "POST";
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      toast(t("offline"));
      throw e;
    }
    let data = {};
    try { data = await res.json(); } catch (e) { data = {}; }
    if (!res.ok) {
      const err = new Error(data.message || t("error"));
      err.status = res.status;
      err.code = data.error;
      throw err;
    }
    return data;
  }

  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
  }

  function fatal(text) {
    stopPolling();
    $("main").replaceChildren(el("p", "muted center", text));
    $("actions").hidden = true;
    $("selbar").hidden = true;
  }

  // -- the list of batches (no ?batch=) -------------------------------------------------------------
  async function showList() {
    const data = await api("/api/batches");
    T = data.texts || {};
    document.title = t("title");
    $("title").textContent = t("recent");
    const list = el("div", "list");
    for (const b of data.batches) {
      const a = el("a");
      a.href = "?batch=" + encodeURIComponent(b.id);
      a.append(el("span", "", t("batch", { id: b.id }) + (b.title ? " · " + b.title : "")),
        el("span", "muted", b.status_label + " · " + b.done + "/" + b.total));
      list.append(a);
    }
    $("main").replaceChildren(data.batches.length ? list : el("p", "muted center", t("none")));
  }

  // -- one batch ----------------------------------------------------------------------------------
  async function load(first) {
    const data = await api("/api/batches/" + batchId + (first ? "?t=1" : ""));
    if (data.texts) T = data.texts;
    batch = data;
    if (first) {
      for (const item of data.items) for (const c of item.clips) if (c.sel) selected.add(c.id);
      setupStatic();
    } else if (!selectionDirty) {
      // Someone may have changed the selection in the chat meanwhile: follow it.
      selected.clear();
      for (const item of data.items) for (const c of item.clips) if (c.sel) selected.add(c.id);
    }
    render();
    schedule();
  }

  function setupStatic() {
    document.title = t("batch", { id: batch.id });
    $("clear").textContent = t("clear");
    $("clear").onclick = () => { selected.clear(); selectionChanged(); };
    $("act-upscale").textContent = t("upscale");
    $("act-zip").textContent = t("zip");
    $("act-hd").textContent = t("flow1080");
    $("act-upscale").onclick = chooseUpscale;
    $("act-zip").onclick = chooseZip;
    $("act-hd").onclick = () => act("flow1080", {});
    $("main").replaceChildren();
    const items = el("div", "items");
    items.id = "items";
    $("main").append(items);
    document.body.classList.toggle("landscape", batch.aspect === "16:9");
  }

  function readyClips() {
    const out = [];
    for (const item of batch.items) for (const c of item.clips) if (c.status === "ready") out.push(c);
    return out;
  }

  function render() {
    $("title").textContent = t("batch", { id: batch.id }) + (batch.title ? " · " + batch.title : "");
    $("status").textContent = batch.status_label;
    const pct = batch.total ? Math.round(100 * batch.done / batch.total) : 0;
    $("progress").hidden = !batch.live;
    $("progress-fill").style.width = pct + "%";
    const container = $("items");
    const seen = new Set();
    for (const item of batch.items) {
      seen.add(item.id);
      let sec = sections.get(item.id);
      if (!sec) {
        sec = el("section", "item");
        sec.dataset.item = item.id;
        sections.set(item.id, sec);
      }
      container.append(sec); // keeps the server's order; a no-op for a section in place
      renderItem(sec, item);
    }
    for (const [id, sec] of sections) if (!seen.has(id)) { sec.remove(); sections.delete(id); }
    if (!readyClips().length && !batch.items.some((i) => i.status === "failed")) {
      msg.textContent = t("no_clips");
      if (!msg.isConnected) $("main").prepend(msg);
    } else if (msg.isConnected) {
      msg.remove();
    }
    renderSelection();
  }

  function renderItem(sec, item) {
    let head = sec.querySelector(".item-head");
    if (!head) {
      head = el("div", "item-head");
      const title = el("div", "item-title");
      title.append(el("b"), el("div", "prompt"), el("div", "reason"));
      head.append(title);
      const chips = el("div", "chips");
      const all = el("button", "chip sel-all");
      all.type = "button";
      all.onclick = () => selectItem(item.id);
      const again = el("button", "chip again", t("again"));
      again.type = "button";
      again.onclick = () => startAgain(item.id, false);
      const np = el("button", "chip new-prompt", t("new_prompt"));
      np.type = "button";
      np.onclick = () => startAgain(item.id, true);
      chips.append(all, again, np);
      sec.append(head, chips, el("div", "grid"));
    }
    head.querySelector("b").textContent = item.again ? t("again_of", { image: item.image })
      : t("image", { image: item.image });
    head.querySelector(".prompt").textContent = item.prompt;
    const reason = head.querySelector(".reason");
    reason.textContent = item.status === "failed" ? t("failed") + (item.reason ? ": " + item.reason : "") : "";
    reason.hidden = item.status !== "failed";
    const ready = item.clips.filter((c) => c.status === "ready");
    const every = ready.length > 0 && ready.every((c) => selected.has(c.id));
    const all = sec.querySelector(".sel-all");
    all.textContent = every ? t("unselect_all") : t("select_all");
    all.disabled = !ready.length || !batch.may_act;
    sec.querySelector(".again").hidden = !item.can_again;
    sec.querySelector(".new-prompt").hidden = !item.can_again;
    const grid = sec.querySelector(".grid");
    const keep = new Set();
    for (const c of item.clips) {
      let tile = tiles.get(c.id);
      if (!tile) { tile = el("div", "tile"); tile.dataset.clip = c.id; tiles.set(c.id, tile); }
      keep.add(tile);
      grid.append(tile);
      renderTile(tile, c, item);
    }
    // An image still rendering has no clips yet: one placeholder with its progress.
    if (!item.clips.length && item.status !== "failed" && item.status !== "cancelled" && item.status !== "done") {
      let wait = grid.querySelector(".wait.item");
      if (!wait) { wait = el("div", "tile wait item"); grid.append(wait); }
      keep.add(wait);
      wait.textContent = item.progress > 0 ? t("rendering", { percent: item.progress }) : t("waiting");
      wait.style.setProperty("--pct", (item.progress || 0) + "%");
    }
    for (const child of Array.from(grid.children)) if (!keep.has(child)) child.remove();
  }

  function renderTile(tile, c, item) {
    if (c.status !== "ready") {
      tile.className = "tile " + (c.status === "failed" ? "failed" : "wait");
      tile.textContent = c.status === "failed" ? t("failed") : t("rendering", { percent: item.progress || 0 });
      return;
    }
    if (!tile.classList.contains("ready")) {
      tile.replaceChildren();
      tile.className = "tile ready";
      const img = el("img");
      img.alt = "";
      img.loading = "lazy";
      img.decoding = "async";
      img.src = c.poster;
      const play = el("button", "play");
      play.type = "button";
      play.setAttribute("aria-label", "▶ " + c.n);
      play.onclick = () => playInPlace(tile, c.id);
      const check = el("button", "check");
      check.type = "button";
      check.onclick = (ev) => { ev.stopPropagation(); toggle(c.id); };
      tile.append(img, play, el("span", "num", String(c.n)),
        el("span", "dur", batch.duration + "s"), el("span", "badge"), check);
    } else {
      const img = tile.querySelector("img");
      if (img && !img.complete) img.src = c.poster; // a fresh link for a poster not loaded yet
    }
    tile.dataset.video = c.video || "";
    tile.dataset.poster = c.poster || "";
    const badge = tile.querySelector(".badge");
    let label = "", cls = "badge";
    if (c.k4 === "ready") label = t("k4_ready");
    else if (c.k4 === "queued" || c.k4 === "running") { label = t("k4_working"); cls += " work"; }
    else if (c.k4 === "failed") { label = t("k4_failed"); cls += " bad"; }
    else if (c.hd === "ready" || c.hd === "fallback") label = t("hd_ready");
    else if (c.hd === "queued" || c.hd === "running") { label = t("hd_working"); cls += " work"; }
    badge.className = cls;
    badge.textContent = label;
    badge.hidden = !label;
    const on = selected.has(c.id);
    tile.classList.toggle("sel", on);
    const check = tile.querySelector(".check");
    check.textContent = on ? "✓" : "";
    check.setAttribute("aria-pressed", on ? "true" : "false");
    check.setAttribute("aria-label", t("select_all") + " " + c.n);
    check.hidden = !batch.may_act;
  }

  function playInPlace(tile, clipId) {
    if (tile.querySelector("video") || !tile.dataset.video) return;
    for (const other of document.querySelectorAll(".tile video")) other.pause();
    const video = el("video");
    video.controls = true;
    video.playsInline = true;
    video.autoplay = true;
    video.preload = "auto";
    video.poster = tile.dataset.poster;
    video.src = tile.dataset.video;
    tile.querySelector("img").replaceWith(video);
    tile.querySelector(".play").hidden = true;
    tile.dataset.playing = clipId;
  }

  // -- selection ----------------------------------------------------------------------------------
  function toggle(clipId) {
    if (selected.has(clipId)) selected.delete(clipId); else selected.add(clipId);
    if (tg && tg.HapticFeedback) tg.HapticFeedback.selectionChanged();
    selectionChanged();
  }

  function selectItem(itemId) {
    const item = batch.items.find((i) => i.id === itemId);
    const ready = item.clips.filter((c) => c.status === "ready");
    const every = ready.every((c) => selected.has(c.id));
    for (const c of ready) { if (every) selected.delete(c.id); else selected.add(c.id); }
    selectionChanged();
  }

  function selectionChanged() {
    selectionDirty = true;
    render();
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveSelection, SAVE_MS);
  }

  async function saveSelection() {
    clearTimeout(saveTimer);
    if (!selectionDirty) return;
    selectionDirty = false;
    try {
      await api("/api/batches/" + batchId + "/selection", { clip_ids: Array.from(selected) });
    } catch (e) {
      if (e.status) toast(e.message);
    }
  }

  function renderSelection() {
    const total = readyClips().length;
    for (const id of Array.from(selected)) if (!tiles.has(id)) selected.delete(id);
    $("count").textContent = t("selected", { count: selected.size, total: total });
    $("selbar").hidden = !total || !batch.may_act;
    $("clear").hidden = !selected.size;
    $("actions").hidden = !total || !batch.may_act;
    $("act-upscale").disabled = !selected.size;
    $("act-hd").disabled = !selected.size;
    if (!batch.may_act && total && !$("viewonly")) {
      const p = el("p", "muted center", t("view_only"));
      p.id = "viewonly";
      $("main").prepend(p);
    }
  }

  // -- actions (the chat's: the same services answer) ---------------------------------------------
  function sheet(text, buttons, input) {
    $("sheet-text").textContent = text;
    const box = $("sheet-input");
    box.hidden = !input;
    box.value = "";
    const row = $("sheet-buttons");
    row.replaceChildren();
    for (const b of buttons) {
      const btn = el("button", b.primary ? "primary" : "", b.label);
      btn.type = "button";
      if (b.name) btn.dataset.name = b.name;
      btn.onclick = () => { $("sheet").hidden = true; if (b.run) b.run(box.value); };
      row.append(btn);
    }
    $("sheet").hidden = false;
    if (input) box.focus();
  }

  function chooseUpscale() {
    if (!selected.size) { toast(t("select_first")); return; }
    const buttons = batch.presets.map((p) => ({ label: p.label, name: p.id, primary: true,
      run: () => act("upscale", { preset: p.id }) }));
    buttons.push({ label: t("cancel"), name: "cancel" });
    sheet(t("choose_preset"), buttons);
  }

  function chooseZip() {
    sheet(t("choose_zip"), [
      { label: "🗜 720p", name: "720p", primary: true, run: () => act("zip", { resolution: "720p" }) },
      { label: "🗜 4K", name: "4k", primary: true, run: () => act("zip", { resolution: "4k" }) },
      { label: t("cancel"), name: "cancel" },
    ]);
  }

  async function act(what, body) {
    clearTimeout(saveTimer);
    selectionDirty = false;   // the action carries the selection itself
    body.clip_ids = Array.from(selected);
    try {
      const res = await api("/api/batches/" + batchId + "/" + what, body);
      toast(res.message || t("sent_to_chat"));
      watchUntil = Date.now() + WATCH_MS;
      schedule(true);
    } catch (e) {
      if (e.status) toast(e.message);
    }
  }

  async function startAgain(itemId, withPrompt) {
    const item = batch.items.find((i) => i.id === itemId);
    let quote;
    try {
      quote = await api("/api/batches/" + batchId + "/again/quote", { item_id: itemId });
    } catch (e) {
      if (e.status) toast(e.message);
      return;
    }
    const send = async (prompt) => {
      const body = { item_id: itemId, ticket: quote.ticket };
      if (withPrompt) body.prompt = prompt;
      try {
        const res = await api("/api/batches/" + batchId + "/again", body);
        toast(res.message);
        watchUntil = Date.now() + WATCH_MS;
        schedule(true);
      } catch (e) {
        if (e.status) toast(e.message);
      }
    };
    const confirm = { label: quote.confirm, name: "confirm", primary: true, run: send };
    const cancel = { label: t("cancel"), name: "cancel" };
    if (withPrompt) {
      sheet(t("new_prompt_for", { image: item.image }) + "\n" + quote.message, [confirm, cancel], true);
    } else {
      sheet(quote.message, [confirm, cancel]);
    }
  }

  // -- live progress --------------------------------------------------------------------------------
  function stopPolling() { clearTimeout(pollTimer); pollTimer = null; }

  function schedule(now) {
    stopPolling();
    if (!batch || document.visibilityState === "hidden") return;
    if (!batch.live && Date.now() > watchUntil) return;
    pollTimer = setTimeout(poll, now ? 600 : POLL_MS);
  }

  async function poll() {
    try {
      await load(false);
    } catch (e) {
      if (e.status === 401) { fatal(t("auth")); return; }
      pollTimer = setTimeout(poll, POLL_MS * 2);
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") schedule(true);
    else { stopPolling(); saveSelection(); }
  });
  window.addEventListener("pagehide", saveSelection);

  // -- start ------------------------------------------------------------------------------------
  function telegramReady() {
    const app = window.Telegram && window.Telegram.WebApp;
    if (!app) return;
    try { app.ready(); app.expand(); } catch (e) { /* an older client */ }
    if (app.onEvent) app.onEvent("themeChanged", applyTheme);
  }

  async function start() {
    applyTheme();
    telegramReady();
    // telegram-web-app.js loads async: when it arrives, tell Telegram the page is ready.
    const script = document.querySelector('script[src*="telegram-web-app.js"]');
    if (script && !(window.Telegram && window.Telegram.WebApp)) {
      script.addEventListener("load", () => { applyTheme(); telegramReady(); });
    }
    msg.textContent = "…";
    if (!initData) { fatal(t("auth") === "auth" ? "Open this page from the bot's Gallery button." : t("auth")); return; }
    try {
      if (batchId) await load(true); else await showList();
    } catch (e) {
      if (e.status === 401) fatal(e.message);
      else if (e.status) fatal(e.message);
      else fatal("…");
    }
  }

  start();
})();
