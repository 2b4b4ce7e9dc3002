"""The driver on flowsim's flow2026 variant, through the real `PlaywrightFlowClient`: each
submit is checked against `sim.wire()`, which proves what the page billed and nothing else."""

from __future__ import annotations

import asyncio

from bot.pipeline.flow.api import FlowHandle, GenerationRequest

from .flow2026 import QUIET, client_2026, late_modal_script, png, submits
from .helpers import wait_terminal


async def test_i2v_happy_path_billed_exactly_as_asked(client26, sim, tmp_path):
    image = png(tmp_path / "start.png")
    req = GenerationRequest(image, "a lighthouse at dawn, slow push in", "9:16", 1,
                            "Veo 3.1 - Fast", duration=8, resolution="720p")
    handle = await client26.submit(req)
    assert client26.ui_name == "flow2026"
    [entry] = submits(await sim.wire())
    assert entry["refused"] is None and entry["trusted"] is not False
    assert (entry["kind"], entry["model"], entry["duration"], entry["count"], entry["aspect"]) == \
        ("i2v", "Veo 3.1 - Fast", 8, 1, "9:16")
    [upload] = await sim.uploads()
    assert entry["media_ids"][0] == upload["mediaId"] and upload["fileName"].startswith("flowbot-")
    # The handle: media ids from the page's reply, and the proof of what was billed.
    tiles = await sim.tiles()
    assert set(handle.tile_ids) == {t["tile_id"] for t in tiles}
    assert handle.kind == "i2v" and handle.frame_media_ids == (upload["mediaId"],)
    assert handle.model_key == entry["model_key"] and handle.duration == 8 and handle.count == 1
    assert handle.credits == entry["credits"]
    assert FlowHandle.from_json(handle.to_json()) == handle

    [status] = await wait_terminal(client26, handle)
    assert status.state == "done"
    dest = await client26.download(handle, handle.tile_ids[0], tmp_path / "out" / "clip.mp4")
    assert dest.stat().st_size > 20_000
    assert (await sim.downloads()).get("720p") == 1


async def test_t2v_and_omni_settings_with_every_first_visit_overlay(flowsim_url, sim, sim_session_file,
                                                                    chromium, tmp_path):
    # A fresh account: cookie bar, agent panel, changelog, and the traps of the settings popover.
    await sim.configure(**{**QUIET, "cookie_bar": "consent", "agent_panel": True, "changelog": True,
                           "trigger_swallow": True, "radio_ignore_first": True})
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        req = GenerationRequest(None, "waves on a stone pier", "16:9", 2, "Omni 1.1 Flash",
                                duration=6, resolution="360p")
        handle = await client.submit(req)
        # The second submit on the same page meets the swallowed first trigger click.
        req2 = GenerationRequest(None, "fog over a pine forest", "9:16", 1, "Omni 1.1 Flash",
                                 duration=4, resolution="720p")
        handle2 = await client.submit(req2)
    finally:
        await client.close()
    first, second = submits(await sim.wire())
    assert (first["kind"], first["model"], first["duration"], first["resolution"], first["count"],
            first["aspect"], [m for m in first["media_ids"] if m]) == ("t2v", "Omni 1.1 Flash", 6, "360p", 2, "16:9", [])
    assert (second["kind"], second["duration"], second["resolution"], second["count"],
            second["aspect"]) == ("t2v", 4, "720p", 1, "9:16")
    assert first["credits"] == 2 * 5 and second["credits"] == 7
    assert len(handle.tile_ids) == 2 and len(handle2.tile_ids) == 1 and handle.kind == "t2v"
    assert handle.project_url == handle2.project_url
    assert await sim.uploads() == []


async def test_interpolation_binds_start_and_end(client26, sim, tmp_path):
    start = png(tmp_path / "a.png", (20, 60, 200))
    end = png(tmp_path / "b.png", (220, 200, 40))
    req = GenerationRequest(start, "day turns to night over the bay", "16:9", 1, "Veo 3.1 - Lite",
                            duration=8, end_image_path=end)
    handle = await client26.submit(req)
    [entry] = submits(await sim.wire())
    uploads = {u["fileName"]: u["mediaId"] for u in await sim.uploads()}
    assert entry["kind"] == "interpolation" and entry["model"] == "Veo 3.1 - Lite"
    assert len(entry["media_ids"]) == 2 and set(entry["media_ids"]) == set(uploads.values())
    assert handle.kind == "interpolation" and list(handle.frame_media_ids) == entry["media_ids"]


async def test_set_model_waited_a_fixed_pause_for_the_rerender(flowsim_url, sim, sim_session_file,
                                                               chromium, tmp_path):
    """Regression: after a model change the driver waited 0.15 s for the other groups, but Flow
    re-renders them later (flowsim: model_rerender_ms); a click in between was lost and the
    duration went out as the model's default (8 s), or the read-back refused the submit."""
    await sim.configure(**{**QUIET, "model_rerender_ms": 1200, "plan": "ultra"})
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        await client.submit(GenerationRequest(None, "a red kite over dunes", "16:9", 3,
                                              "Veo 3.1 - Fast", duration=4, resolution="720p"))
    finally:
        await client.close()
    [entry] = submits(await sim.wire())
    assert (entry["kind"], entry["model"], entry["duration"], entry["count"]) == \
        ("t2v", "Veo 3.1 - Fast", 4, 3)


# A late first-visit modal, opened by the page's own click handler right after the first radio
# click, i.e. between two of the driver's attempts.
_LATE_MODAL_AFTER_FIRST_RADIO_CLICK = late_modal_script("""
  document.addEventListener("click", (ev) => {
    if (ev.target.closest("[role=radio]")) setTimeout(open, 0);
  }, true);""")


async def test_radio_retry_clicked_the_backdrop_of_a_late_modal(flowsim_url, sim, sim_session_file,
                                                                 chromium, tmp_path):
    """Regression (CI run of stop 15): the first radio click was eaten by Flow (a radio sometimes
    ignores one), a first-visit modal opened late over the popover, and the retries, raw mouse
    clicks at the radio's position, hit the modal's backdrop: 'the input option does not stay
    selected'. Every retry now goes through `click`, which closes what covers the target."""
    await sim.configure(**{**QUIET, "radio_ignore_first": True})
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        page = await client.session.page()
        await page.add_init_script(_LATE_MODAL_AFTER_FIRST_RADIO_CLICK)  # every load
        await client.submit(GenerationRequest(None, "gulls over a harbour", "9:16", 1, "Omni 1.1 Flash",
                                              duration=4, resolution="720p"))
        assert await page.locator("mat-dialog-container.late-modal").count() == 0
    finally:
        await client.close()
    [entry] = submits(await sim.wire())
    assert (entry["kind"], entry["aspect"], entry["duration"], entry["count"]) == ("t2v", "9:16", 4, 1)


async def test_next_submit_prepares_while_flow_answers_the_last(flowsim_url, sim, sim_session_file,
                                                                 chromium, tmp_path):
    """Flow answers a submit seconds after the click (FLOW_2026 §7). The page is given back
    meanwhile: the next submit configures and types during that answer, and its own click
    waits for the button (disabled until the answer came). Each handle is the answer to its
    own request, never the other's."""
    await sim.configure(**{**QUIET, "submit_reply_ms": 2500})
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        first = asyncio.create_task(client.submit(GenerationRequest(
            None, "a paper boat on a puddle", "9:16", 2, "Omni 1.1 Flash", duration=4, resolution="360p")))
        await asyncio.sleep(0)  # the first takes the page first
        second = asyncio.create_task(client.submit(GenerationRequest(
            None, "snow on a red mailbox", "16:9", 1, "Omni 1.1 Flash", duration=6, resolution="720p")))
        h1 = await first
        marks1 = dict(client.last_timings)
        h2 = await second
        marks2 = dict(client.last_timings)
    finally:
        await client.close()
    assert client.overlaps_submits
    # The second began on the page after the first's click and before the first's answer.
    assert marks1["create_clicked"] < marks2["page_ready"] < marks1["handle"]
    assert marks2["create_clicked"] > marks1["handle"]  # its click waited for that answer
    one, two = submits(await sim.wire())
    assert (one["count"], one["aspect"], one["duration"]) == (2, "9:16", 4)
    assert (two["count"], two["aspect"], two["duration"]) == (1, "16:9", 6)
    by_prompt: dict[str, set[str]] = {}
    for tile in await sim.tiles():
        by_prompt.setdefault(tile["prompt"], set()).add(tile["tile_id"])
    assert set(h1.tile_ids) == by_prompt["a paper boat on a puddle"] and len(h1.tile_ids) == 2
    assert set(h2.tile_ids) == by_prompt["snow on a red mailbox"] and len(h2.tile_ids) == 1
