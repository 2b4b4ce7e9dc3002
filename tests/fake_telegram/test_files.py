"""Uploads, albums, getFile and downloads, with Telegram's size limits."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import (
    BufferedInputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)

from fake_telegram import FakeTelegram
from tests.fixtures.telegram import close_bot, make_bot

MB = 1024 * 1024


async def test_bot_photo_is_recompressed_into_sizes_and_original_kept(telegram, tg_bot, ann,
                                                                       jpeg):
    sent = await tg_bot.send_photo(ann.id, BufferedInputFile(jpeg, "still.jpg"), caption="cap")
    assert [s.width for s in sent.photo] == [90, 320, 800, 1280, 1600]
    assert (sent.photo[-1].height, sent.caption) == (900, "cap")
    [stored] = telegram.outbox(ann.id)
    assert stored.files == [("photo", "still.jpg", jpeg)] and stored.kind == "photo"


async def test_video_and_document_roundtrip_through_getfile(telegram, tg_bot, ann):
    clip = b"\x00\x00\x00\x18ftypmp42" + b"v" * 5000
    video = await tg_bot.send_video(ann.id, BufferedInputFile(clip, "clip.mp4"), width=3840,
                                    height=2160, duration=8, supports_streaming=True)
    assert (video.video.width, video.video.duration, video.video.file_size) == (3840, 8, 5012)
    doc = await tg_bot.send_document(ann.id, BufferedInputFile(b"PK\x03\x04zip", "clips.zip"),
                                     caption="Your 4K clips")
    assert doc.document.file_name == "clips.zip" and doc.document.mime_type == "application/zip"
    file = await tg_bot.get_file(doc.document.file_id)
    assert file.file_path.startswith("documents/") and file.file_size == 7
    assert (await tg_bot.download_file(file.file_path)).read() == b"PK\x03\x04zip"
    assert telegram.files.get(video.video.file_id).data == clip
    resent = await tg_bot.send_video(ann.id, video.video.file_id)
    assert resent.video.file_id == video.video.file_id


async def test_user_files_can_be_fetched_by_the_bot(telegram, tg_bot, ann, jpeg):
    photo = await telegram.send_photo(ann, jpeg, caption="a cat surfing")
    assert [p["width"] for p in photo["photo"]] == [90, 320, 800, 1280, 1600]
    largest = await tg_bot.get_file(photo["photo"][-1]["file_id"])
    data = (await tg_bot.download_file(largest.file_path)).read()
    assert data[:2] == b"\xff\xd8" and len(data) == photo["photo"][-1]["file_size"]
    doc = await telegram.send_document(ann, jpeg, "IMG_1.jpg", "image/jpeg")
    file = await tg_bot.get_file(doc["document"]["file_id"])
    assert (await tg_bot.download_file(file.file_path)).read() == jpeg


async def test_getfile_refuses_over_20_mb_and_unknown_ids(telegram, tg_bot, ann):
    big = await telegram.send_document(ann, b"\0" * (20 * MB + 1), "big.mp4", "video/mp4")
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.get_file(big["document"]["file_id"])
    assert caught.value.message == "Bad Request: file is too big"
    exactly = await telegram.send_document(ann, b"\0" * (20 * MB), "ok.mp4", "video/mp4")
    assert (await tg_bot.get_file(exactly["document"]["file_id"])).file_size == 20 * MB
    with pytest.raises(TelegramBadRequest, match="Bad Request: invalid file_id"):
        await tg_bot.get_file("AgACAgIAAxkBAAnope")


async def test_upload_over_50_mb_is_413_and_photo_over_10_mb_refused(telegram, tg_bot, ann):
    with pytest.raises(TelegramEntityTooLarge) as caught:
        await tg_bot.send_document(ann.id, BufferedInputFile(b"\0" * (50 * MB + 1), "4k.mp4"))
    assert caught.value.message == "Request Entity Too Large"
    with pytest.raises(TelegramBadRequest, match="PHOTO_SAVE_FILE_INVALID"):
        await tg_bot.send_photo(ann.id, BufferedInputFile(b"\xff\xd8" + b"\0" * (10 * MB), "p.jpg"))
    assert telegram.outbox(ann.id) == []


async def test_local_mode_lifts_upload_and_download_limits(bot_token):
    async with FakeTelegram(bot_token, local_mode=True) as tg:
        ann = tg.user(7)
        bot = make_bot(tg, bot_token)
        try:
            sent = await bot.send_document(7, BufferedInputFile(b"\1" * (50 * MB + 1), "4k.mp4"))
            file = await bot.get_file(sent.document.file_id)
            assert file.file_size == 50 * MB + 1 and file.file_path.startswith("/")
            served = await bot.download_file(file.file_path)  # over HTTP (is_local=False)
            assert len(served.read()) == 50 * MB + 1
            assert len(tg.outbox(ann.id)[0].files[0][2]) == 50 * MB + 1
        finally:
            await close_bot(bot)


@pytest.mark.parametrize(
    ("data", "description"),
    [(b"", "Bad Request: file must be non-empty"),
     (b"not an image", "Bad Request: IMAGE_PROCESS_FAILED")],
)
async def test_bad_photo_bytes(tg_bot, ann, data, description):
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_photo(ann.id, BufferedInputFile(data, "x.jpg"))
    assert caught.value.message == description


async def test_photo_dimension_rules(tg_bot, ann):
    from tests.fake_telegram.conftest import make_jpeg

    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await tg_bot.send_photo(ann.id, BufferedInputFile(make_jpeg(2100, 100), "strip.jpg"))


async def test_file_references(telegram, tg_bot, ann, jpeg):
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_document(ann.id, "BQACAgIAAxkBAAIunknown")
    assert caught.value.message == "Bad Request: wrong file identifier/HTTP URL specified"
    with pytest.raises(TelegramBadRequest, match="failed to get HTTP URL content"):
        await tg_bot.send_photo(ann.id, "https://example.com/cat.jpg")
    photo = await tg_bot.send_photo(ann.id, BufferedInputFile(jpeg, "p.jpg"))
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await tg_bot.send_document(ann.id, photo.photo[-1].file_id)


async def test_media_group_uses_attach_and_returns_one_message_per_item(telegram, tg_bot, ann,
                                                                         jpeg):
    clip = b"mp4" * 100
    media = [InputMediaVideo(media=BufferedInputFile(clip, f"clip{i}.mp4"), caption=f"#{i}")
             for i in range(3)] + [InputMediaPhoto(media=BufferedInputFile(jpeg, "p.jpg"))]
    sent = await tg_bot.send_media_group(ann.id, media)
    assert [m.message_id for m in sent] == [1, 2, 3, 4]
    assert len({m.media_group_id for m in sent}) == 1 and sent[0].caption == "#0"
    [album] = telegram.albums(ann.id)
    assert [m.files[0][1] for m in album] == ["clip0.mp4", "clip1.mp4", "clip2.mp4", "p.jpg"]
    assert album[0].media["type"] == "video" and album[0].files[0][2] == clip
    call = telegram.calls[-1]
    assert call.method == "sendMediaGroup" and len(call.params) >= 5  # media + 4 attached parts


@pytest.mark.parametrize(
    ("count", "kinds", "description"),
    [(1, "photo", "Bad Request: media group must include 2-10 items"),
     (11, "photo", "Bad Request: too many messages to send as an album"),
     (2, "mixed", "Bad Request: document can't be mixed with other media types")],
)
async def test_media_group_refusals(telegram, tg_bot, ann, jpeg, count, kinds, description):
    media = [InputMediaPhoto(media=BufferedInputFile(jpeg, "p.jpg")) for _ in range(count)]
    if kinds == "mixed":
        media[1] = InputMediaDocument(media=BufferedInputFile(b"doc", "a.txt"))
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_media_group(ann.id, media)
    assert caught.value.message == description
    assert telegram.outbox(ann.id) == []


async def test_media_group_caption_limit_and_bad_item(tg_bot, ann, jpeg):
    media = [InputMediaPhoto(media=BufferedInputFile(jpeg, "p.jpg"), caption="c" * 1025),
             InputMediaPhoto(media=BufferedInputFile(jpeg, "p.jpg"))]
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await tg_bot.send_media_group(ann.id, media)
    media = [InputMediaPhoto(media=BufferedInputFile(jpeg, "p.jpg")),
             InputMediaPhoto(media="AgACAgIAAxkBAAIunknown")]
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_media_group(ann.id, media)
    assert caught.value.message == ('Bad Request: failed to send message #2 with the error '
                                    'message "Wrong file identifier/HTTP URL specified"')


async def test_caption_limit_on_send(tg_bot, ann, jpeg):
    ok = await tg_bot.send_document(ann.id, BufferedInputFile(b"x", "a.txt"), caption="c" * 1024)
    assert len(ok.caption) == 1024
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_document(ann.id, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)
    assert caught.value.message == "Bad Request: message caption is too long"


async def test_local_mode_files_dir_gives_absolute_paths_and_reads_file_uris(bot_token,
                                                                            tmp_path):
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    clip = tmp_path / "clip_4k.mp4"
    clip.write_bytes(b"4k" * 1000)
    async with FakeTelegram(bot_token, local_mode=True, files_dir=tmp_path / "srv") as tg:
        tg.user(7)
        api = TelegramAPIServer.from_base(tg.base_url, is_local=True)
        bot = Bot(bot_token, session=AiohttpSession(api=api))
        try:
            sent = await bot.send_document(7, clip.as_uri())
            assert tg.outbox(7)[0].files == [("document", "clip_4k.mp4", b"4k" * 1000)]
            file = await bot.get_file(sent.document.file_id)
            assert file.file_path.startswith(str(tmp_path / "srv"))
            assert (await bot.download_file(file.file_path)).read() == b"4k" * 1000
        finally:
            await close_bot(bot)


async def test_file_uri_is_refused_by_the_cloud_api(tg_bot, ann, tmp_path):
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await tg_bot.send_document(ann.id, (tmp_path / "a.txt").as_uri())
