"""When policy retries an item whose one tile failed in Flow (2026 UI), the pipeline clicks
Flow's own Retry on that tile (same project and frame) instead of uploading the frame again
and submitting anew; proved on flowsim flow2026 by the wire."""

from __future__ import annotations

import pytest

from bot.clock import SystemClock
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, make_frames, make_settings, running_pipeline

from .flow2026 import QUIET, submits

# Veo 3.1 - Fast / Omni 1.1 Flash were retired on 2026-12-07; the simulator's October build
# still offers them: its learned catalogue is pinned explicitly.
pytestmark = pytest.mark.usefixtures("october_catalog")


async def test_failed_tile_is_redone_with_flows_retry_not_a_second_upload_and_submit(
        sim, chromium, sim_session_file, tmp_path):
    await sim.configure(**QUIET)
    await sim.fail_next(1, "something_wrong", at_percent=20)
    settings = make_settings(tmp_path / "data", sim.base_url, step_timeout_s=15.0)
    if "canary" in type(settings.flow).model_fields:
        settings.flow.canary = False  # the drift canary has its own tests
    [frame] = make_frames(tmp_path / "frames", 1)
    async with running_pipeline(settings, sim_session_file, RecordingNotifier(),
                                browser=chromium) as pipe:
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(1, None, [NewItem(frame, "a kite over the cliffs")],
                                          aspect="9:16", outputs=1, model="Veo 3.1 - Fast",
                                          source="cli")
        await svc.start(batch_id, 1)
        assert await pipe.wait_batch(batch_id, timeout=180) == "done"
        gens = await pipe.db.fetchall(
            "SELECT status, tile_ids_json FROM generations ORDER BY id")
    wire = await sim.wire()
    [submit] = submits(wire)  # one eb1hJf (i2v) only: the second try was not a new submit
    assert submit["kind"] == "i2v"
    retries = [e for e in wire if e["rpc"] == "Lm2sRd" and e.get("kind")]
    assert len(retries) == 1 and retries[0]["refused"] is None
    assert retries[0]["media_ids"][0] == submit["media_ids"][0]  # the same frame
    [upload] = await sim.uploads()  # the frame went up once
    assert submit["media_ids"][0] == upload["mediaId"]
    [logged] = [e for e in await sim.submissions() if e.get("retry")]
    failed_tile = logged["retry"]
    # Two generation rows: the failed one, and the Retry recorded like a submission.
    assert [g[0] for g in gens] == ["failed", "done"]
    assert failed_tile in gens[0][1] and list(logged["tile_ids"])[0] in gens[1][1]
