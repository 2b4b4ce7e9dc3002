// Page bootstrap: landing/home or a project page, kept in step with the server by polling.
"use strict";
(function () {
  const { h, icon, boot } = FS;
  const app = document.getElementById("app");
  const POLL_MS = 300;

  function topbar(title, credits) {
    return h("header", { class: "topbar" }, h("a", { class: "brand", href: "/fx/tools/flow" }, "Flow"),
      title !== null ? h("span", { class: "project-title" }, title) : null,
      h("span", { class: "credits", "data-credits": credits }, credits === null ? "" : `${credits} AI credits`));
  }

  async function home() {
    const { data } = await FS.api("GET", "/fx/api/account");
    if (!data.landing_seen) {
      app.replaceChildren(h("div", { class: "landing" }, h("h1", {}, "Flow"),
        h("p", {}, "An AI filmmaking tool built with and for creatives."),
        h("button", { type: "button", onclick: async () => { await FS.api("POST", "/fx/api/flags/landing_seen"); home(); } }, "Create with Flow")));
      return;
    }
    const newProject = h("button", { type: "button", onclick: async () => {
      const res = await FS.api("POST", "/fx/api/projects");
      window.location.href = `/fx/tools/flow/project/${res.data.project_id}`;
    } }, icon("add_2"), h("span", {}, "New project"));
    app.replaceChildren(topbar(null, data.credits), h("div", { class: "home" }, newProject,
      h("div", { class: "projects" }, data.projects.map((p) => h("a", { href: `/fx/tools/flow/project/${p.project_id}` }, p.title)))));
  }

  function welcome() {
    const d = FS.dialog({ title: "Welcome to Flow", body: [
      h("p", {}, "Bring your stories to life with Veo 3.1: start from text, frames or ingredients."),
      h("div", { class: "buttons" },
        h("button", { type: "button", "aria-label": "Close", onclick: () => d.close() }, icon("close")),
        h("button", { type: "button", onclick: () => d.close() }, "Got it"))],
    onClose: () => FS.api("POST", "/fx/api/flags/welcome_seen") });
  }

  function promo() {
    const d = FS.dialog({ title: "Introducing Veo 3.1 Quality", body: [
      h("p", {}, "Our most capable video model, now with sound."),
      h("div", { class: "buttons" },
        h("button", { type: "button", onclick: () => d.close() }, "Skip"),
        h("button", { type: "button", onclick: () => d.close() }, "Try it"))],
    onClose: () => FS.api("POST", "/fx/api/flags/promo_seen") });
  }

  async function project(projectId) {
    let refresh;
    const grid = FS.Grid(async (tileId) => {
      const res = await FS.api("POST", `/fx/api/tiles/${tileId}/retry`);
      if (!res.ok) FS.toast((res.data && res.data.error) || "Something went wrong");
      await refresh();
    });
    const composer = FS.Composer(projectId, () => refresh());
    const bar = topbar("", null);
    app.replaceChildren(h("div", { class: "project" }, bar, grid.el, composer.el));
    refresh = async function () {
      const res = await FS.api("GET", `/fx/api/projects/${projectId}/state`);
      // The project is gone (simulator reset): reload into the server's "not found" page.
      if (res.status === 404) { window.location.reload(); return; }
      if (!res.ok) return;
      const s = res.data;
      if (s.variant !== boot.variant) { window.location.reload(); return; }
      bar.querySelector(".project-title").textContent = s.title;
      const credits = bar.querySelector(".credits");
      credits.textContent = `${s.credits} AI credits`;
      credits.dataset.credits = s.credits;
      FS.setNotices(s.notices);
      grid.update(s.tiles);
      composer.sync(s);
    };
    await refresh();
    const account = await FS.api("GET", "/fx/api/account");
    if (!account.data.welcome_seen) setTimeout(welcome, 400);
    // A promo that pops up late, over whatever the user is doing (once per reset).
    if (account.data.promo_delay !== null) setTimeout(promo, account.data.promo_delay * 1000);
    const loop = async () => {
      try { await refresh(); } catch (e) { /* a failed poll is retried on the next tick */ }
      setTimeout(loop, POLL_MS);
    };
    setTimeout(loop, POLL_MS);
  }

  if (boot.page === "project") project(boot.project_id); else home();
})();
