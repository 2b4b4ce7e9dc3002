"""`--state-dir`: a restarted simulator keeps the account, its projects, tiles, clips, counters
and sign-in cookie, and finishes the generations that were running when it stopped."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from flowsim.control import SimControl
from tests.fixtures.flowsim import spawn_flowsim, stop_flowsim

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")

DEADLINE_S = 120


async def wait_tiles(sim: SimControl, done: int) -> list[dict]:
    """Poll until `done` tiles are done (bounded wait, not a timing assertion)."""
    for _ in range(DEADLINE_S * 5):
        tiles = await sim.tiles()
        if sum(t["state"] == "done" for t in tiles) >= done:
            return tiles
        await asyncio.sleep(0.2)
    raise AssertionError(f"tiles never finished: {tiles}")


async def generate(http: aiohttp.ClientSession, base: str, project: str, prompt: str) -> None:
    body = {"prompt": prompt, "model": "Veo 3.1 - Fast", "aspect": "16:9", "outputs": 1}
    async with http.post(f"{base}/fx/api/projects/{project}/generate", json=body) as resp:
        assert resp.status == 200, await resp.text()


async def test_restart_keeps_account_and_finishes_running_tiles(tmp_path):
    # Short on purpose: the running tile cannot finish before the restart, because stopping
    # kills its render and a tile is done only once its clip exists.
    args = ("--state-dir", str(tmp_path / "state"), "--generation-seconds", "2",
            "--variant", "classic")
    proc, base = spawn_flowsim(*args, log_path=tmp_path / "flowsim.log")
    sim = SimControl(base)
    try:
        state = await sim.storage_state()
        cookies = {c["name"]: c["value"] for c in state["cookies"]}
        await sim.fail_next(1, "policy", at_percent=0)  # a finished (failed) tile, no render
        async with aiohttp.ClientSession(cookies=cookies) as http:
            async with http.post(f"{base}/fx/api/projects") as resp:
                project = (await resp.json())["project_id"]
            await generate(http, base, project, "failed before the restart")
            await generate(http, base, project, "still running at the restart")
    finally:
        await sim.close()
        stop_flowsim(proc)

    proc, base = spawn_flowsim(*args, log_path=tmp_path / "flowsim.log")
    sim = SimControl(base)
    try:
        assert await sim.storage_state() == state  # the saved cookie still signs in
        tiles = await sim.tiles()
        assert [(t["prompt"], t["state"]) for t in tiles][0] == ("failed before the restart", "failed")
        assert tiles[1]["state"] in ("pending", "running")
        after = await sim.counters()
        # One charged generation survives the restart; the failed one stays refunded.
        assert (after["submissions"], after["credits_spent"], after["credits_left"]) == (2, 20, 980)
        [done] = [t for t in await wait_tiles(sim, 1) if t["state"] == "done"]
        assert done["tile_id"] == tiles[1]["tile_id"]  # rendered and finished after the restart
        async with aiohttp.ClientSession(cookies=cookies) as http:
            url = f"{base}/fx/tools/flow/project/{project}"
            async with http.get(url, allow_redirects=False) as resp:
                assert resp.status == 200
            async with http.get(f"{base}{done['video_url']}") as resp:
                assert resp.status == 200 and len(await resp.read()) > 10_000
        assert (await sim.counters())["submissions"] == 2
    finally:
        await sim.close()
        stop_flowsim(proc)
