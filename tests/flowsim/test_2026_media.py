"""flow2026 clips and downloads: rendered at the chosen duration, resolution and aspect; the
720p download is the original's bytes; the hover preview is a re-encode; 1080p on demand
(or never); 4K refused on Pro and charged on Ultra; opaque `/asb/` thumbnails."""

from __future__ import annotations

import asyncio

import pytest

from bot.pipeline.flow.ui.flow2026 import wire as W
from tests.flowsim.flow2026 import png
from tests.flowsim.pages2026 import ffprobe

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")


def video_stream(path) -> tuple[int, int, float]:
    """(width, height, duration) of a clip."""
    probe = ffprobe(path)
    stream = next(s for s in probe["streams"] if s["codec_type"] == "video")
    return stream["width"], stream["height"], float(probe["format"]["duration"])


async def fetch(http, url: str) -> tuple[int, dict, bytes]:
    async with http.get(url) as resp:
        return resp.status, dict(resp.headers), await resp.read()


async def test_clip_length_size_downloads_preview_and_upscales(flow, sim, flowsim_url,
                                                               cookie_http, tmp_path):
    await sim.configure(upscale_1080_seconds=0.5, generation_seconds=1)
    project = await flow.new_project()
    [omni] = await flow.submitted("YhhmEf", project, model_key="abra_t2v_6s")
    [small] = await flow.submitted("YhhmEf", project, model_key="abra_t2v_4s_360p_portrait")
    # Not done yet: the media reply is the record without its URLs.
    early = await flow.media(omni)
    if early.state != "done":
        assert (early.rec.video_url, early.rec.poster_url) == (None, None)
    for op in (omni, small):
        await flow.wait(op, {"done"})
    got = {}
    for op in (omni, small):  # as29s: one id per call, as the page asks
        item = await flow.media(op)
        assert item.rec.state == "done" and item.rec.size_bytes > 0
        status, _headers, original = await fetch(cookie_http, flowsim_url + item.rec.video_url)
        assert status == 200 and len(original) == item.rec.size_bytes
        path = tmp_path / f"{op}.mp4"
        path.write_bytes(original)
        got[op] = (video_stream(path), original, item)
    (w, h, seconds), original, item = got[omni]
    assert (w, h) == (1280, 720) and abs(seconds - 6.0) < 0.1  # a 6 s Omni clip is 6 s
    assert item.rec.duration_s == 6
    (w, h, seconds), _, _ = got[small]
    assert (w, h) == (360, 640) and abs(seconds - 4.0) < 0.1

    # The 720p download is the original, as an attachment; counted by size.
    status, headers, body = await fetch(
        cookie_http, f"{flowsim_url}/fx-content/download/{omni}?size=720p")
    assert status == 200 and headers["Content-Disposition"].startswith("attachment;")
    assert body == original
    # The hover preview and the thumbnail are something else; a bad signature is refused.
    _, _, preview = await fetch(cookie_http, flowsim_url + item.extra("preview_url"))
    assert preview != original and 0 < len(preview) < len(original)
    assert (await fetch(cookie_http, flowsim_url + item.rec.poster_url))[0] == 200
    asb = item.extra("opaque_thumbnail_url")
    assert asb.startswith("/asb/") and omni not in asb
    assert (await fetch(cookie_http, flowsim_url + asb))[0] == 200
    forged = item.rec.video_url.split("?")[0] + "?sig=0"
    assert (await fetch(cookie_http, flowsim_url + forged))[0] == 403
    # A media id the account does not have: status 5 (not found).
    unknown = await flow.read("as29s", ["00000000-0000-0000-0000-000000000000"])
    assert isinstance(unknown, W.Refusal) and unknown.status == 5

    # 1080p: rendered on demand, then downloadable; 4K is not on Pro.
    upscale = {"mediaId": omni, "size": "1080p"}
    assert await flow.call("Qq9xPa", upscale) == {"state": "PENDING"}
    status, _, _ = await fetch(
        cookie_http, f"{flowsim_url}/fx-content/download/{omni}?size=1080p")
    assert status == 409
    for _ in range(600):
        ready = await flow.call("Qq9xPa", upscale)
        if ready["state"] == "READY":
            break
        await asyncio.sleep(0.1)
    status, _, body = await fetch(cookie_http, flowsim_url + ready["url"])
    (tmp_path / "1080.mp4").write_bytes(body)
    assert status == 200 and video_stream(tmp_path / "1080.mp4")[:2] == (1920, 1080)
    refused = await flow.call("Qq9xPa", {"mediaId": omni, "size": "4K"})
    assert isinstance(refused, W.Refusal)
    assert (refused.status, refused.reason) == (7, "PUBLIC_ERROR_UPSCALE_NOT_ON_PLAN")
    assert (await sim.wire())[-1]["refused"] == "not_on_plan"
    assert await sim.downloads() == {"720p": 1, "1080p": 1}

    # The edit view of a finished clip exists.
    async with cookie_http.get(f"{flowsim_url}/project/{project}/edit/{omni}") as r:
        assert r.status == 200

    # On Ultra 4K costs 50 credits, once per clip.
    await sim.configure(plan="ultra", upscale_1080_seconds=-1)
    before = (await sim.counters())["credits_left"]
    four_k = {"mediaId": small, "size": "4K"}
    assert (await flow.call("Qq9xPa", four_k))["state"] in ("PENDING", "READY")
    await flow.call("Qq9xPa", four_k)
    assert (await sim.counters())["credits_left"] == before - 50
    assert [e["credits"] for e in await sim.wire() if e["rpc"] == "Qq9xPa"][-2:] == [50, 0]


async def test_1080p_never_arrives_when_configured_negative(flow, sim):
    await sim.configure(upscale_1080_seconds=-1, generation_seconds=1)
    project = await flow.new_project()
    [op] = await flow.submitted("YhhmEf", project, model_key="abra_t2v_4s_360p")
    await flow.wait(op, {"done"})
    upscale = {"mediaId": op, "size": "1080p"}
    for _ in range(5):
        assert await flow.call("Qq9xPa", upscale) == {"state": "PENDING"}
        await asyncio.sleep(0.2)
    [tile] = [t for t in await sim.tiles() if t["tile_id"] == op]
    assert tile["upscale"] is None  # nothing was even started


def frame_colour(path, at: float, tmp_path) -> tuple[int, int, int]:
    """The colour of a clip's frame at `at` seconds, sampled above the prompt box."""
    from subprocess import run

    from PIL import Image

    still = tmp_path / f"still-{at}.png"
    run(["ffmpeg", "-v", "error", "-y", "-ss", str(at), "-i", str(path), "-frames:v", "1",
         str(still)], check=True)
    with Image.open(still) as image:
        return image.convert("RGB").getpixel((image.width // 2, image.height // 3))


async def test_an_interpolation_clip_pans_from_the_start_to_the_end_frame(flow, sim, flowsim_url,
                                                                          cookie_http, tmp_path):
    # Regression: the end frame of a start+end (nprQif) clip was never drawn.
    await sim.configure(generation_seconds=1)
    project = await flow.new_project()
    red = await flow.ready_upload(project, "red.png", png((220, 30, 30), (320, 180)))
    blue = await flow.ready_upload(project, "blue.png", png((30, 30, 220), (320, 180)))
    [op] = await flow.submitted("nprQif", project,
                                model_key="omni_flash_i2v_4s_first_last_360p", refs=[red, blue])
    await flow.wait(op, {"done"})
    item = await flow.media(op)
    _, _, clip = await fetch(cookie_http, flowsim_url + item.rec.video_url)
    path = tmp_path / "fl.mp4"
    path.write_bytes(clip)
    first, last = frame_colour(path, 0, tmp_path), frame_colour(path, 3.95, tmp_path)
    assert first[0] > 150 and first[2] < 80, first  # the start frame (red) ...
    assert last[2] > 150 and last[0] < 80, last  # ... and at the end the end frame (blue)
