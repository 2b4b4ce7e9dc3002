// A ProseMirror-like prompt editor (FLOW_2026 §4): a contenteditable with paragraphs, no role.
// Like ProseMirror it keeps its own idea of the selection: a selection made by script (which is
// what Playwright's fill('') does before pressing Delete) is not the editor's selection, so
// Delete/Backspace act on the editor's caret at the end and fill('') clears nothing. Select-all
// by keyboard (Ctrl/Cmd+A) or a mouse selection followed by Backspace does clear it. Enter
// submits; Shift+Enter starts a new paragraph.
import { h } from "./core.js";

/** Build the editor; onChange(text) after every edit, onEnter(isTrusted) on Enter. */
export function RichEditor({ placeholder, onChange, onEnter, cls = "prompt-input" }) {
  const pm = h("div", { class: "ProseMirror", contenteditable: "true", translate: "no", tabindex: "0" },
    h("p", {}, h("br", { class: "ProseMirror-trailingBreak" })));
  const ph = h("span", { class: "prosemirror-placeholder" }, placeholder);
  const el = h("flow-rich-text-editor", { class: cls }, ph, h("div", { class: "prosemirror-editor" }, pm));
  let userSelection = false; // the DOM selection was made by the user's keyboard or mouse

  function text() {
    const paras = [...pm.children].filter((c) => c.tagName === "P");
    if (!paras.length) return pm.textContent;
    return paras.map((p) => p.textContent).join("\n");
  }

  function normalize() {
    if (!pm.textContent && pm.querySelectorAll("p").length !== 1) {
      pm.replaceChildren(h("p", {}, h("br", { class: "ProseMirror-trailingBreak" })));
      caretToEnd();
    }
  }

  function caretToEnd() {
    const sel = window.getSelection();
    const last = pm.lastElementChild || pm;
    const r = document.createRange();
    r.selectNodeContents(last);
    r.collapse(false);
    sel.removeAllRanges();
    sel.addRange(r);
  }

  function changed() {
    normalize();
    ph.style.display = text() ? "none" : "";
    onChange && onChange(text());
  }

  pm.addEventListener("keydown", (ev) => {
    if (ev.isComposing) return;
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      onEnter && onEnter(ev.isTrusted);
      return;
    }
    if ((ev.ctrlKey || ev.metaKey) && (ev.key === "a" || ev.key === "A")) { userSelection = true; return; }
    if (ev.shiftKey && /^(Arrow|Home|End|Page)/.test(ev.key)) { userSelection = true; return; }
    if (ev.key === "Delete" || ev.key === "Backspace") {
      const sel = window.getSelection();
      if (sel && !sel.isCollapsed && !userSelection) {
        // A script-made selection: the editor's own caret is at the end, so act there.
        ev.preventDefault();
        caretToEnd();
        if (ev.key === "Backspace") document.execCommand("delete");
      }
    }
  });
  pm.addEventListener("mouseup", () => { userSelection = true; });
  pm.addEventListener("input", () => { userSelection = false; changed(); });

  return {
    el, pm, text,
    /** Empty the editor (the Clear prompt button). */
    clear() { pm.replaceChildren(h("p", {}, h("br", { class: "ProseMirror-trailingBreak" }))); changed(); },
    /** Put text in as if pasted (Reuse prompt). */
    setText(value) {
      pm.replaceChildren(...String(value).split("\n").map((line) => h("p", {}, line || h("br"))));
      changed();
    },
  };
}
