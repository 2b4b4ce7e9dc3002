"""Submitting on flowsim: settings applied and read back, handles that hold only the new tiles,
several prompts in flight on one page, and verified downloads."""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest

from bot.errors import RetryableFlowError
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.download import DownloadIncompleteError

from .helpers import wait_terminal

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")


def probe_size(path) -> tuple[int, int, float]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height:format=duration", "-of", "csv=p=0:s=,", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    width, height = (int(v) for v in out[0].split(",")[:2])
    return width, height, float(out[1])


async def test_portrait_one_output_done_and_downloaded(client, sim, frames, tmp_path):
    # A promo pops up ~1 s after the project opens, over whatever step runs then (on top of
    # the welcome dialog, the crop dialog or the settings): it must be closed, not fatal.
    await sim.configure(promo_delay=1.0)
    req = GenerationRequest(frames["portrait"], "a lighthouse at dawn, slow push in", "9:16", 1)
    handle = await client.submit(req)
    assert len(handle.tile_ids) == 1 and "/project/" in handle.project_url
    tiles = {t["tile_id"]: t for t in await sim.tiles()}
    assert set(handle.tile_ids) == set(tiles)
    tile = tiles[handle.tile_ids[0]]
    assert (tile["aspect"], tile["model"], tile["outputs"]) == ("9:16", "Veo 3.1 - Fast", 1)
    assert tile["start_media"] is not None  # the start frame went with the prompt

    [status] = await wait_terminal(client, handle)
    assert status.state == "done" and status.video_url.endswith(".mp4")

    # A download cut short is rejected, retryable, and leaves nothing behind.
    await sim.truncate_next_download()
    dest = tmp_path / "out" / "clip.mp4"
    with pytest.raises(DownloadIncompleteError) as info:
        await client.download(handle, handle.tile_ids[0], dest)
    assert isinstance(info.value, RetryableFlowError)
    assert not dest.parent.exists() or os.listdir(dest.parent) == []

    saved = await client.download(handle, handle.tile_ids[0], dest)
    assert saved == dest
    width, height, duration = probe_size(dest)
    assert (width, height) == (720, 1280) and abs(duration - 8.0) <= 0.5
    assert (await sim.counters())["downloads"]["720p"] == 2


async def test_landscape_quality_four_outputs_then_more_in_flight(client, sim, frames):
    await sim.configure(slots=10)  # 7 outputs in flight at once
    first = await client.submit(
        GenerationRequest(frames["landscape"], "a red kite over dunes", "16:9", 4, "Veo 3.1 - Quality")
    )
    assert len(first.tile_ids) == 4
    # While those render, two more prompts go into the same project; each handle holds only
    # its own new tiles (diffed against the grid before the click).
    second, third = await asyncio.gather(
        client.submit(GenerationRequest(frames["portrait"], "rain on a tin roof", "9:16", 1)),
        client.submit(GenerationRequest(frames["landscape"], "city lights, tilt down", "16:9", 2)),
    )
    assert {first.project_url, second.project_url, third.project_url} == {first.project_url}
    assert len(second.tile_ids) == 1 and len(third.tile_ids) == 2
    all_ids = [*first.tile_ids, *second.tile_ids, *third.tile_ids]
    assert len(set(all_ids)) == 7

    by_id = {t["tile_id"]: t for t in await sim.tiles()}
    assert set(by_id) == set(all_ids)
    for tile_id in first.tile_ids:
        t = by_id[tile_id]
        assert (t["model"], t["aspect"], t["outputs"], t["prompt"]) == (
            "Veo 3.1 - Quality", "16:9", 4, "a red kite over dunes")
    # Switching back to Fast reset the other two in the UI; the read-back caught up with it.
    assert {(by_id[i]["model"], by_id[i]["aspect"]) for i in second.tile_ids} == {("Veo 3.1 - Fast", "9:16")}
    assert {by_id[i]["outputs"] for i in third.tile_ids} == {2}
    counters = await sim.counters()
    assert counters["submissions"] == 3 and counters["projects"] == 1
    assert counters["credits_spent"] == 4 * 100 + 20 + 2 * 20

    statuses = await client.poll(first)
    assert [s.tile_id for s in statuses] == list(first.tile_ids)
    assert all(s.state in ("pending", "running", "done") for s in statuses)
