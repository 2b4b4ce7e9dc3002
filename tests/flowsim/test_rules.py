"""Account rules seen through the real page: slots, credits, rate limit, failures, demand,
unusual activity, session expiry, the controlled textarea and the virtualised grid."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from flowsim import texts
from tests.flowsim.pages import WAIT_MS, new_page, open_new_project, settings, submit, toasts

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")


async def test_slots_full_refuses_and_submits_nothing(chromium, sim, flowsim_url):
    # Scripted late failures keep the tiles busy without spending CPU on renders.
    await sim.configure(slots=3, generation_seconds=30, landing=False)
    await sim.fail_next(2, "something_wrong", at_percent=99)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await submit(page, "two outputs fill two of three slots")
    await expect(page.locator("[data-tile-id]")).to_have_count(2)
    await submit(page, "two more do not fit")
    await expect(toasts(page).filter(has_text=texts.SLOTS_FULL)).to_be_visible()
    await expect(page.locator("[data-tile-id]")).to_have_count(2)
    counters = await sim.counters()
    assert (counters["submissions"], counters["tiles_created"], counters["max_active_renders"],
            counters["refusals"]) == (1, 2, 2, {"slots_full": 1})
    await context.close()


async def test_failure_after_progress_then_retry(chromium, sim, flowsim_url):
    await sim.configure(landing=False)
    await sim.fail_next(1, "policy", at_percent=30)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await settings(page, outputs=1)
    await submit(page, "a crowd of famous faces")
    tile = page.locator("[data-tile-id]")
    await expect(tile.get_by_text("Failed", exact=True)).to_be_visible(timeout=WAIT_MS)
    await expect(tile.get_by_text(texts.POLICY)).to_be_visible()
    # Failed after the percentage started: spinner and percentage stay next to the error.
    await expect(tile.get_by_text("progress_activity")).to_be_visible()
    percent = await tile.locator(".percent").inner_text()
    assert percent.endswith("%") and int(percent[:-1]) >= 30
    failed = await sim.counters()
    assert (failed["submissions"], failed["credits_spent"]) == (1, 0)  # failures are refunded

    # Retry runs the same tile again as a new, charged submission (its render is covered by
    # the happy-path tests; not waiting for it keeps this test cheap on two shared cores).
    await tile.get_by_role("button", name="refresh Retry").click()
    await expect(tile.get_by_text("Failed", exact=True)).to_have_count(0)
    await expect(tile).to_have_attribute("data-state", re.compile("pending|running"))
    [state] = await sim.tiles()
    retried = await sim.counters()
    assert (state["attempt"], state["error"]) == (2, None)
    assert (retried["submissions"], retried["credits_spent"], retried["tiles_created"]) == (2, 20, 1)
    await context.close()


async def test_insufficient_credits_replace_create(chromium, sim, flowsim_url):
    await sim.configure(credits=30, landing=False)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    # Default settings are 2 outputs of Veo 3.1 - Fast: 40 credits, more than the 30 left.
    warning = page.locator(".prompt-warning-button")
    await expect(warning).to_have_text("warning" + "Not enough AI credits")
    await expect(page.get_by_role("button", name="arrow_forward Create")).to_have_count(0)
    await warning.click()
    await expect(toasts(page).filter(has_text=texts.INSUFFICIENT_CREDITS)).to_be_visible()
    await settings(page, outputs=1)
    await page.locator("#PINHOLE_TEXT_AREA_ELEMENT_ID").fill("one output fits")
    await expect(page.get_by_role("button", name="arrow_forward Create")).to_be_enabled()
    await expect(warning).to_have_count(0)
    assert (await sim.counters())["submissions"] == 0
    await context.close()


async def test_rate_limit_unusual_activity_and_high_demand(chromium, sim, flowsim_url):
    await sim.configure(rate_limit_per_minute=1, high_demand=True, landing=False)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await expect(page.locator(".system-notices [role=alert]")).to_have_text(texts.HIGH_DEMAND)
    await submit(page, "busy day")
    tiles = page.locator("[data-tile-id]")
    await expect(tiles.filter(has_text=texts.HIGH_DEMAND)).to_have_count(2, timeout=WAIT_MS)
    await expect(tiles.locator(".percent")).to_have_count(0)  # failed before any percentage

    await submit(page, "again at once")
    await expect(toasts(page).filter(has_text=texts.TOO_QUICKLY)).to_be_visible()

    await sim.configure(rate_limit_per_minute=None, high_demand=False, unusual_activity=True)
    await expect(page.locator(".system-notices [role=alert]")).to_have_text(texts.UNUSUAL_ACTIVITY)
    await submit(page, "and once more")
    await expect(toasts(page).filter(has_text=texts.UNUSUAL_ACTIVITY)).to_be_visible()
    await expect(tiles).to_have_count(2)
    counters = await sim.counters()
    assert (counters["submissions"], counters["credits_spent"], counters["refusals"]) == (
        1, 0, {"too_quickly": 1, "unusual_activity": 1})
    await context.close()


async def test_prompt_is_a_controlled_input(chromium, sim, flowsim_url):
    await sim.configure(landing=False)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    prompt = page.locator("#PINHOLE_TEXT_AREA_ELEMENT_ID")
    create = page.get_by_role("button", name="arrow_forward Create")
    await expect(prompt).to_have_attribute("placeholder", "Generate a video with text\u2026")
    # Setting .value without an input event is not seen by the app and is reverted.
    await prompt.evaluate("(el) => { el.value = 'typed by a script'; }")
    await expect(prompt).to_have_value("")
    await expect(create).to_be_disabled()
    await prompt.fill("typed like a user")
    await expect(create).to_be_enabled()
    async with page.expect_response(lambda r: r.url.endswith("/state")):
        pass  # one more poll re-renders from state; a user's text survives it
    await expect(prompt).to_have_value("typed like a user")
    await context.close()


async def test_expired_session_redirects_to_sign_in(chromium, sim, flowsim_url):
    await sim.configure(landing=False)
    context, page = await new_page(chromium, sim)
    project_url = await open_new_project(page, flowsim_url)
    await sim.expire_session()
    # The open page notices at its next poll and goes to the fake Google sign-in page.
    await page.wait_for_url("**/accounts.google.com/**")
    await expect(page.get_by_text("Couldn't sign you in")).to_be_visible()
    await expect(page.get_by_text("This browser or app may not be secure")).to_be_visible()
    await page.goto(project_url)
    assert "accounts.google.com" in page.url
    await sim.restore_session()
    await page.goto(project_url)
    await expect(page.locator("#PINHOLE_TEXT_AREA_ELEMENT_ID")).to_be_visible()
    assert page.url == project_url
    await context.close()


async def test_grid_is_virtualised_newest_first(chromium, sim, flowsim_url):
    await sim.configure(slots=20, generation_seconds=60, landing=False)
    await sim.fail_next(7, "something_wrong", at_percent=99)  # no renders needed here
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    await settings(page, outputs=1)
    for i in range(7):
        await submit(page, f"prompt number {i}")
        await expect(page.locator("[data-index='0'] [data-tile-id]")).to_contain_text(f"prompt number {i}")
    rows = page.locator("[data-index][data-item-index]")
    await expect(page.locator("[data-index='6']")).to_have_count(0)  # far below the viewport
    await page.locator("[data-testid=virtuoso-scroller]").evaluate("(el) => { el.scrollTop = el.scrollHeight; }")
    await expect(page.locator("[data-index='6']")).to_contain_text("prompt number 0")
    await expect(page.locator("[data-index='0']")).to_have_count(0)
    assert await rows.count() < 7
    assert (await sim.counters())["submissions"] == 7
    await context.close()


async def test_late_promo_popup_covers_the_page_until_skipped(chromium, sim, flowsim_url):
    await sim.configure(landing=False, promo_delay=1.0)
    context, page = await new_page(chromium, sim)
    await open_new_project(page, flowsim_url)
    promo = page.get_by_role("dialog", name="Introducing Veo 3.1 Quality")
    await expect(promo).to_be_visible()
    # While it shows, a click on the settings button would land on the modal backdrop.
    tune = page.get_by_role("button", name="tune", exact=True)
    box = await tune.bounding_box()
    hit = await page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).className",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert hit == "backdrop"
    await promo.get_by_role("button", name="Skip").click()
    await expect(promo).to_have_count(0)
    account = await page.evaluate("() => fetch('/fx/api/account').then((r) => r.json())")
    assert account["promo_delay"] is None  # shown once per reset
    await context.close()


async def test_open_project_page_follows_a_reset(chromium, sim, flowsim_url):
    await sim.configure(landing=False)
    context, page = await new_page(chromium, sim)
    project_url = await open_new_project(page, flowsim_url)
    await sim.reset()  # the project no longer exists on the server
    await sim.configure(variant="classic")  # a reset restores the default variant
    await expect(page.get_by_role("heading", name="Project not found")).to_be_visible()
    assert page.url == project_url
    await context.close()
