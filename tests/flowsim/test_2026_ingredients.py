"""flow2026 Ingredients (FLOW_2026 §6, §7): a submit with references goes out as `MZZa6b` with
their media ids and an `_r2v_` model key, from chips bound through Add ingredients or from `@`
mentions in the editor (`span.mention-chip[data-mention-id][data-reference-type]`); without any
reference it is text-to-video and billed. The silent compatible-model switch (FLOW_2026 §5, M)
bills another model than the one chosen."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from bot.pipeline.flow.ui.flow2026 import wire as W
from tests.flowsim.flow2026 import png
from tests.flowsim.pages2026 import (
    QUIET,
    close_overlays,
    editor,
    generate_button,
    make_png,
    new_project,
    open_context,
    set_settings,
    upload,
    wait_submits,
)

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

MENTION = "flow-prompt-box div.ProseMirror span.mention-chip[data-reference-type=media]"
INGREDIENT_IMG = ("flow-ingredient-bar .ingredient-list flow-image-ingredient-chip "
                  "button.chip-container div.chip-image-wrapper img.chip-image")


# ---- the wire (no browser) --------------------------------------------------------------------
async def test_mzza6b_bills_an_ingredients_clip_with_its_reference_ids(flow, sim):
    await sim.configure(stuck_next=1)
    project = await flow.new_project()
    first = await flow.ready_upload(project, "hero.png", png((200, 60, 60)))
    second = await flow.ready_upload(project, "place.png", png((60, 200, 60)))
    result = await flow.submit("MZZa6b", project, model_key="abra_r2v_8s", refs=[first, second])
    [op] = result.media_ids
    [entry] = [e for e in await sim.wire() if e["rpc"] == "MZZa6b"]
    assert (entry["kind"], entry["media_ids"], entry["model_key"], entry["credits"]) == (
        "ingredients", [first, second], "abra_r2v_8s", 12)
    [rec] = result.records  # the record lists them as references (type 4)
    assert [(i.media_id, i.role) for i in rec.inputs] == [(first, "reference"),
                                                           (second, "reference")]
    [tile] = [t for t in await sim.tiles() if t["tile_id"] == op]
    assert (tile["kind"], tile["references"]) == ("r2v", [first, second])


async def test_mzza6b_refuses_what_is_not_an_ingredients_request(flow, sim):
    project = await flow.new_project()
    frame = await flow.ready_upload(project, "hero.png")
    bad = [
        ("MZZa6b", {"model_key": "abra_r2v_8s"}),  # no references at all
        ("MZZa6b", {"model_key": "abra_r2v_8s", "refs": []}),
        ("MZZa6b", {"model_key": "abra_r2v_8s", "refs": [frame] * 2}),
        ("MZZa6b", {"model_key": "abra_r2v_8s", "refs": [frame] * 4}),
        ("MZZa6b", {"model_key": "abra_t2v_8s", "refs": [frame]}),  # kind
        ("YhhmEf", {"refs": [frame]}),  # references only on MZZa6b
    ]
    for rpc_id, request in bad:
        refused = await flow.submit(rpc_id, project, **request)
        assert isinstance(refused, W.Refusal), (rpc_id, request)
        assert (refused.status, refused.reason) == (3, "PUBLIC_ERROR_INVALID_REQUEST")
    assert all(e["refused"].startswith("invalid_request") for e in await sim.wire()
               if e["rpc"] in ("MZZa6b", "YhhmEf"))
    assert (await sim.counters())["submissions"] == 0


async def test_quality_has_no_ingredients_key_while_the_switch_trap_is_on(flow, sim):
    project = await flow.new_project()
    frame = await flow.ready_upload(project, "hero.png")
    request = {"model_key": "veo_3_1_r2v_quality", "refs": [frame]}
    await sim.configure(compatible_model_switch=True, stuck_next=2)
    refused = await flow.submit("MZZa6b", project, **request)
    assert isinstance(refused, W.Refusal) and refused.status == 5  # no such key there
    await sim.configure(compatible_model_switch=False)
    [op] = await flow.submitted("MZZa6b", project, **request)
    assert (await flow.poll([op]))[op].state == "rendering"


# ---- the page ----------------------------------------------------------------------------------
async def ingredients_project(chromium, sim, flowsim_url, tmp_path, **config):
    """A new project (a fresh account opens in Ingredients) with two uploads."""
    await sim.configure(**{**QUIET, **config})
    context, page = await open_context(chromium, sim)
    await new_project(page, flowsim_url, changelog=False)
    await upload(page, make_png(tmp_path / "hero-17.png", (200, 60, 60)))
    await upload(page, make_png(tmp_path / "place-17.png", (60, 200, 60)), rights=False)
    for name in ("hero-17.png", "place-17.png"):
        await expect(page.locator(f"img[data-media-id][alt='{name}']")).to_have_count(1)
    return context, page


async def pick(page, name: str) -> None:
    picker = page.locator("flow-add-menu-popover-content")
    await expect(picker.get_by_role("heading")).to_have_text("Add an ingredient")
    await picker.locator("button.asset-item[role=option]").filter(has_text=name).click()
    await expect(picker).to_have_count(0)


async def test_chip_and_mention_go_out_as_mzza6b_with_both_media_ids(chromium, sim, flowsim_url,
                                                                    tmp_path):
    context, page = await ingredients_project(chromium, sim, flowsim_url, tmp_path)
    uploads = {u["fileName"]: u["mediaId"] for u in await sim.uploads()}
    await page.get_by_role("button", name="Add ingredients to the prompt box").click()
    await pick(page, "hero-17.png")
    await expect(page.locator(INGREDIENT_IMG)).to_have_attribute("alt", "hero-17.png")
    box = editor(page)
    await box.click()
    await page.keyboard.insert_text("she walks into ")
    await page.keyboard.type("@")  # opens the same picker
    await pick(page, "place-17.png")
    await page.keyboard.insert_text("at dusk")
    mention = page.locator(MENTION)
    await expect(mention).to_have_text("place-17.png")
    await expect(mention).to_have_attribute("data-mention-id", uploads["place-17.png"])
    await expect(mention).to_have_attribute("contenteditable", "false")
    await generate_button(page).click()
    [sent] = await wait_submits(sim, 1)
    assert (sent["rpc"], sent["kind"], sent["model_key"]) == (
        "MZZa6b", "ingredients", "abra_r2v_8s")
    assert sent["media_ids"] == [uploads["hero-17.png"], uploads["place-17.png"]]
    await context.close()


async def test_quality_with_ingredients_silently_bills_veo_fast(chromium, sim, flowsim_url,
                                                               tmp_path):
    # Trap: the tool chose Quality and reads the popover back; the page bills Fast.
    context, page = await ingredients_project(chromium, sim, flowsim_url, tmp_path,
                                              compatible_model_switch=True)
    shown = await set_settings(page, model="Veo 3.1 - Quality")
    assert (shown["model"], shown["price"]) == ("Veo 3.1 - Quality", "100 credits")
    await page.get_by_role("button", name="Add ingredients to the prompt box").click()
    await pick(page, "hero-17.png")
    await editor(page).click()
    await page.keyboard.insert_text("a slow dolly shot")
    await generate_button(page).click()
    [sent] = await wait_submits(sim, 1)
    assert (sent["rpc"], sent["model"], sent["credits"]) == ("MZZa6b", "Veo 3.1 - Fast", 20)
    await close_overlays(page)
    await context.close()
