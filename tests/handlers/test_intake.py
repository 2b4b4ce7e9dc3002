"""Intake over the fake Bot API: albums, captions, the prompt dialog across a restart, bad files,
prompts files, and the batch card's Settings keyboard."""

from __future__ import annotations

from pathlib import Path

from bot.clock import SystemClock
from bot.storage.db import Database
from tests.handlers.harness import (
    ANN,
    BOB,
    bot_settings,
    image_bytes,
    last_with,
    running_bot,
    texts_of,
)

MB = 1024 * 1024


async def _batches(db: Database, user_id: int):
    return await db.fetchall("SELECT * FROM batches WHERE user_id = ? ORDER BY id", (user_id,))


async def test_album_with_caption_becomes_one_card_and_settings_edit_it(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_album(ANN, [(image_bytes(seed=i), "photo", f"p{i}.jpg") for i in range(3)],
                                  caption="a fox runs through snow")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
        assert "3 images" in card.content and "9:16" in card.content and "Lite" in card.content
        assert "credits" in card.content
        hint = [t for t in texts_of(telegram, ANN) if "full quality" in t]
        assert len(hint) == 1  # the photo hint comes once, not once per photo
        view = await app.services["batches"].get(1)
        assert [i.prompt for i in view.items] == ["a fox runs through snow"] * 3

        await telegram.press(ANN, card.message_id, card.button_data("Settings"))
        await telegram.wait_for(lambda t: "16:9" in str(t.message(ANN, card.message_id).buttons()))
        card = telegram.message(ANN, card.message_id)
        await telegram.press(ANN, card.message_id, card.button_data("16:9"))
        await telegram.wait_for(lambda t: "📐 16:9" in t.message(ANN, card.message_id).content)
        card = telegram.message(ANN, card.message_id)
        await telegram.press(ANN, card.message_id, card.button_data("4 outputs"))
        await telegram.wait_for(lambda t: "4 videos each" in t.message(ANN, card.message_id).content)
        card = telegram.message(ANN, card.message_id)
        await telegram.press(ANN, card.message_id, card.button_data("Omni 1.2"))
        await telegram.wait_for(lambda t: "Omni 1.2 Flash" in t.message(ANN, card.message_id).content)
        card = telegram.message(ANN, card.message_id)
        assert "288 credits" in card.content  # 3 images × 4 outputs × 24 credits (8 s at 3/s)
        await telegram.press(ANN, card.message_id, card.button_data("Done"))
        await telegram.wait_for(lambda t: "Start" in str(t.message(ANN, card.message_id).buttons()))
        view = await app.services["batches"].get(1)
        assert (view.aspect, view.outputs, view.model, view.status) == ("16:9", 4, "Omni 1.2 Flash", "draft")
        assert len(card.edits) >= 4  # one message edited in place, never a new card


async def test_prompt_dialog_survives_a_restart(telegram, tmp_path):
    settings = bot_settings(telegram, tmp_path)
    db = await Database(settings.paths.database_path, SystemClock()).open()
    try:
        async with running_bot(settings, db=db):
            await telegram.send_document(ANN, image_bytes("PNG"), "cat.png", "image/png")
            await telegram.send_document(ANN, image_bytes("WEBP", seed=2), "dog.webp", "image/webp")
            await telegram.wait_for(lambda t: last_with(t, ANN, "without a prompt"))
            assert "2 image(s)" in last_with(telegram, ANN, "without a prompt").content
        async with running_bot(settings, db=db) as app:  # a new process: same DB, fresh bot
            await telegram.send_text(ANN, "ab")
            await telegram.wait_for(lambda t: last_with(t, ANN, "too short"))
            await telegram.send_text(ANN, "the cat and the dog dance")
            card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
            assert "2 images" in card.content
            view = await app.services["batches"].get(1)
            assert [i.prompt for i in view.items] == ["the cat and the dog dance"] * 2
            assert await app.services["dialogs"].get(ANN, ANN) is None
    finally:
        await db.close()


async def test_bad_documents_get_clear_replies_and_change_nothing(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_document(ANN, b"\x00" * (25 * MB), "huge.jpg", "image/jpeg", caption="too big")
        too_big = await telegram.wait_for(lambda t: last_with(t, ANN, "MB"))
        assert "25.0 MB" in too_big.content and "20 MB" in too_big.content
        await telegram.send_document(ANN, b"%PDF-1.4 not an image", "report.pdf", "application/pdf",
                                     caption="make it move")
        await telegram.wait_for(lambda t: last_with(t, ANN, "report.pdf"))
        assert "JPEG, PNG or WebP" in last_with(telegram, ANN, "report.pdf").content
        await telegram.send_document(ANN, b"GIF89a" + b"\x00" * 64, "anim.jpg", "image/jpeg", caption="x y z")
        await telegram.wait_for(lambda t: last_with(t, ANN, "anim.jpg"))
        await telegram.send_document(ANN, _png_header(30000, 30000), "giant.png", "image/png",
                                     caption="big one")
        await telegram.wait_for(lambda t: last_with(t, ANN, "giant.png"))
        assert "pixels" in last_with(telegram, ANN, "giant.png").content
        await telegram.send_document(ANN, _png_header(9000, 9000), "wide.png", "image/png", caption="big one")
        await telegram.wait_for(lambda t: last_with(t, ANN, "wide.png"))
        assert "9000×9000 pixels" in last_with(telegram, ANN, "wide.png").content
        assert await _batches(app.services["batches"].db, ANN) == []
    assert not any("Batch #" in t for t in texts_of(telegram, ANN))


async def test_prompts_file_maps_prompts_to_images_in_order(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_document(ANN, b"first prompt here\nsecond prompt here\n", "prompts.txt", "text/plain")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Got 2 prompt"))
        await telegram.send_album(ANN, [(image_bytes("PNG", seed=i), "document", f"img{i}.png") for i in range(2)])
        await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
        view = await app.services["batches"].get(1)
        assert [i.prompt for i in view.items] == ["first prompt here", "second prompt here"]

        csv = b"file,prompt\nb.png,prompt for bee\na.png,prompt for ay\n"
        await telegram.send_album(BOB, [(image_bytes("PNG"), "document", "a.png"),
                                        (image_bytes("PNG", seed=3), "document", "b.png")])
        await telegram.send_document(BOB, csv, "map.csv", "text/csv")
        await telegram.wait_for(lambda t: last_with(t, BOB, "Batch #"))
        view = await app.services["batches"].get(2)
        assert [i.prompt for i in view.items] == ["prompt for ay", "prompt for bee"]


async def test_default_prompt_is_used_for_uncaptioned_images(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_command(ANN, "/prompt", args="slow zoom into the horizon")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Default prompt saved"))
        await telegram.send_photo(ANN, image_bytes())
        await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
        view = await app.services["batches"].get(1)
        assert view.items[0].prompt == "slow zoom into the horizon"


def _png_header(w: int, h: int) -> bytes:
    """A PNG whose header claims w×h pixels (Pillow reads the size without decoding)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


async def test_a_drop_whose_albums_come_apart_joins_one_card(telegram, tmp_path):
    """Regression (test_forty_images_two_outputs_send_at_most_eight_messages on a busy machine):
    four albums came further apart than the quiet window and made two draft cards (29 + 11
    images) for one drop. A late part now joins the draft its earlier part made."""
    async with running_bot(bot_settings(telegram, tmp_path)) as app:
        await telegram.send_album(ANN, [(image_bytes(seed=i), "photo", f"p{i}.jpg") for i in range(3)],
                                  caption="a fox runs through snow")
        card = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #"))
        assert "3 images" in card.content
        await telegram.send_album(ANN, [(image_bytes(seed=i), "document", f"d{i}.jpg") for i in range(3, 5)],
                                  caption="a heron lifts off the lake")
        await telegram.wait_for(lambda t: "5 images" in (t.message(ANN, card.message_id).content or ""))
        assert [m.message_id for m in telegram.outbox(ANN) if "Batch #" in (m.content or "")] == [card.message_id]
        view = await app.services["batches"].get(1)
        assert [i.prompt for i in view.items] == ["a fox runs through snow"] * 3 + ["a heron lifts off the lake"] * 2
        assert [i.position for i in view.items] == [1, 2, 3, 4, 5]
        assert len({i.image_path for i in view.items}) == 5 and all(
            Path(i.image_path).is_file() for i in view.items)
        # Once its owner pressed one of the card's buttons, the draft no longer grows: the next
        # drop is a batch of its own (and a single image never joins: it is a drop of its own).
        card = telegram.message(ANN, card.message_id)
        await telegram.press(ANN, card.message_id, card.button_data("Settings"))
        await telegram.wait_for(lambda t: "Done" in str(t.message(ANN, card.message_id).buttons()))
        await telegram.send_album(ANN, [(image_bytes(seed=i), "photo", f"q{i}.jpg") for i in range(2)],
                                  caption="a lantern drifts downriver")
        second = await telegram.wait_for(
            lambda t: next((m for m in t.outbox(ANN) if "Batch #2" in (m.content or "")), None))
        assert "2 images" in second.content
        assert (await app.services["batches"].get(1)).total == 5
        # Nothing of the drops is left in the downloads folder (each batch copied its images).
        incoming = Path(app.settings.paths.data_dir) / "incoming"
        assert not [p for p in incoming.rglob("*") if p.is_file()]


async def test_with_joining_off_every_drop_is_its_own_card(telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path, draft_join_s=0)) as app:
        await telegram.send_album(ANN, [(image_bytes(seed=i), "photo", f"p{i}.jpg") for i in range(2)],
                                  caption="a fox runs through snow")
        await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #1"))
        await telegram.send_album(ANN, [(image_bytes(seed=i), "photo", f"p{i}.jpg") for i in range(2, 4)],
                                  caption="a heron lifts off the lake")
        second = await telegram.wait_for(lambda t: last_with(t, ANN, "Batch #2"))
        assert "2 images" in second.content
        assert [v.total for v in [await app.services["batches"].get(n) for n in (1, 2)]] == [2, 2]
