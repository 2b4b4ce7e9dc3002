"""Running the real bot (aiogram polling over HTTP) against the fake Bot API server.

Everything is real: SQLite, services, aiogram's dispatcher and session, and — where a test
passes a Flow client — the pipeline on flowsim with Chromium and FFmpeg.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from bot.clock import SystemClock
from bot.config import Settings, TelegramSettings
from bot.pipeline import stages
from bot.services.batches import NewItem
from bot.storage import repo
from bot.storage.db import Database
from bot.telegram_app import BotApp, build_bot_app
from fake_telegram import FakeTelegram
from tests.services.harness import make_settings

ADMIN, ANN, BOB, STRANGER = 1001, 2002, 2003, 9009


def bot_settings(tg: FakeTelegram, data_dir: Path, flow_url: str | None = None,
                 **telegram: Any) -> Settings:
    """Test settings: the fake server as the Bot API base URL, one admin, two allowed users;
    Flow is the simulator at `flow_url`."""
    for uid, name in ((ADMIN, "Ada"), (ANN, "Ann"), (BOB, "Bob")):
        tg.user(uid, name)
    settings = make_settings(data_dir, flow_url)
    values: dict[str, Any] = dict(bot_token=tg.token, api_base_url=tg.base_url, local_mode=tg.local_mode,
                                  admin_ids=[ADMIN], allowed_user_ids=[ANN, BOB],
                                  progress_edit_interval_s=0.3,
                                  # The journeys written before issue 13 read per-item albums;
                                  # review-view tests pass review_mode="view" (the product default).
                                  review_mode="albums")
    values.update(telegram)
    settings.telegram = TelegramSettings(_env_file=None, **values)  # type: ignore[call-arg]
    return settings


@asynccontextmanager
async def running_bot(settings: Settings, *, db: Database | None = None, **build: Any):
    """The bot built by `build_bot_app`, polling until the block ends (its own DB unless given)."""
    own = db is None
    if own:
        db = await Database(settings.paths.database_path, SystemClock()).open()
    build.setdefault("intake_window_s", 0.3)
    app: BotApp = build_bot_app(settings, db, **build)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        if own:
            await db.close()


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (720, 1280), seed: int = 0) -> bytes:
    img = Image.new("RGB", size, (20 + seed * 40 % 200, 90, 160))
    ImageDraw.Draw(img).ellipse((50, 50, size[0] // 2, size[1] // 2), fill=(240, 200, 30))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def texts_of(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.content or "" for m in tg.outbox(chat_id) if not m.deleted]


def last_with(tg: FakeTelegram, chat_id: int, needle: str):
    """The bot's latest message in `chat_id` whose text contains `needle`, or None."""
    for m in reversed(tg.outbox(chat_id)):
        if needle in (m.content or "") and not m.deleted:
            return m
    return None


async def album_card(tg: FakeTelegram, user_id: int, n: int, caption: str,
                     needle: str = "📐"):
    """Send `n` images as one album; return the draft card once it counts all `n`.

    Regression (test_a_draft_from_a_retired_default_is_held_..., on a loaded machine): the
    album's last image came after the collector's window, so the card was first drawn for one
    image and redrawn when the second joined; a test that read the first drawing saw half the
    batch. The count is read in any language: "🖼 2 images", "🖼 2 изображения", "🖼 2 ảnh"."""
    before = len(tg.outbox(user_id))
    await tg.send_album(user_id, [(image_bytes(seed=i), "document", f"k{i}.jpg") for i in range(n)],
                        caption=caption)
    counted = re.compile(rf"🖼 {n}(?!\d)")
    return await tg.wait_for(lambda t: next(
        (m for m in t.outbox(user_id)[before:]
         if needle in (m.content or "") and counted.search(m.content or "")), None))


async def eventually(check, timeout: float = 10.0) -> None:
    """Wait until the async `check()` returns true (state the chat does not show directly)."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)  # each check reads the database


def truncated_jpeg(seed: int = 0) -> bytes:
    """A JPEG cut short: its header (and Pillow's verify()) are fine, its pixels are not."""
    data = image_bytes(seed=seed)
    return data[: len(data) // 2]


async def send_stored_photo(tg, user_id: int, data: bytes, caption: str | None = None):
    """A photo whose stored file is `data` byte for byte (as a download cut short would give);
    `FakeTelegram.send_photo` re-encodes what it gets, the way Telegram does."""
    stored = tg.files.add("photo", data, mime_type="image/jpeg", width=720, height=1280)
    size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": stored.size, "width": 720, "height": 1280}
    return await tg._incoming(tg.user(user_id), "photo", caption=caption, payload={"photo": [size]})


async def finish_item(app: BotApp, item_id: int, clip_src: Path, *, outputs: int = 2,
                      sizes: dict[int, int] | None = None) -> list[int]:
    """What collect leaves behind for a finished generation (ready clips on disk, `sizes` as
    recorded where given), then the previews event deliver sends; returns the clip ids."""
    db, data_dir = app.services["batches"].db, Path(app.settings.paths.data_dir)
    item = await db.fetchone("SELECT * FROM items WHERE id = ?", (item_id,))
    paths = []
    for v in range(1, outputs + 1):
        dest = data_dir / "clips" / f"batch{item['batch_id']}" / f"item{item['position']:03d}_{item_id}_v{v}.mp4"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip_src, dest)
        paths.append(dest)

    def tx(conn) -> list[int]:
        now = db.now()
        attempt = repo.next_attempt(conn, item_id)
        gen = repo.insert_generation(conn, item_id=item_id, attempt=attempt, outputs=outputs,
                                     model="Veo 3.1 - Fast", aspect="9:16", now=now)
        conn.execute("UPDATE generations SET status = 'done', finished_at = ? WHERE id = ?", (now, gen))
        ids = []
        for v, path in enumerate(paths, 1):
            repo.insert_clip(conn, item_id=item_id, gen_id=gen, variant=v, tile_id=f"t{gen}-{v}", now=now)
            cid = conn.execute("SELECT id FROM clips WHERE generation_id = ? AND variant = ?",
                               (gen, v)).fetchone()[0]
            size = (sizes or {}).get(v, os.path.getsize(path))  # a size the Bot API refuses, as recorded
            repo.set_clip(conn, cid, now, status="ready", path_720=str(path), size_720=size)
            ids.append(cid)
        repo.set_item(conn, item_id, now, status="done", progress=100)
        return ids

    ids = await db.write_sync(tx)
    await app.notifier.item_previews(await stages.previews_event(db, item_id))
    return ids


async def started_batch(app: BotApp, user_id: int, n: int, *, outputs: int = 2) -> int:
    """A started batch of `n` images (through the services, as the card's Start does)."""
    batches = app.services["batches"]
    folder = Path(app.settings.paths.data_dir) / "frames"
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for i in range(n):
        path = folder / f"shot{user_id}_{i}.jpg"
        path.write_bytes(image_bytes(seed=i))
        items.append(NewItem(path, f"a paper boat in the rain, take {i + 1}"))
    batch_id = await batches.create_batch(user_id, user_id, items, outputs=outputs)
    await batches.start(batch_id, user_id)
    return batch_id


async def item_ids(app: BotApp, batch_id: int) -> list[int]:
    """The batch's item ids in position order."""
    rows = await app.services["batches"].db.fetchall(
        "SELECT id FROM items WHERE batch_id = ? ORDER BY position", (batch_id,))
    return [r[0] for r in rows]
