"""/gallery: the user's recent batches, each a `web_app` button opening its gallery Mini App.

The gallery itself is served by `bot/webapp/` (same process); this router only hands out its
buttons. Without `WEBAPP_PUBLIC_URL` there is nothing to open, and the answer says so.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.services.batches import BatchService
from bot.telegram import keyboards, texts

router = Router(name=__name__)

RECENT = 10  # buttons in the list (the page itself lists the same batches)


@router.message(Command("gallery"))
async def gallery(message: Message, batches: BatchService) -> None:
    """Answer with a gallery button per recent batch (drafts have no clips: left out)."""
    web = batches.settings.webapp
    if web.gallery_url() is None:
        await message.answer(texts.GALLERY_OFF)
        return
    recent = [b for b in await batches.list_for_user(message.from_user.id, limit=RECENT + 5)
              if b.status != "draft"][:RECENT]
    if not recent:
        await message.answer(texts.GALLERY_NONE)
        return
    links = [(f"#{b.id} · {b.done}/{b.total}", web.gallery_url(b.id) or "") for b in recent]
    await message.answer(texts.GALLERY_LIST, reply_markup=keyboards.gallery_list(links))
