"""flow2026 pages under a project (FLOW_2026 §1): `/scene/<uuid>`, `/character[/<uuid>]` and
`/tools`, reached from the Add media menu and the left navigation; unknown ids are 404, a
foreign project still goes to `/404?reason=project`, signed-out visits to `/about`."""

from __future__ import annotations

import re
import uuid

import aiohttp
from playwright.async_api import expect

from tests.flowsim.pages2026 import QUIET, new_project, open_context
from tests.flowsim.test_2026_pages import boot_of


async def status_of(http, url: str) -> tuple[int, str | None, str]:
    async with http.get(url, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location"), await resp.text()


async def test_scene_character_and_tools_addresses(flow, sim, flowsim_url, cookie_http):
    project = await flow.new_project()
    scene = (await flow.call("Lm2sRd", {"op": "new_scene", "projectId": project}))["sceneId"]
    hero = await flow.call("Lm2sRd", {"op": "new_character", "projectId": project,
                                      "name": "Mia"})
    base = f"{flowsim_url}/project/{project}"
    for path, page in [(f"/scene/{scene}", "scene"), ("/character", "character"),
                       (f"/character/{hero['characterId']}", "character"), ("/tools", "tools")]:
        status, _, html = await status_of(cookie_http, base + path)
        assert (status, boot_of(html)["page"]) == (200, page), path
    status, _, html = await status_of(cookie_http, f"{base}/character")
    assert boot_of(html)["characters"] == [{"characterId": hero["characterId"], "name": "Mia"}]
    other = await flow.new_project()  # a scene belongs to its own project only
    for path in (f"/scene/{uuid.uuid4()}", f"/character/{uuid.uuid4()}"):
        assert (await status_of(cookie_http, base + path))[0] == 404
    assert (await status_of(cookie_http, f"{flowsim_url}/project/{other}/scene/{scene}"))[0] == 404
    foreign = await sim.foreign_project()
    assert (await status_of(cookie_http, f"{flowsim_url}/project/{foreign}/tools"))[:2] == (
        302, "/404?reason=project")
    async with aiohttp.ClientSession() as anonymous:
        assert (await status_of(anonymous, f"{base}/scene/{scene}"))[:2] == (302, "/about")
    status, _ = await flow.send("Lm2sRd", {"op": "new_character", "projectId": project,
                                           "name": " "})
    assert status == 400


async def test_new_scene_create_character_and_tools_from_the_page(chromium, sim, flowsim_url):
    await sim.configure(**QUIET)
    context, page = await open_context(chromium, sim)
    project_url = await new_project(page, flowsim_url, changelog=False)
    await page.get_by_role("button", name="Add media menu").click()
    await page.get_by_role("menuitem", name="New scene").click()
    await page.wait_for_url(re.compile(r".*/project/[0-9a-f-]{36}/scene/[0-9a-f-]{36}$"))
    await expect(page.locator("flow-scene-builder flow-scene-timeline")).to_be_visible()
    await page.get_by_role("button", name="Back").click()
    await page.wait_for_url(project_url)
    await page.get_by_role("button", name="Add media menu").click()
    await page.get_by_role("menuitem", name="Create character").click()
    await page.wait_for_url(f"{project_url}/character")
    await page.get_by_role("textbox", name="Character name").fill("Mia")
    await page.locator("button.create-character-button").click()
    await page.wait_for_url(re.compile(r".*/character/[0-9a-f-]{36}$"))
    await expect(page.locator("flow-character-detail .character-name")).to_have_text("Mia")
    nav = page.get_by_role("navigation", name="Project navigation")
    await nav.get_by_role("link", name="Tools").click()
    await page.wait_for_url(f"{project_url}/tools")
    await expect(page.locator("flow-tools-page")).to_be_visible()
    await nav.get_by_role("link", name="Characters").click()
    await expect(page.locator(".character-list a.character-card")).to_contain_text("Mia")
    await context.close()
