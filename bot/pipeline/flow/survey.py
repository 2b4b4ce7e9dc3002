"""`flowbot flow survey`: a baseline of Flow's current build, and what changed since the last one.

The survey walks the flow.google.com page the way a submission would configure it — settings
popover, model menu, every model's duration/resolution/count options, the live price quote of
every combination — and counts the structural elements the driver relies on. It never uploads,
never types a prompt and never clicks Start generation: it spends nothing. (Opening a project
may create one, named by date and time, when the account has none.)

A baseline is plain JSON (`FORMAT`):

    {"format": 1, "taken_at": ISO time, "url", "generation", "lang", "plan",
     "labels":   {"buttons": [aria-labels], "placeholder", "summary",
                  "settings": {group: [option labels]}, "models": [menu labels]},
     "elements": {"project"|"settings"|"model_menu": {css selector: count}},
     "options":  {model: {"durations": [s], "resolutions": [..], "counts": [n]}},
     "prices":   {model: {"8s 720p x1": credits, ...}}}

`diff()` compares two baselines and returns one plain line per change; baselines are kept in
`<data dir>/flow-survey/` (this module deletes all but the newest `KEEP` of them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import Page

log = logging.getLogger(__name__)

FORMAT = 1
KEEP = 20  # baselines kept on disk

# What is counted (FLOW_2026 §4, §5): structure the driver leans on, not content (tiles, icons
# and the like change with the project and would only be noise).
ELEMENTS: dict[str, tuple[str, ...]] = {
    "project": (
        "flow-prompt-box", "flow-base-prompt-box", "flow-ingredient-bar", "flow-rich-text-editor",
        "div.ProseMirror[contenteditable=true]", "span.prosemirror-placeholder", "flow-add-menu",
        "button.add-menu-trigger", "flow-agent-mode-toggle-chip", "button.agent-mode-chip",
        "button.settings-trigger-button", ".settings-summary", "flow-generate-icon-button",
        "button.generate-icon-button", ".header-user-button", "div.cdk-virtual-scrollable",
        "flow-creative-agent-prompt-box", "textarea.g-recaptcha-response",
    ),
    "settings": (
        "flow-prompt-box-settings", "[role=radiogroup]", "button.mat-button-toggle-button[role=radio]",
        ".model-select-trigger-content", "flow-credit-cost-label", "a.credit-cost-link",
    ),
    "model_menu": ("div[role=menu].flow-model-picker-panel", "[role=menu] [role=menuitem]"),
}
# Aria-labels of every button on the project page (the prompt box and the top bar).
_BUTTON_LABELS_JS = """() => [...new Set([...document.querySelectorAll('button[aria-label], [role=button][aria-label]')]
  .filter((b) => !b.closest('.cdk-overlay-container'))
  .map((b) => b.getAttribute('aria-label').trim()).filter(Boolean))].sort()"""
_COUNT_JS = """(sels) => Object.fromEntries(sels.map((s) => [s, document.querySelectorAll(s).length]))"""
_TEXT_JS = """(sel) => { const el = document.querySelector(sel); return el ? el.innerText.trim() : null; }"""
_LANG_JS = "() => document.documentElement.lang || ''"
PRICE_SETTLE_S = 0.25
# Keys of `_groups()` that are not radio groups.
_NOT_GROUPS = ("model", "model_shown", "slider")
# A slider model's durations whose live quote is read: the ends, and both sides of 10 s (Omni 1.2
# is priced per second, with another rate beyond 10 s); every count only at 8 s.
SLIDER_SAMPLES = (3, 4, 8, 10, 11, 12, 15)  # a quote is read again until two reads this far apart agree
GROUPS_QUIET_S = 0.8  # the settings groups count as re-rendered after this long unchanged


# --- the baseline -------------------------------------------------------------------------------

def price_key(duration: int | None, resolution: str | None, count: int) -> str:
    """`8s 720p x2`: one combination of the settings (a group without a row is left out)."""
    parts = [f"{duration}s" if duration is not None else "", resolution or "", f"x{count}"]
    return " ".join(part for part in parts if part)


def new_baseline(url: str, generation: str) -> dict[str, Any]:
    """An empty baseline of the current format."""
    return {"format": FORMAT, "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "url": url, "generation": generation, "lang": "", "plan": None,
            "labels": {"buttons": [], "placeholder": None, "summary": None, "settings": {},
                       "models": []},
            "elements": {}, "options": {}, "prices": {}}


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed from `old` to `new`, one line each (empty: the same build as far as we see)."""
    out: list[str] = []
    _diff(old, new, "", out)
    return out


_IGNORED = {"taken_at", "url", "format"}


def _diff(old: Any, new: Any, path: str, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            if not path and key in _IGNORED:
                continue
            sub = f"{path}[{key!r}]" if path else key
            if key not in new:
                out.append(f"{sub}: gone (was {_short(old[key])})")
            elif key not in old:
                out.append(f"{sub}: new ({_short(new[key])})")
            else:
                _diff(old[key], new[key], sub, out)
        return
    if isinstance(old, list) and isinstance(new, list) and old != new and \
            all(isinstance(x, str) for x in old + new) and path.startswith("labels"):
        gone = [x for x in old if x not in new]
        added = [x for x in new if x not in old]
        if gone or added:
            parts = [f"+{x!r}" for x in added] + [f"-{x!r}" for x in gone]
            out.append(f"{path}: {', '.join(parts)}")
        else:
            out.append(f"{path}: order {old} → {new}")
        return
    if old != new:
        out.append(f"{path}: {_short(old)} → {_short(new)}")


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def save(folder: Path, baseline: dict[str, Any]) -> Path:
    """Write `baseline` as the newest file in `folder`; keep only the newest `KEEP`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"survey-{stamp}.json"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"survey-{stamp}-{n}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(baseline, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    tmp.replace(path)
    for old in baselines(folder)[:-KEEP]:
        old.unlink(missing_ok=True)
    return path


def baselines(folder: Path) -> list[Path]:
    """Saved baselines, oldest first."""
    return sorted(folder.glob("survey-*.json"), key=lambda p: (p.stat().st_mtime, p.name))


def latest(folder: Path) -> Path | None:
    found = baselines(folder) if folder.exists() else []
    return found[-1] if found else None


def load(path: Path) -> dict[str, Any]:
    """A saved baseline; `ValueError` with a plain message when it is not one."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a survey baseline ({err})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a survey baseline of format {FORMAT}")
    return data


# --- the page walk (flow.google.com, FLOW_2026 §4–§5) --------------------------------------------

async def survey_page(page: Page, base_url: str, settings: Any) -> dict[str, Any]:
    """Walk Flow at `base_url` on `page` and return a baseline; spends nothing.

    `base_url` may be a project URL (used as is) or the app's home (the first project is opened,
    or one is created when there is none). The steps are the flow2026 generation's own.
    """
    from bot.pipeline.flow import ui

    gen = ui.make("flow2026", settings)
    builds: list[str] = []

    def note_build(request) -> None:
        # Every batchexecute call names Flow's front-end build (`bl=`, flow_wire README).
        found = parse_qs(urlsplit(request.url).query).get("bl")
        if "/data/batchexecute" in request.url and found and found[0]:
            builds.append(found[0][:120])

    page.on("request", note_build)
    try:
        return await _survey(gen, page, base_url, builds)
    finally:
        page.remove_listener("request", note_build)


async def _survey(gen: Any, page: Page, base_url: str, builds: list[str]) -> dict[str, Any]:
    from bot.pipeline.flow import ui
    from bot.pipeline.flow.ui.flow2026.base import PROJECT_PATH

    settings = gen.settings
    await page.goto(gen.url(base_url), wait_until="domcontentloaded")
    await gen.ensure_page_ok(page)
    # A page with no marker of the living UI is not surveyed (NotFound: Flow changed).
    baseline = new_baseline(base_url, await ui.detect(page, settings.step_timeout_s))
    await gen.dismiss_overlays(page)
    if PROJECT_PATH not in page.url:
        link = page.locator(f'a[href*="{PROJECT_PATH}"]').first
        if await link.count():
            href = await link.get_attribute("href") or ""
            await gen.goto_project(page, _absolute(page.url, href))
        else:
            await gen.create_project(page, base_url)
    else:
        await gen.goto_project(page, page.url)
    baseline["lang"] = await page.evaluate(_LANG_JS)
    baseline["plan"] = await gen._read_plan(page)
    labels = baseline["labels"]

    await gen._open_settings(page)
    try:
        await _video_frames(gen, page)
        baseline["elements"]["settings"] = await page.evaluate(_COUNT_JS, list(ELEMENTS["settings"]))
        groups = await gen._groups(page)
        labels["settings"] = {name: [r["text"] or " ".join(r["ligs"]) for r in groups[name][1]]
                              for name in ("media", "input", "aspect") if name in groups}
        models, menu_counts = await _model_menu(gen, page)
        labels["models"] = models
        baseline["elements"]["model_menu"] = menu_counts
        for model in models:
            options, prices = await _model_matrix(gen, page, model)
            baseline["options"][model] = options
            baseline["prices"][model] = prices
    finally:
        await gen._close_settings(page)
    # The composer is read with Video + Frames chosen (the account remembers the input mode,
    # and Frames swaps the "Add ingredients" button for the Start/End chips).
    await _video_frames(gen, page, reopen=True)
    baseline["elements"]["project"] = await page.evaluate(_COUNT_JS, list(ELEMENTS["project"]))
    labels["buttons"] = await page.evaluate(_BUTTON_LABELS_JS)
    labels["placeholder"] = await page.evaluate(_TEXT_JS, "span.prosemirror-placeholder")
    labels["summary"] = await page.evaluate(_TEXT_JS, ".settings-summary")
    baseline["build"] = builds[-1] if builds else None
    return baseline


def _absolute(current: str, href: str) -> str:
    from urllib.parse import urljoin

    return urljoin(current, href)


async def _video_frames(gen: Any, page: Page, reopen: bool = False) -> None:
    """Media Video, input Frames: the shape every submission of ours has (FLOW_2026 §5).
    `reopen`: open the settings for it and close them again."""
    from bot.pipeline.flow.api import GenerationRequest

    req = GenerationRequest(image_path=Path("survey.png"), prompt="survey")
    if reopen:
        await gen._open_settings(page)
    try:
        for group in ("media", "input"):
            await gen._set_group(page, group, req)
    finally:
        if reopen:
            await gen._close_settings(page)


async def _model_menu(gen: Any, page: Page) -> tuple[list[str], dict[str, int]]:
    """The model menu's labels (in order) and element counts; the menu is closed again."""
    from bot.pipeline.flow.locate import click, find
    from bot.pipeline.flow.ui.flow2026.base import REG, norm
    from bot.pipeline.flow.ui.flow2026.base import TEXT_JS as ITEM_TEXT_JS
    from bot.pipeline.flow.ui.flow2026.selectors import MENUITEM_CSS

    t = gen.timeout
    await click(await find(page, "model_trigger", t, registry=REG), t, REG)
    menu = await find(page, "model_menu", t, registry=REG)
    items = menu.locator(MENUITEM_CSS)
    labels = [norm(await items.nth(i).evaluate(ITEM_TEXT_JS)) for i in range(await items.count())]
    counts = await page.evaluate(_COUNT_JS, list(ELEMENTS["model_menu"]))
    for _ in range(3):  # close the menu only (Escape closes one overlay per press)
        if await menu.count() == 0 or not await menu.is_visible():
            break
        await page.keyboard.press("Escape")
        await asyncio.sleep(0.05)
    await gen._open_settings(page)
    return labels, counts


def _numbers(radios: Iterable[dict], pattern: str) -> list[int]:
    out = []
    for r in radios:
        found = re.match(pattern, r["text"] or "")
        if found:
            out.append(int(found.group(1)))
    return out


async def _model_matrix(gen: Any, page: Page, model: str) -> tuple[dict, dict]:
    """One model's options and the live quote of every duration × resolution × count."""
    from bot.pipeline.flow.api import GenerationRequest
    from bot.pipeline.flow.ui.flow2026 import selectors as S

    await gen._set_model(page, model)
    # A model change re-renders the other groups a moment later (FLOW_2026 §5): wait until the
    # groups stayed the same for longer than such a re-render takes.
    groups = await _settled_groups(gen, page)
    durations = _numbers(groups["duration"][1], S.DURATION_RE) if "duration" in groups else []
    resolutions = ([f"{n}p" for n in _numbers(groups["resolution"][1], S.RESOLUTION_RE)]
                   if "resolution" in groups else [])
    counts = _numbers(groups["count"][1], S.COUNT_RE) if "count" in groups else []
    options: dict[str, Any] = {"durations": durations, "resolutions": resolutions, "counts": counts}
    slider = groups.get("slider")
    combos = list(product(durations or [None], resolutions or [None], counts or [1]))
    if slider is not None:
        lo, hi = int(slider["min"]), int(slider["max"])
        options["duration_range"] = [lo, hi]
        sampled = sorted({d for d in SLIDER_SAMPLES if lo <= d <= hi} | {lo, hi})
        combos = [(d, r, c) for d in sampled for r in resolutions or [None]
                  for c in (counts or [1]) if c == 1 or d == (8 if lo <= 8 <= hi else lo)]
    prices: dict[str, int | None] = {}
    for duration, resolution, count in combos:
        req = GenerationRequest(image_path=Path("survey.png"), prompt="survey", model=model,
                                duration=duration or 8, resolution=resolution or "720p",
                                outputs=count)
        for name, present in (("resolution", resolution), ("duration", duration),
                              ("count", counts)):
            if present and (name != "duration" or slider is None):
                await gen._set_group(page, name, req)
        if slider is not None and duration is not None:
            await gen._set_slider(page, duration)
        prices[price_key(duration, resolution, count)] = await _quote(page)
    return options, prices


async def _settled_groups(gen: Any, page: Page, quiet: float = GROUPS_QUIET_S,
                          limit: float = 8.0) -> dict:
    def shape(groups: dict) -> list:
        return [groups.get("model"), groups.get("slider")] + [
            (name, [r["text"] for r in radios]) for name, (_, radios) in sorted(
                (k, v) for k, v in groups.items() if k not in _NOT_GROUPS)]

    deadline = time.monotonic() + limit
    last = await gen._groups(page)
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = await gen._groups(page)
        if shape(now) == shape(last):
            return now
        last = now
    return last


async def _quote(page: Page) -> int | None:
    """The live price `a.credit-cost-link`, once two reads agree (None: no quote shown)."""
    link = page.locator("flow-prompt-box-settings a.credit-cost-link, a.credit-cost-link").first
    deadline = time.monotonic() + 3.0
    last: int | None = None
    while time.monotonic() < deadline:
        if await link.count():
            found = re.search(r"(\d[\d,.]*)", await link.inner_text() or "")
            value = int(re.sub(r"\D", "", found.group(1))) if found else None
            if value is not None and value == last:
                return value
            last = value
        await asyncio.sleep(PRICE_SETTLE_S)
    return last
