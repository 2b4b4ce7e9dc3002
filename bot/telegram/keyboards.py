"""Inline keyboards and the command menu. Every button's payload comes from `callbacks.py` (the
gallery's `web_app` buttons carry an https address instead)."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import ASPECTS, MODELS, PRESETS
from bot.pipeline import catalog
from bot.telegram import texts
from bot.telegram.callbacks import CardCb, ClipCb, QueueCb, ReviewCb, TextCb, UsersCb
from bot.telegram.i18n import DEFAULT, gettext, i18n, ngettext
from bot.telegram.i18n import gettext as _

# The command menus: (command, msgid). User descriptions are translated per menu language
# (`commands(locale)`), the admins' too (admins get their own Telegram language).
_USER_COMMANDS = (
    ("start", texts.N_("What this bot does")),
    ("help", texts.N_("How to use it")),
    ("status", texts.N_("Your running batches")),
    ("history", texts.N_("Your recent batches")),
    ("gallery", texts.N_("All clips of a batch at once")),
    ("settings", texts.N_("Default model, duration, aspect and outputs")),
    ("video", texts.N_("Text-to-video: one prompt per line")),
    ("prompt", texts.N_("Set a default prompt")),
    ("language", texts.N_("Change my language")),
    ("cancel", texts.N_("Cancel the current dialog or batch")),
)
_ADMIN_COMMANDS = (
    ("session", texts.N_("Flow sign-in state")),
    ("login", texts.N_("Sign in to Flow with cookies")),
    ("pause", texts.N_("Pause work on the Flow account")),
    ("resume", texts.N_("Resume work")),
    ("queue", texts.N_("What is waiting")),
    ("stats", texts.N_("Generations, credits, failures")),
    ("users", texts.N_("Allowed users")),
    ("screenshot", texts.N_("The browser page now")),
    ("audit", texts.N_("Who did what, and credits spent")),
)


def commands(locale: str, admin: bool = False) -> list[BotCommand]:
    """The command menu in `locale` (the admins' menu adds their commands)."""
    with i18n.use_locale(locale):
        menu = [BotCommand(command=c, description=gettext(d)) for c, d in _USER_COMMANDS]
        if admin:
            menu += [BotCommand(command=c, description=gettext(d)) for c, d in _ADMIN_COMMANDS]
    return menu


USER_COMMANDS = commands(DEFAULT)
ADMIN_COMMANDS = commands(DEFAULT, admin=True)

MODEL_LABELS = {m: catalog.short_label(m) for m in MODELS}
MAX_PRESET_BUTTONS_PER_ROW = 4


def switch_button(batch_id: int, model: str, credits: int | None) -> InlineKeyboardButton:
    """The one-tap switch of a held batch (or of held defaults, batch_id 0) to `model`, the
    nearest one the account offers; its payload names the model by its `MODELS` index, so a
    stale button (the offer changed meanwhile) is refused rather than applied."""
    return InlineKeyboardButton(text=texts.switch_button(model, credits),
                                callback_data=CardCb(action="switch", batch_id=batch_id,
                                                     value=str(MODELS.index(model))).pack())


def auto_upscale_button(batch_id: int, on: bool) -> InlineKeyboardButton:
    """The auto-4K toggle of a card (or of /settings with batch_id 0); it shows the current state
    and sets the other one (a double tap lands on the same state)."""
    return InlineKeyboardButton(text=texts.AUTO_UPSCALE_ON if on else texts.AUTO_UPSCALE_OFF,
                                callback_data=CardCb(action="auto", batch_id=batch_id,
                                                     value="0" if on else "1").pack())


def card(batch_id: int, auto_upscale: bool | None = None,
         switch: tuple[str, int | None] | None = None) -> InlineKeyboardMarkup:
    """A draft's card: Start, Settings, Cancel, and the auto-4K toggle when `auto_upscale` is
    given (None leaves it out). A draft held for a retired model gets `switch` (the nearest
    model, its credits for the batch) in place of Start: it cannot start as it is."""
    kb = InlineKeyboardBuilder()
    # Bot API 9.4 button styles: Start green, Cancel red (clients without styles ignore them).
    if switch is not None:
        kb.add(switch_button(batch_id, *switch))
    else:
        kb.button(text=texts.START_BUTTON, callback_data=CardCb(action="start", batch_id=batch_id),
                  style="success")
    kb.button(text=texts.SETTINGS_BUTTON, callback_data=CardCb(action="settings", batch_id=batch_id))
    kb.button(text=texts.CANCEL_BUTTON, callback_data=CardCb(action="cancel", batch_id=batch_id),
              style="danger")
    kb.adjust(1, 2)
    if auto_upscale is not None:
        kb.row(auto_upscale_button(batch_id, auto_upscale))
    return kb.as_markup()


def running(batch_id: int, switch: tuple[str, int | None] | None = None,
            gallery: str | None = None) -> InlineKeyboardMarkup:
    """A running batch's card: the switch of a held model, the gallery (when served), Cancel."""
    kb = InlineKeyboardBuilder()
    if switch is not None:  # its waiting clips are held for a retired model
        kb.add(switch_button(batch_id, *switch))
    if gallery is not None:
        kb.add(gallery_button(gallery))
    kb.button(text=_("✖️ Cancel batch"), callback_data=CardCb(action="cancel", batch_id=batch_id),
              style="danger")
    if gallery is not None:
        kb.adjust(1)  # the gallery's label is long: one button a row
    return kb.as_markup()


def card_settings(batch_id: int, aspect: str, outputs: int, model: str, *, plan: str = "pro",
                  duration: int | None = None, resolution: str | None = None,
                  pairs: bool | None = None) -> InlineKeyboardMarkup:
    """The settings view of a card (or of /settings with batch_id 0): current values ticked.

    Only what the account offers now is offered (`catalog.models_for`: the learned catalogue,
    else our knowledge minus retired models and entitlements some accounts lack), then the
    durations and resolutions of the chosen model, each row shown only when there is a choice.
    A slider model (Omni 1.2: any whole second in a range) gets a few presets within its range
    and "other…", which asks for a number; with start+end pairs on, only what an end frame
    allows. `pairs` None leaves out the start+end toggle (defaults have no images to pair).
    """
    kb = InlineKeyboardBuilder()
    rows: list[int] = []
    # Values are indexes: ':' (in "16:9") is the payload separator.
    for i, a in enumerate(ASPECTS):
        label = ("• " if a == aspect else "") + {"16:9": "🖥 16:9", "9:16": "📱 9:16"}[a]
        kb.button(text=label, callback_data=CardCb(action="aspect", batch_id=batch_id, value=str(i)))
    rows.append(len(ASPECTS))
    for n in range(1, 5):
        label = ("• " if n == outputs else "") + ngettext("{n} output", "{n} outputs", n).format(n=n)
        kb.button(text=label, callback_data=CardCb(action="outputs", batch_id=batch_id, value=str(n)))
    rows.append(4)
    offered = list(catalog.models_for(plan))
    for m in offered:
        label = ("• " if m == model else "") + MODEL_LABELS.get(m, m)
        kb.button(text=label, callback_data=CardCb(action="model", batch_id=batch_id,
                                                    value=str(MODELS.index(m))))
    rows += [2] * (len(offered) // 2) + [1] * (len(offered) % 2)
    if model in offered:
        offer = catalog.offer(model, plan)
        d, r = catalog.normalise(model, plan, duration, resolution)
        presets = [p for p in offer.presets() if not pairs or offer.end_frame_ok(p)]
        if offer.duration_range is not None and d not in presets:
            presets = sorted({*presets, d})
        if len(offer.durations) > 1:
            buttons = len(presets) + (offer.duration_range is not None)
            for sec in presets:
                kb.button(text=("• " if sec == d else "") + "⏱ " + texts.duration(sec),
                          callback_data=CardCb(action="dur", batch_id=batch_id, value=str(sec)))
            if offer.duration_range is not None:
                kb.button(text=texts.DURATION_OTHER_BUTTON,
                          callback_data=CardCb(action="durx", batch_id=batch_id))
            per_row = MAX_PRESET_BUTTONS_PER_ROW if buttons > MAX_PRESET_BUTTONS_PER_ROW else buttons
            rows += [per_row] * (buttons // per_row) + ([buttons % per_row] if buttons % per_row
                                                        else [])
        if len(offer.resolutions) > 1:
            for res in offer.resolutions:
                kb.button(text=("• " if res == r else "") + res,
                          callback_data=CardCb(action="res", batch_id=batch_id, value=res))
            rows.append(len(offer.resolutions))
    if pairs is not None:
        kb.button(text=("☑️" if pairs else "☐") + " " + _("🎬 Pairs: first + last frame (1→2, 3→4…)"),
                  callback_data=CardCb(action="pairs", batch_id=batch_id, value="0" if pairs else "1"))
        rows.append(1)
    kb.button(text=_("✔️ Done"), callback_data=CardCb(action="back", batch_id=batch_id))
    rows.append(1)
    kb.adjust(*rows)
    return kb.as_markup()


def gallery_button(url: str) -> InlineKeyboardButton:
    """Opens the batch's gallery Mini App inside Telegram (`url`: WEBAPP_PUBLIC_URL's, https)."""
    return InlineKeyboardButton(text=texts.GALLERY_BUTTON, web_app=WebAppInfo(url=url))


def gallery_list(links: Iterable[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """/gallery: one web_app button per recent batch, (label, gallery url)."""
    kb = InlineKeyboardBuilder()
    links = list(links)
    for label, url in links:
        kb.button(text=label, web_app=WebAppInfo(url=url))
    kb.adjust(2)
    return kb.as_markup() if links else None


def text_only_offer() -> InlineKeyboardMarkup:
    """Under "Got N prompts": make text-only videos of them instead of waiting for images."""
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.TEXT_ONLY_BUTTON, callback_data=TextCb(action="make"))
    return kb.as_markup()


def review(
    batch_id: int, item_id: int, clips: Iterable[tuple[int, int, bool]], *, has_4k: bool = False
) -> InlineKeyboardMarkup:
    """One item's review buttons: (clip_id, variant, selected) toggles, then batch actions."""
    kb = InlineKeyboardBuilder()
    clips = list(clips)
    for clip_id, variant, selected in clips:
        kb.button(
            text=f"{'✅' if selected else '☐'} {variant}",
            callback_data=ClipCb(batch_id=batch_id, item_id=item_id, clip_id=clip_id, sel=int(not selected)),
        )
    kb.button(text=_("⬆️ Upscale selected to 4K"), callback_data=ReviewCb(action="upscale", batch_id=batch_id, item_id=item_id))
    # Flow renders its own 1080p for free (FLOW_2026 §9); a 4K asked for later starts from it.
    kb.button(text=_("🆓 1080p (Flow, free)"), callback_data=ReviewCb(action="flow1080", batch_id=batch_id, item_id=item_id))
    kb.button(text="🗜 Zip 720p", callback_data=ReviewCb(action="zip", batch_id=batch_id, item_id=item_id, value="720p"))
    kb.button(text="🗜 Zip 4K", callback_data=ReviewCb(action="zip", batch_id=batch_id, item_id=item_id, value="4k"))
    kb.adjust(max(1, len(clips)), 2, 2)
    return kb.as_markup()


def presets(batch_id: int, item_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for p in PRESETS:
        kb.button(text=texts.preset_label(p), callback_data=ReviewCb(action="preset", batch_id=batch_id, item_id=item_id, value=p))
    kb.button(text=_("↩️ Back"), callback_data=ReviewCb(action="back", batch_id=batch_id, item_id=item_id))
    kb.adjust(3, 1)
    return kb.as_markup()


def retry(batch_id: int, item_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🔁 Retry"), callback_data=ReviewCb(action="retry", batch_id=batch_id, item_id=item_id))
    return kb.as_markup()


def retry_confirm(batch_id: int, item_id: int, credits: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Yes, spend {credits} credits").format(credits=credits), callback_data=ReviewCb(action="retry_ok", batch_id=batch_id, item_id=item_id))
    kb.button(text=_("✖️ No"), callback_data=ReviewCb(action="retry_no", batch_id=batch_id, item_id=item_id))
    kb.adjust(1)
    return kb.as_markup()


def queue(batch_ids: Iterable[int]) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    ids = list(batch_ids)
    for bid in ids:
        kb.button(text=texts.CANCEL_NUMBER.format(id=bid), callback_data=QueueCb(action="cancel", batch_id=bid))
    kb.adjust(2)
    return kb.as_markup() if ids else None


def users(removable: Iterable[int]) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboardBuilder()
    ids = list(removable)
    for uid in ids:
        kb.button(text=texts.remove_user_button(uid), callback_data=UsersCb(action="remove", user_id=uid))
    kb.adjust(1)
    return kb.as_markup() if ids else None

