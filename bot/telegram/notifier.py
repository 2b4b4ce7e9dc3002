"""`TelegramNotifier`: the pipeline's `Notifier`, speaking to users and admins in Telegram.

* Progress: one message per batch, edited in place, at most once per
  `TELEGRAM_PROGRESS_EDIT_INTERVAL_S`; events arriving faster are coalesced into the next edit
  (the newest wins), so a busy batch never runs into Telegram's per-chat flood limit.
* Previews: each finished item arrives as an album of its clips plus a message with the review
  buttons. A replayed event (crash between sending and marking done) is recognised and skipped.
  Each message of a multi-message notification (album chunk, buttons, zip part) is marked as
  sent right after its own send, so a crash repeats at most the one message in flight.
* Files: 4K clips and zip parts go out as documents under "upload_video" chat actions, or as a
  link / an explanation when they exceed what the Bot API accepts.
* Nothing here raises: a user who blocked the bot, or a chat that is gone, is logged and the
  batch carries on. 429/5xx retries happen below, in `resilience.ResilientRequests`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import FSInputFile, InlineKeyboardMarkup, InputMediaVideo
from aiogram.utils.chat_action import ChatActionSender

from bot.config import Settings
from bot.pipeline.delivery import decide_delivery
from bot.pipeline.notifier import (
    AdminAlert,
    BatchProgress,
    ClipUpscaled,
    ExportReady,
    FileFailed,
    ItemFailed,
    ItemPreviews,
    ModelRetired,
    UpscaleProgress,
)
from bot.pipeline.retirement import Gone, claim_admin_notice
from bot.pipeline.retirement import admin_alert as retirement_alert
from bot.pipeline.stages import progress_event
from bot.services.batches import BatchService
from bot.services.dialogs import MessageRefs
from bot.services.review import ReviewService
from bot.telegram import keyboards, texts
from bot.telegram.cards import progress_text, redraw_card
from bot.telegram.i18n import i18n, in_owner_locale, owner_locale
from bot.telegram.review_view import ReviewViewer

log = logging.getLogger(__name__)

# Returns a download link for a file too large to upload, or None when there is no link.
LinkFor = Callable[[Path, str], Awaitable[str | None]]


@dataclass
class _Throttle:
    last: float = float("-inf")
    pending: BatchProgress | None = None
    timer: asyncio.Task | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    text: str = ""
    message_id: int | None = None
    cancelled: bool = False  # once cancelled, the message never says "Working" again


class TelegramNotifier:
    """Implements `bot.pipeline.notifier.Notifier` on top of an aiogram `Bot`."""

    def __init__(
        self,
        bot: Bot,
        refs: MessageRefs,
        batches: BatchService,
        settings: Settings,
        *,
        link_for: LinkFor | None = None,
    ) -> None:
        self.bot = bot
        self.refs = refs
        self.batches = batches
        self.settings = settings
        self.admin_ids = list(settings.telegram.admin_ids)
        self.upload_limit = settings.telegram.upload_limit_bytes
        self.edit_interval_s = settings.telegram.progress_edit_interval_s
        self.link_for = link_for
        self._progress: dict[int, _Throttle] = {}
        self._last_action: dict[int, float] = {}
        self._background: set[asyncio.Task] = set()
        self.undeliverable = 0
        # Issue 13: one review message per batch (the default), or per-item albums (/settings).
        self.review = ReviewService(batches)
        self.viewer = ReviewViewer(bot, self.review, batches)
        # Called with the files of clips just ready (the gallery's posters, issue 21); None: off.
        self.on_clips: Callable[[list[Path]], None] | None = None

    # -- progress -------------------------------------------------------------------------------

    @in_owner_locale
    async def batch_progress(self, event: BatchProgress) -> None:
        if event.chat_id is None:
            return
        st = self._progress.setdefault(event.batch_id, _Throttle())
        st.pending = event
        wait = st.last + self.edit_interval_s - time.monotonic()
        if wait <= 0 and st.timer is None:
            await self._flush_progress(event.batch_id, st)
        elif st.timer is None:
            st.timer = asyncio.create_task(self._flush_later(event.batch_id, st, max(wait, 0.0)))

    async def _flush_later(self, batch_id: int, st: _Throttle, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
        finally:
            st.timer = None
        await self._flush_progress(batch_id, st)

    async def _flush_progress(self, batch_id: int, st: _Throttle, *, finished: bool = False,
                              edit_only: bool = False) -> None:
        async with st.lock:
            ev, st.pending = st.pending, None
            if ev is None:
                return
            st.last = time.monotonic()
            await self._guard(self._show_progress(ev, st, finished, edit_only), ev.user_id)

    async def _show_progress(self, ev: BatchProgress, st: _Throttle, finished: bool,
                             edit_only: bool = False) -> None:
        text = progress_text(ev, finished=finished, cancelled=st.cancelled)
        if text == st.text:
            return
        if st.message_id is None:
            view = await self.batches.get(ev.batch_id)
            st.message_id = view.progress_message_id if view is not None else None
        message_id = st.message_id
        if message_id is None and edit_only:
            return  # e.g. a draft cancelled before it ever showed progress
        if message_id is not None:
            try:
                await self.bot.edit_message_text(text=text, chat_id=ev.chat_id, message_id=message_id)
                st.text = text
                return
            except TelegramBadRequest as err:
                if "not modified" in str(err):
                    st.text = text
                    return
                log.info("progress message of batch %s not editable (%s); sending anew", ev.batch_id, err)
        msg = await self.bot.send_message(ev.chat_id, text)
        await self.batches.set_progress_message(ev.batch_id, msg.message_id)
        st.message_id, st.text = msg.message_id, text

    @in_owner_locale
    async def batch_finished(self, event: BatchProgress) -> None:
        """The batch ended (all items done/failed, or cancelled and its paid renders in).

        Every status display follows: the progress message, the card (status line and
        buttons), then one closing message. A replay redraws but does not repeat the message.
        """
        if event.chat_id is None:
            return
        view = await self.batches.get(event.batch_id)
        cancelled = view is not None and view.status == "cancelled"
        st = self._progress.setdefault(event.batch_id, _Throttle())
        if st.timer is not None:
            st.timer.cancel()
            st.timer = None
        st.cancelled = st.cancelled or cancelled
        st.pending = event
        await self._flush_progress(event.batch_id, st, finished=True)
        if view is not None:
            await self._guard(redraw_card(self.bot, view, self.batches), event.user_id)
        key = f"finished.{event.batch_id}.{event.counts.get('done', 0)}.{event.counts.get('failed', 0)}"
        done, failed = event.counts.get("done", 0), event.counts.get("failed", 0)
        text = texts.batch_ended(event.batch_id, cancelled, done, failed)
        view_mode = await self.review.mode(event.user_id) == "view"
        if done and view_mode:
            await self._guard(self.viewer.show(event.batch_id), event.user_id)
            await self._guard(self.viewer.sheet(event.batch_id), event.user_id)
        if await self.refs.was_sent(key):
            return
        if done:
            text += texts.batch_ended_hint(view_mode)
        await self._guard(self.bot.send_message(event.chat_id, text), event.user_id)
        await self.refs.mark_sent(key)

    @in_owner_locale
    async def show_place_in_line(self, batch_id: int) -> None:
        """Post a just-started batch's progress at once when it waits behind other users' work
        (its place in line and start estimate); otherwise the pipeline's first event does."""
        ev = await progress_event(self.batches.db, batch_id, self.settings)
        if ev is not None and ev.chat_id is not None and ev.queue_place is not None:
            await self.batch_progress(ev)

    @in_owner_locale
    async def show_batch_state(self, batch_id: int, *, card: bool = True) -> None:
        """Redraw a batch's status displays from the database after a change outside the
        pipeline (a cancel by the user or an admin, a retry that restarts a finished batch).

        `card=False` when the caller has just redrawn the card itself. The progress message is
        only edited, never sent anew; a cancelled batch's progress says so from now on.
        """
        view = await self.batches.get(batch_id)
        if view is None or view.chat_id is None:
            return
        if card:
            await self._guard(redraw_card(self.bot, view, self.batches), view.user_id)
        if view.status != "cancelled":
            if batch_id in self._progress:
                self._progress[batch_id].cancelled = False  # a retry runs the batch again
            return
        ev = await progress_event(self.batches.db, batch_id, self.settings)
        if ev is None:
            return
        st = self._progress.setdefault(batch_id, _Throttle())
        if st.timer is not None:
            st.timer.cancel()
            st.timer = None
        st.cancelled = True
        st.pending = ev
        await self._flush_progress(batch_id, st, edit_only=True)

    # -- previews and failures ------------------------------------------------------------------

    @in_owner_locale
    async def item_previews(self, event: ItemPreviews) -> None:
        if self.on_clips is not None and event.clips:
            # The gallery makes its posters now (in the background), not when first opened.
            self.on_clips([c.path for c in event.clips])
        if event.chat_id is None or not event.clips:
            return
        if await self.review.mode(event.user_id) == "view":
            # The batch's one review message grows (edited in place; sent with the first clip).
            await self._guard(self.viewer.refresh(event.batch_id, self.edit_interval_s), event.user_id)
            return
        key = "previews." + ".".join(str(c.clip_id) for c in event.clips)
        if await self.refs.was_sent(key):
            return
        await self._guard(self._send_previews(event, key), event.user_id)
        await self.refs.mark_sent(key)

    async def _once(self, key: str | None, send: Callable[[], Awaitable[Any]]) -> None:
        """Send one message unless `key` says it went out already; mark it right after.

        A crash between the send and the mark repeats this one message, never the ones
        before it (they were marked as they went). No key: just send.
        """
        if key is None:
            await send()
            return
        if await self.refs.was_sent(key):
            return
        await send()
        await self.refs.mark_sent(key)

    async def _send_previews(self, ev: ItemPreviews, key: str) -> None:
        caption = texts.esc(texts.preview_caption(ev.position, ev.prompt))[:1000]
        clips = [c for c in ev.clips if c.size <= self.upload_limit]
        if not await self.refs.was_sent(f"{key}.buttons"):
            await self.bot.send_chat_action(ev.chat_id, "upload_video")
        for start in range(0, len(clips), 10):
            chunk = clips[start:start + 10]
            if await self.refs.was_sent(f"{key}.part{start}"):
                continue
            if len(chunk) == 1:
                c = chunk[0]
                await self.bot.send_video(ev.chat_id, FSInputFile(c.path, f"image{ev.position}_v{c.variant}.mp4"),
                                          caption=caption if start == 0 else None, supports_streaming=True)
                await self.refs.mark_sent(f"{key}.part{start}")
            else:
                media = [InputMediaVideo(media=FSInputFile(c.path, f"image{ev.position}_v{c.variant}.mp4"),
                                         caption=caption if start == 0 and i == 0 else None,
                                         supports_streaming=True)
                         for i, c in enumerate(chunk)]
                await self.bot.send_media_group(ev.chat_id, media)
                await self.refs.mark_sent(f"{key}.part{start}")
        view = await self.batches.get(ev.batch_id)
        if view is None:
            return
        ready = [c for c in view.clips if c.item_id == ev.item_id and c.status == "ready"]
        markup = keyboards.review(ev.batch_id, ev.item_id, [(c.id, n, c.selected) for n, c in enumerate(ready, 1)])
        skipped = len(ev.clips) - len(clips)
        text = texts.previews_message(ev.position, len(ready), skipped)
        await self._once(f"{key}.buttons", lambda: self.bot.send_message(
            ev.chat_id, text,
            reply_markup=markup,
        ))

    @in_owner_locale
    async def item_failed(self, event: ItemFailed) -> None:
        if event.chat_id is None:
            return
        text = texts.item_failed(event.position, event.batch_id,
                                 texts.esc(texts.flow_reason(event.reason)))
        markup = keyboards.retry(event.batch_id, event.item_id) if event.retryable_by_user else None
        await self._guard(self.bot.send_message(event.chat_id, text, reply_markup=markup), event.user_id)

    # -- 4K and exports --------------------------------------------------------------------------

    async def upscale_progress(self, event: UpscaleProgress) -> None:
        """Keep a "sending video…" indicator in the chat while a 4K encode runs.

        Per-percent messages would only add noise (the user was told "Upscaling N clip(s)");
        a chat action lasts about 5 s, so one every 4 s per chat keeps it visible. Sent in the
        background: the encoder's progress callback must not wait for Telegram.
        """
        if event.chat_id is None:
            return
        now = time.monotonic()
        if now - self._last_action.get(event.chat_id, float("-inf")) < 4.0:
            return
        self._last_action[event.chat_id] = now
        task = asyncio.create_task(self._guard(self.bot.send_chat_action(event.chat_id, "upload_video"),
                                               event.user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @in_owner_locale
    async def clip_upscaled(self, event: ClipUpscaled) -> None:
        if event.chat_id is None:
            return
        key = f"upscaled.{event.clip_id}.{event.size}"
        if await self.refs.was_sent(key):
            return
        label = getattr(event, "label", "4K")
        name = f"batch{event.batch_id}_clip{event.clip_id}_{label.lower()}.mp4"
        caption = f"{label} · {texts.size_mb(event.size)}"
        if getattr(event, "note", None):
            caption += f"\n{texts.esc(texts.english_sentence(event.note))}"
        await self._guard(self._send_file(event.chat_id, event.path, event.size, name, caption),
                          event.user_id)
        await self.refs.mark_sent(key)

    @in_owner_locale
    async def export_ready(self, event: ExportReady) -> None:
        if event.chat_id is None:
            return
        key = f"export.{event.export_id}"
        if await self.refs.was_sent(key):
            return
        n = len(event.parts)
        for i, part in enumerate(event.parts, 1):
            size = part.stat().st_size if part.exists() else 0
            label = texts.export_label(event.batch_id, event.resolution.upper(), i, n)
            await self._guard(self._once(f"{key}.part{i}", lambda p=part, s=size, lb=label: self._send_file(
                event.chat_id, p, s, p.name, lb)), event.user_id)
        await self.refs.mark_sent(key)

    @in_owner_locale
    async def file_failed(self, event: FileFailed) -> None:
        """A promised 4K file or zip will not come: say so, and how to try again."""
        if event.chat_id is None:
            return
        reason = texts.esc(event.reason.splitlines()[-1] if event.reason.strip() else texts.unknown_error())[:300]
        if event.what == "upscale":
            text = texts.upscale_failed(event.batch_id, reason)
        else:
            text = texts.zip_failed(event.batch_id, reason)
        await self._guard(self.bot.send_message(event.chat_id, text), event.user_id)

    @in_owner_locale
    async def model_retired(self, event: ModelRetired) -> None:
        """A started batch's waiting clips were held: its model is gone (bot/services/
        retirement.py). Says which and since when, offers the nearest with its price: one tap."""
        if event.chat_id is None:
            return
        text = texts.retired_queued(event.batch_id, event.model, event.since, event.nearest,
                                    event.credits)
        markup = None
        if event.nearest is not None and event.index is not None:
            markup = InlineKeyboardMarkup(inline_keyboard=[[keyboards.switch_button(
                event.batch_id, event.nearest, event.credits)]])
        key = f"retired.{event.batch_id}.{event.model}"
        await self._guard(self._once(key, lambda: self.bot.send_message(
            event.chat_id, text, reply_markup=markup)), event.user_id)

    async def retirement_noticed(self, gone: Gone) -> None:
        """Work names a model the account no longer offers: the admins' one notice per model."""
        if await claim_admin_notice(self.batches.db, gone.model):
            await self.admin_alert(retirement_alert(gone))

    async def _send_file(self, chat_id: int, path: Path, size: int, name: str, caption: str) -> None:
        """Send a finished file the way `decide_delivery` says: document, link, or why not."""
        how = decide_delivery(size, telegram=self.settings.telegram, storage=self.settings.storage,
                              is_zip=name.endswith(".zip"))
        if how.kind in ("document", "video"):
            # aiogram's ChatActionSender repeats the action every 5 s while a large upload runs
            # (a one-off action fades after 5 s, long before a 4K file is up).
            action = "upload_video" if name.endswith(".mp4") else "upload_document"
            async with ChatActionSender(bot=self.bot, chat_id=chat_id, action=action):
                await self.bot.send_document(chat_id, FSInputFile(path, name), caption=caption)
            return
        link = await self.link_for(path, name) if how.kind == "link" and self.link_for is not None else None
        # `how` decides; the words are the Telegram layer's (in the user's language).
        limit, local = self.settings.telegram.upload_limit_bytes, self.settings.telegram.local_mode
        if link:
            reason = texts.delivery_link_reason(size, limit, self.settings.storage.link_expiry_s / 3600)
            await self.bot.send_message(
                chat_id, texts.download_link(caption, texts.esc(reason), texts.esc(link), texts.esc(name))
            )
            return
        choices = "".join(f"\n• {texts.esc(c)}"
                          for c in texts.delivery_choices(name.endswith(".zip"), limit, local))
        reason = texts.delivery_too_big(size, limit)
        await self.bot.send_message(
            chat_id, texts.cannot_send(caption, texts.esc(name), texts.esc(reason), choices)
        )

    # -- admins --------------------------------------------------------------------------------

    async def admin_alert(self, event: AdminAlert) -> None:
        for admin in self.admin_ids:
            # The pipeline words alerts in English; each admin reads it in their own language.
            with i18n.use_locale(await owner_locale(self.batches.db, admin)):
                text = texts.admin_alert(event.text, event.action)
            # Marked per admin and message: a crash mid-loop repeats one message, not the lot.
            mark = f"admin.{event.key}.{admin}" if event.key else None
            await self._guard(self._once(mark and mark + ".text", lambda a=admin, t=text: self.bot.send_message(a, t)),
                              admin)
            if event.screenshot is not None and Path(event.screenshot).exists():
                await self._guard(self._once(mark and mark + ".shot", lambda a=admin: self.bot.send_photo(
                    a, FSInputFile(event.screenshot))), admin)

    # -- helpers ---------------------------------------------------------------------------------

    async def _guard(self, call: Awaitable[Any], user_id: int) -> None:
        """Run a send; a blocked bot or a vanished chat must never stop the pipeline."""
        try:
            await call
        except TelegramForbiddenError:
            self.undeliverable += 1
            log.info("user %s blocked the bot; message dropped", user_id)
        except TelegramAPIError as err:
            self.undeliverable += 1
            log.warning("could not deliver to %s: %s", user_id, err)

    async def close(self) -> None:
        await self.viewer.close()
        for st in self._progress.values():
            if st.timer is not None:
                st.timer.cancel()
        self._progress.clear()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
