"""flow2026 page traps that cover the page (FLOW_2026 §2–§3): the cookie bar (consent and
notice-only forms), the home agent panel, the one-time changelog modal, the upload rights
dialog; and the page in another language. Each test shows the naive click failing the way the
real site makes it fail, then the careful step working."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import expect

from tests.flowsim.pages2026 import (
    FAST,
    QUIET,
    make_png,
    new_project,
    open_context,
    open_settings,
)

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

NAIVE_MS = 1500  # a click that cannot land gives up after this


async def test_cookie_bar_covers_the_composer_until_accepted(chromium, sim, flowsim_url):
    await sim.configure(**QUIET)
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    await sim.configure(cookie_bar="consent")  # a fresh account's bar, over a project page
    await page.reload()
    bar = page.locator("#glue-cookie-notification-bar-1.glue-cookie-notification-bar")
    await expect(bar).to_be_visible()
    await expect(bar.locator("button.glue-cookie-notification-bar__reject")).to_have_text("No thanks")
    # Naive: the settings trigger sits under the bar.
    with pytest.raises(PlaywrightTimeout):
        await page.locator("button.settings-trigger-button").click(timeout=NAIVE_MS)
    await bar.locator("button.glue-cookie-notification-bar__accept").click()
    await expect(bar).to_have_count(0)
    await open_settings(page)
    # It stays dismissed for the account.
    await page.reload()
    await expect(page.locator("flow-prompt-box")).to_be_visible()
    await expect(bar).to_have_count(0)
    await context.close()


async def test_notice_only_cookie_bar_has_no_reject(chromium, sim, flowsim_url):
    await sim.configure(**{**QUIET, "cookie_bar": "notice"})
    context, page = await open_context(chromium, sim)
    await page.goto(f"{flowsim_url}/")
    bar = page.locator("#glue-cookie-notification-bar-1")
    await expect(bar.locator("button.glue-cookie-notification-bar__accept")).to_have_text("OK, got it")
    await expect(bar.locator("button.glue-cookie-notification-bar__reject")).to_have_count(0)
    await bar.locator("button.glue-cookie-notification-bar__accept").click()
    await expect(bar).to_have_count(0)
    await context.close()


async def test_agent_panel_covers_new_project_until_closed(chromium, sim, flowsim_url):
    await sim.configure(**{**QUIET, "agent_panel": True})
    context, page = await open_context(chromium, sim)
    await page.goto(f"{flowsim_url}/")
    panel = page.locator("flow-agent-panel")
    await expect(panel).to_contain_text("what would you like to create?")
    with pytest.raises(PlaywrightTimeout):
        await page.locator("button.new-project-button").click(timeout=NAIVE_MS)
    await panel.get_by_role("button", name="Close").click()
    await expect(panel).to_have_count(0)
    await page.locator("button.new-project-button").click()
    await page.wait_for_url(re.compile(r".*/project/[0-9a-f-]{36}$"))
    await page.goto(f"{flowsim_url}/")
    await expect(page.locator("button.new-project-button")).to_be_visible()
    await expect(panel).to_have_count(0)
    await context.close()


async def test_changelog_modal_blocks_clicks_once_per_account(chromium, sim, flowsim_url):
    await sim.configure(**{**QUIET, "changelog": True})
    context, page = await open_context(chromium, sim)
    await page.goto(f"{flowsim_url}/")
    dialog = page.get_by_role("dialog", name="Flow is now on iOS")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Get started")).to_be_visible()
    await expect(page.locator(".cdk-overlay-container > .cdk-overlay-backdrop")).to_have_count(1)
    with pytest.raises(PlaywrightTimeout):
        await page.locator("button.new-project-button").click(timeout=NAIVE_MS)
    await page.keyboard.press("Escape")  # closes it like its close icon
    await expect(dialog).to_have_count(0)
    await page.reload()
    await page.locator("button.new-project-button").click()
    await page.wait_for_url(re.compile(r".*/project/"))
    await expect(page.locator("flow-prompt-box")).to_be_visible()
    await page.wait_for_timeout(600)  # it would have opened by now
    await expect(dialog).to_have_count(0)
    await context.close()


async def test_rights_dialog_comes_after_the_chooser_and_gates_the_upload(chromium, sim,
                                                                          flowsim_url, tmp_path):
    await sim.configure(**FAST)
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url)
    dialog = page.locator("flow-upload-consent-dialog")
    await page.get_by_role("button", name="Add media menu").click()
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("menuitem", name="Upload").click()
    await expect(dialog).to_have_count(0)  # not before the file is handed over
    await (await chooser.value).set_files(make_png(tmp_path / "rights-a.png"))
    await expect(dialog).to_be_visible()
    await expect(page.locator(".cdk-overlay-backdrop")).to_have_count(1)
    await expect(dialog).to_contain_text("rights")
    assert await sim.uploads() == []  # nothing uploads until accepted
    # Naive: the backdrop swallows a click on the page behind.
    with pytest.raises(PlaywrightTimeout):
        await page.get_by_role("button", name="Add media menu").click(timeout=NAIVE_MS)
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_have_count(0)
    assert await sim.uploads() == [] and not (await sim.consent())["accepted"]

    await page.get_by_role("button", name="Add media menu").click()
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("menuitem", name="Upload").click()
    await (await chooser.value).set_files(make_png(tmp_path / "rights-b.png"))
    await dialog.locator("div.agree-actions-group").get_by_role("button", name="I agree").click()
    await expect(dialog).to_have_count(0)
    await expect(page.locator("flow-grid-tile-container[aria-label='rights-b.png'] img[data-media-id]")
                 ).to_have_count(1)
    assert [u["fileName"] for u in await sim.uploads()] == ["rights-b.png"]
    assert (await sim.consent())["accepted"]
    # Only once per account: the next upload goes straight through.
    await page.get_by_role("button", name="Add media menu").click()
    async with page.expect_file_chooser() as chooser:
        await page.get_by_role("menuitem", name="Upload").click()
    await (await chooser.value).set_files(make_png(tmp_path / "rights-c.png"))
    await expect(page.locator("flow-grid-tile-container[aria-label='rights-c.png']")).to_have_count(1)
    await expect(dialog).to_have_count(0)
    await context.close()


@pytest.mark.parametrize(("lang", "start_label", "six"), [
    ("vi", "Bắt đầu tạo", "6 giây"), ("ko", "생성 시작", "6초")])
async def test_page_in_another_language(chromium, sim, flowsim_url, lang, start_label, six):
    await sim.configure(**QUIET)
    context, page = await open_context(chromium, sim, accept_language=f"{lang},en;q=0.5")
    await page.goto(f"{flowsim_url}/")
    assert await page.locator("html").get_attribute("lang") == lang
    # Words fail: the English names are gone ...
    await expect(page.get_by_role("button", name="New project")).to_have_count(0)
    await page.locator("button.new-project-button").click()
    await page.wait_for_url(re.compile(r".*/project/"))
    await expect(page.get_by_role("button", name="Start generation")).to_have_count(0)
    await expect(page.get_by_role("button", name="Add media menu")).to_have_count(0)
    # ... while classes, tags and ligatures are the same in every language.
    button = page.locator("flow-generate-icon-button button.generate-icon-button")
    await expect(button).to_have_attribute("aria-label", start_label)
    await expect(button.locator("mat-icon")).to_have_text("arrow_forward")
    await open_settings(page)
    durations = page.locator("mat-button-toggle-group.group-duration button[role=radio]")
    await expect(durations.filter(has_text=six)).to_have_count(1)
    await expect(page.locator("a.credit-cost-link")).not_to_contain_text("credits")
    # ?hl=en pins English.
    await page.goto(f"{flowsim_url}/?hl=en")
    assert await page.locator("html").get_attribute("lang") == "en"
    await expect(page.locator("button.new-project-button")).to_have_text(re.compile("New project"))
    await context.close()


async def test_expired_session_sends_an_open_page_to_about(chromium, sim, flowsim_url):
    await sim.configure(**QUIET)
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    await sim.expire_session()
    await page.wait_for_url(re.compile(r".*/about$"))  # at the next poll
    await expect(page.locator("a.sign-in-link")).to_have_text("Sign in")
    await context.close()


async def test_open_page_follows_a_reset(chromium, sim, flowsim_url):
    await sim.configure(**QUIET)
    context, page = await open_context(chromium, sim)
    url = await new_project(page, flowsim_url, changelog=False)
    await sim.reset()  # the project is gone: the next poll reloads into the 404 page
    await sim.configure(**QUIET)
    await expect(page.locator("h1")).to_have_text("404")
    assert page.url == url
    await page.goto(f"{flowsim_url}/")
    await page.locator("button.new-project-button").click()
    await page.wait_for_url(re.compile(r".*/project/[0-9a-f-]{36}$"))
    await expect(page.locator("flow-prompt-box").first).to_be_visible()  # a working project again
    await context.close()
