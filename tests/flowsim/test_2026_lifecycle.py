"""flow2026 lifecycle: the account and library surviving a restart with `--state-dir` (the
command line's `--plan` kept), and `reset()` forgetting every flow2026 state."""

from __future__ import annotations

import aiohttp
import pytest

from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.control import SimControl, SyncSimControl
from tests.fixtures.flowsim import spawn_flowsim, stop_flowsim
from tests.flowsim.flow2026 import Flow2026

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")


async def test_cli_state_dir_keeps_account_and_library(tmp_path):
    args = ("--state-dir", str(tmp_path / "state"), "--plan", "ultra")
    proc, base = spawn_flowsim(*args, log_path=tmp_path / "flowsim.log")
    sim = SimControl(base)
    try:
        state = await sim.storage_state()
        cookies = {c["name"]: c["value"] for c in state["cookies"]}
        async with aiohttp.ClientSession(cookies=cookies) as http:
            async with http.get(f"{base}/", allow_redirects=False) as resp:
                assert resp.status == 200  # signed in by the saved cookie
            flow = Flow2026(http, base)
            project = await flow.new_project()
            media_id = await flow.ready_upload(project, "kept.png")
            await flow.call("Lm2sRd", {"op": "dismiss", "what": "cookie_bar"})
        assert (await sim.config())["plan"] == "ultra"
    finally:
        await sim.close()
        stop_flowsim(proc)
    proc, base = spawn_flowsim(*args, log_path=tmp_path / "flowsim.log")
    sim = SimControl(base)
    try:
        assert (await sim.consent())["accepted"] is True
        assert [u["mediaId"] for u in await sim.uploads()] == [media_id]
        async with aiohttp.ClientSession(cookies=cookies) as http:
            flow = Flow2026(http, base)
            [asset] = (await flow.call("Vz7tGb", {"projectId": project, "query": "kept"}))[
                "assets"]
            async with http.get(base + asset["thumbnailUrl"]) as resp:
                assert resp.status == 200  # the file came back too
    finally:
        await sim.close()
        stop_flowsim(proc)


async def test_reset_forgets_every_flow2026_state(flow, sim, flowsim_url):
    await sim.configure(stuck_next=1, unusual_activity=1)
    project = await flow.new_project()
    await flow.submit("YhhmEf", project)  # refused: unusual activity armed
    await flow.ready_upload(project, "gone.png")
    await flow.call("Lm2sRd", {"op": "agent_chip", "pressed": True})
    control = SyncSimControl(flowsim_url)  # the blocking client reads the same things
    assert control.wire() and control.uploads() and control.consent()["accepted"]
    await sim.reset()
    assert (control.wire(), control.uploads(), control.downloads()) == ([], [], {})
    assert control.consent() == {"accepted": False, "required": True}
    assert control.config()["build"] == "december"  # reset: flowsim's own default again
    await sim.configure(build="october")
    project = await flow.new_project()
    result = await flow.submit("YhhmEf", project, model_key="abra_t2v_4s_360p")
    assert isinstance(result, W.SubmitReply)  # the unusual lock is gone
    assert [r.state for r in result.records] == ["queued"]
    [tile] = await sim.tiles()
    assert tile["stuck"] is False  # and the stuck script too
