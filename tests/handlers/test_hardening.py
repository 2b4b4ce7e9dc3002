"""Regression tests for issue 12's defect classes 1–6, through the real bot over the fake Bot API.

Each test is named after the class of defect, not the one input that revealed it; the many
single bad inputs live in the table of `test_bad_input_corpus.py`.
"""

from __future__ import annotations

from pathlib import Path

from aiogram import F
from aiogram.filters import Command

from bot.clock import SystemClock
from bot.pipeline.flow.client import PlaywrightFlowClient
from bot.services.dialogs import AWAITING_PROMPT, DialogService
from bot.storage.db import Database
from bot.telegram.limits import utf16_len
from tests.handlers.harness import (
    ADMIN,
    ANN,
    BOB,
    STRANGER,
    bot_settings,
    eventually,
    image_bytes,
    last_with,
    running_bot,
    send_stored_photo,
    texts_of,
    truncated_jpeg,
)


def files_under(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def nothing_in(folder: Path):
    async def check() -> bool:
        return files_under(folder) == []
    return check


async def batch_count(app) -> int:
    return (await app.services["batches"].db.fetchone("SELECT count(*) FROM batches"))[0]


# -- 1. every image fully decoded before it joins a batch -------------------------------------------

async def test_truncated_image_never_joins_a_batch(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        # Alone, as a file: refused by name, no batch, nothing left on disk.
        await telegram.send_document(ANN, truncated_jpeg(), "cut.jpg", "image/jpeg", caption="waves roll in")
        reply = await telegram.wait_for(lambda t: last_with(t, ANN, "cut.jpg"))
        assert "could not be opened" in reply.content
        # Alone, as a photo (the photo path downloads and checks the same way).
        await send_stored_photo(telegram, ANN, truncated_jpeg(1), caption="waves roll in")
        await telegram.wait_for(lambda t: last_with(t, ANN, "could not be opened") is not reply)
        assert await batch_count(app) == 0

        # Inside a mixed album: the card has the two good images only, the bad one is named.
        await telegram.send_album(BOB, [(image_bytes(seed=1), "document", "good1.jpg"),
                                        (truncated_jpeg(2), "document", "broken.jpg"),
                                        (image_bytes("PNG", seed=3), "document", "good2.png")],
                                  caption="a lighthouse at dusk")
        card = await telegram.wait_for(lambda t: last_with(t, BOB, "Batch #"))
        assert "2 images" in card.content
        assert "could not be opened" in last_with(telegram, BOB, "broken.jpg").content
        view = await app.services["batches"].get(1)
        assert len(view.items) == 2

        # With a prompts file matched by order: refusing one image would shift every prompt
        # after it onto the wrong image, so the bot does not guess.
        await telegram.send_document(ANN, b"prompt for one\nprompt for two\n", "p.txt", "text/plain")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Got 2 prompt"))
        await telegram.send_album(ANN, [(truncated_jpeg(4), "document", "one.jpg"),
                                        (image_bytes(seed=5), "document", "two.jpg"),
                                        (image_bytes(seed=6), "document", "three.jpg")])
        await telegram.wait_for(lambda t: last_with(t, ANN, "cannot tell which prompt"))
        await telegram.wait_for(lambda t: last_with(t, ANN, "without a prompt"))
        assert await batch_count(app) == 1  # only Bob's


# -- 2. every temp-then-rename writer has its sweep at start ----------------------------------------

async def test_start_up_sweep_removes_what_every_temp_writer_left(telegram, tmp_path):
    data = tmp_path
    leftovers = [
        "4k/batch1/.item001_g1_v0_4k_fast.mp4.0123abcd.part",    # 4K upscale
        "exports/export1/.batch1_720p.zip.89abcdef.part",        # zip export
        "blobs/clips/batch1/.clip.mp4.deadbeef.part",            # local blob store
        "clips/batch1/.item001_g1_v0.mp4.part",                  # Flow download
        "clips/batch1/item001_g1_v1.part.mp4",                   # clip collection
        "incoming/2002/" + "ab" * 16 + ".part",                  # intake download
        "incoming/2002/" + "cd" * 16 + ".jpg",                   # a download no dialog holds
        "artifacts/20260101-flow.trace.tmp",                     # trace scrubbing
        ".flow_session.json.k2j4_x9a",                           # write_private (mkstemp)
        "flow_session.json.candidate",                           # /login candidate
        "flow_session.json.probe.json",                          # /login probe ledger
    ]
    kept = [
        "4k/batch1/item001_g1_v0_4k_fast.mp4",
        "clips/batch1/item001_g1_v0.mp4",
        "exports/export1/batch1_720p.zip",
        "flow_session.json",
        "flowsim/media/tile1.part.mp4",   # the simulator's own folder: its process may be writing
        "incoming/2003/held.jpg",         # waiting in Bob's dialog for a prompt
    ]
    for rel in leftovers + kept:
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        (data / rel).write_bytes(image_bytes() if rel.endswith("held.jpg") else b"x" * 100)
    settings = bot_settings(telegram, data)
    db = await Database(settings.paths.database_path, SystemClock()).open()
    try:
        held = data / "incoming/2003/held.jpg"
        await DialogService(db).set(BOB, BOB, AWAITING_PROMPT,
                                    {"images": [{"path": str(held), "name": "held.jpg", "prompt": None}]})
        async with running_bot(settings, db=db) as app:
            left = [rel for rel in leftovers if (data / rel).exists()]
            assert left == []
            assert all((data / rel).exists() for rel in kept)
            assert not (data / "incoming/2002").exists()  # emptied folders go too
            # The held image is still usable: Bob's prompt turns it into a batch.
            await telegram.send_text(BOB, "the lamp swings in the wind")
            await telegram.wait_for(lambda t: last_with(t, BOB, "Batch #"))
            assert len((await app.services["batches"].get(1)).items) == 1
            await eventually(nothing_in(data / "incoming"))  # the batch holds its own copy
    finally:
        await db.close()


# -- 3. downloaded images live as long as their data --------------------------------------------------

async def test_downloaded_images_are_deleted_when_their_data_dies(telegram, tmp_path):
    incoming = tmp_path / "incoming"
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        # A refused drop (over 50 images): none of them stays.
        for i in range(51):
            await telegram.send_document(ANN, image_bytes(size=(128, 128), seed=i), f"i{i}.png", "image/png")
        await telegram.wait_for(lambda t: last_with(t, ANN, "at most 50"), timeout=60)
        assert files_under(incoming) == []

        # A dialog waiting for a prompt holds its image; /cancel drops both.
        await telegram.send_photo(ANN, image_bytes())
        await telegram.wait_for(lambda t: last_with(t, ANN, "without a prompt"))
        assert len(files_under(incoming)) == 1
        await telegram.send_command(ANN, "/cancel")
        await telegram.wait_for(lambda t: last_with(t, ANN, "were dropped"))
        assert files_under(incoming) == []

        # A dialog replaced by another one (/login) lets go of its images too.
        await telegram.send_photo(ADMIN, image_bytes(seed=2))
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "without a prompt"))
        assert len(files_under(incoming)) == 1
        await telegram.send_command(ADMIN, "/login")
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "Send the Flow session"))
        assert files_under(incoming) == []

        # A batch copies its images: the downloads go as soon as it exists, whatever happens
        # to the batch later (cancelled here).
        await telegram.send_album(BOB, [(image_bytes(seed=i), "document", f"b{i}.jpg") for i in range(3)],
                                  caption="birds take off from a lake")
        card = await telegram.wait_for(lambda t: last_with(t, BOB, "Batch #"))
        await eventually(nothing_in(incoming))  # deleted right after the card is sent
        await telegram.press(BOB, card.message_id, card.button_data("Cancel"))
        await telegram.wait_for(lambda t: any("cancelled" in (a.get("text") or "") for a in t.answers))
        assert files_under(incoming) == []
        assert await batch_count(app) == 1


# -- 4. every input parser bounded, every handler ends in an answer ---------------------------------

async def test_long_stored_texts_keep_every_reply_within_telegram_limits(
        telegram, sim, chromium, sim_session_file, tmp_path):
    settings = bot_settings(telegram, tmp_path / "data", sim.base_url)
    flow = PlaywrightFlowClient(settings.flow, sim_session_file, SystemClock(),
                                tmp_path / "data" / "artifacts", browser=chromium)
    await flow.start()
    try:
        async with running_bot(settings, flow_client=flow, with_pipeline=False) as app:
            account = app.services["account"]
            reason = "<b>ünïcode 😀</b> " * 200  # ~3,800 characters, HTML-looking, astral emoji
            await telegram.send_command(ADMIN, "/pause", args=reason.strip())
            await telegram.wait_for(lambda t: last_with(t, ADMIN, "Paused"))
            state = await account.state()
            assert state.paused and len(state.detail) <= 200  # bounded where it is stored

            # A long reason stored some other way (the pipeline, an older version) still
            # cannot silence /queue and /session: composed replies are cut safely.
            await account.resume()
            await account.pause(reason * 3)
            await telegram.send_command(ADMIN, "/queue")
            queue = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Queue"))
            await telegram.send_command(ADMIN, "/session")
            session = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Flow session"))
            for msg in (queue, session):
                assert "ünïcode 😀" in msg.content and utf16_len(msg.content) <= 4096
                assert msg.content.endswith("…")

            # Many allowed users: a bounded list and at most 40 buttons (Telegram refuses more
            # than 100), rather than a refused reply.
            for uid in range(10**9, 10**9 + 250):
                await app.services["users"].allow(uid)
            await telegram.send_command(ADMIN, "/users")
            listing = await telegram.wait_for(lambda t: last_with(t, ADMIN, "Allowed users"))
            assert utf16_len(listing.content) <= 4096 and "and 203 more" in listing.content
            assert len(listing.buttons()) == 40 and "/users remove ID" in listing.content
    finally:
        await flow.close()


async def test_unhandled_exception_still_answers_politely(telegram, tmp_path):
    async def boom(*_args, **_kwargs):
        raise RuntimeError("a bug nobody anticipated")

    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        # Handlers registered on the dispatcher itself run before every feature router.
        app.dp.message.register(boom, Command("boom"))
        app.dp.callback_query.register(boom, F.data == "boom")
        await telegram.send_command(ANN, "/boom")
        reply = await telegram.wait_for(lambda t: last_with(t, ANN, "went wrong"))
        assert "try again" in reply.content
        msg = await telegram.send_command(ANN, "/help")
        await telegram.wait_for(lambda t: last_with(t, ANN, "How to use me"))
        qid = await telegram.press(ANN, msg["message_id"], "boom", forge=True)
        await telegram.wait_for(lambda t: any(a["callback_query_id"] == qid for a in t.answers))
        answer = next(a for a in telegram.answers if a["callback_query_id"] == qid)
        assert "went wrong" in answer["text"]  # the spinner stops, with a reason


# -- 5. user ids Telegram never assigns are refused ------------------------------------------------

async def test_users_add_refuses_ids_telegram_never_assigns(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        users = app.services["users"]
        bad = ("-5", "0", "²", "١٢٣", "4503599627370496", "99999999999999999999", "12e3", "0x10")
        for n, arg in enumerate(bad, 1):
            await telegram.send_command(ADMIN, "/users", args=f"add {arg}")
            await telegram.wait_for(
                lambda t, n=n: len([x for x in texts_of(t, ADMIN) if "positive number" in x]) == n)
        assert [u.id for u in await users.list_allowed()] == sorted([ADMIN, ANN, BOB])
        await telegram.send_command(ADMIN, "/users", args="add 4503599627370495")  # 2**52 - 1: valid
        await telegram.wait_for(lambda t: last_with(t, ADMIN, "may now use the bot"))
        assert 4503599627370495 in [u.id for u in await users.list_allowed()]


# -- 6. an unknown command gets an answer --------------------------------------------------------

async def test_unknown_command_points_to_help_for_users_only(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False):
        await telegram.send_command(ANN, "/strat")
        reply = await telegram.wait_for(lambda t: last_with(t, ANN, "/strat"))
        assert "/help" in reply.content
        await telegram.send_text(ANN, "/")
        await telegram.wait_for(lambda t: len([x for x in texts_of(t, ANN) if "/help" in x]) == 2)
        # A stranger keeps today's behaviour: the polite refusal, nothing about commands.
        telegram.user(STRANGER, "Eve")
        await telegram.send_command(STRANGER, "/strat")
        await telegram.wait_for(lambda t: last_with(t, STRANGER, "private bot"))
        assert not any("/help" in x for x in texts_of(telegram, STRANGER))
