"""A strict fake Telegram Bot API server for tests (real HTTP, aiogram-compatible).

    tg = FakeTelegram(token)            # or FakeTelegram(local_mode=True)
    base_url = await tg.start()         # aiogram: TelegramAPIServer.from_base(base_url)
    ann = tg.user(42, "Ann")
    await tg.send_command(ann, "/start")
    await tg.wait_for(lambda t: t.outbox(42))
    await tg.stop()

Lengths (text 4,096, caption 1,024) are counted in UTF-16 code units after parse_mode
parsing, as Telegram counts them.
"""

from fake_telegram.errors import ApiError
from fake_telegram.records import Call, FakeUser, SentMessage
from fake_telegram.server import FakeTelegram

__all__ = ["ApiError", "Call", "FakeTelegram", "FakeUser", "SentMessage"]
