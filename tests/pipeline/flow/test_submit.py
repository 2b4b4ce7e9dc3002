"""Submitting on flowsim: settings applied and read back, handles with the new tiles only."""

from __future__ import annotations

import asyncio

from bot.pipeline.flow.api import FlowHandle, GenerationRequest


async def wait_terminal(client, handle: FlowHandle, timeout: float = 60.0):
    """Poll until every tile is done or failed (the time limit only stops a hung test)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        statuses = await client.poll(handle)
        if all(s.terminal for s in statuses):
            return statuses
        assert loop.time() < end, f"tiles never finished: {statuses}"
        await asyncio.sleep(0.3)


async def test_portrait_fast_one_output(client, sim, frames):
    req = GenerationRequest(frames["portrait"], "a lighthouse at dawn, slow push in", "9:16", 1)
    handle = await client.submit(req)
    assert len(handle.tile_ids) == 1 and "/project/" in handle.project_url
    tiles = {t["tile_id"]: t for t in await sim.tiles()}
    assert set(handle.tile_ids) == set(tiles)
    tile = tiles[handle.tile_ids[0]]
    assert (tile["aspect"], tile["model"], tile["outputs"]) == ("9:16", "Veo 3.1 - Fast", 1)
    assert tile["start_media"] is not None
    statuses = await wait_terminal(client, handle)
    assert statuses[0].state == "done" and statuses[0].video_url.endswith(".mp4")
