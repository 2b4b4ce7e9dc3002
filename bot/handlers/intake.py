"""Intake: photos, image documents, albums, prompts files, and the "which prompt?" dialog.

Each incoming file is checked right away (a bad one gets its own clear reply) and handed to the
`IntakeCollector`, which waits for a short quiet window so that an album — or several albums in
a row — becomes one batch. `process_intake` then matches prompts to images: the caption of a
message (or of its album), a prompts file, the user's /prompt default, or else it asks, keeping
the question in the persisted dialog so a restart in between is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message, ReactionTypeEmoji

from bot.handlers.filters import InDialog
from bot.services.batches import BatchError, BatchService, BatchStateError, NewItem
from bot.services.dialogs import AWAITING_IMAGES, AWAITING_PROMPT, DialogService
from bot.services.users import UserService
from bot.telegram import keyboards, texts
from bot.telegram.cards import redraw_card, send_new_card
from bot.telegram.intake import (
    MAX_IMAGES_PER_BATCH,
    IncomingImage,
    IntakeCollector,
    IntakeRejected,
    PromptsFile,
    Received,
    RecentDrafts,
    check_declared_size,
    check_prompt,
    classify_document,
    discard_images,
    finalize_image,
    inspect_image,
    new_image_path,
    parse_prompts_file,
)

log = logging.getLogger(__name__)
router = Router(name=__name__)


@router.message(F.photo)
async def on_photo(message: Message, bot: Bot, users: UserService, intake: IntakeCollector,
                   incoming_dir: Path, download_limit: int | None) -> None:
    uid = message.from_user.id
    slot = intake.reserve(uid, message.chat.id, message.message_id, message.media_group_id, message.caption)
    try:
        if await users.claim_photo_hint(uid):
            await message.answer(texts.PHOTO_HINT)
        photo = message.photo[-1]
        name = f"photo {message.message_id}"
        image = await _fetch_image(message, bot, photo.file_id, name, photo.file_size,
                                   incoming_dir, download_limit)
        slot.set_result(image)
        if image is not None:  # after the slot: the receipt never holds up the drop
            await _receipt(message)
    finally:
        if not slot.done():
            slot.set_result(None)


@router.message(F.document)
async def on_document(message: Message, bot: Bot, intake: IntakeCollector, incoming_dir: Path,
                      download_limit: int | None) -> None:
    doc = message.document
    name = doc.file_name or "file"
    kind = classify_document(doc.file_name, doc.mime_type)
    uid = message.from_user.id
    slot = intake.reserve(uid, message.chat.id, message.message_id, message.media_group_id, message.caption)
    try:
        if kind == "other":
            # Still takes its place in the drop: a refused file makes prompts-by-order unsafe.
            await message.reply(texts.BAD_FILE_TYPE.format(name=texts.esc(name)))
            result: Received = None
        elif kind == "image":
            result = await _fetch_image(message, bot, doc.file_id, name, doc.file_size,
                                                  incoming_dir, download_limit)
        else:
            result = await _fetch_prompts(message, bot, name, download_limit)
        slot.set_result(result)
        if isinstance(result, IncomingImage):  # after the slot: the receipt never holds up the drop
            await _receipt(message)
    finally:
        if not slot.done():
            slot.set_result(None)


@router.message(F.text, ~F.text.startswith("/"), InDialog(AWAITING_PROMPT))
async def on_prompt_answer(message: Message, dialog: Any, bot: Bot, dialogs: DialogService,
                           users: UserService, batches: BatchService) -> None:
    try:
        prompt = check_prompt(message.text)
    except IntakeRejected as err:
        await message.answer(str(err))
        return
    entries = dialog.data.get("images", [])
    for entry in entries:
        if not entry.get("prompt"):
            entry["prompt"] = prompt
    await _create(bot, message.from_user.id, message.chat.id, entries, dialogs, users, batches)


@router.message(F.text, ~F.text.startswith("/"))
async def on_stray_text(message: Message) -> None:
    await message.answer(texts.TEXT_WITHOUT_CONTEXT)


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message) -> None:
    """A command no router knows (a typo, an old command): say so instead of staying silent."""
    command = message.text.split(maxsplit=1)[0]
    await message.answer(texts.UNKNOWN_COMMAND.format(command=texts.esc(texts.clip(command, 40))))


@router.message(~F.text)
async def on_other_content(message: Message) -> None:
    await message.answer(texts.ONLY_UNDERSTAND)


# -- fetching ---------------------------------------------------------------------------------

async def _fetch_image(message: Message, bot: Bot, file_id: str, name: str, size: int | None,
                       incoming_dir: Path, download_limit: int | None) -> IncomingImage | None:
    path: Path | None = None
    try:
        check_declared_size(name, size, download_limit)
        path = new_image_path(incoming_dir, message.from_user.id)
        try:
            await bot.download(file_id, destination=path)
        except TelegramAPIError as err:
            log.info("download of %s failed: %s", name, type(err).__name__)
            raise IntakeRejected(texts.BAD_DOWNLOAD.format(name=texts.esc(name))) from None
        fmt, w, h = await asyncio.to_thread(inspect_image, path, name)
        path = finalize_image(path, fmt)
    except IntakeRejected as err:
        if path is not None:
            path.unlink(missing_ok=True)
        await message.reply(str(err))
        return None
    except BaseException:
        if path is not None:  # an error or shutdown mid-download: the file has no owner
            path.unlink(missing_ok=True)
        raise
    return IncomingImage(message.message_id, message.media_group_id, message.caption, path, name, w, h)


async def _receipt(message: Message) -> None:
    """A reaction on the image message says "got it" without adding a message to the chat."""
    try:
        await message.react([ReactionTypeEmoji(emoji=texts.RECEIPT_REACTION)])
    except TelegramAPIError as err:  # a receipt is a courtesy: the card follows anyway
        log.info("receipt reaction failed: %s", type(err).__name__)


async def _fetch_prompts(message: Message, bot: Bot, name: str,
                         download_limit: int | None) -> PromptsFile | None:
    buf = io.BytesIO()
    try:
        check_declared_size(name, message.document.file_size, download_limit)
        try:
            await bot.download(message.document, destination=buf)
        except TelegramAPIError:
            raise IntakeRejected(texts.BAD_DOWNLOAD.format(name=texts.esc(name))) from None
        prompts, by_name = parse_prompts_file(buf.getvalue(), name)
    except IntakeRejected as err:
        await message.reply(str(err))
        return None
    return PromptsFile(message.message_id, name, prompts, by_name)


# -- turning what arrived into a batch ------------------------------------------------------------

async def process_intake(user_id: int, chat_id: int, received: list[Received], captions: dict[str, str],
                         *, bot: Bot, dialogs: DialogService, users: UserService,
                         batches: BatchService, drafts: RecentDrafts | None = None) -> None:
    """Match prompts to the images that arrived (plus any still waiting), then card or ask.

    The downloaded files of this drop live exactly as long as something holds them: the
    persisted dialog (waiting for a prompt) or, once created, the batch (which copies them).
    Whatever else happens — a refused drop, an error — they are deleted before returning.
    """
    images = [r for r in received if isinstance(r, IncomingImage)]
    files = [r for r in received if isinstance(r, PromptsFile)]
    if not images and not files:
        return
    kept: set[str] = set()
    try:
        kept = await _match_and_create(user_id, chat_id, received, images, files, captions,
                                       bot=bot, dialogs=dialogs, users=users, batches=batches,
                                       drafts=drafts)
    except Exception:
        log.exception("intake failed for chat %s", chat_id)
        with contextlib.suppress(TelegramAPIError):
            await bot.send_message(chat_id, texts.INTERNAL_ERROR)
    finally:
        discard_images(str(img.path) for img in images if str(img.path) not in kept)


async def _match_and_create(user_id: int, chat_id: int, received: list[Received],
                            images: list[IncomingImage], files: list[PromptsFile],
                            captions: dict[str, str], *, bot: Bot, dialogs: DialogService,
                            users: UserService, batches: BatchService,
                            drafts: RecentDrafts | None = None) -> set[str]:
    """The body of `process_intake`; returns the image paths the dialog now holds."""
    refused = sum(1 for r in received if r is None)
    dialog = await dialogs.get(user_id, chat_id)
    entries: list[dict[str, Any]] = []
    stored_prompts: dict[str, Any] | None = None
    if dialog is not None and dialog.state == AWAITING_PROMPT:
        entries = list(dialog.data.get("images", []))
    elif dialog is not None and dialog.state == AWAITING_IMAGES:
        stored_prompts = dialog.data
    for img in images:
        caption = img.caption or (captions.get(img.media_group_id) if img.media_group_id else None)
        prompt = None
        if caption:
            try:
                prompt = check_prompt(caption)
            except IntakeRejected as err:
                await bot.send_message(chat_id, f"{texts.esc(img.name)}: {err}")
        entries.append({"path": str(img.path), "name": img.name, "prompt": prompt})

    pf = files[-1] if files else None
    prompts = pf.prompts if pf else (stored_prompts or {}).get("prompts")
    by_name = pf.by_name if pf else (stored_prompts or {}).get("by_name", {})
    if not entries:
        # A prompts file on its own: keep it until the images arrive.
        await dialogs.set(user_id, chat_id, AWAITING_IMAGES, {"prompts": pf.prompts, "by_name": pf.by_name})
        await bot.send_message(chat_id, texts.PROMPTS_FILE_ALONE.format(p=len(pf.prompts)),
                               reply_markup=keyboards.text_only_offer())
        return set()
    if len(entries) > MAX_IMAGES_PER_BATCH:
        await dialogs.clear(user_id, chat_id)  # drops (and deletes) the images it held, too
        await bot.send_message(chat_id, texts.TOO_MANY.format(n=len(entries), max=MAX_IMAGES_PER_BATCH))
        return set()
    if prompts:
        if not _apply_prompts(entries, prompts, by_name, by_order=not refused):
            missing = sum(1 for e in entries if not e["prompt"])
            if refused and len(prompts) > 1:
                await bot.send_message(chat_id, texts.PROMPTS_ORDER_UNSURE.format(r=refused))
            else:
                await bot.send_message(chat_id, texts.PROMPTS_FILE_MISMATCH.format(p=len(prompts), i=missing))
    missing = [e for e in entries if not e["prompt"]]
    if missing:
        default = await users.default_prompt(user_id)
        for e in missing:
            e["prompt"] = default
    if any(not e["prompt"] for e in entries):
        await dialogs.set(user_id, chat_id, AWAITING_PROMPT, {"images": entries})
        await bot.send_message(chat_id, texts.ASK_PROMPT.format(n=sum(1 for e in entries if not e["prompt"])))
        return {e["path"] for e in entries}
    # Only albums join: a phone sends one selection of many images as albums one after another,
    # while a single image is a drop of its own.
    albums = bool(images) and all(img.media_group_id for img in images) and dialog is None \
        and not files and drafts is not None
    if not (albums and await _join_draft(bot, user_id, chat_id, entries, batches, drafts)):
        batch_id = await _create(bot, user_id, chat_id, entries, dialogs, users, batches)
        if drafts is not None:
            if albums and batch_id is not None:
                drafts.made(user_id, chat_id, batch_id)
            else:
                drafts.forget(user_id, chat_id)
    return set()


async def _join_draft(bot: Bot, user_id: int, chat_id: int, entries: list[dict[str, Any]],
                      batches: BatchService, drafts: RecentDrafts) -> bool:
    """The late part of a drop (its albums came further apart than the quiet window) joins the
    draft the earlier part made a moment ago, and that card is redrawn: one drop, one card.
    False when there is no such draft, or it can no longer grow (started, full, pairs), or its
    owner already pressed one of its buttons (a drop after that is meant as a new batch)."""
    batch_id = drafts.joinable(user_id, chat_id)
    if batch_id is None:
        return False
    view = await batches.get(batch_id, user_id)
    if view is None or view.status != "draft" or view.total + len(entries) > MAX_IMAGES_PER_BATCH:
        drafts.forget(user_id, chat_id)
        return False
    try:
        view = await batches.add_items(batch_id, user_id,
                                       [NewItem(image_path=Path(e["path"]), prompt=e["prompt"]) for e in entries])
    except BatchStateError:
        drafts.forget(user_id, chat_id)
        return False
    drafts.made(user_id, chat_id, batch_id)
    await redraw_card(bot, view, batches)
    return True


def _apply_prompts(entries: list[dict[str, Any]], prompts: list[str], by_name: dict[str, str], *,
                   by_order: bool = True) -> bool:
    """Fill missing prompts from a file: by file name, else one for all, else in order.

    `by_order=False` (a file of the same drop was refused) forbids matching by position: the
    prompts would shift onto the wrong images.
    """
    for e in entries:
        if not e["prompt"] and e["name"].lower() in by_name:
            e["prompt"] = by_name[e["name"].lower()]
    missing = [e for e in entries if not e["prompt"]]
    if not missing:
        return True
    if by_name and len(by_name) == len(prompts):
        return False  # every row named a file, and these images matched none of them
    if len(prompts) == 1:
        targets, values = missing, prompts * len(missing)
    elif not by_order:
        return False
    elif len(prompts) == len(missing):
        targets, values = missing, prompts
    elif len(prompts) == len(entries):
        targets, values = entries, prompts
    else:
        return False
    for e, p in zip(targets, values, strict=True):
        e["prompt"] = p
    return True


async def _create(bot: Bot, user_id: int, chat_id: int, entries: list[dict[str, Any]],
                  dialogs: DialogService, users: UserService, batches: BatchService) -> int | None:
    """The draft batch and its card (None: refused, and the user was told why)."""
    try:
        return await send_new_card(bot, user_id, chat_id, [(Path(e["path"]), e["prompt"]) for e in entries],
                                   users=users, batches=batches)
    except BatchError as err:
        await bot.send_message(chat_id, f"❌ {texts.esc(texts.batch_error(err))}")
        return None
    finally:
        # The batch holds its own copies now (or failed): the dialog and its files go either way.
        await dialogs.clear(user_id, chat_id)


@router.callback_query()
async def on_unknown_button(query: CallbackQuery) -> None:
    """A payload no factory parses (forged, or from an older version): answer, change nothing."""
    await query.answer(texts.BUTTON_INVALID, show_alert=True)
