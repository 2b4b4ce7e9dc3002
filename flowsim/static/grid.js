// The virtualised tile grid: one row per prompt (its outputs side by side), newest first.
// Only rows near the viewport exist in the DOM, so old tiles must be scrolled to.
"use strict";
(function () {
  const { h, icon } = FS;
  const ROW_H = 300;
  const OVERSCAN = 1;

  FS.Grid = function Grid(onRetry) {
    const list = h("div", { class: "grid-list", "data-testid": "virtuoso-item-list" });
    const scroller = h("div", { class: "grid-scroller", "data-testid": "virtuoso-scroller" }, list);
    const tileEls = new Map(); // tile_id -> element, kept while its row is rendered
    let rows = [];
    const upscaleWatch = new Map(); // tile_id -> "Upscaling…" toast

    function groupRows(tiles) {
      const out = [];
      for (const t of tiles) {
        const last = out[out.length - 1];
        if (last && last[0].batch_id === t.batch_id) last.push(t); else out.push([t]);
      }
      return out;
    }

    function render() {
      list.style.height = rows.length * ROW_H + "px";
      const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - OVERSCAN);
      const last = Math.min(rows.length - 1, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW_H) + OVERSCAN);
      const keep = new Set();
      for (let i = first; i <= last; i++) {
        let row = list.querySelector(`:scope > [data-index="${i}"]`);
        if (!row) {
          row = h("div", { class: "grid-row", "data-index": i, "data-item-index": i, "data-known-size": ROW_H });
          list.append(row);
        }
        row.style.top = i * ROW_H + "px";
        keep.add(row);
        const ids = rows[i].map((t) => t.tile_id);
        if ([...row.children].map((c) => c.dataset.tileId).join() !== ids.join()) {
          row.replaceChildren(...rows[i].map((t) => tileEl(t)));
        }
        rows[i].forEach((t) => updateTile(tileEls.get(t.tile_id), t));
      }
      for (const row of [...list.children]) if (!keep.has(row)) row.remove();
      for (const [id, el] of tileEls) if (!el.isConnected) tileEls.delete(id);
    }

    function tileEl(t) {
      let el = tileEls.get(t.tile_id);
      if (!el) { el = h("div", { class: "tile", "data-tile-id": t.tile_id }); tileEls.set(t.tile_id, el); }
      return el;
    }

    function updateTile(el, t) {
      const sig = [t.state, t.percent, t.error, FS.boot.variant].join("|");
      if (el.dataset.sig === sig) return;
      el.dataset.sig = sig;
      el.dataset.state = t.state;
      const parts = [];
      if (t.state === "pending" || t.state === "running" || (t.state === "failed" && t.percent !== null)) {
        // Flow keeps the spinner when a generation fails after its percentage started.
        parts.push(h("div", { class: "progress" }, icon("progress_activity", "spin"),
          t.percent !== null ? h("div", { class: "percent" }, t.percent + "%") : null));
      }
      if (t.state === "failed") {
        parts.push(h("div", { class: "fail-title" }, "Failed"), h("div", { class: "fail-reason" }, t.error),
          h("div", { class: "actions" }, h("button", { type: "button", onclick: () => onRetry(t.tile_id) }, icon("refresh"), h("span", {}, "Retry"))));
      }
      if (t.state === "done") {
        const video = h("video", { src: t.video_url, preload: "metadata", playsinline: true, muted: true });
        parts.push(video, h("div", { class: "actions" },
          h("button", { type: "button", onclick: () => (video.paused ? video.play() : video.pause()) }, icon("play_arrow")),
          h("span", { class: "duration" }, "0:08"),
          downloadButton(t)));
      }
      parts.push(h("div", { class: "tile-prompt" }, t.prompt), h("div", { class: "tile-model" }, t.model));
      el.replaceChildren(...parts);
    }

    function dl(t, quality) { FS.download(`/fx/api/tiles/${t.tile_id}/download?quality=${quality}`); }

    async function upscale(t) {
      if (t.upscale === "done") { dl(t, "1080p"); return; }
      if (!upscaleWatch.has(t.tile_id)) upscaleWatch.set(t.tile_id, FS.toast("Upscaling your video\u2026", { sticky: true }));
      await FS.api("POST", `/fx/api/tiles/${t.tile_id}/upscale`);
    }

    function upgrade() { FS.toast("Upscaling to 4K is available with Google AI Ultra. Upgrade to continue."); }

    function downloadButton(t) {
      if (FS.boot.variant === "feb2026") {
        const btn = h("button", { type: "button", "aria-haspopup": "menu", "aria-expanded": "false" }, icon("more_vert"));
        btn.addEventListener("click", () => FS.menu(btn, [
          { icon: "download", label: "Download", submenu: () => [
            { label: "720p", onClick: () => dl(t, "720p") },
            { label: "1080p", onClick: () => upscale(current(t)) },
            { label: "4K", badge: "Upgrade", onClick: upgrade }] },
          { icon: "link", label: "Copy link", onClick: () => FS.toast("Link copied") }]));
        return btn;
      }
      const btn = h("button", { type: "button", "aria-haspopup": "menu", "aria-expanded": "false" }, icon("download"), h("span", {}, "Download"));
      btn.addEventListener("click", () => FS.menu(btn, [
        { icon: "gif_box", label: "Animated GIF (270p)", onClick: () => dl(t, "270p") },
        { icon: "capture", label: "Original size (720p)", onClick: () => dl(t, "720p") },
        { icon: "aspect_ratio", label: "Upscaled (1080p)", onClick: () => upscale(current(t)) },
        { icon: "4k", label: "Upscaled (4K)", badge: "Upgrade", onClick: upgrade }]));
      return btn;
    }

    let byId = new Map();
    const current = (t) => byId.get(t.tile_id) || t;

    function update(tiles) {
      byId = new Map(tiles.map((t) => [t.tile_id, t]));
      rows = groupRows(tiles);
      for (const [id, toast] of upscaleWatch) {
        const t = byId.get(id);
        if (t && t.upscale === "done") {
          upscaleWatch.delete(id);
          toast.dismiss();
          FS.toast("Upscaling complete!", { sticky: true, actions: [
            { label: "Download", onClick: () => dl(t, "1080p") }, { label: "Dismiss" }] });
        }
      }
      render();
    }

    scroller.addEventListener("scroll", render, { passive: true });
    window.addEventListener("resize", render);
    return { el: scroller, update };
  };
})();
