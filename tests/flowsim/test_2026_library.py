"""flow2026 uploads: the rights consent owed before the first upload, the store delay and the
search lag of the picker, and refusals decided by the image (minors, photoreal faces)."""

from __future__ import annotations

import asyncio

import pytest

from bot.pipeline.flow.ui.flow2026 import wire as W
from flowsim.v2026 import i18n_server
from tests.flowsim.flow2026 import png

# Written against Flow's October build (Omni 1.1 Flash, Veo 3.1 - Fast/Quality, their keys and
# prices): pinned to it; December is flowsim's default (test_2026_december*.py).
pytestmark = pytest.mark.flowsim_build("october")

UPLOAD_REASONS = {"minor": "PUBLIC_ERROR_UPLOAD_MINOR", "face": "PUBLIC_ERROR_UPLOAD_FACE",
                  "not_an_image": "PUBLIC_ERROR_UPLOAD_NOT_IMAGE",
                  "too_large": "PUBLIC_ERROR_UPLOAD_TOO_LARGE"}


async def test_consent_required_before_the_first_upload(flow, sim):
    project = await flow.new_project()
    assert await sim.consent() == {"accepted": False, "required": True}
    refused = await flow.upload(project, "first.png")
    assert isinstance(refused, W.Refusal)
    assert (refused.status, refused.reason) == (9, "PUBLIC_ERROR_UPLOAD_CONSENT_REQUIRED")
    assert (await sim.wire())[-1]["refused"] == "upload_consent_required"
    assert await flow.call("hK3mQe", {}) == {"ok": True}
    assert await sim.consent() == {"accepted": True, "required": False}
    accepted = await flow.upload(project, "first.png")
    assert isinstance(accepted, W.UploadReply)
    assert (accepted.file_name, accepted.project_id, accepted.mime) == (
        "first.png", project, "image/png")
    [listed] = (await flow.call("Vz7tGb", {"projectId": project, "query": ""}))["assets"]
    assert (listed["mediaId"], listed["state"]) == (accepted.media_id, "READY")  # answered once stored
    uploads = await sim.uploads()
    assert [(u["fileName"], u["refused"]) for u in uploads] == [
        ("first.png", None), ("first.png", "upload_consent_required")]
    await sim.configure(upload_consent=True)  # switched on again: owed again
    assert await sim.consent() == {"accepted": False, "required": True}


async def test_upload_waits_in_uploading_then_search_lags(flow, sim):
    await sim.configure(upload_consent=False, upload_store_seconds=2.0, search_lag_seconds=60)
    project = await flow.new_project()

    async def picker(query: str) -> list[dict]:
        return (await flow.call("Vz7tGb", {"projectId": project, "query": query}))["assets"]

    # The upload is answered once stored (0.5 s); the picker lists it before that.
    sending = asyncio.ensure_future(flow.upload(project, "run-42-start.png"))
    for _ in range(100):
        if await picker(""):
            break
        await asyncio.sleep(0.02)
    [listed] = await picker("")
    media_id = listed["mediaId"]
    assert (listed["state"], listed["thumbnailUrl"]) == ("UPLOADING", None)
    assert not sending.done()
    assert await picker("run-42") == []
    refused = await flow.submit("eb1hJf", project, model_key="abra_i2v_8s", refs=[media_id])
    assert (refused.status, refused.reason) == (3, "PUBLIC_ERROR_INVALID_REQUEST")
    assert (await sim.wire())[-1]["refused"].startswith("invalid_request")  # not stored yet
    assert (await sending).media_id == media_id
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
        assert isinstance(result, W.UploadReply) and result.media_id
        return
    assert isinstance(result, W.Refusal)
    assert (result.status, result.reason, result.message) == (
        3, UPLOAD_REASONS[reason], i18n_server.text(reason, "en"))
    assert (await sim.wire())[-1]["refused"] == reason
    if reason == "minor":
        assert result.message == "We do not allow uploads of minors at this time"
    [upload] = await sim.uploads()
    assert (upload["mediaId"], upload["refused"]) == (None, reason)
    assert (await flow.call("Vz7tGb", {"projectId": project, "query": ""}))["assets"] == []


async def test_not_an_image_and_too_large_are_refused(flow, sim):
    await sim.configure(upload_consent=False, max_upload_bytes=2000)
    project = await flow.new_project()
    pdf = await flow.upload(project, "a.pdf", b"%PDF-1.4")
    assert (pdf.status, pdf.reason) == (3, UPLOAD_REASONS["not_an_image"])
    big = png((10, 10, 10), (1500, 1500))
    noise = bytes(range(256)) * 40
    too_large = await flow.upload(project, "big.png", big + noise)
    assert (too_large.status, too_large.reason) == (3, UPLOAD_REASONS["too_large"])
    status, _ = await flow.send("maseQ", flow.upload_payload(project, "", b64=""))
    assert status == 400
    status, _ = await flow.send("maseQ", flow.upload_payload(project, None))  # no file name
    assert status == 400
    assert [u["refused"] for u in await sim.uploads()] == ["not_an_image", "too_large"]
