"""The settings popover (FLOW_2026 §5): media and input mode, the model (menu, then the
re-render of its own groups), aspect, resolution, duration (radios, or Omni 1.2's slider) and
count, every group told apart by its ligatures or the shape of its numbers and read back
before anything is paid; and the closed trigger's summary."""

from __future__ import annotations

import asyncio
import logging
import re
import time

from playwright.async_api import Page

from bot.errors import ModelNotOfferedError, ModelPickerHiddenError, UnknownPageStateError
from bot.pipeline import catalog
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.locate import NotFound, click, find, probe, until
from bot.pipeline.flow.ui.flow2026 import selectors as S
from bot.pipeline.flow.ui.flow2026.base import REG, TEXT_JS, Flow2026Base, attr_is, gone, norm

log = logging.getLogger(__name__)


class SettingsMismatch(UnknownPageStateError):
    """A settings group did not keep (or does not show) what we chose: nothing was clicked."""

    code = "settings_mismatch"


_GROUPS_JS = """(panel) => {
  const root = document.querySelector(panel);
  if (!root) return null;
  const ligs = (el) => [...el.querySelectorAll('mat-icon')].map((m) => m.textContent.trim());
  const words = """ + TEXT_JS + """;
  const groups = [...root.querySelectorAll('[role=radiogroup]')].map((g) =>
    [...g.querySelectorAll('[role=radio]')].map((r) => ({
      text: words(r), ligs: ligs(r), checked: r.getAttribute('aria-checked') === 'true',
      disabled: r.disabled || r.getAttribute('aria-disabled') === 'true'})));
  const trig = root.querySelector('.model-select-trigger-content');
  const shown = (el) => !!el && el.getClientRects().length > 0 && !el.closest('[hidden]')
    && getComputedStyle(el).visibility !== 'hidden';
  const range = root.querySelector('mat-slider input[type=range], input[type=range]');
  const slider = range ? {min: Number(range.min), max: Number(range.max),
    step: Number(range.step) || 1, value: Number(range.value)} : null;
  return {groups, model: trig ? words(trig) : null, modelShown: shown(trig), slider};
}"""


# A model change re-renders the model's own groups (resolution, duration, count) some time later
# (FLOW_2026 §5); a JS property (not a DOM attribute) marks the groups present before the change.
_MARK_GROUPS_JS = """(panel) => {
  const root = document.querySelector(panel);
  if (!root) return 0;
  const groups = root.querySelectorAll('[role=radiogroup]');
  groups.forEach((g) => { g.__flowbotBeforeModel = true; });
  return groups.length;
}"""


# Per group of the panel, in _GROUPS_JS order: whether it is still one from before the change.
_STALE_GROUPS_JS = """(panel) => {
  const root = document.querySelector(panel);
  if (!root) return null;
  return [...root.querySelectorAll('[role=radiogroup]')].map((g) => g.__flowbotBeforeModel === true);
}"""


_MODEL_GROUPS = ("resolution", "duration", "count")


MODEL_RERENDER_LIMIT_S = 3.0


# Angular writes a slider's own value back about every 100 ms: a set value is read after this.
SLIDER_SETTLE_S = 0.25  # a UI that updates the groups in place is waited for this long


class SettingsMixin(Flow2026Base):
    """Open, set, read back and close the settings popover."""

    async def _open_settings(self, page: Page) -> None:
        t = self.timeout
        if await probe(page, "settings_panel", registry=REG) is not None:
            return
        trigger = await find(page, "settings_trigger", t, registry=REG)
        for _ in range(4):  # the first click is sometimes swallowed (FLOW_2026 §5)
            await click(trigger, t, REG)
            try:
                await find(page, "settings_panel", 1.0, registry=REG)
                return
            except NotFound:
                log.debug("settings trigger click swallowed; again")
        raise NotFound("settings_panel")

    async def _close_settings(self, page: Page) -> None:
        for _ in range(4):  # Escape closes one overlay per press
            if await gone(page, "settings_panel") and await gone(page, "model_menu"):
                return
            await page.keyboard.press("Escape")
            await asyncio.sleep(0.05)
        await until(lambda: gone(page, "settings_panel"), self.timeout, "settings closed")

    async def _groups(self, page: Page) -> dict:
        """{"media"|"input"|"aspect"|"resolution"|"duration"|"count": (group index, radios),
        "model": trigger text} read in one evaluate."""
        raw = await page.evaluate(_GROUPS_JS, S.SETTINGS_PANEL_CSS)
        if raw is None:
            raise NotFound("settings_panel")
        out: dict = {"model": norm(raw["model"] or ""), "model_shown": bool(raw.get("modelShown")),
                     "slider": raw.get("slider")}
        for gi, radios in enumerate(raw["groups"]):
            ligs = {lg for r in radios for lg in r["ligs"]}
            texts = [r["text"] for r in radios]
            if ligs & set(S.MEDIA_LIGATURES.values()):
                name = "media"
            elif ligs & set(S.INPUT_LIGATURES.values()):
                name = "input"
            elif ligs & set(S.ASPECT_LIGATURES.values()):
                name = "aspect"
            elif texts and all(re.match(S.RESOLUTION_RE, x) for x in texts):
                name = "resolution"
            elif texts and all(re.match(S.COUNT_RE, x) for x in texts):
                name = "count"
            elif texts and all(re.match(S.DURATION_RE, x) for x in texts):
                name = "duration"
            else:
                continue
            out[name] = (gi, radios)
        return out

    @staticmethod
    def _want(req: GenerationRequest) -> dict[str, callable]:
        """Per group: does a radio (its text, ligatures) stand for what `req` asks?"""
        return {
            "media": lambda r: S.MEDIA_LIGATURES["video"] in r["ligs"],
            "input": lambda r: S.INPUT_LIGATURES["frames"] in r["ligs"],
            "aspect": lambda r: S.ASPECT_LIGATURES[req.aspect] in r["ligs"],
            "resolution": lambda r: _num(S.RESOLUTION_RE, r["text"]) == int(req.resolution.rstrip("p")),
            "duration": lambda r: _num(S.DURATION_RE, r["text"]) == req.duration,
            "count": lambda r: _num(S.COUNT_RE, r["text"]) == req.outputs,
        }

    async def _set_group(self, page: Page, name: str, req: GenerationRequest,
                         groups: dict | None = None) -> None:
        groups = groups if groups is not None else await self._groups(page)
        if name not in groups:
            return
        gi, radios = groups[name]
        want = self._want(req)[name]
        idx = next((i for i, r in enumerate(radios) if want(r)), None)
        if idx is None:
            raise SettingsMismatch(f"Flow offers no {name} option for this request "
                                   f"(options: {[r['text'] or r['ligs'] for r in radios]})")
        if radios[idx]["checked"]:
            return
        radio = (page.locator(S.SETTINGS_PANEL_CSS).locator(S.RADIOGROUP_CSS).nth(gi)
                 .locator(S.RADIO_CSS).nth(idx))
        for _ in range(3):  # a radio sometimes ignores a click (FLOW_2026 §5): click again
            # Every attempt through `click`: a first-visit modal that opens late (between two
            # attempts) covers the popover, and a raw mouse click would land on its backdrop.
            await click(radio, self.timeout, REG)
            try:
                await until(lambda: attr_is(radio, "aria-checked", "true"), 1.0, f"{name} checked")
                return
            except NotFound:
                log.debug("%s radio ignored a click", name)
        raise SettingsMismatch(f"the {name} option does not stay selected")

    async def _set_slider(self, page: Page, seconds: int) -> None:
        """The duration slider (Omni 1.2, FLOW_2026 Dec. 3) to `seconds`, by real key presses
        on its focused thumb (the component ignores a value written without events), then read
        back after the component had its chance to write its own value again."""
        loc = await find(page, "duration_slider", self.timeout, registry=REG)

        async def value() -> int:
            return int(float(await loc.input_value() or 0))

        lo, hi = int(await loc.get_attribute("min") or 0), int(await loc.get_attribute("max") or 0)
        if not lo <= seconds <= hi:
            raise SettingsMismatch(f"Flow's duration slider goes from {lo} to {hi} s here, "
                                   f"not to {seconds} s")
        for _ in range(3):
            now = await value()
            if now == seconds:
                break
            await loc.focus()
            key = "ArrowRight" if seconds > now else "ArrowLeft"
            for _ in range(abs(seconds - now)):
                await page.keyboard.press(key)
            await asyncio.sleep(SLIDER_SETTLE_S)  # a value that did not stick is written back
        if await value() != seconds:
            raise SettingsMismatch(f"the duration slider does not stay at {seconds} s "
                                   f"(it shows {await value()} s)")

    async def _set_model(self, page: Page, model: str) -> None:
        t = self.timeout
        if norm((await self._groups(page))["model"]) == model:
            return
        await page.evaluate(_MARK_GROUPS_JS, S.SETTINGS_PANEL_CSS)
        await click(await find(page, "model_trigger", t, registry=REG), t, REG)
        menu = await find(page, "model_menu", t, registry=REG)
        items = menu.locator(S.MENUITEM_CSS)
        labels = [norm(await items.nth(i).evaluate(TEXT_JS)) for i in range(await items.count())]
        if model not in labels:
            await page.keyboard.press("Escape")
            # A retirement (or a plan without it) is a product event, not drift: nothing was
            # clicked; the pipeline learns the menu again and holds the work for its owner.
            raise ModelNotOfferedError(f"Flow's model menu has no {model!r} (it offers {labels})",
                                       model=model)
        await click(items.nth(labels.index(model)), t, REG)
        # A model change re-renders duration, resolution and count: wait until it settled.
        await until(lambda: self._model_is(page, model), t, "model selected")
        # The menu may stay open over the pane (two overlays stacked): close only the menu.
        for _ in range(3):
            if await gone(page, "model_menu"):
                break
            await page.keyboard.press("Escape")
            await asyncio.sleep(0.05)
        await self._open_settings(page)
        # Not a fixed pause: the re-render comes model_rerender_ms (about 300 ms) later, and a
        # click on a group before it lands on an element about to be replaced.
        await self._until_rerendered(page, min(t, MODEL_RERENDER_LIMIT_S))
        await _settle(lambda: self._groups(page))

    async def _until_rerendered(self, page: Page, limit: float) -> bool:
        """Wait (at most `limit` s) until the model's own groups (resolution, duration, count)
        are all new elements, i.e. the re-render after a model change has happened."""
        deadline = time.monotonic() + limit
        while True:
            # Both reads list the panel's radiogroups in the same document order.
            stale = await page.evaluate(_STALE_GROUPS_JS, S.SETTINGS_PANEL_CSS) or []
            try:
                groups = await self._groups(page)
            except NotFound:
                groups = {}
            own = [groups[name][0] for name in _MODEL_GROUPS if name in groups]
            if own and all(gi < len(stale) and not stale[gi] for gi in own):
                return True
            if time.monotonic() >= deadline:
                log.debug("model groups not re-rendered within %.1f s; read as they are", limit)
                return False
            await asyncio.sleep(0.05)

    async def _model_is(self, page: Page, model: str) -> bool:
        try:
            return (await self._groups(page))["model"] == model
        except NotFound:
            return False

    async def _configure(self, page: Page, req: GenerationRequest) -> None:
        """Media, Frames, model first, then the rest; read everything back (FLOW_2026 §5)."""
        try:
            offer = catalog.offer(req.model, await self._read_plan(page))  # type: ignore[arg-type]
        except catalog.UnknownOffer as err:
            raise SettingsMismatch(str(err)) from err
        await self._open_settings(page)
        try:
            groups = await self._groups(page)
            for name in ("media", "input"):  # they decide which other rows exist
                if await self._wrong(groups, name, req):
                    await self._set_group(page, name, req, groups)
                    groups = await self._groups(page)
            if not groups["model_shown"]:
                # FLOW_2026 Dec. 7: some pages hide the model picker. Its text then only says
                # the project's default: refuse rather than guess what would be billed.
                raise ModelPickerHiddenError(
                    f"Flow's settings show no model picker on this page; {req.model} cannot be "
                    "chosen or checked, so nothing was submitted")
            if groups["model"] != req.model:
                await self._set_model(page, req.model)
                groups = await self._groups(page)
            for name in ("aspect", "resolution", "duration", "count"):
                if await self._wrong(groups, name, req):
                    await self._set_group(page, name, req, groups)
            if groups.get("slider") is not None:
                await self._set_slider(page, req.duration)
            got, problems = await self._readback(page, req, offer)
            # The live quote of exactly these settings, read while the popover shows it.
            self._quote_seen = await self._panel_quote(page) if not problems else None
        finally:
            await self._close_settings(page)
        if problems:
            raise SettingsMismatch(
                f"settings read back {got}, wanted {req.model} {req.aspect} {req.resolution} "
                f"{req.duration}s x{req.outputs}; wrong: {', '.join(problems)}")
        await self._summary_agrees(page, req)

    async def _wrong(self, groups: dict, name: str, req: GenerationRequest) -> bool:
        """Whether group `name` exists and its checked radio is not what `req` asks."""
        if name not in groups:
            return False
        want = self._want(req)[name]
        checked = [r for r in groups[name][1] if r["checked"]]
        return len(checked) != 1 or not want(checked[0])

    async def _panel_quote(self, page: Page) -> int | None:
        match = await probe(page, "price", registry=REG)
        return await self._price_of(match.locator) if match is not None else None

    async def _readback(self, page: Page, req: GenerationRequest,
                        offer: catalog.Offer) -> tuple[dict, list[str]]:
        """Every group's checked option and the model, against the request (popover open)."""
        groups = await self._groups(page)
        got, problems = {"model": groups["model"]}, []
        want = self._want(req)
        for name in ("media", "input", "aspect", "resolution", "duration", "count"):
            if name not in groups:
                got[name] = None
                continue
            checked = [r for r in groups[name][1] if r["checked"]]
            got[name] = (checked[0]["text"] or checked[0]["ligs"]) if checked else None
            if len(checked) != 1 or not want[name](checked[0]):
                problems.append(name)
        if groups["model"] != req.model or not groups["model_shown"]:
            problems.append("model")
        slider = groups.get("slider")
        if slider is not None:
            got["duration"] = slider["value"]
            if slider["value"] != req.duration:
                problems.append("duration (slider)")
        # A group without a row is fixed by the model: it must be what we ask.
        if "resolution" not in groups and offer.resolutions != (req.resolution,):
            problems.append("resolution (no row)")
        if "duration" not in groups and slider is None and offer.durations != (req.duration,):
            problems.append("duration (no row)")
        for name in ("media", "input", "aspect", "count"):
            if name not in groups:
                problems.append(f"{name} (no row)")
        log.debug("settings read back: %s", got)
        return got, problems

    async def _summary_agrees(self, page: Page, req: GenerationRequest) -> None:
        """The closed trigger's summary lags the popover: poll until it agrees."""
        async def ok() -> bool:
            match = await probe(page, "settings_summary", registry=REG)
            if match is None:
                return False
            summary = norm(await match.locator.evaluate(TEXT_JS))
            return (re.search(rf"[x×]\s*{req.outputs}\b", summary) is not None
                    and re.search(rf"(?<!\d){req.duration}\s*\D", summary + " ") is not None)
        try:
            await until(ok, self.timeout, "settings summary")
        except NotFound:
            raise SettingsMismatch("the settings summary never showed the chosen duration and count") from None


def _num(pattern: str, value: str) -> int | None:
    m = re.match(pattern, value or "")
    return int(m.group(1)) if m else None


async def _settle(read, quiet: float = 0.15, limit: float = 3.0) -> None:
    """Wait until two reads `quiet` seconds apart agree (a re-render finished)."""
    deadline = time.monotonic() + limit
    last = await read()
    while time.monotonic() < deadline:
        await asyncio.sleep(quiet)
        now = await read()
        if now == last:
            return
        last = now
