// The prompt box of a project (FLOW_2026 §4–§7): editor, Start/End chips and the library picker,
// the settings popover of Material toggle radios, the model menu, the live price, the Agent chip,
// and the submit that picks its rpc from what is bound (an empty Frames submit is text-to-video).
import { account, boot, cfg, h, icon, iconButton, num, openMenu, openOverlay, rpc, snack, t } from "./core.js";
import { RichEditor } from "./editor.js";
import * as W from "./wire.js";

const ASPECT_ICON = { "16:9": "crop_16_9", "9:16": "crop_9_16", "4:3": "crop_landscape", "1:1": "crop_square", "3:4": "crop_portrait" };
let groupCounter = 0; // Material's auto counter for toggle group names: never stable

function catalog() { return boot.catalog || {}; }
function models() { return boot.models || Object.keys(catalog()); }

/** The settings a model starts with after a change (flowsim: 8 s if offered, 720p if offered). */
function modelDefaults(model) {
  const c = catalog()[model] || { durations: [8], resolutions: ["720p"] };
  const durations = c.durations || [8];
  const resolutions = c.resolutions || ["720p"];
  return {
    duration: durations.includes(8) ? 8 : durations[durations.length - 1],
    resolution: resolutions.includes("720p") ? "720p" : resolutions[0],
  };
}

/** How many images the model takes as ingredients (October's models 3, Omni 1.2 7). */
function maxRefs(model) { return (catalog()[model] || {}).maxRefs || 3; }

/** The longest start + end clip of the model (Omni 1.2: 10 s), or null. */
function flMax(model) { return (catalog()[model] || {}).flMaxSeconds || null; }

/** The composer: returns {el, state, setCredits, onSubmitted}. */
export function Composer({ projectId, onSubmitted }) {
  // A new project starts with the build's default model (boot.defaultModel).
  const first = models().includes(boot.defaultModel) ? boot.defaultModel : models()[0];
  const S = {
    media: "video", mode: account.framesMode === "ingredients" ? "ingredients" : "frames",
    aspect: "16:9", imageAspect: "16:9", model: first, ...modelDefaults(first), count: 1,
    start: null, end: null, refs: [], agent: !!(account.agentOnly || account.agentChip),
    credits: typeof account.credits === "number" ? account.credits : 0,
    submits: 0, inflight: false, swallowArmed: false, enabled: false,
    // price_after_hover (FLOW_2026 §5, L): the live price stays empty until the pointer has
    // been near the submit button once on this page.
    priceSeen: !cfg.price_after_hover,
  };
  let livePrice = null; // refreshes the open popover's price
  const ignoredOnce = new Set(); // radio_ignore_first: radios that already ate their first click
  const root = h("flow-prompt-box", { class: "prompt-box-container" });
  let summaryTimer = null;
  let enableTimer = null;
  let settingsPane = null;

  const editor = RichEditor({
    placeholder: t("placeholder"),
    onChange: (text) => {
      clearTimeout(enableTimer);
      if (!text.trim()) { S.enabled = false; renderSubmit(); return; }
      // The submit button enables about 100 ms after text lands (FLOW_2026 §4).
      enableTimer = setTimeout(() => { S.enabled = !!editor.text().trim(); renderSubmit(); }, 100);
    },
    onEnter: (trusted) => submit(trusted),
    // FLOW_2026 §6: `@` opens the same asset picker as Add ingredients (flowsim: in the
    // Ingredients input mode only, where references mean something).
    onMention: (insert) => {
      if (S.agent || S.media !== "video" || S.mode !== "ingredients") return;
      openPicker(null, editor.el, insert);
    },
  });

  // ---- price --------------------------------------------------------------------------------
  function price() {
    const c = catalog()[S.model];
    if (!c || !c.prices) return 0;
    const each = c.prices[`${S.duration}/${S.resolution}`];
    return (typeof each === "number" ? each : 0) * S.count;
  }

  // ---- the closed trigger's summary (lags the popover: FLOW_2026 §5) -------------------------
  const summary = h("span", { class: "settings-summary" });
  function summaryParts() {
    if (S.media === "image") return [`Nano Banana 2 · `, icon(ASPECT_ICON[S.imageAspect] || "crop_16_9"), ` x${S.count}`];
    return [`${t("video")} · ${S.resolution} · ${t("seconds", { n: S.duration })} `, icon(ASPECT_ICON[S.aspect]), ` x${S.count}`];
  }
  function updateSummary() {
    clearTimeout(summaryTimer);
    const parts = summaryParts();
    summaryTimer = setTimeout(() => summary.replaceChildren(...parts), num("summary_lag_ms", 400));
  }
  summary.replaceChildren(...summaryParts());

  const trigger = h("button", { type: "button", class: "settings-trigger-button mdc-button",
    "aria-label": t("settings_trigger"), "aria-haspopup": "dialog", onclick: (ev) => openSettings(ev) }, summary,
  icon("arrow_drop_down"));

  // ---- submit control -------------------------------------------------------------------------
  const submitSlot = h("div", { class: "submit-slot" });
  function renderSubmit() {
    let ctl;
    if (S.inflight && S.agent) {
      ctl = h("flow-stop-icon-button", {}, h("button", { type: "button", class: "stop-button mdc-icon-button",
        "aria-label": t("stop") }, icon("stop")));
    } else if (!S.agent && S.media === "video" && S.credits < price()) {
      ctl = h("button", { type: "button", class: "prompt-warning-button mdc-button",
        "aria-label": t("insufficient"), onclick: () => snack(t("insufficient_snack")) }, icon("warning"));
    } else {
      const disabled = !S.enabled || S.inflight;
      // page_drift (Flow's next build): another wrapper; the button itself is unchanged.
      const wrapper = cfg.page_drift ? "flow-submit-button" : "flow-generate-icon-button";
      // The page (Angular) updates the button it has in place: a new element at every enable
      // toggle (100 ms after each edit) would swallow a click whose press and release fell on
      // either side of the swap, which the real page never does.
      const current = submitSlot.firstElementChild;
      if (current && current.localName === wrapper && current.firstElementChild) {
        current.firstElementChild.disabled = disabled;
        clearBtn.hidden = !editor.text();
        return;
      }
      ctl = h(wrapper, {}, h("button", {
        type: "submit", class: "generate-icon-button mdc-icon-button", "aria-label": t("start_generation"),
        disabled, onclick: (ev) => { ev.preventDefault(); submit(ev.isTrusted); },
      }, icon("arrow_forward")));
    }
    submitSlot.replaceChildren(ctl);
    clearBtn.hidden = !editor.text();
  }
  const clearBtn = iconButton("close", t("clear_prompt"), () => editor.clear(), "clear-button clear-prompt-button");

  // ---- the Start/End chips and the library picker --------------------------------------------
  /** False while the duration is over what start + end frames allow (Omni 1.2: 10 s): the End
   * chip is disabled then (flowsim's choice; FLOW_2026 Dec. 2: 11-15 s take a start frame only). */
  function endAllowed() {
    const top = flMax(S.model);
    return !top || S.duration <= top;
  }

  function chip(slot) {
    const bound = S[slot];
    const name = slot === "start" ? t("start") : t("end");
    if (!bound) {
      const off = slot === "end" && !endAllowed();
      return h("div", { class: "frame-trigger" }, h("button", { type: "button", class: "empty-chip mdc-button",
        disabled: off, "aria-disabled": off ? "true" : null, title: off ? t("end_frame_limit", { n: flMax(S.model) }) : null,
        onclick: (ev) => openPicker(slot, ev.currentTarget) }, icon("add"), h("span", {}, name)));
    }
    return h("div", { class: "frame-trigger" }, boundChip(bound, slot === "start" ? t("start_frame") : t("end_frame"),
      (ev) => openPicker(slot, ev.currentTarget), () => { S[slot] = null; render(); }));
  }

  /** A bound image chip (frames and ingredients alike): the image, and a `cancel` icon over it
   * on hover that removes it (the markup public tools dumped from the real page). */
  function boundChip(asset, aria, onclick, onremove) {
    const overlay = h("div", { class: "hover-icon-overlay", "aria-label": t("remove"),
      onclick: (ev) => { ev.stopPropagation(); onremove(); } }, icon("cancel"));
    return h("flow-image-ingredient-chip", {},
      h("button", { type: "button", class: "chip-container", "aria-label": aria, "aria-busy": "false", onclick },
        h("div", { class: "chip-image-wrapper" }, h("img", { class: "chip-image", src: asset.thumbnailUrl, alt: asset.fileName })),
        overlay));
  }

  /** Every reference of an Ingredients submit: the bound chips, then the @ mentions. */
  function references() {
    const ids = [...S.refs.map((r) => r.mediaId), ...editor.mentions()];
    return [...new Set(ids)];
  }

  function openPicker(slot, anchor, mention = null) {
    let tab = "dashboard"; // the ingredients picker's category tab
    const search = h("input", { type: "text", class: "search-input asset-search-input", placeholder: t("search_assets"),
      "aria-label": t("search_assets"), autocomplete: "off", cdkfocusinitial: true });
    const list = h("div", { role: "listbox", "aria-label": t("asset_list"), class: "asset-list" });
    const detail = h("flow-add-menu-detail-pane", { class: "asset-detail" });
    const content = h("flow-add-menu-popover-content", { class: "add-menu-popover add-menu-popover-container" },
      h("h2", { class: "popover-heading" }, slot ? t("select_frame") : t("select_ingredient")),
      h("div", { class: "search-row" }, icon("search"), search),
      !slot ? h("button", { type: "button", class: "upload-media-button sidebar-upload-btn mdc-button",
        onclick: () => { ov.close(); document.dispatchEvent(new CustomEvent("flowsim-upload")); } },
      icon("upload"), t("upload_media")) : null,
      !slot ? tabs() : null,
      h("cdk-virtual-scroll-viewport", { class: "cdk-virtual-scroll-viewport asset-list-viewport" }, list), detail);
    // The Add ingredients trigger shows that its picker is open (public DOM dumps: aria-expanded,
    // `add-menu-trigger-active`, the ligature turns to `close`).
    const trig = anchor && anchor.classList && anchor.classList.contains("add-menu-trigger") ? anchor : null;
    const setOpen = (open) => {
      if (!trig) return;
      trig.setAttribute("aria-expanded", String(open));
      trig.classList.toggle("add-menu-trigger-active", open);
      const ic = trig.querySelector("mat-icon");
      if (ic) ic.textContent = open ? "close" : "add";
    };
    const ov = openOverlay({ content, anchor, place: "above", paneClass: "picker-pane", onClose: () => setOpen(false) });
    setOpen(true);
    function tabs() {
      // Category tabs of the ingredients picker (public dumps; flowsim's library holds only
      // uploaded images, so All, Images and Uploads list them and the others are empty).
      const kinds = [["dashboard", "tab_all"], ["image", "tab_images"], ["videocam", "tab_videos"],
        ["voice_selection", "tab_voices"], ["accessibility_new", "tab_characters"], ["face", "tab_avatars"],
        ["drive_folder_upload", "tab_uploads"]];
      const bar = h("div", { class: "picker-sidebar", role: "tablist" });
      const items = kinds.map(([lig, key]) => h("mat-list-item", { role: "tab", class: `mat-mdc-list-item side-nav-list-item${lig === tab ? " side-nav-list-item-active" : ""}`,
        "aria-selected": String(lig === tab), tabindex: "0", onclick: () => {
          tab = lig;
          for (const it of items) {
            const on = it._lig === lig;
            it.setAttribute("aria-selected", String(on));
            it.classList.toggle("side-nav-list-item-active", on);
          }
          draw();
        } }, h("span", { class: "mdc-list-item__start" }, icon(lig)),
      h("span", { class: "mdc-list-item__content" }, h("span", { class: "mdc-list-item__primary-text" }, t(key)))));
      items.forEach((it, i) => { it._lig = kinds[i][0]; });
      bar.append(...items);
      return bar;
    }
    let assets = [];
    let seq = 0;
    async function load() {
      const mine = ++seq;
      const res = await rpc("Vz7tGb", { projectId, query: search.value.trim() });
      if (mine !== seq || ov.closed) return;
      assets = (res && res.assets) || [];
      draw();
    }
    function bind(asset) {
      const chosen = { mediaId: asset.mediaId, fileName: asset.fileName, thumbnailUrl: asset.thumbnailUrl };
      if (!slot) {
        ov.close();
        const known = references().includes(asset.mediaId);
        const most = maxRefs(S.model);
        if (!known && references().length >= most) { snack(t("too_many_ingredients", { n: most })); return; }
        if (mention) { mention(chosen); return; }
        if (!S.refs.some((r) => r.mediaId === asset.mediaId)) S.refs.push(chosen);
        render();
        return;
      }
      S[slot] = chosen;
      ov.close();
      render();
    }
    function preview(asset) {
      for (const o of list.children) {
        o.setAttribute("aria-selected", String(o._key === asset.mediaId));
        o.classList.toggle("asset-item-active", o._key === asset.mediaId);
      }
      detail.replaceChildren(
        asset.state === "READY" ? h("img", { class: "detail-preview-image detail-image", src: asset.thumbnailUrl, alt: asset.fileName })
          : h("div", { class: "detail-uploading" }, t("uploading")),
        h("div", { class: "detail-name" }, asset.fileName),
        h("button", { type: "button", class: "detail-add-to-prompt-btn mdc-button", onclick: () => {
          if (asset.state !== "READY") {
            // FLOW_2026 §6: "Add to prompt" while Uploading… binds a different image, silently.
            const other = assets.find((a) => a.state === "READY" && a.mediaId !== asset.mediaId);
            if (other) bind(other); else ov.close();
            return;
          }
          bind(asset);
        } }, t("add_to_prompt")));
    }
    function draw() {
      const shown = ["dashboard", "image", "drive_folder_upload"].includes(tab) ? assets : [];
      if (!shown.length) { list.replaceChildren(h("div", { class: "asset-empty" }, t("no_assets"))); return; }
      list.replaceChildren(...shown.map((a) => h("button", {
        type: "button", role: "option", class: "asset-item", "aria-selected": "false",
        onclick: () => {
          if (cfg.picker_mode === "preview") { preview(a); return; }
          if (a.state !== "READY") return; // still uploading: a click does nothing
          bind(a);
        },
      }, a.state === "READY" ? h("img", { class: "asset-thumb asset-thumbnail-image", src: a.thumbnailUrl, alt: "" })
        : h("div", { class: "asset-thumb uploading" }, icon("progress_activity")),
      h("span", { class: "asset-name asset-title" }, a.state === "READY" ? a.fileName : t("uploading")))));
      // The key stays in JS: the picker DOM carries no media id (FLOW_2026 §6).
      [...list.children].forEach((o, i) => { o._key = shown[i].mediaId; });
    }
    let debounce = null;
    search.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(load, 300); });
    load();
    setTimeout(() => search.focus(), 0);
  }

  // ---- settings popover -----------------------------------------------------------------------
  function radioGroup(key, options, current, onPick) {
    const name = `mat-button-toggle-group-${++groupCounter}`;
    const group = h("mat-button-toggle-group", { role: "radiogroup", name, class: `mat-button-toggle-group group-${key}`,
      "aria-label": t(`g_${key}`) });
    for (const opt of options) {
      const checked = opt.value === current;
      const btn = h("button", { type: "button", role: "radio", name, "aria-checked": String(checked),
        class: "mat-button-toggle-button mat-focus-indicator", tabindex: checked ? "0" : "-1",
        onclick: (ev) => {
          const id = `${key}:${opt.value}`;
          if (cfg.radio_ignore_first && !ignoredOnce.has(id) && !checked0()) {
            ignoredOnce.add(id); // FLOW_2026 §5: a radio sometimes ignores a click
            return;
          }
          for (const b of group.querySelectorAll("button[role=radio]")) {
            const on = b === ev.currentTarget;
            b.setAttribute("aria-checked", String(on));
            b.tabIndex = on ? 0 : -1;
            b.parentElement.classList.toggle("mat-button-toggle-checked", on);
          }
          onPick(opt.value);
        } }, h("span", { class: "mat-button-toggle-label-content" }, opt.icon ? icon(opt.icon) : null, opt.label));
      const checked0 = () => btn.getAttribute("aria-checked") === "true";
      group.append(h("mat-button-toggle", { class: `mat-button-toggle${checked ? " mat-button-toggle-checked" : ""}` }, btn));
    }
    // Each group sits in its own `flow-toggles` component (public tools count them).
    return h("flow-toggles", {}, group);
  }

  function openSettings(ev) {
    if (S.swallowArmed) {
      // FLOW_2026 §5: from the second generation on, the first trigger click is swallowed.
      S.swallowArmed = false;
      return;
    }
    if (settingsPane && !settingsPane.closed) return;
    const body = h("flow-prompt-box-settings", { class: "prompt-box-settings" });
    const priceLink = h("a", { class: "credit-cost-link", href: "#", onclick: (e) => e.preventDefault() });
    let modelBtnText = null;
    let rerenderTimer = null;
    function changed() {
      priceLink.textContent = S.priceSeen ? t("credits_cost", { n: price() }) : "";
      updateSummary();
      if (endAllowed() !== S.endAllowed) render(); // the End chip follows the duration
      renderSubmit();
    }
    function draw() {
      const c = catalog()[S.model] || {};
      const rows = [];
      rows.push(radioGroup("media", [{ value: "image", label: t("image"), icon: "image" },
        { value: "video", label: t("video"), icon: "videocam" }], S.media, (v) => { S.media = v; draw(); render(); changed(); }));
      if (S.media === "video") {
        rows.push(radioGroup("mode", [{ value: "frames", label: t("frames"), icon: "crop_free" },
          { value: "ingredients", label: t("ingredients"), icon: "chrome_extension" }], S.mode, (v) => {
          S.mode = v;
          if (cfg.remember_frames_mode !== false) rpc("Lm2sRd", { op: "frames_mode", value: v });
          draw(); render(); changed();
        }));
        rows.push(radioGroup("aspect", [{ value: "16:9", label: "16:9", icon: "crop_16_9" },
          { value: "9:16", label: "9:16", icon: "crop_9_16" }], S.aspect, (v) => { S.aspect = v; changed(); }));
        modelBtnText = h("span", { class: "model-select-trigger-content" }, S.model);
        const modelBtn = h("button", { type: "button", class: "model-select-trigger mat-mdc-menu-trigger mdc-button",
          "aria-label": t("select_model"), "aria-haspopup": "menu", "aria-expanded": "false" },
        modelBtnText, icon("arrow_drop_down"));
        modelBtn.addEventListener("click", () => {
          const items = () => models().map((m) => ({
            text: m, icon: m === S.model ? "check" : null, keepOpen: true,
            onclick: () => { pickModel(m); menu.setItems(items()); },
          }));
          const menu = openMenu(modelBtn, items(), { panelClass: "flow-model-picker-panel", place: "side" });
        });
        // configure(model_picker_hidden): on some pages the model row is there but hidden
        // (FLOW_2026 Dec. 7): submits go out with the project's default model.
        rows.push(h("div", { class: "model-row", hidden: !!cfg.model_picker_hidden }, h("span", { class: "row-label" }, t("model")), modelBtn));
        rows.push(...modelRows(c));
      } else {
        rows.push(radioGroup("aspect", ["16:9", "4:3", "1:1", "3:4", "9:16"].map((a) => ({ value: a, label: a, icon: ASPECT_ICON[a] })),
          S.imageAspect, (v) => { S.imageAspect = v; changed(); }));
        rows.push(h("div", { class: "model-row" }, h("span", { class: "row-label" }, t("model")),
          h("button", { type: "button", class: "model-select-trigger mat-mdc-menu-trigger mdc-button", "aria-label": t("select_model"), "aria-haspopup": "menu" },
            h("span", { class: "model-select-trigger-content" }, "Nano Banana 2"), icon("arrow_drop_down"))));
        rows.push(radioGroup("count", [1, 2, 3, 4].map((n) => ({ value: n, label: `x${n}` })), S.count, (v) => { S.count = v; changed(); }));
      }
      rows.push(h("flow-credit-cost-label", {}, priceLink));
      body.replaceChildren(...rows);
      changed();
    }
    function modelRows(c) {
      const rows = [];
      const res = c.resolutions || ["720p"];
      const durs = c.durations || [8];
      if (res.length > 1) rows.push(radioGroup("resolution", res.map((r) => ({ value: r, label: r })), S.resolution, (v) => { S.resolution = v; changed(); }));
      if (c.slider) rows.push(durationSlider(c));
      else if (durs.length > 1) rows.push(radioGroup("duration", durs.map((d) => ({ value: d, label: t("seconds", { n: d }) })), S.duration, (v) => { S.duration = v; changed(); }));
      rows.push(radioGroup("count", [1, 2, 3, 4].map((n) => ({ value: n, label: `x${n}` })), S.count, (v) => { S.count = v; changed(); }));
      return rows.map((r) => { r.classList.add("model-dependent"); return r; });
    }
    /**
     * Omni 1.2's duration row (FLOW_2026 Dec. 3): an Angular Material `mat-slider` whose native
     * `input[type=range]` lies over the track. A trusted click or drag on the track and the
     * keyboard (arrows, Home/End, PageUp/PageDown) move it natively and fire input/change; the
     * component keeps its own value (S.duration) and writes it back into the input about every
     * 100 ms and on blur, so a value set on the input without input/change events does not stick.
     */
    function durationSlider(c) {
      const durs = c.durations || [8];
      const min = durs[0];
      let max = durs[durs.length - 1];
      // An end frame bound: start + end take at most flMaxSeconds (flowsim's choice).
      if (S.mode === "frames" && S.end && c.flMaxSeconds) max = Math.min(max, c.flMaxSeconds);
      if (S.duration > max) S.duration = max;
      if (S.duration < min) S.duration = min;
      const input = h("input", { type: "range", class: "mdc-slider__input", matsliderthumb: "", min, max, step: 1,
        value: S.duration, "aria-label": t("g_duration") });
      const valueText = h("span", { class: "mdc-slider__value-indicator-text" });
      const label = h("span", { class: "duration-value" });
      const fill = h("div", { class: "mdc-slider__track--active_fill" });
      const thumb = h("div", { class: "mdc-slider__thumb mat-mdc-slider-visual-thumb" },
        h("div", { class: "mdc-slider__value-indicator-container" }, h("div", { class: "mdc-slider__value-indicator" }, valueText)),
        h("div", { class: "mdc-slider__thumb-knob" }));
      const slider = h("mat-slider", { class: "mat-mdc-slider mdc-slider mdc-slider--discrete duration-slider",
        min, max, step: 1, discrete: "" },
      h("div", { class: "mdc-slider__track" }, h("div", { class: "mdc-slider__track--inactive" }),
        h("div", { class: "mdc-slider__track--active" }, fill)), thumb, input);
      function paint() {
        const frac = max > min ? (S.duration - min) / (max - min) : 0;
        fill.style.transform = `scaleX(${frac})`;
        thumb.style.left = `calc(10px + (100% - 20px) * ${frac})`;
        const text = t("seconds", { n: S.duration });
        valueText.textContent = text;
        label.textContent = text;
        input.setAttribute("value", String(S.duration));
        input.setAttribute("aria-valuetext", text);
      }
      function fromInput() {
        const v = Math.round(Number(input.value));
        if (!Number.isFinite(v)) { sync(); return; }
        const clamped = Math.max(min, Math.min(max, v));
        if (clamped !== S.duration) { S.duration = clamped; paint(); changed(); }
        sync();
      }
      // Angular's change detection: the component's value wins over an input written silently.
      function sync() { if (input.value !== String(S.duration)) input.value = String(S.duration); }
      input.addEventListener("input", fromInput);
      input.addEventListener("change", fromInput);
      input.addEventListener("blur", sync);
      const timer = setInterval(() => {
        if (!input.isConnected) { clearInterval(timer); return; }
        sync();
      }, 100);
      paint();
      const group = h("div", { class: "duration-row", role: "group", "aria-label": t("g_duration") },
        h("span", { class: "row-label" }, t("g_duration")), slider, label);
      return h("flow-duration-slider", {}, group);
    }

    function pickModel(m) {
      if (m === S.model) return;
      S.model = m;
      if (modelBtnText) modelBtnText.textContent = m;
      const defaults = modelDefaults(m);
      // FLOW_2026 §5: the other groups re-render asynchronously; clicks in between are lost.
      clearTimeout(rerenderTimer);
      rerenderTimer = setTimeout(() => {
        Object.assign(S, defaults);
        if (settingsPane.closed) { changed(); return; }
        for (const old of body.querySelectorAll(".model-dependent")) old.remove();
        const priceRow = body.querySelector("flow-credit-cost-label");
        for (const row of modelRows(catalog()[S.model] || {})) body.insertBefore(row, priceRow);
        changed();
      }, num("model_rerender_ms", 300));
      changed();
    }
    livePrice = changed;
    settingsPane = openOverlay({ content: body, anchor: trigger, place: "above", paneClass: "settings-pane",
      onClose: () => { trigger.setAttribute("aria-expanded", "false"); livePrice = null; } });
    trigger.setAttribute("aria-expanded", "true");
    draw();
  }

  // ---- the submit ------------------------------------------------------------------------------
  async function submit(trusted) {
    const prompt = editor.text();
    if (!prompt.trim() || S.inflight) return;
    if (!S.agent && S.media === "image") { snack(t("not_simulated")); return; }
    if (!S.agent && S.credits < price()) { snack(t("insufficient_snack")); return; }
    let model = S.model; let duration = S.duration; let resolution = S.resolution; let count = S.count;
    let kind = "t2v";
    if (S.agent) {
      const d = modelDefaults(model); duration = d.duration; resolution = d.resolution; count = 1;
    } else if (S.mode === "frames" && S.start) {
      kind = S.end ? "fl" : "i2v";
    } else if (S.mode === "ingredients" && S.media === "video" && references().length) {
      kind = "r2v"; // Ingredients with references: MZZa6b (without any: text-to-video, billed)
    } // an empty Start chip in Frames goes out as text-to-video and is billed (FLOW_2026 §6)
    // The key names aspect, duration and resolution itself (the request has no other field
    // for them): the server renders the table, the page only looks it up.
    const keyOf = (m) => (((catalog()[m] || {}).keys || {})[kind] || {})[`${duration}/${resolution}/${S.aspect}`];
    let key = keyOf(model);
    const fallback = (catalog()[model] || {}).r2vFallback;
    if (!key && fallback && catalog()[fallback]) {
      // FLOW_2026 §5 (M): the chosen model lacks the feature; Flow silently uses a
      // compatible one (and bills it). Nothing on screen says so until the popover reopens.
      model = fallback; S.model = fallback; key = keyOf(model);
    }
    const refs = { t2v: null, i2v: S.start && [S.start.mediaId], fl: S.start && S.end && [S.start.mediaId, S.end.mediaId],
      r2v: references() }[kind];
    const { payload } = W.submitRequest({ projectId, runs: editor.runs(), refs, key, count,
      trusted, agent: S.agent });
    S.inflight = true; renderSubmit();
    // Armed at the click, not at the reply (which comes seconds later).
    S.submits += 1;
    if (cfg.trigger_swallow) S.swallowArmed = true;
    let res;
    try { res = await rpc(W.SUBMIT_RPC[kind], payload); } finally { S.inflight = false; }
    if (res.error) { snack(res.error.message || t("generic_error")); renderSubmit(); return; }
    const reply = W.submitReply(res);
    if (typeof reply.credits === "number") S.credits = reply.credits;
    renderSubmit();
    onSubmitted && onSubmitted(res);
  }

  // ---- layout -----------------------------------------------------------------------------------
  function render() {
    S.endAllowed = endAllowed();
    const controls = h("div", { class: "bottom-controls" });
    if (!S.agent && S.media === "video" && S.mode === "ingredients") {
      controls.append(h("flow-add-menu", {}, h("button", { type: "button", class: "add-menu-trigger mdc-icon-button",
        "aria-label": t("add_ingredients"), "aria-haspopup": "true", "aria-expanded": "false",
        onclick: (ev) => openPicker(null, ev.currentTarget) }, icon("add"))));
    }
    if (!account.agentOnly) {
      controls.append(h("flow-agent-mode-toggle-chip", {}, h("button", { type: "button", class: "agent-mode-chip mdc-button",
        "aria-pressed": String(S.agent), onclick: () => {
          S.agent = !S.agent;
          rpc("Lm2sRd", { op: "agent_chip", pressed: S.agent });
          render();
        } }, icon("auto_awesome"), h("span", {}, t("agent")))));
    }
    trigger.hidden = S.agent; // stays in the DOM with a bare `hidden` attribute (FLOW_2026 §4)
    const submitControls = h("div", { class: "submit-controls" }, trigger, submitSlot);
    submitSlot.onmouseenter = () => {
      if (S.priceSeen) return;
      S.priceSeen = true;
      if (livePrice) livePrice();
    };
    controls.append(h("div", { class: "spacer" }), clearBtn, submitControls);
    let box;
    if (S.agent) {
      box = h("flow-creative-agent-prompt-box", { class: "agent-prompt-box" }, editor.el, controls);
      editor.el.querySelector(".prosemirror-placeholder").textContent = t("agent_placeholder");
    } else {
      editor.el.querySelector(".prosemirror-placeholder").textContent = t("placeholder");
      let bar = null;
      if (S.media === "video" && S.mode === "frames") {
        bar = h("flow-ingredient-bar", { class: "prompt-ingredient-bar" }, chip("start"),
          iconButton("swap_horiz", t("swap"), () => { [S.start, S.end] = [S.end, S.start]; render(); }, "swap-frames-button"),
          chip("end"));
      } else if (S.media === "video" && S.mode === "ingredients" && S.refs.length) {
        bar = h("flow-ingredient-bar", { class: "prompt-ingredient-bar" }, h("div", { class: "ingredient-list" },
          S.refs.map((r) => boundChip(r, t("ingredient"), () => {}, () => {
            S.refs = S.refs.filter((x) => x.mediaId !== r.mediaId); render();
          }))));
      }
      box = h("flow-base-prompt-box", { class: "base-prompt-box" }, bar, editor.el, controls);
    }
    root.replaceChildren(box);
    renderSubmit();
  }
  render();

  return {
    el: root, state: S, editor,
    /** The balance changed (a poll, a refund). */
    setCredits(n) { if (n !== S.credits) { S.credits = n; renderSubmit(); } },
    /** Reuse prompt from a tile. */
    reuse(prompt) { editor.setText(prompt); },
  };
}
