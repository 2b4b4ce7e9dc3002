// The tile grid of a project (FLOW_2026 §8–§9): rows of flow-grid-tile-container, newest first,
// virtualised past `virtualise_after` tiles; pending/queued/video/error tiles; the blank gap
// between progress and media; the hover toolbar that only a real mouse move reveals; the
// <video> mounted only while hovered; the download menu with its size submenu.
import { account, cfg, h, icon, num, openMenu, rpc, sleep, snack, t } from "./core.js";
import * as W from "./wire.js";

const PER_ROW = 4;
const ROW_H = 250;

/** Trigger a browser download of `href` (a same-origin URL or a blob: URL). */
function saveAs(href, name) {
  const a = h("a", { href, download: name || null, style: { display: "none" } });
  document.body.append(a);
  a.click();
  a.remove();
}

/** The grid: {el, scroller, update(clips), waiting(), remove(id), addUpload(asset), …}. Clips are
 * the page's objects decoded from Flow's records (wire.js). */
export function Grid({ projectId, onReuse, onChanged, onSubmitted }) {
  const inner = h("div", { class: "virtual-scroll-container" });
  // A project without media says so (public tools anchor on `.empty-project-message`).
  const empty = h("div", { class: "empty-project-message" }, t("empty_project"));
  const scroller = h("div", { class: "cdk-virtual-scrollable page-container" }, empty, inner);
  const entries = new Map(); // key -> {key, kind, order, data, el, sig}
  const urls = new Map(); // mediaId -> the as29s clip (poster, video, preview, opaque URLs)
  const asked = new Set();
  const firstSeen = new Map(); // mediaId -> status when this page first saw it
  const gapUntil = new Map(); // mediaId -> time the blank gap ends
  let layoutSig = "";

  function blankGap() {
    const g = cfg.blank_gap_ms;
    if (Array.isArray(g) && g.length === 2) return g[0] + Math.random() * Math.max(0, g[1] - g[0]);
    if (typeof g === "number") return g;
    return 300 + Math.random() * 1700;
  }

  function sorted() {
    return [...entries.values()].sort((a, b) => b.order - a.order || (a.key < b.key ? -1 : 1));
  }

  // ---- tiles ---------------------------------------------------------------------------------
  function container(entry) {
    if (!entry.el) {
      entry.el = h("flow-grid-tile-container", { class: "grid-tile-container" });
      if (entry.kind === "media") wireHover(entry);
    }
    return entry.el;
  }

  function pendingTile(m) {
    const queued = m.status === "QUEUED";
    return h("flow-pending-tile", { class: `pending-tile-host${queued ? " queued" : ""}` },
      h("div", { class: "pending-tile" },
        queued ? h("div", { class: "queued-label" }, t("queued"))
          : (m.progress !== null && m.progress !== undefined ? h("div", { class: "loading-percentage" }, `${m.progress}%`) : null),
        h("div", { class: "progress-bar" }, h("div", { class: "progress-bar-fill", style: { width: `${m.progress || 0}%` } })),
        m.title ? h("div", { class: "tile-title" }, m.title) : null,
        h("div", { class: "subtitle" }, m.prompt || "")));
  }

  function errorTile(m) {
    const actions = m.agent ? [h("button", { type: "button", class: "mdc-button delete-button", onclick: (e) => { e.stopPropagation(); del(m); } }, icon("delete"), t("delete"))]
      : [h("button", { type: "button", class: "mdc-button retry-button", onclick: async (e) => {
        e.stopPropagation();
        const res = await rpc("Lm2sRd", { op: "retry", mediaId: m.mediaId });
        if (res.error) { snack(res.error.message || t("generic_error")); onChanged && onChanged(); return; }
        // Flow's Retry: the failed tile goes away, the new one comes with the reply.
        entries.delete(m.mediaId);
        layout();
        onSubmitted && onSubmitted(res);
      } }, icon("refresh"), t("retry")),
      h("button", { type: "button", class: "mdc-button reuse-button", onclick: (e) => { e.stopPropagation(); onReuse && onReuse(m.prompt); } }, icon("redo"), t("reuse_prompt")),
      h("button", { type: "button", class: "mdc-button delete-button", onclick: (e) => { e.stopPropagation(); del(m); } }, icon("delete"), t("delete"))];
    return h("flow-error-tile", {}, h("div", { class: "error-tile" }, icon("warning", "error-icon"),
      h("div", { class: "error-title" }, t("failed")),
      h("div", { class: "error-message-text" }, m.error || ""),
      h("div", { class: "disclaimer-message" }, t("not_charged")),
      h("div", { class: "error-actions" }, actions)));
  }

  async function del(m) {
    await rpc("Lm2sRd", { op: "delete_tile", mediaId: m.mediaId });
    entries.delete(m.mediaId);
    layout();
    onChanged && onChanged();
  }

  function videoTile(entry) {
    const m = entry.data;
    const u = urls.get(m.mediaId);
    const src = !u ? "" : (firstSeen.get(m.mediaId) === "SUCCESSFUL" && u.opaqueThumbnailUrl ? u.opaqueThumbnailUrl : u.thumbnailUrl);
    return h("flow-video-tile", {}, h("div", { class: "video-tile" },
      // The poster carries the clip's media id (flow_wire README "In the page": M for image
      // tiles, ASSUMPTION for video tiles), also when its src is an opaque /asb/ token.
      src ? h("img", { class: "thumbnail", alt: t("thumb_alt"), src, "data-media-id": m.mediaId }) : null));
  }

  function uploadTile(entry) {
    const a = entry.data;
    if (a.state !== "READY") {
      return h("flow-image-tile", {}, h("div", { class: "image-tile uploading" },
        h("div", { class: "loading-percentage" }, "99%"), h("div", { class: "tile-title" }, a.fileName)));
    }
    return h("flow-image-tile", {}, h("div", { class: "image-tile" },
      h("img", { class: "image-thumbnail", "data-media-id": a.mediaId, src: a.thumbnailUrl, alt: a.fileName })));
  }

  function renderEntry(entry) {
    const el = container(entry);
    let sig;
    let body;
    if (entry.kind === "upload") {
      sig = `u|${entry.data.state}`;
      if (sig !== entry.sig) body = uploadTile(entry);
      el.setAttribute("aria-label", entry.data.fileName || "");
    } else {
      const m = entry.data;
      const gap = gapUntil.get(m.mediaId);
      const inGap = gap && Date.now() < gap;
      const hasUrl = urls.has(m.mediaId);
      sig = `${m.status}|${m.progress}|${m.title}|${m.error}|${inGap}|${hasUrl}`;
      if (sig !== entry.sig) {
        if (m.status === "SUCCESSFUL") body = inGap || !hasUrl ? h("div", { class: "blank-tile" }) : videoTile(entry);
        else if (m.status === "FAILED") body = errorTile(m);
        else body = pendingTile(m);
      }
      el.setAttribute("aria-label", m.title || "");
    }
    if (body) { entry.sig = sig; entry.revealed = false; el.replaceChildren(body); }
  }

  // ---- hover: a real pointer move reveals the toolbar; the <video> lives only while hovered --------
  function wireHover(entry) {
    const el = entry.el;
    let firstPos = null;
    el.addEventListener("mouseenter", (ev) => {
      firstPos = [ev.clientX, ev.clientY];
      const m = entry.data;
      const u = urls.get(m.mediaId);
      const tile = el.querySelector(".video-tile");
      if (m.status === "SUCCESSFUL" && u && tile && !tile.querySelector("video")) {
        tile.append(h("video", { class: "hover-video", src: u.previewUrl || u.videoUrl, muted: true, loop: true, autoplay: true, playsinline: true }));
      }
    });
    el.addEventListener("mousemove", (ev) => {
      if (!firstPos) { firstPos = [ev.clientX, ev.clientY]; return; }
      // Playwright's hover() sends a single move to the centre; a real pointer moves on.
      if (ev.clientX === firstPos[0] && ev.clientY === firstPos[1]) return;
      if (entry.data.status !== "SUCCESSFUL" || !el.querySelector(".video-tile") || el.querySelector("flow-hotbar-container")) return;
      el.querySelector(".video-tile").append(hotbar(entry));
    });
    el.addEventListener("mouseleave", () => {
      firstPos = null;
      for (const v of el.querySelectorAll("video")) v.remove();
      for (const b of el.querySelectorAll("flow-hotbar-container")) b.remove();
    });
    el.addEventListener("click", () => {
      if (entry.data.status === "SUCCESSFUL") location.href = `/project/${projectId}/edit/${entry.data.mediaId}`;
    });
  }

  function hotbar(entry) {
    const m = entry.data;
    const more = h("button", { type: "button", class: "mdc-icon-button hotbar-button", "aria-label": t("more"),
      "aria-haspopup": "menu", "aria-expanded": "false",
      onclick: (ev) => { ev.stopPropagation(); tileMenu(ev.currentTarget, m); } }, icon("more_vert"));
    return h("flow-hotbar-container", {}, h("div", { class: "hotbar-inner" }, h("flow-video-hotbar", {},
      h("button", { type: "button", class: "mdc-icon-button hotbar-button", "aria-label": t("favorite"),
        onclick: (ev) => { ev.stopPropagation(); ev.currentTarget.classList.toggle("favorited"); } }, icon("favorite")),
      h("button", { type: "button", class: "mdc-icon-button hotbar-button", "aria-label": t("reuse_prompt"),
        onclick: (ev) => { ev.stopPropagation(); onReuse && onReuse(m.prompt); } }, icon("redo")),
      more)));
  }

  function tileMenu(anchor, m) {
    const menu = openMenu(anchor, [
      { text: t("download"), icon: "download", haspopup: true, keepOpen: true, onclick: () => menu.setItems(sizeItems(m)) },
      { text: t("delete"), icon: "delete", onclick: () => del(m) },
    ], { place: "below-right" });
  }

  // ---- layout ---------------------------------------------------------------------------------
  function layout() {
    const list = sorted();
    empty.hidden = list.length > 0;
    for (const e of list) renderEntry(e);
    const rows = [];
    for (let i = 0; i < list.length; i += PER_ROW) rows.push(list.slice(i, i + PER_ROW));
    const virtual = list.length > num("virtualise_after", 8);
    inner.style.height = `${rows.length * ROW_H}px`;
    let firstRow = 0;
    let lastRow = rows.length - 1;
    if (virtual) {
      firstRow = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - 1);
      lastRow = Math.min(rows.length - 1, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW_H));
    }
    const sig = `${firstRow}-${lastRow}|${list.map((e) => e.key).join(",")}`;
    if (sig === layoutSig) return;
    layoutSig = sig;
    const existing = new Map([...inner.children].map((r) => [r.dataset.row, r]));
    const keep = new Set();
    for (let i = firstRow; i <= lastRow; i++) {
      let row = existing.get(String(i));
      if (!row) { row = h("div", { class: "tile-row", "data-row": i }); inner.append(row); }
      row.style.top = `${i * ROW_H}px`;
      keep.add(row);
      const els = rows[i].map((e) => e.el);
      if (els.length !== row.children.length || els.some((el, k) => row.children[k] !== el)) row.replaceChildren(...els);
    }
    for (const row of [...inner.children]) if (!keep.has(row)) row.remove();
  }
  scroller.addEventListener("scroll", () => layout());

  async function fetchUrls() {
    const want = [...entries.values()].filter((e) => e.kind === "media" && e.data.status === "SUCCESSFUL"
      && !urls.has(e.key) && !asked.has(e.key)).map((e) => e.key);
    if (!want.length) return;
    want.forEach((id) => asked.add(id));
    // as29s is asked one id per call (as the real page does).
    await Promise.all(want.map(async (id) => {
      const res = await rpc("as29s", W.mediaRequest(id));
      if (!res.error) {
        const clip = W.record(res);
        if (clip.videoUrl) urls.set(id, clip);
      }
      asked.delete(id);
    }));
    layout();
  }

  return {
    el: scroller, scroller,
    /** Clips from a submit or poll reply (in any order); `initial`: the poll right after the
     * page loaded (a clip already done then gets the opaque thumbnail). Nothing is removed. */
    update(media, { initial = false } = {}) {
      for (const m of media) {
        if (!firstSeen.has(m.mediaId)) firstSeen.set(m.mediaId, initial ? m.status : "NEW");
        const prev = entries.get(m.mediaId);
        if (m.status === "SUCCESSFUL" && (!prev || prev.data.status !== "SUCCESSFUL") && firstSeen.get(m.mediaId) !== "SUCCESSFUL") {
          const ms = blankGap();
          gapUntil.set(m.mediaId, Date.now() + ms);
          setTimeout(() => layout(), ms + 5);
        }
        if (prev) prev.data = { ...m, title: m.title || prev.data.title };
        else entries.set(m.mediaId, { key: m.mediaId, kind: "media", order: m.createdAt || 0, data: m });
      }
      layout();
      fetchUrls();
    },
    /** The load's first poll is over. */
    initialDone() { layout(); },
    /** Clips the page still waits for (not done, not failed): what jwpduf asks about. */
    waiting() {
      return [...entries.values()].filter((e) => e.kind === "media" && !["SUCCESSFUL", "FAILED"].includes(e.data.status))
        .map((e) => e.key);
    },
    /** A clip Flow no longer has. */
    remove(mediaId) { entries.delete(mediaId); layout(); },
    /** True when the grid shows this clip. */
    has(mediaId) { return entries.has(mediaId); },
    /** Every clip the grid shows. */
    mediaIds() { return [...entries.values()].filter((e) => e.kind === "media").map((e) => e.key); },
    /** An upload the page is sending (title only, 99%, until the library has it). */
    addUpload(asset) {
      entries.set(`upload:${asset.mediaId}`, { key: `upload:${asset.mediaId}`, kind: "upload", order: Date.now() / 1000, data: asset });
      layout();
    },
    /** An upload that was refused (or abandoned): its tile goes. */
    removeUpload(mediaId) { entries.delete(`upload:${mediaId}`); layout(); },
    /** The upload reply named the media id of the tile sent as `temp`. */
    replaceUpload(temp, asset) {
      const old = entries.get(`upload:${temp}`);
      entries.delete(`upload:${temp}`);
      const key = `upload:${asset.mediaId}`;
      const entry = { key, kind: "upload", order: old ? old.order : Date.now() / 1000, data: { ...(entries.get(key) || {}).data, ...asset } };
      if (old) { entry.el = old.el; entry.sig = old.sig; }
      if (entries.has(key) && entries.get(key).data.state === "READY") entry.data.state = "READY";
      entries.set(key, entry);
      layout();
    },
    /** Assets the library lists: uploads become image tiles once READY (`add`: also tiles
     * the grid does not show yet). */
    uploadsReady(assets, { add = true } = {}) {
      for (const a of assets) {
        const key = `upload:${a.mediaId}`;
        const e = entries.get(key);
        if (e) e.data = { ...e.data, ...a };
        else if (add) entries.set(key, { key, kind: "upload", order: 0, data: a });
      }
      layout();
    },
    /** Upload tiles still waiting for the library. */
    pendingUploads() { return [...entries.values()].filter((e) => e.kind === "upload" && e.data.state !== "READY").length; },
  };
}

/** The size submenu of a finished clip (tile menu and edit view). */
export function sizeItems(m) {
  const name = (m.title || m.mediaId).replace(/[^\w.-]+/g, "_");
  return [
    { text: t("gif"), icon: "gif_box", onclick: () => saveAs(`/fx-content/download/${m.mediaId}?size=270p`) },
    { text: t("s720"), icon: "capture", onclick: () => saveAs(`/fx-content/download/${m.mediaId}?size=720p`) },
    { text: t("s1080"), icon: "aspect_ratio", onclick: () => upscale(m.mediaId, "1080p", name) },
    { text: t("s4k"), icon: "4k", disabled: account.plan !== "ultra", badge: account.plan === "ultra" ? "50" : null,
      onclick: () => upscale(m.mediaId, "4K", name) },
  ];
}

/** Ask for an upscale until it is ready, then save it as a blob download. */
async function upscale(mediaId, size, name) {
  snack(t("upscaling"));
  for (;;) {
    const res = await rpc("Qq9xPa", { mediaId, size });
    if (res.error) { snack(res.error.message || t("generic_error")); return; }
    if (res.state === "READY" && res.url) {
      // FLOW_2026 §9: the upscaled file arrives as a blob download.
      const blob = await (await fetch(res.url, { credentials: "same-origin" })).blob();
      const href = URL.createObjectURL(blob);
      saveAs(href, `${name}_${size}.mp4`);
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
      return;
    }
    await sleep(num("poll_ms", 5000));
  }
}
