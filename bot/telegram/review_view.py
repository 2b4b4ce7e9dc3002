"""`ReviewViewer`: one Telegram message per batch that pages through its clips in place, and the
batch's contact sheet.

The view is a video message. Showing another clip edits its media (`editMessageMedia`): the
first show of a clip uploads it, later shows send Telegram's file id. A change of caption or
buttons alone edits the caption. What was last rendered is kept in `review_views` (via
`ReviewService`), so a redraw that changes nothing costs no call, and a restarted bot edits the
same message rather than sending another. The view is sent once, when the first clip is
ready; a crash between that send and its record repeats that one message, never more.

Draws of one batch are serialised (the pipeline and button taps redraw concurrently).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import (
    FSInputFile,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import PRESETS
from bot.pipeline.contactsheet import ContactSheetError
from bot.services.batches import BatchService, BatchView
from bot.services.review import ReviewService, ViewClip
from bot.telegram import keyboards, texts
from bot.telegram.callbacks import ViewCb

log = logging.getLogger(__name__)

SHEET_BUTTONS = 96          # number buttons under the sheet (12 rows of 8; the limit is 100)
PROMPT_CHARS = 300


@dataclass(frozen=True)
class Menu:
    """Which keyboard the view shows: the main one, or a step of a request."""

    kind: str = "main"      # main | presets | zip | again | prompt
    cost: int = 0
    ticket: int = 0


MAIN = Menu()


class ReviewViewer:
    """Draws the review view and the contact sheet of a batch (see the module docstring)."""

    def __init__(self, bot: Bot, review: ReviewService, batches: BatchService) -> None:
        self.bot = bot
        self.review = review
        self.batches = batches
        self._locks: dict[int, asyncio.Lock] = {}
        self._last: dict[int, float] = {}
        self._later: dict[int, asyncio.Task] = {}

    def _lock(self, batch_id: int) -> asyncio.Lock:
        return self._locks.setdefault(batch_id, asyncio.Lock())

    async def refresh(self, batch_id: int, min_interval: float) -> None:
        """A redraw the pipeline asks for (a clip arrived): at most one per `min_interval` per
        batch, so a burst of finished images costs one edit, not one each (edits count against
        Telegram's per-chat rate too). Requests in between fold into one redraw at the end of
        the interval; the first show (the view has no message yet) is never delayed. The
        batch's end redraws at once (`show`), so a redraw lost in a crash is made up there.
        """
        now = time.monotonic()
        wait = self._last.get(batch_id, float("-inf")) + min_interval - now
        state = await self.review.state(batch_id)
        if wait <= 0 or state is None or state.message_id is None:
            self._last[batch_id] = now
            await self.show(batch_id)
            return
        if batch_id not in self._later:
            self._later[batch_id] = asyncio.create_task(self._redraw_later(batch_id, wait))

    async def _redraw_later(self, batch_id: int, wait: float) -> None:
        me = asyncio.current_task()
        try:
            await asyncio.sleep(wait)
        finally:
            if self._later.get(batch_id) is me:  # a clip arriving from here on schedules anew
                del self._later[batch_id]
        self._last[batch_id] = time.monotonic()
        try:
            await self.show(batch_id)
        except TelegramAPIError as err:  # a blocked bot or a vanished chat: the batch goes on
            log.warning("review view of batch %s not redrawn: %s", batch_id, err)

    async def close(self) -> None:
        """Cancel redraws still waiting (at shutdown)."""
        for task in list(self._later.values()):
            task.cancel()
        await asyncio.gather(*self._later.values(), return_exceptions=True)
        self._later.clear()

    async def show(self, batch_id: int, *, clip_id: int | None = None, menu: Menu = MAIN) -> ViewClip | None:
        """Draw the view on `clip_id` (default: the clip it shows now, else the first).

        Sends the view when it has no message yet (or the old one is gone); otherwise edits it
        only where something changed. Returns the clip shown, None when no clip is ready yet.
        """
        async with self._lock(batch_id):
            view = await self.batches.get(batch_id)
            if view is None or view.chat_id is None:
                return None
            clips = await self.review.clips(batch_id)
            if not clips:
                return None
            state = await self.review.state(batch_id)
            by_id = {c.id: c for c in clips}
            shown_id = clip_id if clip_id in by_id else (
                state.clip_id if state is not None and state.clip_id in by_id else clips[0].id)
            clip = by_id[shown_id]
            message_id = state.message_id if state is not None else None
            limit = self.batches.settings.telegram.upload_limit_bytes
            fits = [c for c in clips if c.file_id is not None or c.size <= limit]
            if message_id is None and clip not in fits:
                if not fits:
                    log.warning("no clip of batch %s fits an upload; no review view", batch_id)
                    return None
                clip = fits[0]  # the view is a video message: it starts on one Telegram takes
            too_large = clip not in fits
            caption = view_caption(view, clips, clip, too_large=too_large)
            markup = view_keyboard(view, clips, clip, menu,
                                   self.batches.settings.webapp.gallery_url(batch_id))
            digest = _digest(clip.id, caption, markup)
            if message_id is not None and state is not None:
                if digest == state.rendered:
                    return clip
                try:
                    # A clip too large to upload keeps the media shown and says so in the caption.
                    sent = await self._edit(view.chat_id, message_id, clip,
                                            state.clip_id != clip.id and not too_large, caption, markup)
                except TelegramBadRequest as err:
                    if "not modified" in str(err):
                        sent = None
                    elif "not found" in str(err) or "can't be edited" in str(err):
                        log.info("review view of batch %s is gone (%s); sending it anew", batch_id, err)
                        message_id = None
                    else:
                        raise
                else:
                    await self._remember_file(clip, sent)
            if message_id is None:
                sent = await self.bot.send_video(view.chat_id, self._media_ref(clip), caption=caption,
                                                 reply_markup=markup, supports_streaming=True)
                message_id = sent.message_id
                await self._remember_file(clip, sent)
            await self.review.save_view(batch_id, view.chat_id, message_id=message_id,
                                        clip_id=clip.id, rendered=digest)
            return clip

    async def _edit(self, chat_id: int, message_id: int, clip: ViewClip, new_clip: bool, caption: str,
                    markup: InlineKeyboardMarkup) -> Message | bool:
        if new_clip:
            media = InputMediaVideo(media=self._media_ref(clip), caption=caption, supports_streaming=True)
            return await self.bot.edit_message_media(media=media, chat_id=chat_id, message_id=message_id,
                                                     reply_markup=markup)
        return await self.bot.edit_message_caption(chat_id=chat_id, message_id=message_id,
                                                   caption=caption, reply_markup=markup)

    @staticmethod
    def _media_ref(clip: ViewClip) -> str | FSInputFile:
        return clip.file_id or FSInputFile(clip.path, f"image{clip.image}_v{clip.variant}.mp4")

    async def _remember_file(self, clip: ViewClip, sent: Message | bool | None) -> None:
        if clip.file_id is None and isinstance(sent, Message) and sent.video is not None:
            await self.review.set_file_id(clip.id, sent.video.file_id)

    # -- the contact sheet --------------------------------------------------------------------

    async def sheet(self, batch_id: int) -> None:
        """Send (or edit in place) the batch's contact sheet; nothing when it is up to date."""
        async with self._lock(batch_id):
            view = await self.batches.get(batch_id)
            state = await self.review.state(batch_id)
            clips = await self.review.clips(batch_id)
            if view is None or view.chat_id is None or state is None or not clips:
                return
            key = ",".join(str(c.id) for c in clips)
            if key == state.sheet_key:
                return
            try:
                path = await self.review.contact_sheet(batch_id, clips)
            except (ContactSheetError, OSError) as err:
                # The sheet is a convenience: the view and the closing message go out without it.
                log.warning("no contact sheet for batch %s: %s", batch_id, err)
                return
            try:
                caption, markup = sheet_caption(view, clips), sheet_keyboard(batch_id, clips)
                message_id = state.sheet_message_id
                if message_id is not None:
                    try:
                        await self.bot.edit_message_media(
                            media=InputMediaPhoto(media=FSInputFile(path, f"batch{batch_id}_sheet.jpg"),
                                                  caption=caption),
                            chat_id=view.chat_id, message_id=message_id, reply_markup=markup)
                    except TelegramBadRequest as err:
                        if "not found" not in str(err) and "can't be edited" not in str(err):
                            raise
                        message_id = None
                if message_id is None:
                    sent = await self.bot.send_photo(view.chat_id, FSInputFile(path, f"batch{batch_id}_sheet.jpg"),
                                                     caption=caption, reply_markup=markup)
                    message_id = sent.message_id
                await self.review.save_sheet(batch_id, message_id, key)
            finally:
                Path(path).unlink(missing_ok=True)  # the sheet's owner: Telegram holds it now


def view_caption(view: BatchView, clips: list[ViewClip], clip: ViewClip, *, too_large: bool = False) -> str:
    """"clip 7 of 80 · image 4 · prompt …", the clip's selection, the batch's count and state."""
    selected = sum(c.selected for c in clips)
    prompt = clip.prompt if len(clip.prompt) <= PROMPT_CHARS else clip.prompt[:PROMPT_CHARS - 1] + "…"
    lines = [texts.view_head(view.id, clip.number, len(clips), clip.image, clip.variant),
             texts.esc(prompt),
             texts.view_selection(clip.selected, selected, len(clips))]
    if too_large:
        lines.append(texts.view_too_large(texts.size_mb(clip.size)))
    live = [i for i in view.items if i.status != "cancelled"]
    waiting = [i for i in live if i.status not in ("done", "failed")]
    if waiting:
        lines.append(texts.view_waiting(len(live) - len(waiting), len(live)))
    return "\n".join(lines)


def view_keyboard(view: BatchView, clips: list[ViewClip], clip: ViewClip, menu: Menu = MAIN,
                  gallery: str | None = None) -> InlineKeyboardMarkup:
    """The view's buttons: paging, selection, batch requests with live counts, Again/New prompt,
    and the batch's gallery (`gallery`: its address, when the Mini App is served)."""
    b, kb = view.id, InlineKeyboardBuilder()
    i = clip.number - 1
    if menu.kind == "presets":
        for p in PRESETS:
            kb.button(text=texts.preset_label(p), callback_data=ViewCb(action="pre", batch_id=b, clip_id=clip.id, value=p))
        kb.button(text=texts.BACK_BUTTON, callback_data=ViewCb(action="back", batch_id=b, clip_id=clip.id))
        kb.adjust(len(PRESETS), 1)
        return kb.as_markup()
    if menu.kind == "zip":
        kb.button(text="🗜 720p", callback_data=ViewCb(action="zp", batch_id=b, clip_id=clip.id, value="720p"))
        kb.button(text="🗜 4K", callback_data=ViewCb(action="zp", batch_id=b, clip_id=clip.id, value="4k"))
        kb.button(text=texts.BACK_BUTTON, callback_data=ViewCb(action="back", batch_id=b, clip_id=clip.id))
        kb.adjust(2, 1)
        return kb.as_markup()
    if menu.kind == "again":
        kb.button(text=texts.spend_confirm(menu.cost),
                  callback_data=ViewCb(action="agok", batch_id=b, clip_id=clip.id, value=str(menu.ticket)))
        kb.button(text=texts.NO_BUTTON, callback_data=ViewCb(action="back", batch_id=b, clip_id=clip.id))
        kb.adjust(1)
        return kb.as_markup()
    if menu.kind == "prompt":
        kb.button(text=texts.CANCEL_NEW_PROMPT, callback_data=ViewCb(action="no", batch_id=b, clip_id=clip.id))
        return kb.as_markup()
    prev_clip, next_clip = clips[i - 1], clips[(i + 1) % len(clips)]
    kb.button(text="◀", callback_data=ViewCb(action="go", batch_id=b, clip_id=prev_clip.id))
    kb.button(text=f"{'✅' if clip.selected else '☐'} {clip.number}/{len(clips)}",
              callback_data=ViewCb(action="sel", batch_id=b, clip_id=clip.id, value="0" if clip.selected else "1"))
    kb.button(text="▶", callback_data=ViewCb(action="go", batch_id=b, clip_id=next_clip.id))
    same = [c for c in clips if c.item_id == clip.item_id]
    every = all(c.selected for c in same)
    kb.button(text=texts.view_select_all(clip.image, every),
              callback_data=ViewCb(action="all", batch_id=b, clip_id=clip.id, value="0" if every else "1"))
    n = sum(c.selected for c in clips)
    kb.button(text=texts.view_upscale(n), callback_data=ViewCb(action="up", batch_id=b, clip_id=clip.id))
    kb.button(text=texts.view_zip(n, len(clips)),
              callback_data=ViewCb(action="zip", batch_id=b, clip_id=clip.id))
    kb.button(text=texts.view_flow1080(n), callback_data=ViewCb(action="hd", batch_id=b, clip_id=clip.id))
    rows = [3, 1, 2, 1]
    item = next((it for it in view.items if it.id == clip.item_id), None)
    if item is not None and item.status == "done" and view.status != "cancelled":
        kb.button(text=texts.AGAIN_BUTTON, callback_data=ViewCb(action="ag", batch_id=b, clip_id=clip.id))
        kb.button(text=texts.NEW_PROMPT_BUTTON, callback_data=ViewCb(action="np", batch_id=b, clip_id=clip.id))
        rows.append(2)
    if gallery is not None:
        kb.add(keyboards.gallery_button(gallery))
        rows.append(1)
    kb.adjust(*rows)
    return kb.as_markup()


def sheet_caption(view: BatchView, clips: list[ViewClip]) -> str:
    from bot.pipeline.contactsheet import MAX_CLIPS

    return texts.sheet_caption(view.id, len(clips), MAX_CLIPS if len(clips) > MAX_CLIPS else None,
                               SHEET_BUTTONS if len(clips) > SHEET_BUTTONS else None)


def sheet_keyboard(batch_id: int, clips: list[ViewClip]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for c in clips[:SHEET_BUTTONS]:
        kb.button(text=str(c.number), callback_data=ViewCb(action="n", batch_id=batch_id, value=str(c.number)))
    kb.adjust(8)
    return kb.as_markup()


def _digest(clip_id: int, caption: str, markup: InlineKeyboardMarkup) -> str:
    rows = [[(btn.text, btn.callback_data or (btn.web_app.url if btn.web_app else None))
             for btn in row] for row in markup.inline_keyboard]
    raw = json.dumps([clip_id, caption, rows], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
