"""The simulator over plain HTTP: sign-in redirect, upload checks, distinct outputs, a truncated
download, control-API validation and the blocking client."""

from __future__ import annotations

import asyncio
import hashlib

import aiohttp
import pytest

from flowsim.control import SyncSimControl
from tests.flowsim.pages import ffprobe

# The classic UI (flowsim serves flow2026 by default).
pytestmark = pytest.mark.flowsim_variant("classic")

DEADLINE_S = 120


async def wait_done(sim, count: int) -> list[dict]:
    """Poll the control API until `count` tiles are done (bounded, not a timing assertion)."""
    for _ in range(DEADLINE_S * 5):
        tiles = await sim.tiles()
        if sum(t["state"] == "done" for t in tiles) >= count:
            return tiles
        await asyncio.sleep(0.2)
    raise AssertionError(f"tiles never finished: {tiles}")


@pytest.fixture
def http(cookie_http):
    """An HTTP session carrying the simulator's sign-in cookie (tests/flowsim/conftest.py)."""
    return cookie_http


async def test_without_cookie_pages_redirect_to_google_sign_in(sim, flowsim_url):
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{flowsim_url}/fx/tools/flow", allow_redirects=False) as resp:
            assert resp.status == 302
            assert "/accounts.google.com/" in resp.headers["Location"]
        async with anonymous.get(f"{flowsim_url}/fx/api/account") as resp:
            assert resp.status == 401
            assert "accounts.google.com" in (await resp.json())["redirect"]


async def test_upload_rejects_non_images(sim, flowsim_url, http):
    async with http.post(f"{flowsim_url}/fx/api/projects") as resp:
        project = (await resp.json())["project_id"]
    url = f"{flowsim_url}/fx/api/projects/{project}/uploads"
    async with http.post(url, data=b"%PDF-1.4 not an image") as resp:
        assert resp.status == 400
    await sim.configure(max_upload_bytes=100)
    async with http.post(url, data=b"\x89PNG" + b"0" * 200) as resp:
        assert resp.status == 400


async def test_outputs_differ_and_truncated_download(sim, flowsim_url, http, tmp_path):
    async with http.post(f"{flowsim_url}/fx/api/projects") as resp:
        project = (await resp.json())["project_id"]
    # A % in the prompt must be drawn literally, not expanded by FFmpeg's drawtext.
    body = {"prompt": "two takes at 50% speed, %{pts} stays text", "model": "Veo 3.1 - Fast",
            "aspect": "9:16", "outputs": 2}
    async with http.post(f"{flowsim_url}/fx/api/projects/{project}/generate", json=body) as resp:
        assert resp.status == 200
    tiles = await wait_done(sim, 2)
    clips = []
    for tile in tiles:
        async with http.get(f"{flowsim_url}{tile['video_url']}") as resp:
            clips.append(await resp.read())
    assert hashlib.sha256(clips[0]).digest() != hashlib.sha256(clips[1]).digest()

    download = f"{flowsim_url}/fx/api/tiles/{tiles[0]['tile_id']}/download?quality=720p"
    await sim.truncate_next_download()
    async with http.get(download) as resp:
        assert resp.headers["Content-Disposition"].startswith("attachment;")
        short = await resp.read()
    async with http.get(download) as resp:
        full = await resp.read()
    assert len(short) == len(full) // 2 and full == clips[0]
    (tmp_path / "full.mp4").write_bytes(full)
    assert abs(float(ffprobe(tmp_path / "full.mp4")["format"]["duration"]) - 8.0) < 0.1


async def test_control_api_validates_and_sync_client_agrees(sim, flowsim_url):
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(no_such_setting=1)
    with pytest.raises(RuntimeError, match="bad setting"):
        await sim.configure(variant="aug2026")
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
