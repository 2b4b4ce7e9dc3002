"""The driver on flowsim's December build (issue 17): Omni 1.2 Flash's duration slider and its
per-second price, a hidden model picker, a model the menu no longer has, and the new failure
modes (firewall 403, a poll refusal frame, a lost upload reply, a translated page, Flow refusing
its own 1080p). Each test shows what the naive step would have done and that the driver did not."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import FirewallError, ModelNotOfferedError, ModelPickerHiddenError
from bot.pipeline.flow.api import GenerationRequest

from .flow2026 import QUIET, png, submits
from .helpers import wait_terminal

pytestmark = pytest.mark.flowsim_build("december")



def omni12(tmp_path, seconds: int, **kw) -> GenerationRequest:
    return GenerationRequest(png(tmp_path / "start.png"), kw.pop("prompt", "a kite over dunes"),
                             "16:9", 1, "Omni 1.2 Flash", duration=seconds, resolution="720p", **kw)


async def test_omni_12_at_12_seconds_is_set_on_the_slider_and_billed_per_second(make26, sim, tmp_path):
    await sim.configure(**QUIET)
    client = await make26()
    page = client.session.current_page
    handle = await client.submit(omni12(tmp_path, 12))
    [entry] = submits(await sim.wire())
    assert (entry["model"], entry["duration"], entry["credits"]) == ("Omni 1.2 Flash", 12, 42)
    assert handle.duration == 12 and handle.kind == "i2v" and handle.credits == 42
    [status] = await wait_terminal(client, handle)
    assert status.state == "done"
    clip = await client.download(handle, handle.tile_ids[0], tmp_path / "clip.mp4")
    from bot.pipeline.probe import probe

    assert abs((await probe(clip)).duration_s - 12) < 0.2
    # What a naive driver would have done: the value is written back by the component.
    settings = await page.query_selector("button.settings-trigger-button")
    await settings.click()
    slider = page.locator("flow-prompt-box-settings mat-slider input[type=range]")
    await slider.evaluate("(el) => { el.value = '5'; }")
    await asyncio.sleep(0.3)
    assert await slider.input_value() == "12"


async def test_hidden_model_picker_is_refused_even_when_its_text_names_our_model(make26, sim, tmp_path):
    """FLOW_2026 Dec. 7: the picker can be hidden; its text then only names the project's
    default. A driver reading the text would submit (the default happens to be Omni 1.2)."""
    await sim.configure(**QUIET, model_picker_hidden=True)
    client = await make26()
    with pytest.raises(ModelPickerHiddenError):
        await client.submit(omni12(tmp_path, 6))
    assert submits(await sim.wire()) == []


async def test_a_model_the_menu_no_longer_has_is_not_drift(make26, sim, tmp_path):
    await sim.configure(**QUIET)
    client = await make26()
    req = GenerationRequest(png(tmp_path / "s.png"), "old habits", "16:9", 1, "Veo 3.1 - Fast",
                            duration=8)
    with pytest.raises(ModelNotOfferedError) as caught:
        await client.submit(req)
    assert caught.value.model == "Veo 3.1 - Fast" and caught.value.answered
    assert submits(await sim.wire()) == []


async def test_firewall_403_on_a_fast_second_submit_is_refused_and_not_billed(make26, sim, tmp_path):
    await sim.configure(**QUIET, firewall_min_gap_s=60)
    client = await make26()
    await client.submit(omni12(tmp_path, 4, prompt="first"))
    with pytest.raises(FirewallError) as caught:
        await client.submit(omni12(tmp_path, 4, prompt="second"))
    assert caught.value.answered  # Google's answer: nothing was billed
    first, second = submits(await sim.wire())
    assert first["refused"] is None and second["refused"] == "firewall"
    assert (await sim.counters())["submissions"] == 1


async def test_a_poll_refusal_frame_is_not_a_failed_clip(make26, sim, tmp_path):
    await sim.configure(**QUIET, poll_refusal_next=4, generation_seconds=2)
    client = await make26()
    handle = await client.submit(omni12(tmp_path, 4))
    [status] = await wait_terminal(client, handle)
    assert status.state == "done"
    refused = [e for e in await sim.wire() if e["rpc"] == "jwpduf" and e["refused"]]
    assert refused  # the page's polls were refused, and the clip still counts


async def test_a_lost_upload_reply_is_found_in_the_library_not_uploaded_again(make26, sim, tmp_path):
    await sim.configure(**QUIET, upload_reply_lost_next=1)
    client = await make26()
    handle = await client.submit(omni12(tmp_path, 4))
    [upload] = await sim.uploads()  # one asset: a second upload would have made two
    assert upload.get("replyLost") is True
    [entry] = submits(await sim.wire())
    assert entry["media_ids"][0] == upload["mediaId"] == handle.frame_media_ids[0]


async def test_a_page_the_browser_translated_is_reloaded_in_english(make26, sim, tmp_path):
    await sim.configure(**QUIET, translate_bar=True)
    client = await make26(ui_lang="vi")  # the account's language, not the English pin
    handle = await client.submit(omni12(tmp_path, 4, prompt="mưa trên mái tôn"))
    page = client.session.current_page
    assert await page.evaluate("document.documentElement.lang") == "en"
    assert not await page.evaluate("document.documentElement.className.includes('translated')")
    [entry] = submits(await sim.wire())
    assert entry["duration"] == 4 and set(handle.tile_ids) == set(entry["tile_ids"])


async def test_flows_own_1080p_refused_for_unusual_activity_falls_back_at_once(make26, sim, tmp_path):
    from bot.errors import RetryableFlowError

    await sim.configure(**QUIET, upscale_unusual_activity_next=1, generation_seconds=2)
    client = await make26(upscale_1080_timeout_s=120.0)
    handle = await client.submit(omni12(tmp_path, 4))
    await wait_terminal(client, handle)
    with pytest.raises(RetryableFlowError) as caught:
        await client.download(handle, handle.tile_ids[0], tmp_path / "hd.mp4", size="1080p")
    # Flow's refusal itself, not the upscale time-out (`upscale_timeout`) waited out.
    assert caught.value.code == "upscale_refused" and "unusual" in caught.value.text.lower()
