// Page bootstrap of the flow2026 variant: /about, home (projects), a project, a clip's edit view.
// First-visit traps (cookie bar, agent panel, changelog modal) follow the account flags the
// server renders into the boot data (FLOW_2026 §2–§3).
import { account, boot, cfg, h, icon, iconButton, lang, num, openMenu, openOverlay, rpc, sleep, snack, t } from "./core.js";
import { Composer } from "./composer.js";
import { Grid, sizeItems } from "./grid.js";
import { RichEditor } from "./editor.js";
import { translatePage } from "./translate.js";
import * as W from "./wire.js";

const app = document.getElementById("app");
let credits = typeof account.credits === "number" ? account.credits : 0;
const creditListeners = [];

function setCredits(n) {
  if (typeof n !== "number") return;
  credits = n;
  creditListeners.forEach((f) => f(n));
}

// ---- overlays every page may show ----------------------------------------------------------------
function cookieBar() {
  if (!account.cookieBar || account.cookieBar === "off") return;
  const notice = account.cookieBar === "notice";
  const dismiss = () => { bar.remove(); rpc("Lm2sRd", { op: "dismiss", what: "cookie_bar" }); };
  const bar = h("div", { id: "glue-cookie-notification-bar-1", class: "glue-cookie-notification-bar", role: "region" },
    h("p", { class: "glue-cookie-notification-bar__text" }, t("cookie_text")),
    h("div", { class: "glue-cookie-notification-bar__buttons" },
      h("button", { type: "button", class: "glue-cookie-notification-bar__accept", onclick: dismiss }, notice ? t("ok_got_it") : t("agree")),
      notice ? null : h("button", { type: "button", class: "glue-cookie-notification-bar__reject", onclick: dismiss }, t("no_thanks"))));
  document.body.insertBefore(bar, document.querySelector(".cdk-overlay-container"));
}

function changelog() {
  if (!account.changelog) return;
  setTimeout(() => {
    const ov = openOverlay({ backdrop: "dark", closeOnBackdrop: false,
      onClose: () => rpc("Lm2sRd", { op: "dismiss", what: "changelog" }),
      content: h("mat-dialog-container", { role: "dialog", "aria-modal": "true", "aria-labelledby": "changelog-title",
        class: "mat-mdc-dialog-container changelog-dialog" },
      iconButton("close", t("close"), () => ov.close(), "dialog-close-button"),
      h("h2", { id: "changelog-title", class: "mat-mdc-dialog-title" }, t("changelog_title")),
      h("mat-dialog-content", { class: "mat-mdc-dialog-content" }, h("p", {}, t("changelog_body"))),
      h("mat-dialog-actions", { class: "mat-mdc-dialog-actions" },
        h("button", { type: "button", class: "mdc-button get-started-button", onclick: () => ov.close() }, t("get_started")))) });
  }, 300);
}

function accountButton() {
  const btn = h("div", { role: "button", tabindex: "0", class: "header-user-button", "aria-label": t("account_details"),
    onclick: () => accountPanel(btn) }, h("span", { class: "plan-badge" }, String(account.plan || "pro").toUpperCase()),
  h("span", { class: "avatar" }, (account.name || "U").slice(0, 1)));
  return btn;
}

async function accountPanel(anchor) {
  const link = h("a", { class: "credits-link", href: "#", onclick: (e) => e.preventDefault() }, t("credits_link", { n: credits }));
  const ov = openOverlay({ anchor, place: "below-right", paneClass: "account-pane",
    content: h("div", { class: "account-panel" },
      iconButton("close", t("close_account_panel"), () => ov.close(), "close-account-panel"),
      h("div", { class: "account-name" }, account.name || ""),
      h("div", { class: "account-plan" }, String(account.plan || "pro").toUpperCase()),
      link,
      h("a", { class: "manage-account", href: "#", onclick: (e) => e.preventDefault() }, t("manage_account")),
      h("a", { class: "sign-out", href: "/about" }, t("sign_out"))) });
  const res = await rpc("Lm2sRd", { op: "account" });
  if (res && typeof res.credits === "number") { setCredits(res.credits); link.textContent = t("credits_link", { n: credits }); }
}

// ---- pages -----------------------------------------------------------------------------------------
function about() {
  document.title = "Google Flow";
  app.replaceChildren(h("div", { class: "about-page" }, h("h1", {}, t("about_title")),
    h("a", { class: "sign-in-link mdc-button", href: `/accounts.google.com/v3/signin/identifier?continue=${encodeURIComponent(location.origin + "/")}` }, t("sign_in"))));
}

function home() {
  document.title = "Google Flow";
  const cards = (boot.projects || []).map((p) => h("div", { class: "project-card" },
    h("a", { class: "project-link", href: `/project/${p.projectId}`, "aria-label": t("open_project") },
      h("div", { class: "project-thumb" }), h("div", { class: "project-card-title" }, p.title)),
    h("div", { class: "project-card-actions" },
      iconButton("edit", t("edit_project_title"), () => snack(t("not_simulated"))),
      iconButton("delete", t("delete_project"), () => snack(t("not_simulated"))))));
  // page_drift (Flow's next build): the button keeps its icon and name, not its class.
  const fabClass = cfg.page_drift ? "create-project-fab mdc-fab mdc-fab--extended"
    : "new-project-button mdc-fab mdc-fab--extended";
  const fab = h("button", { type: "button", class: fabClass, onclick: async () => {
    const res = await rpc("Lm2sRd", { op: "new_project" });
    if (res.projectId) location.href = `/project/${res.projectId}`;
    else snack((res.error && res.error.message) || t("generic_error"));
  } }, icon("add"), h("span", { class: "mdc-button__label" }, t("new_project")));
  app.replaceChildren(
    h("div", { class: "top-bar home-top-bar" }, h("span", { class: "brand" }, "Flow"), h("div", { class: "spacer" }), accountButton()),
    h("main", { class: "home-page" }, h("h2", {}, t("projects")), h("div", { class: "project-list" }, cards)),
    fab);
  if (account.agentPanel) {
    const panel = h("flow-agent-panel", { class: "agent-panel", role: "complementary", "aria-label": t("agent_panel") },
      h("div", { class: "agent-panel-header" }, iconButton("close", t("close"), () => {
        panel.remove(); rpc("Lm2sRd", { op: "dismiss", what: "agent_panel" });
      })),
      h("h2", { class: "agent-greeting" }, t("agent_hi", { name: account.name || "" })),
      h("div", { class: "agent-panel-input" }, t("agent_placeholder")));
    app.append(panel);
  }
}

function projectTopBar(projectId, onUpload) {
  const title = h("input", { type: "text", class: "editable-text-input", value: boot.projectTitle || "",
    "aria-label": t("project_title") });
  title.addEventListener("change", () => {
    rpc("Lm2sRd", { op: "set_title", projectId, title: title.value });
    document.title = `Google Flow - ${title.value}`;
  });
  const addMedia = iconButton("add", t("add_media"), () => openMenu(addMedia, [
    { text: t("upload"), icon: "upload", onclick: onUpload },
    { text: t("new_collection"), icon: "create_new_folder", onclick: () => snack(t("not_simulated")) },
    { text: t("create_character"), icon: "person_add", onclick: () => { location.href = `/project/${projectId}/character`; } },
    { text: t("new_scene"), icon: "movie", onclick: async () => {
      const res = await rpc("Lm2sRd", { op: "new_scene", projectId });
      if (res.sceneId) location.href = `/project/${projectId}/scene/${res.sceneId}`;
      else snack((res.error && res.error.message) || t("generic_error"));
    } },
  ], { place: "below-right" }), "add-media-button");
  addMedia.setAttribute("aria-haspopup", "menu");
  const ns = () => snack(t("not_simulated"));
  // Angular wraps the two halves of the header and the title input in their own components
  // (public tools anchor on `flow-navigation-header flow-editable-text input.editable-text-input`
  // and find `Add media menu` in `flow-tile-view-header`).
  return h("div", { class: "top-bar project-top-bar" },
    h("flow-navigation-header", { class: "navigation-header" },
      iconButton("home", t("home"), () => { location.href = "/"; }),
      h("flow-editable-text", {}, title),
      iconButton("more_vert", t("more_project"), ns)),
    h("div", { class: "spacer" }),
    h("flow-tile-view-header", { class: "tile-view-header" },
    iconButton("search", t("search"), ns, "search-button"),
    // The header's own search field: also `input.search-input`, like the picker's (public
    // dumps), so an unscoped `input.search-input` finds this one first.
    h("input", { type: "text", class: "search-input header-search-input", "aria-label": t("search") }),
    iconButton("filter_list", t("filter"), ns),
    addMedia,
    iconButton("help", t("help"), ns),
    iconButton("settings_2", t("tile_grid"), ns),
    iconButton("more_vert", t("more"), ns)),
    accountButton());
}

function nav(projectId, current = "all_media") {
  // Characters and Tools are pages of their own (FLOW_2026 §1); the others filter the grid
  // on the real site and are decorative here.
  const pages = { all_media: "", characters: "/character", tools: "/tools" };
  const items = [["all_media", "perm_media"], ["images", "image"], ["videos", "videocam"], ["characters", "person"],
    ["scenes", "movie"], ["uploads", "upload"], ["tools", "build"], ["trash", "delete"]];
  return h("nav", { class: "project-nav", "aria-label": t("project_nav") },
    items.map(([k, ic]) => {
      const href = k in pages && projectId ? `/project/${projectId}${pages[k]}` : "#";
      return h("a", { href, class: `nav-item${k === current ? " active" : ""}`, "aria-current": k === current ? "page" : null,
        onclick: href === "#" ? (e) => e.preventDefault() : null }, icon(ic), h("span", {}, t(k)));
    }));
}

function consentDialog() {
  return new Promise((resolve) => {
    let answer = false;
    const ov = openOverlay({ backdrop: "dark", closeOnBackdrop: false, onClose: () => resolve(answer),
      content: h("mat-dialog-container", { role: "dialog", "aria-modal": "true", "aria-labelledby": "consent-title",
        class: "mat-mdc-dialog-container" }, h("flow-upload-consent-dialog", {},
        h("h2", { id: "consent-title", class: "mat-mdc-dialog-title" }, t("rights_title")),
        h("mat-dialog-content", { class: "mat-mdc-dialog-content" }, h("p", {}, t("rights_text"))),
        h("mat-dialog-actions", { class: "mat-mdc-dialog-actions" }, h("div", { class: "agree-actions-group" },
          h("button", { type: "button", class: "mdc-button cancel-button", onclick: () => ov.close() }, t("cancel")),
          h("button", { type: "button", class: "mdc-button agree-button", onclick: async () => {
            await rpc("hK3mQe", {});
            account.uploadConsent = false;
            answer = true;
            ov.close();
          } }, t("i_agree")))))) });
  });
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(",", 2)[1] || "");
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function project(projectId) {
  document.title = `Google Flow - ${boot.projectTitle || ""}`;
  const fileInput = h("input", { type: "file", accept: "image/*", class: "upload-file-input", style: { display: "none" } });
  const titles = new Map(); // media id -> the workflow item's title (submit reply, listing)
  let grid;
  const composer = Composer({ projectId, onSubmitted: (res) => submitted(res) });
  grid = Grid({ projectId, onReuse: (p) => composer.reuse(p), onChanged: () => poll(), onSubmitted: (res) => submitted(res) });
  const bar = projectTopBar(projectId, () => fileInput.click());
  creditListeners.push((n) => composer.setCredits(n));

  function absorbItems(items) { for (const it of items) titles.set(it.mediaId, it.title); }

  /** A submit (or Retry) reply: its items and records go on the grid at once, then a poll. */
  function submitted(res) {
    const reply = W.submitReply(res);
    absorbItems(reply.items);
    grid.update(W.submitReply(res, titles).records);
    setCredits(reply.credits);
    poll();
  }

  let uploadSeq = 0;
  async function upload(file) {
    // The rights dialog comes only after the chooser handed the file over (FLOW_2026 §3).
    if (account.uploadConsent && !(await consentDialog())) return;
    const payload = W.uploadRequest(projectId, await readBase64(file), file.type || "application/octet-stream", file.name);
    // The grid shows the upload at once (title only, 99%); the reply comes once it is stored.
    const temp = `sending-${++uploadSeq}`;
    grid.addUpload({ mediaId: temp, fileName: file.name, state: "UPLOADING" });
    let res = await rpc("maseQ", payload);
    if (res.error && res.error.reason === "PUBLIC_ERROR_UPLOAD_CONSENT_REQUIRED") {
      account.uploadConsent = true;
      if (!(await consentDialog())) { grid.removeUpload(temp); return; }
      res = await rpc("maseQ", payload);
    }
    if (res.error) { grid.removeUpload(temp); snack(res.error.message || t("generic_error")); return; }
    const up = W.uploadReply(res);
    grid.replaceUpload(temp, { mediaId: up.mediaId, fileName: up.fileName || file.name, state: "UPLOADING" });
    watchUploads();
  }
  fileInput.addEventListener("change", () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) upload(file);
  });
  document.addEventListener("flowsim-upload", () => fileInput.click());

  let watching = false;
  async function watchUploads() {
    if (watching) return;
    watching = true;
    try {
      while (grid.pendingUploads()) {
        await sleep(Math.min(num("poll_ms", 5000), 1000));
        const res = await rpc("Vz7tGb", { projectId, query: "" });
        if (res.assets) grid.uploadsReady(res.assets, { add: false });
      }
    } finally { watching = false; }
  }

  /** The project is gone (a reset) or the session expired: reload into what the server
   * serves now (a 404 page, or /about). */
  function gone(res) {
    if (res.error && /^http_40[04]$/.test(res.error.reason || "")) { location.reload(); return true; }
    return false;
  }

  async function pollIds(ids, initial = false) {
    const answered = new Set();
    for (let i = 0; i < ids.length; i += W.POLL_MAX) {
      const res = await rpc("jwpduf", W.pollRequest(ids.slice(i, i + W.POLL_MAX)));
      if (res.error) return null;
      const reply = W.pollReply(res, titles);
      reply.records.forEach((m) => answered.add(m.mediaId));
      grid.update(reply.records, { initial });
      setCredits(reply.credits);
    }
    return ids.filter((id) => !answered.has(id));
  }

  // On load: the model catalogue (HTrJv) and the models' availability (yBhWQ), as the real page
  // asks them on every project page (flow_wire README "Other rpc ids"); then the listing
  // (Zzl0ze), then every listed id polled once (as the real page does).
  let loaded = false;
  async function load() {
    await Promise.all([rpc("HTrJv", []), rpc("yBhWQ", [])]);
    const res = await rpc("Zzl0ze", W.listingRequest(projectId));
    if (gone(res) || res.error) return;
    const items = W.items(res[1]);
    absorbItems(items);
    await pollIds(items.map((it) => it.mediaId), true);
    grid.initialDone();
    loaded = true;
  }

  // Afterwards jwpduf asks only for the ids not yet done or failed.
  let polling = false;
  async function poll() {
    if (polling || !loaded) return;
    polling = true;
    try {
      const ids = grid.waiting();
      if (!ids.length) return;
      const missing = await pollIds(ids);
      if (missing && missing.length) await relist(missing);
    } finally { polling = false; }
  }

  // flowsim: an idle page (nothing to wait for) re-reads the listing every poll_ms, so an open
  // page follows a reset or an expired session, and shows clips made elsewhere. `suspects`: ids to drop unless the listing still names them.
  async function relist(suspects = null) {
    const known = suspects || grid.mediaIds();
    const res = await rpc("Zzl0ze", W.listingRequest(projectId));
    if (gone(res) || res.error) return;
    const items = W.items(res[1]);
    absorbItems(items);
    const listed = new Set(items.map((it) => it.mediaId));
    known.filter((id) => !listed.has(id)).forEach((id) => grid.remove(id));
    const fresh = items.map((it) => it.mediaId).filter((id) => !grid.has(id));
    if (fresh.length) await pollIds(fresh);
  }

  let idleAt = 0; // when the page last re-read the listing with nothing rendering
  async function tick() {
    if (!loaded) { await load(); return; }
    if (grid.waiting().length) await poll();
    else if (!polling && Date.now() - idleAt >= num("idle_poll_ms", 5000) - 50) {
      polling = true;
      idleAt = Date.now();
      try {
        await relist();
        // The balance (nzlxg, a real page call): jwpduf carries it only while clips render.
        const res = await rpc("nzlxg", []);
        if (!res.error) setCredits(W.credits(res));
      } finally { polling = false; }
    }
  }

  grid.scroller.addEventListener("scroll", () => {
    // FLOW_2026 §4: the top bar hides once the grid is scrolled.
    bar.style.visibility = grid.scroller.scrollTop > 0 ? "hidden" : "";
  });
  app.replaceChildren(bar, h("div", { class: "project-body" }, nav(projectId), h("main", { class: "project-main" }, grid.el)),
    composer.el, fileInput);
  rpc("Vz7tGb", { projectId, query: "" }).then((res) => {
    if (res.assets) grid.uploadsReady(res.assets.filter((a) => a.state === "READY"));
  });
  load().then(() => poll());
  const loop = async () => {
    try { await tick(); } catch (e) { /* retried on the next tick */ }
    setTimeout(loop, num("poll_ms", 5000));
  };
  setTimeout(loop, num("poll_ms", 5000));
}

async function edit(projectId, mediaId) {
  document.title = `Google Flow - ${boot.projectTitle || ""}`;
  const player = h("video", { class: "edit-video", controls: true });
  const m = { mediaId, title: "" };
  const dl = h("button", { type: "button", class: "mdc-button download-media-button", "aria-label": t("download_media"),
    "aria-haspopup": "menu", onclick: () => openMenu(dl, sizeItems(m), { place: "below-right" }) }, icon("download"));
  const editor = RichEditor({ placeholder: t("edit_placeholder"), onChange: () => {}, onEnter: () => snack(t("not_simulated")) });
  app.replaceChildren(
    h("div", { class: "top-bar edit-top-bar" },
      iconButton("arrow_back", t("back"), () => { location.href = `/project/${projectId}`; }),
      h("span", { class: "edit-title" }, boot.projectTitle || ""), h("div", { class: "spacer" }), dl, accountButton()),
    h("main", { class: "edit-main" }, player, h("flow-scene-timeline", { class: "scene-timeline" })),
    h("flow-edit-video-prompt-box", { class: "edit-prompt-box" }, editor.el,
      h("div", { class: "bottom-controls" }, h("button", { type: "button", class: "extend-mode-chip mdc-button" }, t("extend")))));
  const res = await rpc("as29s", W.mediaRequest(mediaId));
  if (res.error) return;
  const clip = W.record(res);
  if (clip.videoUrl) player.src = clip.videoUrl;
}

// ---- pages under a project: a scene, characters, tools (FLOW_2026 §1; minimal but real) --------
function subPage(projectId, current, title, ...body) {
  document.title = `Google Flow - ${boot.projectTitle || ""}`;
  app.replaceChildren(
    h("div", { class: "top-bar sub-page-top-bar" }, h("flow-navigation-header", { class: "navigation-header" },
      iconButton("arrow_back", t("back"), () => { location.href = `/project/${projectId}`; }, "back-button"),
      h("span", { class: "edit-title" }, boot.projectTitle || "")), h("div", { class: "spacer" }), accountButton()),
    h("div", { class: "project-body" }, nav(projectId, current),
      h("main", { class: "sub-page-main" }, h("h1", { class: "sub-page-title" }, title), ...body)));
}

function scene(projectId) {
  subPage(projectId, "scenes", t("scene_title"),
    h("flow-scene-builder", { class: "scene-builder" },
      h("flow-scene-timeline", { class: "scene-timeline" }, h("div", { class: "timeline-empty" }, t("scene_empty")))));
}

function character(projectId) {
  if (boot.characterId) {
    subPage(projectId, "characters", boot.characterName || "",
      h("flow-character-detail", { class: "character-detail", "data-character-id": boot.characterId },
        h("div", { class: "character-avatar" }, icon("person")), h("div", { class: "character-name" }, boot.characterName || "")));
    return;
  }
  const name = h("input", { type: "text", class: "character-name-input", "aria-label": t("character_name"),
    placeholder: t("character_name") });
  const create = h("button", { type: "button", class: "mdc-button create-character-button", onclick: async () => {
    const res = await rpc("Lm2sRd", { op: "new_character", projectId, name: name.value });
    if (res.characterId) location.href = `/project/${projectId}/character/${res.characterId}`;
    else snack(t("character_name_needed"));
  } }, icon("person_add"), t("create_character"));
  const list = (boot.characters || []).map((c) => h("a", { class: "character-card", href: `/project/${projectId}/character/${c.characterId}` },
    icon("person"), h("span", {}, c.name)));
  subPage(projectId, "characters", t("characters"),
    h("flow-character-creator", { class: "character-creator" }, name, create),
    h("div", { class: "character-list" }, list.length ? list : h("div", { class: "character-empty" }, t("no_characters"))));
}

function tools(projectId) {
  subPage(projectId, "tools", t("tools"), h("flow-tools-page", { class: "tools-page" },
    h("div", { class: "tools-empty" }, t("tools_empty"))));
}

cookieBar();
if (cfg.translate_bar && lang !== "en") translatePage(lang);
if (boot.page === "about") about();
else if (boot.page === "scene") scene(boot.projectId);
else if (boot.page === "character") character(boot.projectId);
else if (boot.page === "tools") tools(boot.projectId);
else if (boot.page === "home") { home(); changelog(); }
else if (boot.page === "project") { project(boot.projectId); changelog(); }
else if (boot.page === "edit") edit(boot.projectId, boot.mediaId);
