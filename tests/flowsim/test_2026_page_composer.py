"""flow2026 prompt-box traps (FLOW_2026 §4–§7): the ProseMirror editor (fill('') keeps the
text, a typed newline submits), the empty Frames submit billed as text-to-video, synthetic
clicks, the Agent chip, insufficient credits, the asynchronous model re-render and stacked
overlays, the swallowed trigger click, a radio ignoring its first click, the lagging summary.
Each shows the naive step failing the way the real site fails and the careful step working;
every submit is checked on the wire."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import expect

from tests.flowsim.pages2026 import (
    QUIET,
    choose_frames,
    close_overlays,
    editor,
    generate_button,
    new_project,
    open_context,
    open_settings,
    radio,
    read_settings,
    set_settings,
    submits,
    type_prompt,
    wait_submits,
)

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

NAIVE_MS = 1500


async def project(chromium, sim, flowsim_url, **config):
    """A new project with every first-visit overlay off (plus `config`)."""
    await sim.configure(**{**QUIET, **config})
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    return context, page


async def test_fill_empty_leaves_the_prompt(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    box = editor(page)
    button = generate_button(page)
    await expect(button).to_be_disabled()
    await expect(page.locator("span.prosemirror-placeholder")).to_have_text("What do you want to create?")
    await box.click()
    await page.keyboard.insert_text("an old lighthouse")
    await expect(button).to_be_enabled()
    await box.fill("")  # naive: Playwright selects by script, then presses Delete
    await expect(box).to_have_text("an old lighthouse")
    await expect(button).to_be_enabled()
    await box.click()
    await page.keyboard.press("Control+a")
    await page.keyboard.press("Backspace")
    await expect(box).to_have_text("")
    await expect(button).to_be_disabled()
    await expect(page.locator("span.prosemirror-placeholder")).to_be_visible()
    assert submits(await sim.wire()) == []
    await context.close()


async def test_typed_newline_submits_early(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await editor(page).click()
    await page.keyboard.type("a red kite\nover the sea")  # naive: the newline is an Enter key
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    [tile] = await sim.tiles()
    assert tile["prompt"] == "a red kite"
    [sent] = submits(await sim.wire())
    assert (sent["rpc"], sent["kind"], sent["count"], sent["refused"]) == ("YhhmEf", "t2v", 1, None)
    # Careful: newlines flattened, then Enter submits the whole prompt. The page ignores Enter
    # while the first submit's reply is still on its way (the button shows it disabled).
    await type_prompt(page, "a red kite\nover the sea")
    await expect(generate_button(page)).to_be_enabled()
    await editor(page).press("Enter")
    await expect(page.locator("flow-grid-tile-container")).to_have_count(2)
    assert sorted(t["prompt"] for t in await sim.tiles()) == ["a red kite", "a red kite over the sea"]
    assert len(submits(await sim.wire())) == 2
    await context.close()


async def test_empty_frames_submit_is_billed_as_text_to_video(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await choose_frames(page)
    await expect(page.locator("flow-ingredient-bar div.frame-trigger button.empty-chip")).to_have_count(2)
    await expect(page.locator("button.add-menu-trigger")).to_have_count(0)
    await type_prompt(page, "a quiet harbour at dawn")
    await generate_button(page).click()  # naive: no start frame bound, nothing checked
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    [sent] = submits(await sim.wire())
    assert (sent["rpc"], sent["kind"], sent["media_ids"], sent["model"], sent["credits"]) == (
        "YhhmEf", "t2v", [None, None], "Omni 1.1 Flash", 12)
    assert (await sim.counters())["credits_spent"] == 12
    await context.close()


async def test_synthetic_click_goes_out_untrusted_and_is_refused(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    await type_prompt(page, "a fox in the snow")
    await expect(generate_button(page)).to_be_enabled()
    await generate_button(page).evaluate("b => b.click()")  # naive: element.click() in the page
    snack = page.locator("mat-snack-bar-container")
    await expect(snack).to_contain_text("unusual activity")
    [sent] = submits(await sim.wire())
    assert (sent["trusted"], sent["refused"], sent["credits"]) == (False, "unusual_activity", 0)
    assert await sim.tiles() == []
    await context.close()


async def test_unusual_activity_is_shown_to_the_user(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, unusual_activity=1)
    await type_prompt(page, "a tram in the fog")
    await generate_button(page).click()
    await expect(page.locator("mat-snack-bar-container")).to_contain_text(
        "We noticed some unusual activity")
    [sent] = submits(await sim.wire())
    assert (sent["trusted"], sent["refused"]) == (True, "unusual_activity")
    assert await sim.tiles() == []
    await context.close()


async def test_agent_chip_swaps_the_composer_and_is_remembered(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url)
    chip = page.locator("flow-agent-mode-toggle-chip button.agent-mode-chip")
    await expect(chip).to_have_attribute("aria-pressed", "false")
    await chip.click()
    await expect(chip).to_have_attribute("aria-pressed", "true")
    await expect(page.locator("flow-creative-agent-prompt-box")).to_have_count(1)
    await expect(page.locator("flow-base-prompt-box")).to_have_count(0)
    trigger = page.locator("button.settings-trigger-button")
    await expect(trigger).to_have_count(1)
    assert await trigger.get_attribute("hidden") == ""
    with pytest.raises(PlaywrightTimeout):  # naive: per-request settings are gone
        await trigger.click(timeout=NAIVE_MS)
    await page.reload()
    await expect(page.locator("flow-creative-agent-prompt-box")).to_have_count(1)
    await chip.click()
    await expect(page.locator("flow-base-prompt-box")).to_have_count(1)
    await expect(trigger).to_be_visible()
    await context.close()


async def test_agent_only_account_has_no_chip(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, agent_only=True)
    await expect(page.locator("flow-creative-agent-prompt-box")).to_have_count(1)
    await expect(page.locator("flow-agent-mode-toggle-chip")).to_have_count(0)
    await type_prompt(page, "a short film about a cat")
    await generate_button(page).click()
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    [sent] = submits(await sim.wire())
    assert (sent["rpc"], sent["kind"], sent["count"], sent["refused"]) == ("YhhmEf", "t2v", 1, None)
    await context.close()


async def test_insufficient_credits_replaces_the_submit_button(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, credits=11)  # quote: 12
    await type_prompt(page, "a windmill")
    warning = page.locator("button.prompt-warning-button")
    await expect(warning).to_have_attribute("aria-label", re.compile("Insufficient credits"))
    await expect(generate_button(page)).to_have_count(0)
    await warning.click()
    await expect(page.locator("mat-snack-bar-container")).to_be_visible()
    assert submits(await sim.wire()) == []
    # Cheaper settings fit: 360p 8 s is 6 credits.
    values = await set_settings(page, resolution="360p")
    assert (values["resolution"], values["price"]) == ("360p", "6 credits")
    await expect(warning).to_have_count(0)
    await generate_button(page).click()
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    [sent] = submits(await sim.wire())
    assert (sent["resolution"], sent["credits"], sent["refused"]) == ("360p", 6, None)
    await context.close()


async def test_model_change_rerenders_groups_and_stacks_overlays(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, plan="ultra", model_rerender_ms=3000)
    await type_prompt(page, "a glass city")
    await open_settings(page)
    model_button = page.locator("flow-prompt-box-settings").get_by_role("button", name="Select model family")
    await model_button.click()
    await page.locator("div[role=menu].flow-model-picker-panel").get_by_role(
        "menuitem", name="Veo 3.1 - Fast", exact=True).click()
    panes = page.locator(".cdk-overlay-container > .cdk-overlay-pane")
    await expect(panes).to_have_count(2)  # the menu stays over the settings pane
    await page.keyboard.press("Escape")
    await expect(panes).to_have_count(1)
    # Naive: pick the duration at once; the re-render lands afterwards and resets it.
    await radio(page, "duration", "4s").click()
    await page.wait_for_timeout(3300)
    values = await read_settings(page)
    assert (values["model"], values["duration"], values["price"]) == ("Veo 3.1 - Fast", "8s", "10 credits")
    # Naive: the pane left open covers the composer.
    with pytest.raises(PlaywrightTimeout):
        await generate_button(page).click(timeout=NAIVE_MS)
    # Careful: settled, so the click holds; read back; close every overlay.
    await radio(page, "duration", "4s").click()
    values = await read_settings(page)
    assert (values["duration"], values["price"]) == ("4s", "10 credits")
    await close_overlays(page)
    await generate_button(page).click()
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    [sent] = submits(await sim.wire())
    assert (sent["model"], sent["duration"], sent["resolution"], sent["credits"]) == (
        "Veo 3.1 - Fast", 4, "720p", 10)
    await context.close()


async def test_first_trigger_click_swallowed_from_second_generation(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, trigger_swallow=True)
    pane = page.locator("flow-prompt-box-settings")
    trigger = page.locator("button.settings-trigger-button")
    await trigger.click()
    await expect(pane).to_be_visible()  # before any generation the first click works
    await close_overlays(page)
    await type_prompt(page, "first clip")
    await generate_button(page).click()
    await expect(page.locator("flow-grid-tile-container")).to_have_count(1)
    await trigger.click()  # naive: one click
    await page.wait_for_timeout(500)
    await expect(pane).to_have_count(0)
    await open_settings(page)  # careful: click again until it opens
    await expect(pane).to_be_visible()
    assert len(submits(await sim.wire())) == 1
    await context.close()


async def test_radio_ignores_its_first_click(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, radio_ignore_first=True)
    await open_settings(page)
    six = radio(page, "duration", "6s")
    await six.click()  # naive: one click, assumed to hold
    await page.wait_for_timeout(300)
    await expect(six).to_have_attribute("aria-checked", "false")
    assert (await read_settings(page))["duration"] == "8s"
    await six.click()  # careful: read back, click again
    await expect(six).to_have_attribute("aria-checked", "true")
    await context.close()


async def test_settings_summary_lags_the_popover(chromium, sim, flowsim_url):
    context, page = await project(chromium, sim, flowsim_url, summary_lag_ms=4000)
    summary = page.locator("span.settings-summary")
    await expect(summary).to_contain_text("x1")
    await open_settings(page)
    await radio(page, "count", "x3").click()
    await close_overlays(page)
    assert "x1" in await summary.inner_text()  # naive: read at once, still the old value
    await expect(summary).to_contain_text("x3", timeout=15_000)  # careful: poll it
    await expect(summary).to_contain_text("8s")
    await context.close()


async def test_price_renders_only_after_hovering_near_submit(chromium, sim, flowsim_url):
    # FLOW_2026 §5 (L): a tool that reads the price straight away reads nothing.
    context, page = await project(chromium, sim, flowsim_url, price_after_hover=True)
    await open_settings(page)
    price = page.locator("flow-credit-cost-label a.credit-cost-link")
    await expect(price).to_have_text("")
    await close_overlays(page)
    await generate_button(page).hover()  # near the submit button
    await open_settings(page)
    await expect(price).to_have_text("12 credits")
    await close_overlays(page)
    await context.close()


async def test_page_drift_moves_the_markup_primary_selectors_name_not_the_fallbacks(
        chromium, sim, flowsim_url):
    """`page_drift`: Flow's next build of the page, for `flowbot flow check` and the canary.
    The New project button loses its class, the submit button its wrapper element; the icons,
    names and the submit type the registry's fallbacks name are still there, and they work."""
    await sim.configure(**QUIET, page_drift=True)
    context, page = await open_context(chromium, sim)
    await page.goto(f"{flowsim_url}/")
    await expect(page.locator("button.new-project-button")).to_have_count(0)
    fab = page.locator("xpath=//button[.//mat-icon[normalize-space()='add']]"
                       "[not(ancestor::flow-agent-panel)][not(ancestor::flow-prompt-box)]")
    await expect(fab).to_have_count(1)
    await fab.click()
    await page.wait_for_url(re.compile(r".*/project/[0-9a-f-]{36}$"))
    await expect(page.locator("flow-generate-icon-button")).to_have_count(0)
    button = page.locator('flow-prompt-box button[type=submit]:has(mat-icon:text-is("arrow_forward"))')
    await expect(button).to_have_count(1)
    await expect(page.get_by_role("button", name="Start generation")).to_have_count(1)
    await type_prompt(page, "a drifted page, same product")
    await expect(button).to_be_enabled()
    await button.click()
    [sent] = await wait_submits(sim, 1)
    assert sent["refused"] is None and sent["trusted"] is not False
    await context.close()



async def test_a_click_across_the_buttons_enable_refresh_still_submits(chromium, sim, flowsim_url):
    """Regression (test_chip_and_mention_go_out_as_mzza6b_with_both_media_ids under load): the
    page re-created its submit button at every enable refresh (100 ms after an edit), so a
    click pressed before the refresh and released after it fell on two elements and submitted
    nothing. The real page updates its button in place."""
    context, page = await project(chromium, sim, flowsim_url)
    await type_prompt(page, "a red kite over the sea")
    button = generate_button(page)
    await expect(button).to_be_enabled()
    await editor(page).click()
    await page.keyboard.insert_text(" at dawn")  # the enable refresh comes 100 ms later
    box = await button.bounding_box()
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await page.wait_for_timeout(300)  # the refresh happens while the button is held
    await page.mouse.up()
    [sent] = await wait_submits(sim, 1, timeout_s=10)
    assert (sent["rpc"], sent["kind"], sent["refused"]) == ("YhhmEf", "t2v", None)
    await context.close()
