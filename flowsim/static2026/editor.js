// A ProseMirror-like prompt editor (FLOW_2026 §4): a contenteditable with paragraphs, no role.
// Like ProseMirror it keeps its own idea of the selection: a selection made by script (which is
// what Playwright's fill('') does before pressing Delete) is not the editor's selection, so
// Delete/Backspace act on the editor's caret at the end and fill('') clears nothing. Select-all
// by keyboard (Ctrl/Cmd+A) or a mouse selection followed by Backspace does clear it. Enter
// submits; Shift+Enter starts a new paragraph. Typing `@` may open the asset picker
// (onMention); a picked asset becomes `span.mention-chip[data-mention-id]
// [data-reference-type=media][contenteditable=false]` holding its name, followed by a space.
import { h } from "./core.js";

/**
 * Build the editor; onChange(text) after every edit, onEnter(isTrusted) on Enter,
 * onMention(insert) after an `@` is typed: insert(asset) replaces the `@` by a mention chip.
 */
export function RichEditor({ placeholder, onChange, onEnter, onMention, cls = "prompt-input" }) {
  const pm = h("div", { class: "ProseMirror", contenteditable: "true", translate: "no", tabindex: "0" },
    h("p", {}, h("br", { class: "ProseMirror-trailingBreak" })));
  const ph = h("span", { class: "prosemirror-placeholder" }, placeholder);
  const el = h("flow-rich-text-editor", { class: cls }, ph, h("div", { class: "prosemirror-editor" }, pm));
  let userSelection = false; // the DOM selection was made by the user's keyboard or mouse

  function text() {
    const paras = [...pm.children].filter((c) => c.tagName === "P");
    if (!paras.length) return pm.textContent.replace(/\u00a0/g, " ");
    return paras.map((p) => p.textContent).join("\n").replace(/\u00a0/g, " ");
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
  pm.addEventListener("input", (ev) => {
    userSelection = false;
    changed();
    if (ev.data === "@" && onMention) {
      const sel = window.getSelection();
      const node = sel && sel.focusNode;
      const offset = sel ? sel.focusOffset : 0;
      if (node && node.nodeType === 3 && offset > 0 && node.textContent[offset - 1] === "@") {
        onMention((asset) => insertMention(node, offset, asset));
      }
    }
  });

  function insertMention(node, offset, asset) {
    if (!node.isConnected || node.textContent[offset - 1] !== "@") return false;
    const at = document.createRange();
    at.setStart(node, offset - 1);
    at.setEnd(node, offset);
    at.deleteContents();
    const chip = h("span", { class: "mention-chip", "data-mention-id": asset.mediaId,
      "data-reference-type": asset.referenceType || "media", contenteditable: "false" }, asset.fileName);
    const space = document.createTextNode("\u00a0");
    at.insertNode(space);
    at.insertNode(chip);
    pm.focus(); // the picker's search field had the focus
    const sel = window.getSelection();
    const r = document.createRange();
    r.setStartAfter(space);
    r.collapse(true);
    sel.removeAllRanges();
    sel.addRange(r);
    changed();
    return true;
  }

  return {
    el, pm, text,
    /** The prompt as rich-text runs (what the wire carries): ["text"] runs and, for each
     * mention chip, [null, [[media id, file name]]]; their plain text equals text(). */
    runs() {
      const out = [];
      const push = (s) => {
        if (!s) return;
        const last = out[out.length - 1];
        if (last && typeof last[0] === "string") last[0] += s; else out.push([s]);
      };
      const walk = (node) => {
        for (const c of node.childNodes) {
          if (c.nodeType === 3) push(c.textContent.replace(/\u00a0/g, " "));
          else if (c.nodeType === 1 && c.matches("span.mention-chip[data-mention-id]")) {
            out.push([null, [[c.dataset.mentionId, c.textContent]]]);
          } else if (c.nodeType === 1) walk(c);
        }
      };
      const paras = [...pm.children].filter((c) => c.tagName === "P");
      if (!paras.length) walk(pm);
      paras.forEach((p, i) => { if (i) push("\n"); walk(p); });
      return out;
    },
    /** Media ids of the mention chips in the prompt, in order. */
    mentions() { return [...pm.querySelectorAll("span.mention-chip[data-mention-id]")].map((s) => s.dataset.mentionId); },
    /** Empty the editor (the Clear prompt button). */
    clear() { pm.replaceChildren(h("p", {}, h("br", { class: "ProseMirror-trailingBreak" }))); changed(); },
    /** Put text in as if pasted (Reuse prompt). */
    setText(value) {
      pm.replaceChildren(...String(value).split("\n").map((line) => h("p", {}, line || h("br"))));
      changed();
    },
  };
}
