// The project page's composer: mode, start/end frames (upload → crop → Notice), settings,
// a controlled prompt (state lives here, not in the DOM) and the Create button.
"use strict";
(function () {
  const { h, icon } = FS;
  const MODES = [
    { value: "Text to Video", label: "Text to Video", icon: "text_analysis" },
    { value: "Frames to Video", label: "Frames to Video", icon: "photo_spark" },
    { value: "Ingredients to Video", label: "Ingredients to Video", icon: "category" },
    { value: "Create Image", label: "Create Image", icon: "add_photo_alternate" },
  ];
  const ASPECTS = [{ value: "16:9", label: "Landscape (16:9)" }, { value: "9:16", label: "Portrait (9:16)" }];
  const OUTPUTS = [1, 2, 3, 4].map((n) => ({ value: n, label: String(n) }));
  const MODELS = ["Veo 3.1 - Fast", "Veo 3.1 - Quality", "Veo 2 - Fast"].map((m) => ({ value: m, label: m }));
  const DEFAULTS = { aspect: "16:9", outputs: 2 };
  const PLACEHOLDER = "Generate a video with text\u2026";

  FS.Composer = function Composer(projectId, onSubmitted) {
    const feb = FS.boot.variant === "feb2026";
    const S = { mode: "Text to Video", prompt: "", aspect: DEFAULTS.aspect, outputs: DEFAULTS.outputs,
      model: "Veo 3.1 - Fast", frames: { start: null, end: null }, credits: null, costs: null, busy: false };
    let slotTarget = "start";

    const fileInput = h("input", { type: "file", accept: "image/*", class: "hidden-input" });
    fileInput.addEventListener("change", () => {
      const file = fileInput.files[0];
      fileInput.value = "";
      if (file) acceptFile(file, slotTarget);
    });

    // ---- prompt: controlled, like a React input --------------------------------------
    let promptEl;
    if (feb) {
      promptEl = h("div", { contenteditable: "true", role: "textbox", "aria-multiline": "true",
        "aria-label": "Prompt", "data-placeholder": "What do you want to create?" });
      promptEl.addEventListener("input", () => { S.prompt = promptEl.innerText.replace(/\n$/, ""); renderActions(); });
    } else {
      promptEl = h("textarea", { id: "PINHOLE_TEXT_AREA_ELEMENT_ID", placeholder: PLACEHOLDER, rows: "2" });
      promptEl.addEventListener("input", () => { S.prompt = promptEl.value; renderActions(); });
    }
    function syncPrompt() {
      // Re-rendering restores the state's value: a .value set without an input event is lost.
      if (feb) { if (promptEl.innerText.replace(/\n$/, "") !== S.prompt) promptEl.textContent = S.prompt; }
      else if (promptEl.value !== S.prompt) promptEl.value = S.prompt;
    }

    // ---- mode and frames ----------------------------------------------------------------
    const modeBox = FS.combobox({ options: MODES, get: () => S.mode, onPick: (v) => { S.mode = v; renderFrames(); } });
    const framesRow = h("div", { class: "row frames" });
    function slotButton(which) {
      const media = S.frames[which];
      const btn = h("button", { type: "button", class: "frame-slot" },
        media ? h("img", { src: media.url, alt: which === "start" ? "Start frame" : "End frame" }) : icon("add"));
      btn.addEventListener("click", () => { slotTarget = which; fileInput.click(); });
      return btn;
    }
    function renderFrames() {
      if (S.mode !== "Frames to Video") { framesRow.replaceChildren(); framesRow.hidden = true; return; }
      framesRow.hidden = false;
      framesRow.replaceChildren(slotButton("start"),
        h("button", { type: "button", onclick: () => { const f = S.frames; [f.start, f.end] = [f.end, f.start]; renderFrames(); } }, icon("swap_horiz")),
        slotButton("end"));
    }

    async function acceptFile(file, which) {
      // Flow drops unusable files without a word: they simply never appear.
      if (!file.type.startsWith("image/") || file.size > FS.boot.max_upload_bytes) return;
      let bitmap;
      try { bitmap = await createImageBitmap(file); } catch (e) { return; }
      const blob = await cropDialog(bitmap);
      if (!blob) return;
      if (!sessionStorage.getItem("flowsim-notice-agreed")) {
        const agreed = await noticeDialog();
        if (!agreed) return;
        sessionStorage.setItem("flowsim-notice-agreed", "1");
      }
      const res = await FS.api("POST", `/fx/api/projects/${projectId}/uploads`, undefined, blob);
      if (!res.ok) return;
      S.frames[which] = { id: res.data.media_id, url: res.data.url };
      renderFrames();
    }

    function cropDialog(bitmap) {
      return new Promise((resolve) => {
        const [aw, ah] = S.aspect === "9:16" ? [9, 16] : [16, 9];
        let cw = bitmap.width, ch = Math.round(cw * ah / aw);
        if (ch > bitmap.height) { ch = bitmap.height; cw = Math.round(ch * aw / ah); }
        const sx = (bitmap.width - cw) / 2, sy = (bitmap.height - ch) / 2;
        const scale = Math.min(1, 1280 / Math.max(cw, ch));
        const canvas = h("canvas", { class: "crop-preview", width: Math.round(cw * scale), height: Math.round(ch * scale) });
        canvas.getContext("2d").drawImage(bitmap, sx, sy, cw, ch, 0, 0, canvas.width, canvas.height);
        let done = false;
        const finish = (v) => { if (!done) { done = true; d.close(); resolve(v); } };
        const d = FS.dialog({ title: "Crop your frame", onClose: () => finish(null), body: [canvas,
          h("div", { class: "buttons" },
            h("button", { type: "button", onclick: () => finish(null) }, "Cancel"),
            h("button", { type: "button", onclick: () => canvas.toBlob((b) => finish(b), "image/jpeg", 0.92) }, icon("crop"), h("span", {}, "Crop and Save")))] });
      });
    }

    function noticeDialog() {
      return new Promise((resolve) => {
        let done = false;
        const finish = (v) => { if (!done) { done = true; d.close(); resolve(v); } };
        const d = FS.dialog({ title: "Notice", escape: false, onClose: () => finish(false), body: [
          h("p", {}, "By uploading, you confirm you have the necessary rights to the images you upload, and that you won't use them to create content that violates our policies."),
          h("div", { class: "buttons" }, h("button", { type: "button", onclick: () => finish(false) }, "Cancel"),
            h("button", { type: "button", onclick: () => finish(true) }, "Agree"))] });
      });
    }

    // ---- settings -----------------------------------------------------------------------
    const settingsBtn = h("button", { type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", class: feb ? "settings-badge" : null });
    function renderSettingsBtn() {
      if (feb) settingsBtn.replaceChildren(h("span", { class: "badge" }, S.model), h("span", { class: "badge" }, S.aspect), h("span", { class: "badge" }, "x" + S.outputs));
      else settingsBtn.replaceChildren(icon("tune"));
    }
    settingsBtn.addEventListener("click", () => {
      settingsBtn.setAttribute("aria-expanded", "true");
      const boxes = [];
      const row = (label, key, options, onPick) => {
        const id = "setting-" + key;
        const box = FS.combobox({ labelledby: id, options, get: () => S[key], onPick });
        boxes.push(box);
        return h("div", { class: "setting" }, h("label", { id }, label), box);
      };
      const refresh = () => { boxes.forEach((b) => b.refresh()); renderSettingsBtn(); renderActions(); };
      FS.dialog({ label: "Settings", modal: false, outsideCloses: true,
        onClose: () => settingsBtn.setAttribute("aria-expanded", "false"), body: [
          row("Aspect Ratio", "aspect", ASPECTS, (v) => { S.aspect = v; refresh(); }),
          row("Outputs per prompt", "outputs", OUTPUTS, (v) => { S.outputs = v; refresh(); }),
          row("Model", "model", MODELS, (v) => {
            // Flow resets the other settings when the model changes.
            if (v !== S.model) { S.model = v; S.aspect = DEFAULTS.aspect; S.outputs = DEFAULTS.outputs; }
            refresh();
          })] });
    });

    // ---- create -------------------------------------------------------------------------
    const actions = h("div", { class: "row actions" });
    function affordable() {
      if (S.credits === null || !S.costs) return true;
      return S.credits >= S.costs[S.model] * S.outputs;
    }
    function renderActions() {
      let btn;
      if (!affordable()) {
        btn = h("button", { type: "button", class: "prompt-warning-button", "data-testid": "prompt-warning-button",
          onclick: () => FS.toast("You don't have enough AI credits for this generation.") },
        icon("warning"), h("span", {}, "Not enough AI credits"));
      } else {
        btn = h("button", { type: "button", class: "create-button", disabled: S.prompt.trim() === "" || S.busy, onclick: create },
          icon("arrow_forward"), h("span", {}, "Create"));
      }
      const old = actions.firstChild;
      if (!old || old.outerHTML !== btn.outerHTML) actions.replaceChildren(btn);
    }

    async function create() {
      if (S.busy || S.prompt.trim() === "") return;
      if (S.mode === "Create Image") { FS.toast("Couldn't generate image"); return; }
      S.busy = true; renderActions();
      try {
        const frames = S.mode === "Frames to Video" ? S.frames : {};
        const res = await FS.api("POST", `/fx/api/projects/${projectId}/generate`, {
          prompt: S.prompt, mode: S.mode, model: S.model, aspect: S.aspect, outputs: S.outputs,
          start_media: frames.start ? frames.start.id : null, end_media: frames.end ? frames.end.id : null });
        if (!res.ok) FS.toast((res.data && res.data.error) || "Something went wrong");
        else await onSubmitted();
      } finally { S.busy = false; renderActions(); }
    }

    const el = h("div", { class: "composer" }, fileInput, framesRow,
      h("div", { class: "row" }, modeBox, promptEl, settingsBtn, actions));
    renderFrames(); renderSettingsBtn(); renderActions();
    return {
      el,
      sync(state) { S.credits = state.credits; S.costs = state.costs; syncPrompt(); renderActions(); },
    };
  };
})();
