"""A strict fake Telegram Bot API server for tests (real HTTP, aiogram-compatible).

    tg = FakeTelegram(token)              # other tokens get 401; FakeTelegram(local_mode=True)
    base_url = await tg.start()           # aiogram: TelegramAPIServer.from_base(base_url)
    ann = tg.user(42, "Ann")              # private chat id == user id
    await tg.send_command(ann, "/start")  # also send_text/send_photo/send_document/send_video/
                                          # send_album; press(ann, message_id, data) -> query id
    msg = await tg.wait_for(lambda t: t.last(42))
    await tg.press(ann, msg.message_id, msg.button_data("Start"))
    await tg.stop()

Reading back: `outbox(chat_id)` (the bot's `SentMessage`s, deleted ones flagged, each with
`edits`), `messages(chat_id)` (both directions), `message(chat_id, id)`, `albums(chat_id)`,
`texts(chat_id)`, `last(chat_id)`, `calls` / `calls_to(method)`, `answers`, `chat_actions`,
`commands` (the default menu), `commands_for(chat_id)`, `commands_by_scope` ("default",
"chat:<id>", ...), `files.get(file_id).data`, `dump()`. Users passed as ints are created on use.

Mini Apps: `open_web_app(user, message_id, label)` → the `web_app` button's URL and init data
signed with the token as Telegram signs it; `web_app_init_data(user, auth_date=…)`.

Faults: `flood(chat_id=None, retry_after=1, count=1)` (429), `fail_next(method=None, status=502,
count=1, html=False)` (5xx), `drop_next(method=None, count=1)` (connection cut),
`block(user_id)` / `unblock(user_id)` (403), `enforce_flood = True` (automatic ~1 msg/s per
chat with bursts of 3, 30/s overall).

Lengths (text 4,096, caption 1,024) are counted in UTF-16 code units after parse_mode parsing,
as Telegram counts them; callback_data 1–64 bytes of UTF-8.
"""

from fake_telegram.errors import ApiError
from fake_telegram.records import Call, FakeUser, SentMessage
from fake_telegram.server import FakeTelegram

__all__ = ["ApiError", "Call", "FakeTelegram", "FakeUser", "SentMessage"]
