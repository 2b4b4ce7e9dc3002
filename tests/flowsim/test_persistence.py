"""`--state-dir`: a restarted simulator keeps the account, its projects, tiles, clips, counters
and sign-in cookie, and finishes the generations that were running when it stopped."""

from __future__ import annotations

import asyncio

import aiohttp

from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.control import SimControl
from tests.fixtures.flowsim import spawn_flowsim, stop_flowsim
from tests.flowsim.flow2026 import Flow2026

DEADLINE_S = 120


async def wait_tiles(sim: SimControl, done: int) -> list[dict]:
    """Poll until `done` tiles are done (bounded wait, not a timing assertion)."""
    for _ in range(DEADLINE_S * 5):
        tiles = await sim.tiles()
        if sum(t["state"] == "done" for t in tiles) >= done:
            return tiles
        await asyncio.sleep(0.2)
    raise AssertionError(f"tiles never finished: {tiles}")


async def test_restart_keeps_account_and_finishes_running_tiles(tmp_path):
    # Short on purpose: the running tile cannot finish before the restart, because stopping
    # kills its render and a tile is done only once its clip exists. October: the wire client's
    # default key (Omni 1.1 Flash, 8 s) is of that build.
    args = ("--state-dir", str(tmp_path / "state"), "--generation-seconds", "2",
            "--build", "october")
    proc, base = spawn_flowsim(*args, log_path=tmp_path / "flowsim.log")
    sim = SimControl(base)
    try:
        await sim.configure(submit_reply_ms=0)
        state = await sim.storage_state()
        cookies = {c["name"]: c["value"] for c in state["cookies"]}
        await sim.fail_next(1, "policy", at_percent=0)  # a finished (failed) tile, no render
        async with aiohttp.ClientSession(cookies=cookies) as http:
            flow = Flow2026(http, base)
            project = await flow.new_project()
            failed = await flow.submit("YhhmEf", project, prompt="failed before the restart")
            assert isinstance(failed, W.SubmitReply)
            price = 1000 - failed.credits_after  # charged at submit, refunded once it fails
            [running] = await flow.submitted("YhhmEf", project,
                                             prompt="still running at the restart")
            await flow.wait(failed.media_ids[0], {"failed"})
    finally:
        await sim.close()
        stop_flowsim(proc)

    proc, base = spawn_flowsim(*args, log_path=tmp_path / "flowsim.log")
    sim = SimControl(base)
    try:
        assert await sim.storage_state() == state  # the saved cookie still signs in
        tiles = await sim.tiles()
        assert [(t["prompt"], t["state"]) for t in tiles][0] == ("failed before the restart", "failed")
        assert tiles[1]["tile_id"] == running and tiles[1]["state"] in ("pending", "running")
        after = await sim.counters()
        # One charged generation survives the restart; the failed one stays refunded.
        assert price > 0
        assert (after["submissions"], after["credits_spent"], after["credits_left"]) == (
            2, price, 1000 - price)
        [done] = [t for t in await wait_tiles(sim, 1) if t["state"] == "done"]
        assert done["tile_id"] == running  # rendered and finished after the restart
        async with aiohttp.ClientSession(cookies=cookies) as http:
            async with http.get(f"{base}/project/{project}", allow_redirects=False) as resp:
                assert resp.status == 200
            async with http.get(f"{base}/fx-content/download/{running}?size=720p") as resp:
                assert resp.status == 200 and len(await resp.read()) > 10_000
        assert (await sim.counters())["submissions"] == 2
    finally:
        await sim.close()
        stop_flowsim(proc)
