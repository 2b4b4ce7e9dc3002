"""The driver on flowsim's flow2026 variant, through the real `PlaywrightFlowClient`: each
submit is checked against `sim.wire()`, which proves what the page billed and nothing else."""

from __future__ import annotations

import pytest

from bot.pipeline.flow.api import FlowHandle, GenerationRequest

from .flow2026 import QUIET, client_2026, png, submits
from .helpers import wait_terminal


@pytest.fixture
async def client26(flowsim_url, sim, sim_session_file, chromium, tmp_path):
    await sim.configure(**QUIET)
    c = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await c.start()
    yield c
    await c.close()


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
