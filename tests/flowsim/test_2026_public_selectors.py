"""Fidelity check: the selectors public tools use on the real flow.google.com
(tests/flowsim/public_selectors.py) resolve on flowsim's flow2026 page in the state they need
(at least one element, visible where that is the point), and the `expected_miss` rows, which
contradict FLOW_2026.md, do not resolve. One walk through a project builds the composer
states, a second one the tile states."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.flowsim.pages2026 import (
    QUIET,
    choose_frames,
    close_overlays,
    editor,
    generate_button,
    make_png,
    new_project,
    open_context,
    open_settings,
    real_mouse_over,
    type_prompt,
    wait_submits,
)
from tests.flowsim.public_selectors import ROWS, STATES

visited: set[str] = set()
walked: set[str] = set()


async def check(page: Page, state: str, timeout_ms: int = 5000) -> None:
    """Every row of `state` resolves as it should; all failures are reported together."""
    visited.add(state)
    failures = []
    for row in (r for r in ROWS if r.state == state):
        found = page.locator(row.selector)
        try:
            if row.expected_miss:
                await expect(found).to_have_count(0, timeout=500)
            else:
                await expect(found.first).to_be_attached(timeout=timeout_ms)
                if row.visible:
                    await expect(found.first).to_be_visible(timeout=2000)
        except AssertionError:
            failures.append(f"{row.selector!r} ({row.target}; {row.source})")
    assert not failures, f"state {state}: " + "; ".join(failures)


async def pick_with_add_to_prompt(page: Page) -> None:
    """Preview mode: select the (only) option, then Add to prompt."""
    picker = page.locator("flow-add-menu-popover-content")
    await picker.locator("button.asset-item[role=option]").first.click()
    await picker.locator("button.detail-add-to-prompt-btn").click()
    await expect(picker).to_have_count(0)


async def test_composer_states(chromium, sim, flowsim_url, tmp_path):
    await sim.configure(**{**QUIET, "upload_consent": True, "picker_mode": "preview"})
    context, page = await open_context(chromium, sim)
    url = await new_project(page, flowsim_url, changelog=False)
    await sim.configure(cookie_bar="consent")  # the fresh account's bar, over this project
    await page.reload()
    await check(page, "project_fresh")
    await page.locator("button.glue-cookie-notification-bar__accept").click()
    await check(page, "project")
    for lang in ("vi", "ko"):
        await page.goto(f"{url}?hl={lang}")
        await check(page, f"project_{lang}")
    await page.goto(url)

    await page.get_by_role("button", name="Add media menu").click()
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("menuitem", name="Upload").click()
    await (await chooser.value).set_files(make_png(tmp_path / "pub-sel-1.png"))
    await check(page, "consent")
    await page.locator("flow-upload-consent-dialog div.agree-actions-group button").last.click()
    await expect(page.locator("img[data-media-id][alt='pub-sel-1.png']")).to_have_count(1)

    await open_settings(page)
    await check(page, "settings")
    await close_overlays(page)

    await page.locator("button.add-menu-trigger").click()
    picker = page.locator("flow-add-menu-popover-content")
    await picker.locator("button.asset-item[role=option]").first.click()
    await check(page, "ingredients_picker")
    await picker.locator("button.detail-add-to-prompt-btn").click()
    await editor(page).click()
    await page.keyboard.insert_text("a lantern in ")
    await page.keyboard.type("@")
    await pick_with_add_to_prompt(page)
    await check(page, "ingredient_bound")

    await choose_frames(page)
    await page.locator("flow-ingredient-bar div.frame-trigger").first.locator("button").click()
    await expect(picker.locator("button.asset-item")).to_have_count(1)
    await check(page, "frames_picker")
    await pick_with_add_to_prompt(page)
    await check(page, "frames_bound")

    await sim.configure(credits=1)  # the next idle poll (every 5 s) tells the page
    await check(page, "insufficient", timeout_ms=12_000)
    await sim.configure(credits=1000)
    # The page hears of the balance at its next idle poll: every 5 s at Flow's own timings, so
    # the default 5 s expectation raced it.
    await expect(generate_button(page)).to_be_visible(timeout=12_000)
    await page.locator("button.agent-mode-chip").click()
    await check(page, "agent")
    await page.locator("button.agent-mode-chip").click()
    await context.close()
    walked.add("composer")


async def submit(page: Page, sim, prompt: str, n: int) -> None:
    await type_prompt(page, prompt)
    await generate_button(page).click()
    assert len(await wait_submits(sim, n)) == n


async def test_tile_states(chromium, sim, flowsim_url):
    await sim.configure(**{**QUIET, "generation_seconds": 1.0, "stuck_next": 1})
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    await submit(page, sim, "a pending lighthouse", 1)  # stays pending
    await sim.fail_next(1, "policy")
    await submit(page, sim, "a refused lighthouse", 2)
    await submit(page, sim, "a finished lighthouse", 3)
    await check(page, "tile_pending")
    await expect(page.locator("flow-error-tile")).to_have_count(1, timeout=30_000)
    await check(page, "tile_failed")
    done = page.locator("flow-grid-tile-container:has(flow-video-tile img.thumbnail)")
    await expect(done).to_have_count(1, timeout=90_000)
    await real_mouse_over(page, done)
    await check(page, "tile_done_hover")
    await done.locator("flow-video-hotbar button[aria-haspopup=menu]").click()
    await check(page, "tile_menu")
    await close_overlays(page)
    await context.close()
    walked.add("tiles")


def test_every_state_of_the_table_is_built():
    # Runs after the walks above (file order): a state no walk reaches would test nothing.
    if len(walked) < 2:
        pytest.skip("needs both walks of this file")
    assert visited == set(STATES)
