"""setMessageReaction, as strict as Telegram: the message must exist, a bot may set at most one
reaction, and only from the emoji set the Bot API lists (ReactionTypeEmoji); an empty list
removes the bot's reaction. What was set is kept per message in `FakeTelegram.reactions`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fake_telegram.errors import bad_request
from fake_telegram.params import Params
from fake_telegram.registry import method

if TYPE_CHECKING:
    from fake_telegram.server import FakeTelegram

# The Bot API's ReactionTypeEmoji values (Bot API 7.x-10.x).
REACTION_EMOJI = frozenset(
    "❤ 👍 👎 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤‍🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 "
    "🤨 😐 🍓 🍾 💋 🖕 😈 😴 😭 🤓 👻 👨‍💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 "
    "🙊 😎 👾 🤷‍♂ 🤷 🤷‍♀ 😡".split()
)


@method("setMessageReaction")
async def set_message_reaction(tg: FakeTelegram, p: Params) -> bool:
    chat = tg.chat(p.chat_id())
    message_id = p.get_int("message_id")
    if message_id is None or tg.find_message(chat.id, message_id) is None:
        raise bad_request("message to react not found")
    reaction = p.get_json("reaction") or []
    if not isinstance(reaction, list):
        raise bad_request("can't parse reaction types JSON object")
    if len(reaction) > 1:
        raise bad_request("REACTIONS_TOO_MANY")
    for r in reaction:
        if not isinstance(r, dict) or r.get("type") not in ("emoji", "custom_emoji", "paid"):
            raise bad_request("can't parse reaction type")
        if r["type"] == "paid":
            raise bad_request("REACTION_INVALID")  # bots can't use paid reactions
        if r["type"] == "emoji" and r.get("emoji") not in REACTION_EMOJI:
            raise bad_request("REACTION_INVALID")
        if r["type"] == "custom_emoji" and not r.get("custom_emoji_id"):
            raise bad_request("REACTION_INVALID")
    tg.reactions[(chat.id, message_id)] = [dict(r) for r in reaction]
    return True
