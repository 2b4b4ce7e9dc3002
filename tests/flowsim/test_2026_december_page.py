"""flowsim's December build in Chromium (FLOW_2026 "December 2026", issue 17): Omni 1.2's duration
slider (a trusted click, drag or key moves it; a value written into the input without input/
change events does not stick; the native setter plus both events does), the live price and the
lagging summary following it, Veo 3.1 - Lite's radios per plan, the free plan's 10 s, the End chip
over 10 s, a stale October page refused, the catalogue calls on every load, and the page-side
traps: the hidden model picker, Chrome's translation, the firewall's 403, the poll's refusal
frame, the lost upload reply and unusual activity on Flow's own 1080p. Each trap shows the naive
step failing the way the real site fails and what a careful driver does instead."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.flowsim.pages2026 import (
    LABEL_JS,
    QUIET,
    WAIT_MS,
    choose_frames,
    close_overlays,
    generate_button,
    make_png,
    new_project,
    open_context,
    open_settings,
    pick_model,
    radio,
    real_mouse_over,
    type_prompt,
    upload,
    wait_submits,
    wait_video_tile,
)

SLIDER = "flow-prompt-box-settings mat-slider.duration-slider"
SLIDER_INPUT = f"{SLIDER} input.mdc-slider__input[type=range]"
MENU_ITEMS = "div[role=menu].flow-model-picker-panel [role=menuitem] .mat-mdc-menu-item-text"
# What public tools do (FLOW_2026 Dec. 3): the native value setter, then input and change.
NATIVE_SET_JS = """(input, value) => {
  const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  set.call(input, String(value));
  input.dispatchEvent(new Event('input', { bubbles: true }));
  input.dispatchEvent(new Event('change', { bubbles: true }));
}"""


async def project(chromium, sim, flowsim_url, **config):
    """A new project with every first-visit overlay off (plus `config`)."""
    await sim.configure(**{**QUIET, "generation_seconds": 1.0, **config})
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    return context, page


def price(page: Page):
    return page.locator("flow-prompt-box-settings a.credit-cost-link")


def summary(page: Page):
    return page.locator("button.settings-trigger-button span.settings-summary")


async def submit(page: Page, prompt: str) -> None:
    await type_prompt(page, prompt)
    await generate_button(page).click()


async def click_track_at(page: Page, fraction: float) -> None:
    """A trusted pointer click on the slider's track at `fraction` of its width (the native
    range input lies over it, so Playwright's element click would say it intercepts)."""
    box = await page.locator(f"{SLIDER} .mdc-slider__track").bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


# ---- the slider -------------------------------------------------------------------------------
async def test_the_duration_slider_moves_with_trusted_pointer_and_keys(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await open_settings(page)
    model = page.locator("flow-prompt-box-settings span.model-select-trigger-content")
    await expect(model).to_have_text("Omni 1.2 Flash")  # December's default (ASSUMPTION)
    slider = page.locator(SLIDER)
    await expect(slider).to_have_attribute("min", "3")
    await expect(slider).to_have_attribute("max", "15")
    await expect(slider).to_have_attribute("step", "1")
    assert await slider.get_attribute("discrete") == ""
    assert await slider.evaluate("e => e.classList.contains('mat-mdc-slider')")
    input_ = page.locator(SLIDER_INPUT)
    await expect(input_).to_have_attribute("aria-label", "Duration")
    await expect(input_).to_have_value("8")
    await expect(slider.locator(".mdc-slider__value-indicator-text")).to_have_text("8s")
    await expect(page.locator("flow-prompt-box-settings .duration-value")).to_have_text("8s")
    await expect(slider.locator(".mdc-slider__thumb-knob")).to_have_count(1)
    # Omni 1.2 has no duration radios any more.
    await expect(page.locator("mat-button-toggle-group.group-duration")).to_have_count(0)
    await expect(price(page)).to_have_text("24 credits")
    await click_track_at(page, 0.999)
    await expect(input_).to_have_value("15")
    await expect(price(page)).to_have_text("60 credits")
    await click_track_at(page, 0.001)
    await expect(input_).to_have_value("3")
    await expect(price(page)).to_have_text("9 credits")
    # A drag from the thumb to the right (mouse down, move, up).
    box = await page.locator(f"{SLIDER} .mdc-slider__track").bounding_box()
    y = box["y"] + box["height"] / 2
    await page.mouse.move(box["x"] + 1, y)
    await page.mouse.down()
    await page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=8)
    await page.mouse.up()
    dragged = int(await input_.input_value())
    assert 10 <= dragged <= 14
    # Keyboard steps on the focused input.
    await input_.focus()
    await page.keyboard.press("Home")
    await expect(input_).to_have_value("3")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowUp")
    await expect(input_).to_have_value("5")
    await page.keyboard.press("ArrowLeft")
    await expect(input_).to_have_value("4")
    await page.keyboard.press("PageUp")
    assert int(await input_.input_value()) > 4
    await page.keyboard.press("End")
    await expect(input_).to_have_value("15")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(input_).to_have_value("12")
    await expect(price(page)).to_have_text("42 credits")
    await close_overlays(page)
    await expect(summary(page)).to_contain_text("Video · 720p · 12s")
    await submit(page, "a paper boat on a canal")
    [sent] = await wait_submits(sim, 1)
    assert (sent["model_key"], sent["duration"], sent["credits"]) == ("abra_v2_t2v_12s", 12, 42)
    await context.close()


async def test_a_value_written_without_events_does_not_stick(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await open_settings(page)
    input_ = page.locator(SLIDER_INPUT)
    # Naive: write the value like a text field, no events.
    # For a moment it seems to work (read in the same turn of the page's event loop: a second
    # round trip raced the component's re-render when the machine was busy)...
    assert await input_.evaluate("i => { i.value = '12'; return i.value; }") == "12"
    await page.wait_for_timeout(300)
    await expect(input_).to_have_value("8")  # ...the component re-renders its own value
    await expect(price(page)).to_have_text("24 credits")
    await input_.evaluate("i => { i.value = '12'; }")
    await close_overlays(page)  # or a blur: the component wins
    await expect(summary(page)).to_contain_text("8s")
    await submit(page, "a kite over wet sand")
    [sent] = await wait_submits(sim, 1)
    assert (sent["model_key"], sent["credits"]) == ("abra_v2_t2v_8s", 24)  # billed 8 s
    # Careful: the native setter plus input and change events, then read the settings back.
    await open_settings(page)
    await page.locator(SLIDER_INPUT).evaluate(NATIVE_SET_JS, 12)
    await expect(page.locator(SLIDER_INPUT)).to_have_value("12")
    await page.wait_for_timeout(300)
    await expect(page.locator(SLIDER_INPUT)).to_have_value("12")
    await expect(price(page)).to_have_text("42 credits")
    await expect(page.locator("flow-prompt-box-settings .duration-value")).to_have_text("12s")
    await close_overlays(page)
    await expect(summary(page)).to_contain_text("Video · 720p · 12s")
    await submit(page, "a kite over wet sand")
    sent = await wait_submits(sim, 2)
    assert (sent[1]["model_key"], sent[1]["duration"], sent[1]["credits"]) == (
        "abra_v2_t2v_12s", 12, 42)
    await context.close()


async def test_veo_lite_keeps_its_radios_per_plan(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await open_settings(page)
    await pick_model(page, "Veo 3.1 - Lite")
    await expect(page.locator(SLIDER)).to_have_count(0)
    await expect(page.locator("mat-button-toggle-group.group-duration")).to_have_count(0)  # Pro: 8 s
    await expect(price(page)).to_have_text("10 credits")
    await page.locator("flow-prompt-box-settings button.model-select-trigger").click()
    await expect(page.locator(MENU_ITEMS)).to_have_text(["Omni 1.2 Flash", "Veo 3.1 - Lite"])
    await page.keyboard.press("Escape")
    await context.close()
    context, page = await project(chromium, sim, flowsim_url, plan="ultra",
                                  lower_priority_model=True)
    await open_settings(page)
    await page.locator("flow-prompt-box-settings button.model-select-trigger").click()
    await expect(page.locator(MENU_ITEMS)).to_have_text(["Omni 1.2 Flash", "Veo 3.1 - Lite",
                                                         "Veo 3.1 - Lite [Lower Priority]"])
    await page.keyboard.press("Escape")
    await pick_model(page, "Veo 3.1 - Lite")
    for label in ("4s", "6s", "8s"):
        await expect(radio(page, "duration", label)).to_have_count(1)
    await radio(page, "duration", "6s").click()
    await expect(price(page)).to_have_text("5 credits")
    await context.close()


async def test_the_free_plan_stops_the_slider_at_ten(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, plan="free", credits=50)
    await open_settings(page)
    await expect(page.locator(SLIDER)).to_have_attribute("max", "10")
    await page.locator(SLIDER_INPUT).focus()
    await page.keyboard.press("End")
    await expect(page.locator(SLIDER_INPUT)).to_have_value("10")
    await expect(price(page)).to_have_text("30 credits")
    # Forcing 12 through the setter is clamped by the component: the plan has no 12 s.
    await page.locator(SLIDER_INPUT).evaluate(NATIVE_SET_JS, 12)
    await expect(page.locator(SLIDER_INPUT)).to_have_value("10")
    await page.locator("flow-prompt-box-settings button.model-select-trigger").click()
    await expect(page.locator(MENU_ITEMS)).to_have_text(["Omni 1.2 Flash"])
    await context.close()


async def test_the_end_chip_is_off_over_ten_seconds(chromium, sim, flowsim_url, tmp_path):
    context, page = await project(chromium, sim, flowsim_url, upload_consent=False)
    await upload(page, make_png(tmp_path / "dec-start.png", (200, 60, 60)), rights=False)
    await upload(page, make_png(tmp_path / "dec-end.png", (60, 60, 200)), rights=False)
    await choose_frames(page)
    chips = page.locator("flow-ingredient-bar div.frame-trigger button.empty-chip")
    await open_settings(page)
    await page.locator(SLIDER_INPUT).evaluate(NATIVE_SET_JS, 12)
    await expect(chips.last).to_be_disabled()  # End, over 10 s
    await expect(chips.first).to_be_enabled()  # Start
    await expect(chips.last).to_have_attribute("title", "End frames work with videos of 10s or less")
    await page.locator(SLIDER_INPUT).evaluate(NATIVE_SET_JS, 10)
    await expect(chips.last).to_be_enabled()
    await close_overlays(page)
    # Bind both frames; then the slider stops at 10.
    for slot, name in ((0, "dec-start.png"), (1, "dec-end.png")):
        await page.locator("flow-ingredient-bar div.frame-trigger").nth(slot).locator("button").first.click()
        picker = page.locator("flow-add-menu-popover-content")
        await picker.locator("input[type=text]").fill(name)
        await picker.locator("button.asset-item[role=option]").filter(has_text=name).click()
        await expect(picker).to_have_count(0)
    await expect(page.locator("flow-ingredient-bar flow-image-ingredient-chip")).to_have_count(2)
    await open_settings(page)
    await expect(page.locator(SLIDER)).to_have_attribute("max", "10")
    await close_overlays(page)
    await submit(page, "from red to blue")
    [sent] = await wait_submits(sim, 1)
    assert (sent["rpc"], sent["model_key"], sent["credits"]) == (
        "nprQif", "omni_flash_v2_i2v_10s_first_last", 30)
    await context.close()


async def test_a_stale_october_page_is_refused_not_billed(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, build="october")
    await sim.configure(build="december")  # Flow shipped a new build while the page was open
    await submit(page, "a lighthouse in a storm")  # Omni 1.1 Flash, the October page's default
    await expect(page.locator("mat-snack-bar-container")).to_contain_text(
        "Omni 1.1 Flash was retired on 7 Dec 2026")
    [sent] = await wait_submits(sim, 1)
    assert (sent["model_key"], sent["refused"], sent["credits"]) == (
        "abra_t2v_8s", "model_retired", 0)
    assert await sim.tiles() == [] and (await sim.counters())["credits_spent"] == 0
    # A reload is a December page: the retired model is not on the menu any more.
    await page.reload()
    await open_settings(page)
    await expect(page.locator("flow-prompt-box-settings span.model-select-trigger-content")).to_have_text(
        "Omni 1.2 Flash")
    await context.close()


async def test_every_project_page_load_asks_the_catalogue(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    answers = {}

    async def on_response(resp):
        if "rpcids=HTrJv" in resp.url or "rpcids=yBhWQ" in resp.url:
            answers[re.search(r"rpcids=(\w+)", resp.url).group(1)] = await resp.text()

    page.on("response", on_response)
    await page.reload()
    await expect(page.locator("flow-prompt-box")).to_be_visible()
    for _ in range(50):
        if len(answers) == 2:
            break
        await page.wait_for_timeout(100)
    calls = [e["rpc"] for e in await sim.wire() if e["rpc"] in ("HTrJv", "yBhWQ")]
    assert calls.count("HTrJv") == 2 and calls.count("yBhWQ") == 2  # both loads
    assert '[\\"abra_v2\\",1]' in answers["yBhWQ"] and '[\\"abra\\",0]' in answers["yBhWQ"]
    assert '[\\"abra_v2\\",[\\"Omni 1.2 Flash\\"]]' in answers["HTrJv"]
    await context.close()


# ---- traps on the page ------------------------------------------------------------------------
async def test_hidden_model_picker_bills_the_projects_default(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, model_picker_hidden=True)
    await open_settings(page)
    row = page.locator("flow-prompt-box-settings .model-row")
    await expect(row).to_have_count(1)
    await expect(row).to_be_hidden()
    # Naive: try to pick Veo 3.1 - Lite anyway (or read the hidden text and believe it).
    with pytest.raises(PlaywrightTimeout):
        await page.locator("flow-prompt-box-settings button.model-select-trigger").click(timeout=1500)
    await close_overlays(page)
    await submit(page, "a dog on a skateboard")
    [sent] = await wait_submits(sim, 1)
    assert (sent["model"], sent["model_key"], sent["credits"]) == (
        "Omni 1.2 Flash", "abra_v2_t2v_8s", 24)  # not the Veo Lite the driver wanted
    # Careful: a driver sees the row hidden before spending and refuses.
    await open_settings(page)
    assert not await page.locator("flow-prompt-box-settings button.model-select-trigger").is_visible()
    await context.close()


async def test_chrome_translation_of_a_vietnamese_page(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, translate_bar=True)
    url = page.url
    await page.goto(f"{url}?hl=vi")
    html = page.locator("html")
    await expect(html).to_have_class(re.compile(r"\btranslated-ltr\b"))
    await expect(html).to_have_attribute("lang", "vi")
    generate = page.locator("flow-generate-icon-button button.generate-icon-button")
    await expect(generate).to_have_attribute("aria-label", "Bắt đầu tạo")  # attributes stay
    await expect(generate.locator("mat-icon")).to_have_text("arrow_forward")  # notranslate
    # Visible text is English now, wrapped twice in Chrome's <font>.
    fonts = summary(page).locator("font[style='vertical-align: inherit;'] > font[style='vertical-align: inherit;']")
    await expect(fonts.first).to_have_text(re.compile(r"Video · 720p · 8s"))
    await expect(page.locator("span.prosemirror-placeholder font font")).to_have_text(
        "What do you want to create?")
    # Naive: anchor on the page language's words; they are gone.
    await expect(page.get_by_text("8 giây")).to_have_count(0)
    # Re-applied after a re-render: the settings popover is new DOM.
    await open_settings(page)
    label = page.locator("flow-prompt-box-settings mat-button-toggle-group.group-mode button[role=radio]").first
    await expect(label.locator("font font")).to_have_text("Frames")
    assert await label.evaluate(LABEL_JS) == ""  # naive: a label's own text nodes are empty
    await close_overlays(page)
    # The editor is translate=no: the prompt goes out as typed.
    await submit(page, "một chiếc thuyền giấy")
    [sent] = await wait_submits(sim, 1)
    assert [t["prompt"] for t in await sim.tiles()] == ["một chiếc thuyền giấy"]
    assert sent["refused"] is None
    # Every load is translated again while the trap is on.
    await page.reload()
    await expect(html).to_have_class(re.compile(r"\btranslated-ltr\b"))
    # Careful: notice `html.translated-ltr|translated-rtl` and reload with hl=en.
    assert await page.evaluate(
        "() => /\\btranslated-(ltr|rtl)\\b/.test(document.documentElement.className)")
    await page.goto(f"{url}?hl=en")
    await expect(page.locator("flow-prompt-box")).to_be_visible()
    await page.wait_for_timeout(200)
    assert not await page.evaluate("() => document.documentElement.classList.contains('translated-ltr')")
    await expect(page.locator("font")).to_have_count(0)
    await expect(summary(page)).to_contain_text("Video · 720p · 8s")
    await context.close()


async def test_firewall_403_shows_a_generic_error(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, firewall_min_gap_s=30)
    await submit(page, "a fox at dusk")
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    await submit(page, "a fox at dawn")  # naive: the next clip at once
    await expect(page.locator("mat-snack-bar-container")).to_contain_text("Something went wrong.")
    sent = await wait_submits(sim, 2)
    assert [(e["refused"], e["credits"]) for e in sent] == [(None, 24), ("firewall", 0)]
    assert len(await sim.tiles()) == 1
    await context.close()


async def test_poll_refusal_frames_leave_the_grid_as_it_was(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, generation_seconds=4.0)
    await submit(page, "a windmill turning")
    tile = page.locator("flow-grid-tile-container")
    await expect(tile.locator("flow-pending-tile")).to_have_count(1)
    await sim.configure(poll_refusal_next=6)

    async def refused() -> int:
        return [e["refused"] for e in await sim.wire() if e["rpc"] == "jwpduf"].count("poll_throttled")

    # Several refused polls (poll_ms 300), counted rather than slept for: a fixed 1.2 s saw only
    # one on a busy machine.
    for _ in range(100):
        if await refused() >= 3:
            break
        await page.wait_for_timeout(100)
    assert await refused() >= 3
    await expect(tile).to_have_count(1)  # the last known state stays on screen
    await expect(tile.locator("flow-pending-tile, flow-video-tile")).to_have_count(1)
    await expect(tile.locator("flow-video-tile img.thumbnail")).to_be_visible(timeout=WAIT_MS)
    await context.close()


async def test_lost_upload_reply_the_asset_is_in_the_library(chromium, sim, flowsim_url, tmp_path):
    context, page = await project(chromium, sim, flowsim_url, upload_consent=False,
                                  upload_reply_lost_next=1)
    name = "run-51c2-start.png"
    await upload(page, make_png(tmp_path / name, (90, 30, 160)), rights=False, accepted=False)
    await expect(page.locator("mat-snack-bar-container")).to_contain_text("Something went wrong.")
    [saved] = await sim.uploads()
    assert (saved["fileName"], saved["replyLost"]) == (name, True)
    # Careful: look in the library by the run-unique name before uploading again.
    await choose_frames(page)
    await page.locator("flow-ingredient-bar div.frame-trigger").first.locator("button").first.click()
    picker = page.locator("flow-add-menu-popover-content")
    await picker.locator("input[type=text]").fill("51c2")
    await expect(picker.locator("button.asset-item[role=option]").filter(has_text=name)).to_have_count(1)
    await close_overlays(page)
    # Naive: upload the same file again: a second asset.
    await upload(page, tmp_path / name, rights=False)
    for _ in range(50):
        if len(await sim.uploads()) == 2:
            break
        await page.wait_for_timeout(100)
    assert [u["fileName"] for u in await sim.uploads()] == [name, name]
    await context.close()


async def test_unusual_activity_on_flows_own_1080p(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, upscale_unusual_activity_next=1,
                                  upscale_1080_seconds=-1)
    await submit(page, "a cable car in fog")
    tile = await wait_video_tile(page)
    await real_mouse_over(page, tile)
    await tile.get_by_role("button", name="More options").click()
    menu = page.locator("div[role=menu]")
    await menu.get_by_role("menuitem", name="Download").click()
    await menu.get_by_role("menuitem", name="1080p Upscaled").click()
    await expect(page.locator("mat-snack-bar-container").last).to_contain_text(
        "We noticed some unusual activity")
    ups = [e for e in await sim.wire() if e["rpc"] == "Qq9xPa"]
    assert [e["refused"] for e in ups] == ["unusual_activity"]
    await context.close()
