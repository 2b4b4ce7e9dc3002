"""`IntakeCollector` on its own (real asyncio, a short quiet window).

Regression (found by test_forty_images_two_outputs_send_at_most_eight_messages on a busy
machine): the 40 images came as four albums, a pause longer than the quiet window fell inside
one, and its later parts reached the next flush without the album's caption: "11 images without
a prompt" although every album had one. A late part now keeps its album's caption."""

from __future__ import annotations

import asyncio

from bot.telegram.intake import ALBUMS_REMEMBERED, IntakeCollector


async def _flushes(sends):
    got: list[tuple[list, dict]] = []

    async def flush(user_id, chat_id, received, captions):
        got.append((received, captions))

    intake = IntakeCollector(flush, window_s=0.05)
    for pause, (message_id, group, caption) in sends:
        await asyncio.sleep(pause)
        intake.reserve(1, 10, message_id, group, caption).set_result(message_id)
    await asyncio.sleep(0.1)
    await intake.drain()
    return intake, got


async def test_an_album_split_by_a_pause_keeps_its_caption_in_the_next_flush():
    _, got = await _flushes([(0, (1, "g1", "a paper boat")), (0, (2, "g1", None)),
                             (0.2, (3, "g1", None)), (0, (4, "g2", "a kite")),
                             (0, (5, "g2", None))])
    assert [received for received, _ in got] == [[1, 2], [3, 4, 5]]
    assert got[0][1] == {"g1": "a paper boat"}
    assert got[1][1] == {"g1": "a paper boat", "g2": "a kite"}


async def test_remembered_captions_are_bounded_and_per_chat():
    intake, _ = await _flushes([(0, (i, f"g{i}", f"p{i}")) for i in range(ALBUMS_REMEMBERED + 5)])
    assert len(intake._captions) == ALBUMS_REMEMBERED  # memory bound (white-box)
    got: list[tuple[int, dict]] = []

    async def flush(user_id, chat_id, received, captions):
        got.append((chat_id, captions))

    two = IntakeCollector(flush, window_s=0.05)
    two.reserve(1, 10, 1, "g1", "a paper boat").set_result(1)
    await asyncio.sleep(0.1)
    two.reserve(2, 99, 2, "g1", None).set_result(2)  # the same group id in another chat
    await asyncio.sleep(0.1)
    await two.drain()
    assert got == [(10, {"g1": "a paper boat"}), (99, {})]
