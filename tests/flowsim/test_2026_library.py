"""flow2026 uploads: the rights consent owed before the first upload, the store delay and the
search lag of the picker, and refusals decided by the image (minors, photoreal faces)."""

from __future__ import annotations

import asyncio
import base64

import pytest

from flowsim.v2026 import i18n_server
from tests.flowsim.flow2026 import png


async def test_consent_required_before_the_first_upload(flow, sim):
    project = await flow.new_project()
    assert await sim.consent() == {"accepted": False, "required": True}
    refused = await flow.upload(project, "first.png")
    assert refused["error"]["reason"] == "upload_consent_required"
    assert await flow.call("hK3mQe", {}) == {"ok": True}
    assert await sim.consent() == {"accepted": True, "required": False}
    accepted = await flow.upload(project, "first.png")
    assert accepted["fileName"] == "first.png" and accepted["state"] in ("UPLOADING", "READY")
    uploads = await sim.uploads()
    assert [(u["fileName"], u["refused"]) for u in uploads] == [
        ("first.png", None), ("first.png", "upload_consent_required")]
    await sim.configure(upload_consent=True)  # switched on again: owed again
    assert await sim.consent() == {"accepted": False, "required": True}


async def test_upload_waits_in_uploading_then_search_lags(flow, sim):
    await sim.configure(upload_consent=False, upload_store_seconds=0.5, search_lag_seconds=60)
    project = await flow.new_project()
    media_id = (await flow.upload(project, "run-42-start.png"))["mediaId"]

    async def picker(query: str) -> list[dict]:
        return (await flow.call("Vz7tGb", {"projectId": project, "query": query}))["assets"]

    [listed] = await picker("")
    assert (listed["mediaId"], listed["state"], listed["thumbnailUrl"]) == (
        media_id, "UPLOADING", None)
    assert await picker("run-42") == []
    status, _ = await flow.send("eb1hJf", {"projectId": project, "requests": [
        flow.request(model_key="omni_1_1_i2v_flash", start=media_id)]})
    assert status == 400  # not stored yet: the page must never send it
    for _ in range(100):
        [listed] = await picker("")
        if listed["state"] == "READY":
            break
        await asyncio.sleep(0.1)
    assert listed["state"] == "READY" and listed["thumbnailUrl"].startswith("/fx-content/image/")
    assert await picker("run-42") == []  # stored, but the search index is behind
    await sim.configure(search_lag_seconds=0)
    fresh = await flow.ready_upload(project, "run-43-start.png")
    assert [a["mediaId"] for a in await picker("RUN-43")] == [fresh]


@pytest.mark.parametrize("colour, reason", [
    ((255, 0, 255), "minor"), ((246, 8, 250), "minor"), ((0, 255, 255), "face"),
    ((200, 0, 200), None), ((255, 20, 255), None),
])
async def test_image_colour_decides_minor_and_face_refusals(flow, sim, colour, reason):
    await sim.configure(upload_consent=False)
    project = await flow.new_project()
    result = await flow.upload(project, "portrait.png", png(colour))
    if reason is None:
        assert "mediaId" in result
        return
    assert result["error"] == {"reason": reason, "message": i18n_server.text(reason, "en")}
    if reason == "minor":
        assert result["error"]["message"] == "We do not allow uploads of minors at this time"
    [upload] = await sim.uploads()
    assert (upload["mediaId"], upload["refused"]) == (None, reason)
    assert (await flow.call("Vz7tGb", {"projectId": project, "query": ""}))["assets"] == []


async def test_not_an_image_and_too_large_are_refused(flow, sim):
    await sim.configure(upload_consent=False, max_upload_bytes=2000)
    project = await flow.new_project()
    pdf = await flow.call("maseQ", {"projectId": project, "fileName": "a.pdf",
                                    "mimeType": "image/png",
                                    "imageBase64": base64.b64encode(b"%PDF-1.4").decode()})
    assert pdf["error"]["reason"] == "not_an_image"
    big = png((10, 10, 10), (1500, 1500))
    noise = bytes(range(256)) * 40
    too_large = await flow.call("maseQ", {"projectId": project, "fileName": "big.png",
                                          "mimeType": "image/png",
                                          "imageBase64": base64.b64encode(big + noise).decode()})
    assert too_large["error"]["reason"] == "too_large"
    status, _ = await flow.send("maseQ", {"projectId": project, "fileName": "",
                                          "mimeType": "image/png", "imageBase64": ""})
    assert status == 400
    assert [u["refused"] for u in await sim.uploads()] == ["not_an_image", "too_large"]
