"""The simulator over plain HTTP: two outputs of one prompt are distinct clips (a % in the prompt
drawn literally), a truncated download, control-API validation and the blocking client."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from flowsim.control import SyncSimControl
from tests.flowsim.pages2026 import ffprobe

# Omni 1.1 Flash's 8 s key (the wire client's default) is of Flow's October build: pinned to it.
pytestmark = pytest.mark.flowsim_build("october")


async def test_outputs_differ_and_truncated_download(flow, sim, flowsim_url, cookie_http,
                                                     tmp_path):
    await sim.configure(generation_seconds=1)
    project = await flow.new_project()
    # A % in the prompt must be drawn literally, not expanded by FFmpeg's drawtext.
    ids = await flow.submitted("YhhmEf", project, 2,
                               prompt="two takes at 50% speed, %{pts} stays text")
    clips = []
    for media_id in ids:
        await flow.wait(media_id, {"done"})
        async with cookie_http.get(f"{flowsim_url}/fx-content/download/{media_id}?size=720p") as resp:
            assert resp.status == 200
            clips.append(await resp.read())
    assert hashlib.sha256(clips[0]).digest() != hashlib.sha256(clips[1]).digest()

    download = f"{flowsim_url}/fx-content/download/{ids[0]}?size=720p"
    await sim.truncate_next_download()
    async with cookie_http.get(download) as resp:
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        short = await resp.read()
    async with cookie_http.get(download) as resp:
        full = await resp.read()
    assert len(short) == len(full) // 2 and full == clips[0]
    (tmp_path / "full.mp4").write_bytes(full)
    assert abs(float(ffprobe(tmp_path / "full.mp4")["format"]["duration"]) - 8.0) < 0.1


async def test_control_api_validates_and_sync_client_agrees(sim, flowsim_url):
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(no_such_setting=1)
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(variant="classic")  # one variant only: no such setting any more
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(build="aug2026")
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(slots="5", credits=10)  # all or nothing: credits unchanged too
    await sim.configure(credits=77, slots=2)
    await sim.fail_next(3, "terms", at_percent=10)
    sync = SyncSimControl(flowsim_url)
    counters = await asyncio.to_thread(sync.counters)
    assert (counters["credits_left"], counters["failure_script_left"]) == (77, 3)
    assert (await sim.config())["slots"] == (await asyncio.to_thread(sync.config))["slots"] == 2
    await asyncio.to_thread(sync.reset)
    assert (await sim.counters())["credits_left"] == 1000
