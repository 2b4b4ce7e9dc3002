"""Issue 19: a submit whose reply is missed or cannot be read is still settled, and never paid
for twice; poll replies the driver cannot read fall back to the grid. The faults are made at
the network boundary (a Playwright route on the browser context: the request reaches flowsim
and is billed, its answer is lost or garbled on the way back) or by flowsim's `wire_drift`
(Flow's next build moves a position: its page reads it, our reader does not)."""

from __future__ import annotations

from bot.clock import SystemClock
from bot.pipeline.flow.api import GenerationRequest
from bot.pipeline.flow.wire import rpc_of
from bot.services.batches import BatchService, NewItem
from tests.services.harness import RecordingNotifier, eventually, make_settings, running_pipeline

from .flow2026 import QUIET, SUBMIT_RPCS, client_2026, png, submits
from .helpers import wait_terminal

GARBLED = ")]}'\n\n9\n[[\"wrb.fr\"\n"


def _i2v(tmp_path, prompt: str) -> GenerationRequest:
    return GenerationRequest(png(tmp_path / "start.png"), prompt, "9:16", 1, "Veo 3.1 - Lite",
                             duration=8, resolution="720p")


def lose(rpcs: tuple[str, ...], *, garble: tuple[str, ...] = (), once: bool = True):
    """A route handler: calls of `rpcs` reach Flow (billed) and their answer is lost on the
    way back (network error), once or always; answers of `garble` arrive as garbage."""
    lost: list[str] = []

    async def handler(route, request) -> None:
        rpc = rpc_of(request.url)
        if rpc in rpcs and not (once and lost):
            await route.fetch()  # Flow receives it and acts on it
            lost.append(rpc)
            await route.abort("connectionreset")
        elif rpc in garble:
            response = await route.fetch()
            await route.fulfill(response=response, body=GARBLED)
        else:
            await route.fallback()

    handler.lost = lost  # type: ignore[attr-defined]
    return handler



async def test_submit_reply_lost_after_the_click_is_confirmed_by_its_client_request_id(
        client26, sim, tmp_path):
    """Regression (issue 19): a submit whose answer never came ended in "outcome_unknown"
    and, after a reconcile that only looked in an empty cache, in a second paid submit. The
    page's project listing names the clip with the client request id of our click."""
    handler = lose(SUBMIT_RPCS)
    await client26.session.current_page.context.route("**/data/batchexecute*", handler)
    handle = await client26.submit(_i2v(tmp_path, "a lighthouse at dawn"))
    assert handler.lost == ["eb1hJf"]
    [entry] = submits(await sim.wire())  # one submit, billed once
    assert set(handle.tile_ids) == set(entry["tile_ids"])
    assert handle.kind == "i2v" and handle.model_key == entry["model_key"] and handle.duration == 8
    [status] = await wait_terminal(client26, handle)
    assert status.state == "done"
    assert len(submits(await sim.wire())) == 1


async def test_submit_reply_of_a_new_build_is_confirmed_from_the_pages_own_polls(
        flowsim_url, sim, sim_session_file, chromium, tmp_path):
    """The submit answer moved a position (Flow's next build): our reader cannot read it, the
    page can, and polls the new clip; the driver confirms it by the record's prompt, keeps the
    raw answer for the log, and the proof of billing still compares the request and records."""
    await sim.configure(**QUIET, wire_drift=["eb1hJf"])
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        handle = await client.submit(_i2v(tmp_path, "a red kite over the sea"))
        [entry] = submits(await sim.wire())
        assert set(handle.tile_ids) == set(entry["tile_ids"]) and handle.kind == "i2v"
        unread = [u for u in client.wire.unreadable if u[1] == "eb1hJf"]
        assert unread and unread[0][3].startswith(")]}'")  # the raw reply kept for the log
    finally:
        await client.close()


async def test_poll_replies_the_driver_cannot_read_fall_back_to_the_grid(
        flowsim_url, sim, sim_session_file, chromium, tmp_path):
    """Every poll and media answer of a new build: the page shows the clip finished (its
    poster carries the media id); the driver reads the state from the grid once the last
    state it could read is stale, and downloads the clip."""
    await sim.configure(**QUIET, wire_drift=["jwpduf", "as29s"], generation_seconds=2)
    client = client_2026(flowsim_url, sim_session_file, tmp_path, chromium)
    await client.start()
    try:
        handle = await client.submit(_i2v(tmp_path, "fog over a harbour"))
        [status] = await wait_terminal(client, handle)
        assert status.state == "done"
        assert any(u[1] == "jwpduf" for u in client.wire.unreadable)
        dest = await client.download(handle, handle.tile_ids[0], tmp_path / "out" / "clip.mp4")
        assert dest.stat().st_size > 20_000
    finally:
        await client.close()
    assert len(submits(await sim.wire())) == 1


async def test_a_clicked_submit_never_seen_is_held_then_failed_never_paid_twice(
        sim, chromium, sim_session_file, tmp_path):
    """The answer is lost and the page can never tell (its listings arrive garbled): the item
    is held while the reconcile window lasts, then fails for good with an admin alert. The
    old policy retried an unknown outcome once: a second paid submit."""
    await sim.configure(generation_seconds=3)
    settings = make_settings(tmp_path / "data", sim.base_url, reconcile_window_s=6.0)
    notifier = RecordingNotifier()
    handler = lose(SUBMIT_RPCS, garble=("Zzl0ze",), once=False)
    async with running_pipeline(settings, sim_session_file, notifier, browser=chromium) as pipe:
        await pipe.ctx.flow.session.current_page.context.route("**/data/batchexecute*", handler)
        svc = BatchService(pipe.db, pipe.queue, settings, SystemClock(), settings.paths.data_dir)
        batch_id = await svc.create_batch(7, 70, [NewItem(png(tmp_path / "s.png"), "a quiet pier")],
                                          aspect="9:16", outputs=1, model="Veo 3.1 - Lite")
        await svc.start(batch_id, 7)
        await eventually(lambda: notifier.of("item_failed"), timeout=120)
        [item] = (await svc.get(batch_id)).items
        assert item.status == "failed"
        row = await pipe.db.fetchone("SELECT error_code FROM items WHERE id = ?", (item.id,))
        assert row["error_code"] == "outcome_unknown"
        alerts = [a for a in notifier.of("admin_alert") if a.kind == "outcome_unknown"]
        assert alerts and "a quiet pier" in alerts[0].text
    assert handler.lost == ["eb1hJf"]
    assert (await sim.counters())["submissions"] == 1  # never a second paid submit
