"""The bad-input corpus: one row per broken or hostile input, each run through the real bot.

To add a case, append a `Row` to `ROWS`:

    Row("short-id", document(b"...", "x.jpg"), expect="fragment of the reply")

`send` is what the user does (`text`, `command`, `document`, `photo`, `stored_photo`, `video`,
`album`, `press` build it), `expect` a fragment of the bot's answer: of a new message (or an
edited one) for messages, of the button answer for `press`. `who` picks the user (ANN, an
allowed user, by default; ADMIN for admin commands), `setup` runs first (its changes are part of
the "before" state). Every row then checks that nothing changed: the same batches, items,
tasks, dialogs, users, settings and key-value state (pause, markers), and the same files under
the data folder — in particular no download left in data/incoming.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fake_telegram import FakeTelegram
from tests.handlers.harness import (
    ADMIN,
    ANN,
    BOB,
    bot_settings,
    image_bytes,
    last_with,
    running_bot,
    send_stored_photo,
    truncated_jpeg,
)

Action = Callable[[FakeTelegram, int], Awaitable[Any]]


@dataclass(frozen=True)
class Row:
    id: str
    send: Action
    expect: str
    who: int = ANN
    setup: Action | None = None


# -- what a user can do ------------------------------------------------------------------------------

def text(value: str) -> Action:
    return lambda tg, uid: tg.send_text(uid, value)


def command(name: str, args: str = "") -> Action:
    return lambda tg, uid: tg.send_command(uid, name, args)


def document(data: bytes, name: str, mime: str | None = None, caption: str | None = None) -> Action:
    return lambda tg, uid: tg.send_document(uid, data, name, mime, caption)


def photo(data: bytes, caption: str | None = None) -> Action:
    return lambda tg, uid: tg.send_photo(uid, data, caption)


def stored_photo(data: bytes, caption: str | None = None) -> Action:
    """A photo whose file is exactly `data` (not re-encoded), e.g. cut short."""
    return lambda tg, uid: send_stored_photo(tg, uid, data, caption)


def video(data: bytes = b"\x00\x00\x00\x18ftypmp42") -> Action:
    return lambda tg, uid: tg.send_video(uid, data)


def album(items: list[tuple[bytes, str, str]], caption: str | None = None) -> Action:
    return lambda tg, uid: tg.send_album(uid, items, caption)


def press(data: str) -> Action:
    """A (forged) press with `data` on the bot's latest message in the chat."""
    async def run(tg: FakeTelegram, uid: int) -> Any:
        return await tg.press(uid, tg.outbox(uid)[-1].message_id, data, forge=True)
    return run


def as_user(uid: int, action: Action, wait_for: str) -> Action:
    """A setup step: do `action` as `uid` and wait for the bot's reply containing `wait_for`."""
    async def run(tg: FakeTelegram, _uid: int) -> None:
        await action(tg, uid)
        await tg.wait_for(lambda t: last_with(t, uid, wait_for))
    return run


def login_first() -> Action:
    return as_user(ADMIN, command("login"), "Send the Flow session")


def other_duration_first() -> Action:
    """A draft on Omni 1.2 Flash (3–15 s) whose "other…" duration waits for a number."""
    async def run(tg: FakeTelegram, uid: int) -> None:
        await tg.send_photo(uid, image_bytes(), "clouds drift over hills")
        card = await tg.wait_for(lambda t: last_with(t, uid, "Batch #"))
        await tg.press(uid, card.message_id, card.button_data("Settings"))
        await tg.wait_for(lambda t: "Omni 1.2" in str(t.message(uid, card.message_id).buttons()))
        await tg.press(uid, card.message_id, tg.message(uid, card.message_id).button_data("Omni 1.2"))
        await tg.wait_for(lambda t: "other…" in str(t.message(uid, card.message_id).buttons()))
        seen = len(tg.answers)
        await tg.press(uid, card.message_id, tg.message(uid, card.message_id).button_data("other…"))
        await tg.wait_for(lambda t: any("clip length" in (a.get("text") or "")
                                        for a in t.answers[seen:]))
    return run


# -- payloads ------------------------------------------------------------------------------------------

def png_header(w: int, h: int) -> bytes:
    """A PNG whose header claims w×h pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def tiny_png(w: int, h: int) -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 10, 10)).save(buf, "PNG")
    return buf.getvalue()


PNG = image_bytes("PNG")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00" \
      b"\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
HUGE = "99999999999999999999"
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000

ROWS: list[Row] = [
    # images that must never join a batch
    Row("truncated-jpeg-file", document(truncated_jpeg(), "cut.jpg", "image/jpeg", "waves roll in"),
        "could not be opened"),
    Row("truncated-jpeg-photo", stored_photo(truncated_jpeg(1), "waves roll in"), "could not be opened"),
    Row("truncated-png-file", document(PNG[: len(PNG) // 2], "cut.png", "image/png", "waves roll"),
        "could not be opened"),
    Row("truncated-album", album([(truncated_jpeg(2), "document", "a.jpg"),
                                  (truncated_jpeg(3), "document", "b.jpg")], "two broken ones"),
        "could not be opened"),
    Row("zero-byte-photo", stored_photo(b"", "an empty photo"), "is empty"),
    Row("empty-file", document(b"", "empty.jpg", "image/jpeg", "nothing here"), "is empty"),
    Row("zero-by-zero-png", document(png_header(0, 0), "zero.png", "image/png", "zero size"),
        "not an image I can use"),
    Row("one-pixel-png", document(tiny_png(1, 1), "dot.png", "image/png", "a single dot"), "only 1×1"),
    Row("text-named-jpg", document(b"hello, I am text", "notes.jpg", "image/jpeg", "a cat"),
        "not an image I can use"),
    Row("pdf", document(b"%PDF-1.4 not an image", "report.pdf", "application/pdf", "make it move"),
        "not an image I can use"),
    Row("gif", document(GIF, "anim.gif", "image/gif", "make it loop"), "not an image I can use"),
    Row("image-as-octet-stream", document(PNG, "blob.bin", "application/octet-stream"),
        "not an image I can use"),
    Row("decompression-bomb", document(png_header(30000, 30000), "bomb.png", "image/png", "big one"),
        "far too many pixels"),
    Row("too-many-pixels", document(png_header(9000, 9000), "wide.png", "image/png", "big one"),
        "too large to use"),
    Row("huge-caption-on-bad-file", document(b"%PDF-1.4", "x.pdf", "application/pdf", "é" * 1024),
        "not an image I can use"),
    Row("video", video(), "I only understand"),
    # prompts files
    Row("prompts-not-utf8", document("café au lait swirls\n".encode("latin-1"), "p.txt", "text/plain"),
        "not UTF-8"),
    Row("prompts-utf16", document("a prompt here\n".encode("utf-16"), "p.txt", "text/plain"), "not UTF-8"),
    Row("prompts-csv-200kb-field",
        document(b'file,prompt\na.png,"' + b"x" * 200_000 + b'"\n', "map.csv", "text/csv"),
        "not a valid CSV"),
    Row("prompts-over-512kb", document(b"a long prompt line\n" * 30_000, "p.txt", "text/plain"),
        "larger than 512 KB"),
    Row("prompts-blank", document(b"\n \n\t\n", "p.txt", "text/plain"), "it is empty"),
    Row("prompts-line-too-long", document(b"x" * 2000 + b"\n", "p.txt", "text/plain"), "too long"),
    Row("prompts-csv-header-only", document(b"file,prompt\n", "map.csv", "text/csv"), "no prompts"),
    Row("prompts-too-many", document(b"a short prompt\n" * 1001, "p.txt", "text/plain"), "at most 1000"),
    Row("prompts-only-control-chars", document(b"\x00\x01\x02\n", "p.txt", "text/plain"), "is empty"),
    # texts and commands
    Row("text-4096-without-context", text("a" * 4096), "Send me images"),
    Row("unknown-command", command("strat"), "I don't know the command /strat"),
    Row("slash-only", text("/"), "I don't know the command"),
    Row("command-for-another-bot", text("/help@some_other_bot"), "I don't know the command"),
    Row("prompt-too-long", command("prompt", "y" * 4000), "too long"),
    Row("prompt-too-short", command("prompt", "ab"), "too short"),
    Row("users-add-superscript", command("users", "add ²"), "positive number", who=ADMIN),
    Row("users-add-arabic-digits", command("users", "add ١٢٣"), "positive number", who=ADMIN),
    Row("users-add-negative", command("users", "add -5"), "positive number", who=ADMIN),
    Row("users-add-zero", command("users", "add 0"), "positive number", who=ADMIN),
    Row("users-add-too-large", command("users", f"add {HUGE}"), "positive number", who=ADMIN),
    Row("users-add-2-pow-52", command("users", "add 4503599627370496"), "positive number", who=ADMIN),
    Row("users-remove-superscript", command("users", "remove ²"), "positive number", who=ADMIN),
    Row("users-unknown-verb", command("users", "frobnicate 5"), "Use /users", who=ADMIN),
    Row("admin-command-from-user", command("users", "add 5"), "for the bot's admins"),
    # /login documents (after /login)
    Row("login-json-100000-deep", document(DEEP_JSON, "state.json", "application/json"),
        "nested more than", who=ADMIN, setup=login_first()),
    Row("login-not-json", document(b"\xff\xfe\x00garbage", "state.json", "application/json"),
        "not JSON", who=ADMIN, setup=login_first()),
    Row("login-too-large", document(b" " * (3 * 1024 * 1024), "state.json", "application/json"),
        "too large", who=ADMIN, setup=login_first()),
    Row("login-too-many-cookies",
        document(json.dumps([{"name": f"c{i}", "value": "v", "domain": ".google.com"}
                             for i in range(1001)]).encode(), "cookies.json", "application/json"),
        "more than the 1000", who=ADMIN, setup=login_first()),
    Row("login-no-cookies", document(b'{"cookies": []}', "state.json", "application/json"),
        "contains no cookies", who=ADMIN, setup=login_first()),
    # button payloads
    Row("press-card-id-too-large", press(f"bc:start:{HUGE}:"), "no longer valid"),
    Row("press-card-negative-id", press("bc:start:-1:"), "no longer valid"),
    Row("press-clip-id-too-large", press(f"cl:1:1:{HUGE}:1"), "no longer valid"),
    Row("press-clip-sel-2", press("cl:1:1:1:2"), "no longer valid"),
    Row("press-review-id-too-large", press(f"rv:zip:{HUGE}:0:720p"), "no longer valid"),
    Row("press-garbage", press("zz"), "no longer valid"),
    Row("press-defaults-superscript", press("bc:aspect:0:²"), "does not exist"),
    Row("press-defaults-negative-index", press("bc:aspect:0:-1"), "does not exist"),
    Row("press-defaults-huge-index", press(f"bc:model:0:{HUGE}"), "does not exist"),
    Row("press-card-superscript", press("bc:aspect:1:²"), "does not exist",
        setup=as_user(ANN, photo(image_bytes(), "clouds drift over hills"), "Batch #")),
    Row("press-another-users-batch", press("bc:start:1:"), "someone else", who=BOB,
        setup=as_user(ANN, photo(image_bytes(), "clouds drift over hills"), "Batch #")),
    Row("press-admin-remove-id-too-large", press(f"u:remove:{HUGE}"), "no longer valid", who=ADMIN),
    Row("press-admin-queue-id-too-large", press(f"q:cancel:{HUGE}"), "no longer valid", who=ADMIN),
    Row("press-queue-by-non-admin", press("q:cancel:1"), "for the bot's admins"),
    # "other…" duration (issue 17): ASCII digits only, in the model's range, else a refusal
    Row("duration-arabic-digits", text("١٢"), "not a whole number of seconds",
        setup=other_duration_first()),
    Row("duration-superscript", text("¹²"), "not a whole number of seconds",
        setup=other_duration_first()),
    Row("duration-negative", text("-5"), "not a whole number of seconds",
        setup=other_duration_first()),
    Row("duration-fraction", text("12.5"), "not a whole number of seconds",
        setup=other_duration_first()),
    Row("duration-huge", text(HUGE), "not a whole number of seconds",
        setup=other_duration_first()),
    Row("duration-words", text("twelve"), "not a whole number of seconds",
        setup=other_duration_first()),
    Row("duration-zero", text("0"), "clips of 3 to 15 s", setup=other_duration_first()),
    Row("duration-over-range", text("16"), "clips of 3 to 15 s", setup=other_duration_first()),
    Row("duration-under-range", text("2"), "clips of 3 to 15 s", setup=other_duration_first()),
    Row("press-duration-forged-range", press("bc:dur:1:99"), "does not exist",
        setup=as_user(ANN, photo(image_bytes(), "clouds drift over hills"), "Batch #")),
    Row("press-switch-not-retired", press("bc:switch:1:1"), "Nothing to switch",
        setup=as_user(ANN, photo(image_bytes(), "clouds drift over hills"), "Batch #")),
    Row("press-switch-bad-index", press(f"bc:switch:1:{HUGE}"), "does not exist",
        setup=as_user(ANN, photo(image_bytes(), "clouds drift over hills"), "Batch #")),
    Row("press-defaults-switch-not-retired", press("bc:switch:0:1"), "Nothing to switch"),
]


async def snapshot(app: Any, data_dir: Path) -> dict[str, Any]:
    """Everything a bad input must leave alone."""
    db = app.services["users"].db
    queries = {
        "batches": "SELECT id, user_id, status, aspect, outputs, model FROM batches ORDER BY id",
        "items": "SELECT id, batch_id, status, prompt FROM items ORDER BY id",
        "tasks": "SELECT id, kind, status FROM tasks ORDER BY id",
        "dialogs": "SELECT user_id, chat_id, state, data_json FROM dialogs ORDER BY user_id, chat_id",
        "users": "SELECT id, allowed, role, default_prompt, settings_json FROM users ORDER BY id",
        "kv": "SELECT key, value FROM kv ORDER BY key",
    }
    state: dict[str, Any] = {name: [tuple(r) for r in await db.fetchall(sql)] for name, sql in queries.items()}
    state["files"] = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*")
                            if p.is_file() and not p.name.startswith("flowbot.sqlite3"))
    return state


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(row: Row, telegram, tmp_path):
    async with running_bot(bot_settings(telegram, tmp_path), with_pipeline=False) as app:
        # Every user has written before (their name is recorded), and has a bot message to press.
        for uid in (ANN, BOB, ADMIN):
            await telegram.send_command(uid, "/help")
            await telegram.wait_for(lambda t, uid=uid: last_with(t, uid, "How to use me"))
        if row.setup is not None:
            await row.setup(telegram, row.who)
            await app.intake.drain()
        before = await snapshot(app, tmp_path)
        sent = len(telegram.outbox(row.who))
        answers = len(telegram.answers)

        await row.send(telegram, row.who)

        def answered(t: FakeTelegram) -> bool:
            replies = [m.content or "" for m in t.outbox(row.who)[sent:]]
            buttons = [a.get("text") or "" for a in t.answers[answers:]]
            return any(row.expect in x for x in replies + buttons)

        await telegram.wait_for(answered)
        await app.intake.drain()  # a drop is matched a moment after its files were checked
        assert await snapshot(app, tmp_path) == before
