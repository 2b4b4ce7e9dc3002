"""Every sentence the bot says, in one place, translated through gettext (aiogram's i18n).

The catalogues live in `bot/locales/<lang>/LC_MESSAGES/messages.po` (see `bot/telegram/i18n.py`).
A module constant such as `texts.START` is not a fixed string: the module's `__getattr__` looks it
up in the user's locale each time it is read (the i18n middleware sets the locale per update, the
notifier per batch), so call sites stay `texts.START` / `texts.TOO_MANY.format(n=…, max=…)`.
Placeholders are always named (`{count}`), so translators may reorder them.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.telegram.i18n import gettext as _
from bot.telegram.i18n import ngettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: mark for extraction only
    """Mark a msgid for `pybabel extract` without translating it here."""
    return message


MAX_PROMPT_CHARS = 1800
MIN_PROMPT_CHARS = 3
RECEIPT_REACTION = "👍"  # set on each image message as its receipt (setMessageReaction)

# name -> msgid; read as `texts.NAME` (translated at that moment, see `__getattr__`).
_MESSAGES: dict[str, str] = {
    "START": N_(
        "👋 I turn your images (or just prompts) into videos with Google Flow (Veo 3.1 or Omni), "
        "then upscale the ones you pick to 4K.\n\n"
        "1. Send one or more images with a caption: the caption is the prompt.\n"
        "2. Check the batch card and press ▶️ Start.\n"
        "3. Pick the clips you like, then ⬆️ Upscale to 4K or 🗜 Zip them.\n\n"
        "/help lists everything I understand. /language changes my language."),
    "HELP": N_(
        "<b>How to use me</b>\n"
        "• Send images (photos, image files or an album). The caption is the prompt for every image "
        "of that message or album.\n"
        "• No caption? I ask for a prompt, or use your default from /prompt.\n"
        "• Many images with different prompts: send a <code>.txt</code> file (one prompt per line, "
        "in the order of the images) or a <code>.csv</code> with columns <code>file,prompt</code>.\n"
        "• Images sent as <i>files</i> keep full quality; photos are recompressed by Telegram.\n"
        "• No images at all: <code>/video</code> with one prompt per line, or a prompts file and ✍️.\n"
        "• ⚙️ Settings on a batch card: model, duration, resolution, aspect, outputs, and start+end "
        "pairs (images 1→2, 3→4 … as first and last frame); the estimate follows.\n"
        "• Under each video: 🆓 1080p (Flow, free) or ⬆️ our own 4K.\n\n"
        "<b>Commands</b>\n"
        "/status – your running batches\n"
        "/history – your recent batches\n"
        "/settings – your default model, duration, resolution, aspect and outputs\n"
        "/video &lt;prompts&gt; – text-to-video, one prompt per line\n"
        "/prompt &lt;text&gt; – set a default prompt (/prompt off to clear)\n"
        "/language – change the language I speak\n"
        "/cancel – stop what you are doing (dialog or running batch)"),
    "PRIVATE_BOT": N_("🔒 Sorry, this is a private bot. Ask its owner to give you access."),
    "ADMIN_ONLY": N_("⛔ That command is for the bot's admins."),
    "PHOTO_HINT": N_(
        "💡 Tip: send images as <i>files</i> (📎 → File) to keep their full quality; "
        "Telegram recompresses photos."),
    "ASK_PROMPT": N_(
        "✍️ I have {n} image(s) without a prompt. Send me the prompt as a text message "
        "(it applies to all of them), or /cancel."),
    "PROMPT_EMPTY": N_(
        "That prompt is empty. Describe the video you want, for example: "
        "<i>the cat turns its head and smiles</i>."),
    "PROMPT_SET": N_("✅ Default prompt saved. Images sent without a caption will use it."),
    "PROMPT_CLEARED": N_("Default prompt cleared. I will ask for a prompt when an image has none."),
    "PROMPT_SHOW": N_(
        "Your default prompt: <i>{prompt}</i>\n"
        "Change it with /prompt &lt;text&gt; or clear it with /prompt off."),
    "PROMPT_NONE": N_("You have no default prompt. Set one with /prompt &lt;text&gt;."),
    "NOTHING_TO_CANCEL": N_("Nothing to cancel."),
    "DIALOG_CANCELLED": N_("Cancelled: the images waiting for a prompt were dropped."),
    "NEW_PROMPT_CANCELLED": N_("Cancelled: the new prompt for the review view was dropped."),
    "TEXT_WITHOUT_CONTEXT": N_("Send me images with a caption to start, or /help."),
    "UNKNOWN_COMMAND": N_("I don't know the command {command}. /help lists the ones I understand."),
    "INTERNAL_ERROR": N_(
        "⚠️ Sorry, something went wrong on my side and that did not work. Please try again in a "
        "moment; if it keeps happening, tell the bot's admin."),
    "INTERNAL_ERROR_SHORT": N_("⚠️ Sorry, something went wrong on my side. Please try again."),
    "PROMPTS_ORDER_UNSURE": N_(
        "❌ {r} file(s) of this drop could not be used, so I cannot tell which prompt of the file "
        "belongs to which image. Send the images again, or answer with one prompt for all of them."),
    "BAD_FILE_TYPE": N_("❌ <b>{name}</b> is not an image I can use. Send JPEG, PNG or WebP images."),
    "BAD_EMPTY": N_("❌ <b>{name}</b> is empty (0 bytes)."),
    "BAD_TOO_BIG": N_(
        "❌ <b>{name}</b> is {mb:.1f} MB; Telegram lets bots download at most {limit} MB. "
        "Send a smaller image."),
    "BAD_PIXELS": N_(
        "❌ <b>{name}</b> is {w}×{h} pixels, too large to use. Send an image under {max_mp} megapixels."),
    "BAD_BOMB": N_(
        "❌ <b>{name}</b> has far too many pixels to use. Send an image under {max_mp} megapixels."),
    "BAD_TINY": N_(
        "❌ <b>{name}</b> is only {w}×{h} pixels; send an image at least {min_side} px on each side."),
    "BAD_CORRUPT": N_(
        "❌ <b>{name}</b> could not be opened as an image. It may be damaged; try exporting it again."),
    "BAD_DOWNLOAD": N_("❌ I could not download <b>{name}</b> from Telegram. Please send it again."),
    "TOO_MANY": N_("❌ That is {n} images; one batch holds at most {max}. Send them in smaller groups."),
    "PROMPTS_FILE_BAD": N_("❌ I could not read that prompts file: {why}"),
    "PROMPTS_FILE_MISMATCH": N_(
        "❌ The prompts file has {p} prompt(s) for {i} image(s). Use one prompt per image "
        "(or a single prompt for all)."),
    "PROMPTS_FILE_ALONE": N_(
        "📄 Got {p} prompt(s). Now send the {p} image(s) they belong to, in the same order, "
        "or tap ✍️ below to make text-only videos of them (no images)."),
    "TEXT_ONLY_BUTTON": N_("✍️ Text-only videos from these prompts"),
    "VIDEO_USAGE": N_(
        "✍️ <b>Text-to-video</b>: send <code>/video</code> followed by your prompts, one per line, "
        "for example:\n<code>/video a red kite over the sea\na lighthouse at dusk</code>\n"
        "Each line becomes one clip of a new batch. A <code>.txt</code> prompts file works too."),
    "VIDEO_LINE_BAD": N_("❌ Line {n}: {why}\nNothing was created; fix that line and send /video again."),
    "VIDEO_TOO_MANY": N_(
        "❌ That is {n} prompts; one batch holds at most {max}. Split them into smaller batches."),
    "TEXT_ONLY_GONE": N_(
        "Those prompts are no longer waiting (already used or cancelled). Send them again."),
    "CANCELLED": N_("🚫 Batch #{id} cancelled. Nothing more will be spent on it."),
    "STARTED": N_("▶️ Batch #{id} started."),
    "ALREADY_STARTED": N_("Batch #{id} is already {status}."),
    "NOT_YOURS": N_("That button is not for you."),
    "GONE": N_("That batch no longer exists."),
    "PAUSED_NOTE": N_("\n⏸ The Flow account is paused; work resumes when an admin fixes it."),
    "START_BUTTON": N_("▶️ Start"),
    "CANCEL_BUTTON": N_("✖️ Cancel"),
    "SETTINGS_BUTTON": N_("⚙️ Settings"),
    "AUTO_UPSCALE_ON": N_("⬆️ Auto 4K: on"),
    "AUTO_UPSCALE_OFF": N_("⬆️ Auto 4K: off"),
    "AUTO_UPSCALE_SET": N_("Every clip of new batches is upscaled to 4K as soon as it is ready."),
    "AUTO_UPSCALE_UNSET": N_("Clips are upscaled to 4K only when you pick them."),
    "AUTO_UPSCALE_CARD": N_("⬆️ Every clip is upscaled to 4K as soon as it is ready"),
    "NOT_ON_DRAFT": N_("This batch already started; that can no longer change."),
    "OPTION_MISSING": N_("That option does not exist."),
    "UPDATED": N_("Updated."),
    "SAVED": N_("Saved."),
    # The review view's and the albums' answers (bot/handlers/review_view.py, review.py).
    # English keeps "clip(s)": these are short button answers, counted only in words elsewhere.
    "NO_CLIP": N_("That clip is not in this batch's review."),
    "NO_NUMBER": N_("There is no clip with that number in this batch."),
    "CLIP_IN_VIEW": N_("Clip {number} is in the review view."),
    "CLIPS_SELECTED": N_("{count} clip(s) selected in batch #{id}."),
    "SELECT_FIRST_VIEW": N_("Select at least one clip first (☐ in the middle)."),
    "SELECT_FIRST_ALBUM": N_("Select at least one clip first (tap ☐ under a video)."),
    "CHOOSE_QUALITY": N_("Choose the 4K quality."),
    "WHICH_SIZE": N_("Which size?"),
    "FLOW1080_ASKED": N_("🆓 Asking Flow for the 1080p of {n} clip(s); they arrive here as files. "
                         "If Flow's never comes, I upscale them myself and say so."),
    "FLOW1080_ALREADY": N_("Flow's 1080p of those clips was already asked for."),
    "AGAIN_COST": N_("New clips of image {image} with the same prompt cost {cost} credits."),
    "AGAIN_MADE": N_("🔁 New clips of image {image} are on their way; they join this view."),
    "ALREADY_ASKED": N_("Already asked for: those clips are on their way."),
    "SEND_NEW_PROMPT": N_("Send the new prompt for image {image} as a message."),
    "ASKED_OR_CANCELLED": N_("Already asked for, or cancelled."),
    "NEW_PROMPT_MADE": N_("✏️ New clips with your prompt are on their way; they join the review view."),
    "ASKED": N_("✏️ Asked for."),
    "NOT_CHANGED": N_("Not changed."),
    "CANCELLED_SHORT": N_("✖️ Cancelled."),
    "NEW_PROMPT_CONFIRM": N_("✏️ New clips of image {image} with the prompt:\n<i>{prompt}</i>\n"
                             "This costs {cost} credits."),
    "NO_SUCH_CLIP": N_("Batch #{id} has clips 1 to {count}; there is no clip {number}."),
    "JUMPED": N_("👆 Clip {number} of batch #{id} is in the review view."),
    "NOT_FAILED": N_("This image is not failed (or is already being retried)."),
    "RETRYING": N_("🔁 Retrying."),
    "ALREADY_RETRIED": N_("Already retried."),
    "NOT_RETRIED": N_("Not retried."),
    "UPSCALING": N_("⬆️ Upscaling {n} clip(s) to 4K; they arrive here as files."),
    "NONE_SELECTED": N_("No clip is selected any more: tap ☐ under a video first."),
    "ALREADY_UPSCALED": N_("Those clips are already upscaled with that quality; the 4K files were "
                           "sent above."),
    "BEING_UPSCALED": N_("Those clips are already being upscaled; the 4K files arrive here when done."),
    "NOTHING_TO_ZIP_4K": N_("Nothing to zip in 4K yet: no clip of this batch is upscaled. Select "
                            "clips, press ⬆️ Upscale, and zip once the 4K files have arrived."),
    "NOTHING_TO_ZIP": N_("Nothing to zip yet: no clip of this batch is ready."),
    "ZIP_ALREADY_SENT": N_("That {label} zip was already sent above; select other clips for a new one."),
    "ZIP_PREPARING": N_("🗜 Preparing the {label} zip of {n} clip(s); it arrives here shortly."),
    "ZIP_WAITING": N_(" {n} clip(s) still upscaling are not in it: zip again once they arrive."),
    "BACK_BUTTON": N_("↩️ Back"),
    "NO_BUTTON": N_("✖️ No"),
    "CANCEL_NEW_PROMPT": N_("✖️ Cancel new prompt"),
    "AGAIN_BUTTON": N_("🔁 Again"),
    "NEW_PROMPT_BUTTON": N_("✏️ New prompt"),
    # Why a prompts file was refused (they follow "I could not read that prompts file:").
    "WHY_EMPTY": N_("it is empty."),
    "WHY_TOO_LARGE": N_("it is larger than 512 KB."),
    "WHY_NOT_UTF8": N_("it is not UTF-8 text."),
    "WHY_BAD_CSV": N_("it is not a valid CSV file ({error})."),
    "WHY_ROW_NO_PROMPT": N_("row {n} has no prompt."),
    "WHY_NO_PROMPTS": N_("it has no prompts."),
    "WHY_TOO_MANY_PROMPTS": N_("it has {n} prompts; at most {max} are used."),
    "WHY_LINE": N_("line {n}: {error}"),
    "ONLY_UNDERSTAND": N_("I only understand images, prompts files and text. Try /help."),
    "BUTTON_INVALID": N_("That button is no longer valid."),
    "NOTHING_RUNNING": N_("Nothing is running. Send images with a caption to start a batch."),
    "IN_PROGRESS_TITLE": N_("<b>Your batches in progress</b>"),
    "NO_BATCHES": N_("No batches yet. Send images with a caption to start one."),
    "RECENT_TITLE": N_("<b>Your recent batches</b>"),
    "WHICH_TO_CANCEL": N_("Which batch should I cancel?"),
    "CANCEL_NUMBER": N_("✖️ Cancel #{id}"),
    "LANGUAGE_PICK": N_("🌐 Choose the language I speak with you:"),
    "LANGUAGE_SET": N_("✅ From now on I speak English with you."),
    "LANGUAGE_UNKNOWN": N_("That language is not offered. Pick one of the buttons of /language."),
    # Models Flow retired, and the "other…" duration (issue 17).
    "SWITCHED": N_("✅ Switched to {model}."),
    "NOTHING_TO_SWITCH": N_("Nothing to switch: the model is still offered."),
    "DURATION_OTHER_BUTTON": N_("⏱ other…"),
    "DURATION_ASK": N_("⏱ Send the clip length in seconds: a whole number from {min} to {max} "
                       "(for example 12)."),
    "DURATION_NOT_A_NUMBER": N_("❌ That is not a whole number of seconds. Send digits only, from "
                                "{min} to {max} (for example 12), or tap a duration on the card."),
    "DURATION_SET": N_("✅ Clip length: {duration}."),
    "DURATION_NO_RANGE": N_("{model} has no other duration: tap one of its buttons."),
    # The gallery Mini App (issue 21): its buttons in the chat and /gallery.
    "GALLERY_BUTTON": N_("🖼 Gallery"),
    "GALLERY_LIST": N_("🖼 Your recent batches: open one to see all its clips at once."),
    "GALLERY_NONE": N_("You have no batches yet. Send images with a caption to make one."),
    "GALLERY_OFF": N_("The gallery is not set up on this bot (an admin sets WEBAPP_ENABLED and "
                      "WEBAPP_PUBLIC_URL)."),
    "GALLERY_PROMPT_BAD": N_("That prompt cannot be used."),
    "GALLERY_BAD_REQUEST": N_("That request is not valid; nothing was changed."),
    "GALLERY_SELECTION_SAVED": N_("{count} clip(s) selected."),
}

# Texts read with values already filled in (limits from this module): name -> (msgid, values).
_PREFILLED: dict[str, tuple[str, dict[str, Any]]] = {
    "PROMPT_SHORT": (N_("That prompt is too short: use at least {min} characters."),
                     {"min": MIN_PROMPT_CHARS}),
    # `{n}` stays for the caller's .format(n=…).
    "PROMPT_LONG": (N_("That prompt is too long ({n} characters): keep it under {max}."),
                    {"max": MAX_PROMPT_CHARS}),
}

# Word tables (a batch's status on its card, an item's state in progress lines, the gallery
# page's words: sent to the page as one table, placeholders filled in by its script).
_TABLES: dict[str, dict[str, str]] = {
    "GALLERY_PAGE": {
        "title": N_("Gallery"),
        "batch": N_("Batch #{id}"),
        "loading": N_("Loading…"),
        "recent": N_("Your recent batches"),
        "none": N_("You have no batches yet."),
        "clips": N_("{count} clip(s)"),
        "progress": N_("{done} of {total} images finished"),
        "image": N_("Image {image}"),
        "again_of": N_("Image {image} · again"),
        "waiting": N_("Waiting"),
        "rendering": N_("Rendering {percent}%"),
        "failed": N_("Failed"),
        "cancelled": N_("Cancelled"),
        "no_clips": N_("No clip is ready yet: they appear here as they finish."),
        "k4_ready": N_("4K ready"),
        "k4_working": N_("4K in progress"),
        "k4_failed": N_("4K failed"),
        "hd_ready": N_("1080p ready"),
        "hd_working": N_("1080p asked"),
        "selected": N_("{count} of {total} selected"),
        "select_all": N_("Select all"),
        "unselect_all": N_("Unselect all"),
        "clear": N_("Clear"),
        "upscale": N_("⬆️ 4K"),
        "zip": N_("🗜 Zip"),
        "flow1080": N_("🆓 1080p"),
        "again": N_("🔁 Again"),
        "new_prompt": N_("✏️ New prompt"),
        "choose_preset": N_("Upscale the selected clips to 4K with which quality?"),
        "choose_zip": N_("Zip which size? (No selection: every ready clip.)"),
        "new_prompt_for": N_("New prompt for image {image}:"),
        "continue": N_("Continue"),
        "cancel": N_("Cancel"),
        "select_first": N_("Select at least one clip first."),
        "auth": N_("This gallery is no longer signed in. Close it and open it again from the chat."),
        "forbidden": N_("This batch belongs to someone else."),
        "not_found": N_("That batch no longer exists."),
        "offline": N_("No connection; trying again…"),
        "error": N_("Something went wrong; nothing was changed."),
        "view_only": N_("You can look at this batch; only its owner can act on it."),
        "sent_to_chat": N_("Done: the results arrive in the chat."),
    },
    "CARD_STATUS": {
        "draft": N_("📝 Ready to start"),
        "running": N_("⏳ Running"),
        "done": N_("✅ Finished"),
        "cancelled": N_("🚫 Cancelled"),
    },
    "STATE_LABELS": {
        "pending": N_("waiting"),
        "queued": N_("queued"),
        "submitting": N_("submitting"),
        "generating": N_("generating"),
        "collecting": N_("downloading"),
        "done": N_("done"),
        "failed": N_("failed"),
        "cancelled": N_("cancelled"),
        "paused": N_("paused"),
    },
}


def _fill(text: str, values: dict[str, Any]) -> str:
    # Only the given fields: any other `{field}` is left for the caller's .format().
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def __getattr__(name: str) -> Any:
    """`texts.NAME`: the message in the current locale (evaluated on every read, never cached)."""
    if name in _MESSAGES:
        return _(_MESSAGES[name])
    if name in _PREFILLED:
        msgid, values = _PREFILLED[name]
        return _fill(_(msgid), values)
    if name in _TABLES:
        return {key: _(msgid) for key, msgid in _TABLES[name].items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def msgids() -> list[str]:
    """Every msgid this module reads (for the catalogue test: each must be in every .po)."""
    out = list(_MESSAGES.values()) + [m for m, _v in _PREFILLED.values()]
    for table in _TABLES.values():
        out.extend(table.values())
    out.extend(_ALREADY.values())
    out.extend(_BATCH_ERRORS.values())
    out.extend(_FIXED)
    out.extend(msgid for _pattern, msgid in _PATTERNS)
    return out


def esc(text: object) -> str:
    """HTML-escape user-provided text before it goes into a parse_mode=HTML message."""
    return html.escape(str(text), quote=False)


def clip(text: object, limit: int) -> str:
    """At most `limit` characters of `text` (user-provided), ending in "…" when cut.

    Cut before escaping, so an HTML entity is never split.
    """
    value = str(text)
    return value if len(value) <= limit else value[: max(0, limit - 1)].rstrip() + "…"


def duration(seconds: float | None) -> str:
    """A rough human duration: '45 s', '3 min', '1 h 20 min'."""
    if seconds is None:
        return _("unknown")
    s = max(0, int(round(seconds)))
    if s < 60:
        return _("{s} s").format(s=s)
    m = (s + 30) // 60
    if m < 60:
        return _("{m} min").format(m=m)
    return _("{h} h {m} min").format(h=m // 60, m=m % 60)


def bar(done: int, total: int, width: int = 12) -> str:
    """A text progress bar: ▓▓▓▓░░░░."""
    if total <= 0:
        return "░" * width
    filled = min(width, round(width * done / total))
    return "▓" * filled + "░" * (width - filled)


def size_mb(size: int) -> str:
    """A file size in MB with one decimal."""
    return _("{mb} MB").format(mb=f"{size / (1024 * 1024):.1f}")


# -- issue 14: a bot a team can share ---------------------------------------------------------

# The admins' texts (ADMIN_HELP, the /users budget form, /audit, alerts) are translated too:
# admins get their own Telegram language like everyone else.
_MESSAGES.update({
    "ADMIN_HELP": N_(
        "\n\n<b>Admin</b>\n"
        "/session – Flow sign-in state and a screenshot\n"
        "/login – send a storage_state JSON or cookies export to sign in\n"
        "/pause, /resume – stop or restart work on the Flow account\n"
        "/queue – what is waiting (with cancel buttons)\n"
        "/stats – generations, credits and failures\n"
        "/users – allowed users (/users add ID, /users remove ID, /users budget ID CREDITS day|month)\n"
        "/audit – who did what, and the credits spent\n"
        "/screenshot – the browser page right now"),
    "BUDGET_USAGE": N_(
        "Budgets: <code>/users budget ID CREDITS day</code>, <code>/users budget ID CREDITS month</code> "
        "or <code>/users budget ID off</code>. Admins are never limited."),
    "BUDGET_BAD_CREDITS": N_("A budget is a whole number of credits from 0 to {max}, e.g. "
                             "<code>/users budget 123456789 500 month</code>."),
    "BUDGET_BAD_PERIOD": N_("A budget is per <code>day</code> or per <code>month</code>."),
    "BUDGET_ADMIN": N_("User {uid} is an admin: admins are never limited."),
    "BUDGET_OFF": N_("User {uid} has no budget now (unlimited)."),
    "BUDGET_NONE": N_("User {uid} had no budget."),
    "AUDIT_TITLE": N_("<b>Audit log</b>"),
    "AUDIT_EMPTY": N_("Nothing recorded yet."),
    "AUDIT_PREV": N_("⬅️ Newer"),
    "AUDIT_NEXT": N_("Older ➡️"),
    # /session, /screenshot, /login (bot/handlers/admin.py)
    "SESSION_TITLE": N_("<b>Flow session</b>"),
    "NO_FLOW_CLIENT": N_("No Flow client is running."),
    "SCREENSHOT_CAPTION": N_("The Flow page right now."),
    "LOGIN_ASK": N_(
        "🔑 Send the Flow session as a <b>document</b>: a Playwright <code>storage_state</code> "
        "JSON or a cookies export (JSON) made while signed in to Flow. I will check it, store it "
        "privately and delete your message. /cancel to stop."),
    "LOGIN_NOT_DELETED": N_("\n⚠️ I could not delete your message: please delete it yourself."),
    "LOGIN_TOO_BIG": N_("That file is too large to be a session export."),
    "LOGIN_CHECKING": N_("🔎 Checking the session with Flow…"),
    "LOGIN_RESUMES": N_(" Paused work resumes now."),
    # /pause, /resume, /queue
    "PAUSED_NOW": N_("⏸ Paused. Nothing new is sent to Flow; running renders finish. "
                     "/resume to continue."),
    "ALREADY_PAUSED": N_("Already paused. /resume to continue."),
    "RESUMED": N_("▶️ Resumed."),
    "NOT_PAUSED": N_("Work was not paused."),
    "WORK_RUNNING": N_("▶️ Work is running."),
    "QUEUE_TITLE": N_("<b>Queue</b>"),
    "NO_BATCH_RUNNING": N_("No batch is running."),
    "STATS_TITLE": N_("<b>Statistics</b>"),
    "STATS_TODAY": N_("Today (UTC)"),
    "STATS_ALL_TIME": N_("All time"),
    # /users
    "USER_ID_BAD": N_("A user id is a positive number (Telegram shows it in the user's profile), "
                      "e.g. <code>/users add 123456789</code>."),
    "USERS_USAGE": N_("Use <code>/users</code>, <code>/users add ID</code> or "
                      "<code>/users remove ID</code>."),
    "USERS_TITLE": N_("<b>Allowed users</b>"),
    "USERS_ADD_HINT": N_("Add someone with <code>/users add ID</code>."),
})
# How a user came onto the /users list.
_TABLES["USER_TAGS"] = {"admin": N_("admin"), "settings": N_("settings"), "added": N_("added")}
# "Batch #7 is already …": one whole sentence per state (a state word alone declines badly).
_ALREADY = {
    "draft": N_("Batch #{id} is not started yet."),
    "running": N_("Batch #{id} is already running."),
    "done": N_("Batch #{id} is already finished."),
    "cancelled": N_("Batch #{id} is already cancelled."),
}


def batch_already(batch_id: int, status: str) -> str:
    """A button that no longer fits the batch's state: say which state it is in."""
    msgid = _ALREADY.get(status)
    if msgid is None:  # a state this table does not know yet: its label, else the raw word
        return _("Batch #{id} is already {status}.").format(
            id=batch_id, status=__getattr__("STATE_LABELS").get(status, status))
    return _(msgid).format(id=batch_id)


def budget_set(uid: int, credits: int, period: str) -> str:
    """The answer to a budget an admin just gave."""
    if period == "day":
        return _("✅ User {uid} may spend {credits} credits per day (UTC).").format(
            uid=uid, credits=credits)
    return _("✅ User {uid} may spend {credits} credits per month (UTC).").format(
        uid=uid, credits=credits)


def budget_tag(credits: int, period: str, used: int) -> str:
    """A user's budget in the /users list."""
    if period == "day":
        return _("💳 {used}/{credits} per day").format(used=used, credits=credits)
    return _("💳 {used}/{credits} per month").format(used=used, credits=credits)


def budget_line(credits: int, period: str, used: int, cost: int, left_after: int) -> str:
    """The card's budget line: what the batch would leave of it, or by how much it is over."""
    # One sentence per period: "per day"/"per month" do not translate word by word.
    if left_after >= 0:
        msg = (_("👛 Your budget: {credits} per day, {used} used · this batch leaves {left}")
               if period == "day" else
               _("👛 Your budget: {credits} per month, {used} used · this batch leaves {left}"))
        return msg.format(credits=credits, used=used, left=left_after)
    msg = (_("👛 Your budget: {credits} per day, {used} used · ⚠️ this batch needs {cost}, "
             "{over} more than is left") if period == "day" else
           _("👛 Your budget: {credits} per month, {used} used · ⚠️ this batch needs {cost}, "
             "{over} more than is left"))
    return msg.format(credits=credits, used=used, cost=cost, over=-left_after)


def budget_refused(cost: int, left: int, period: str) -> str:
    """Start refused: the batch does not fit the user's budget (a button alert, ≤ 200 chars)."""
    msg = (_("⛔ This batch needs {cost} credits but your budget has {left} left today. "
             "Make it smaller (fewer outputs, a cheaper model) or ask an admin.")
           if period == "day" else
           _("⛔ This batch needs {cost} credits but your budget has {left} left this month. "
             "Make it smaller (fewer outputs, a cheaper model) or ask an admin."))
    return msg.format(cost=cost, left=left)


def audit_line(when: str, actor: int | None, action: str, batch_id: int | None,
               credits: int | None, detail: str | None) -> str:
    """One audit row: when, who, what, batch, credits, detail (already escaped by the caller).

    `action` is the recorded action word (a command or button name), shown as recorded."""
    who = (_("user <code>{id}</code>").format(id=actor) if actor else _("system"))
    parts = [f"<code>{when}</code>", who, f"<b>{action}</b>"]
    if batch_id:
        parts.append(_("batch #{id}").format(id=batch_id))
    if credits is not None:
        parts.append(ngettext("{n} credit", "{n} credits", credits).format(n=credits))
    if detail:
        parts.append(detail)
    return " · ".join(parts)


def audit_footer(page: int, pages: int, total: int) -> str:
    """The /audit pager's footer."""
    return ngettext("Page {page} of {pages} · {total} entry · newest first, times in UTC",
                    "Page {page} of {pages} · {total} entries · newest first, times in UTC",
                    total).format(page=page + 1, pages=pages, total=total)


def internal_error(ref: str) -> str:
    """The polite answer to an unhandled error, with the reference the admins also got."""
    return _("⚠️ Sorry, something went wrong on my side and that did not work. The admins have "
             "been told (reference <code>{ref}</code>). Please try again in a moment.").format(ref=ref)


def internal_error_short(ref: str) -> str:
    """The same, for a button's alert (plain text, ≤ 200 chars)."""
    return _("⚠️ Sorry, something went wrong on my side. The admins have been told (ref {ref}).")\
        .format(ref=ref)


def error_place(kind: str, detail: str) -> str:
    """Where an unhandled error happened (bot/telegram/errors.py): `kind` is button, command,
    message or update; `detail` the button's prefix, the command word, the content type or the
    update type (shown as is)."""
    if kind == "button":
        return _("a button press ({detail})").format(detail=detail)
    if kind == "command":
        return _("the command {detail}").format(detail=detail)
    if kind == "message":
        return _("a {detail} message").format(detail=detail)
    return _("an update ({detail})").format(detail=detail)


def admin_error_alert(ref: str, error: str, where: str, user_id: int | None) -> str:
    """The short admin alert of an unhandled error: a reference, never a traceback or user text."""
    if user_id:
        return _("🚨 Unhandled error <code>{ref}</code>: {error} in {where} from user "
                 "<code>{user}</code>. Details are in the log under this reference.").format(
            ref=ref, error=esc(error), where=esc(where), user=user_id)
    return _("🚨 Unhandled error <code>{ref}</code>: {error} in {where} from an unknown user. "
             "Details are in the log under this reference.").format(
        ref=ref, error=esc(error), where=esc(where))


def queue_place(place: int, batches_ahead: int) -> str:
    """A waiting batch's place in line (other users' work ahead of it)."""
    if batches_ahead == 1:
        return _("🕒 Waiting: place {place} in line (1 batch of other users ahead)").format(place=place)
    return _("🕒 Waiting: place {place} in line ({ahead} batches of other users ahead)").format(
        place=place, ahead=batches_ahead)


def starts_in(relative: str, at: str) -> str:
    """The start estimate of a waiting batch; `at` is a date-time entity (HTML)."""
    return _("▶️ starts in about {relative} (≈ {at})").format(relative=relative, at=at)


def ready_in(relative: str, at: str) -> str:
    """The relative ETA with the absolute time next to it; `at` is a date-time entity (HTML)."""
    return _("⏱ about {relative} left · ready ≈ {at}").format(relative=relative, at=at)


# -- the batch card and progress (bot/telegram/cards.py) and the notifier's closing lines -------

def card_head(batch_id: int, status: str) -> str:
    """The card's first line."""
    return _("<b>Batch #{id}</b> · {status}").format(id=batch_id, status=status)


def card_failed(failed: int) -> str:
    """A finished batch where every image failed."""
    if failed == 1:
        return _("❌ Failed: the image failed")
    return ngettext("❌ Failed: all {n} images failed", "❌ Failed: all {n} images failed",
                    failed).format(n=failed)


def card_finished(done: int, failed: int) -> str:
    """A finished batch's status line."""
    if failed:
        return _("✅ Finished: {done} done, {failed} failed").format(done=done, failed=failed)
    return _("✅ Finished: {done} done").format(done=done)


def card_cancelled(done: int) -> str:
    """A cancelled batch's status line."""
    if done:
        return _("🚫 Cancelled ({done} done before the cancel)").format(done=done)
    return _("🚫 Cancelled")


def outputs_each(outputs: int) -> str:
    """How many videos each image (or prompt) makes."""
    return ngettext("{n} video each", "{n} videos each", outputs).format(n=outputs)


def what_text_only(n: int, each: str) -> str:
    """What a text-only batch makes."""
    return ngettext("✍️ {n} prompt, text only · {each}", "✍️ {n} prompts, text only · {each}",
                    n).format(n=n, each=each)


def what_pairs(n: int, clips: int, each: str) -> str:
    """What a draft of start+end pairs makes."""
    return ngettext("🎬 {n} images → {clips} start+end clip · {each}",
                    "🎬 {n} images → {clips} start+end clips · {each}",
                    clips).format(n=n, clips=clips, each=each)


def what_clips(n: int, each: str) -> str:
    """What a running batch of start+end pairs makes."""
    return ngettext("🎬 {n} start+end clip · {each}", "🎬 {n} start+end clips · {each}",
                    n).format(n=n, each=each)


def what_images(n: int, each: str) -> str:
    """What a batch of images makes."""
    return ngettext("🖼 {n} image · {each}", "🖼 {n} images · {each}", n).format(n=n, each=each)


def card_cost(credits: int, time: str) -> str:
    """The card's estimate line."""
    return _("💳 about {credits} credits · ⏱ about {time}").format(credits=credits, time=time)


def progress_head(batch_id: int, finished: bool, cancelled: bool) -> str:
    """The progress message's first line."""
    head = _("🚫 Cancelled") if cancelled else _("✅ Finished") if finished else _("⏳ Working")
    return card_head(batch_id, head)


def time_left(relative: str) -> str:
    """The relative ETA alone (no clock time known)."""
    return _("⏱ about {relative} left").format(relative=relative)


def image_failed_line(position: int, reason: str) -> str:
    """One failure in the progress message (`reason` already escaped)."""
    return _("❌ Image {position}: {reason}").format(position=position, reason=reason)


def more_failures(n: int) -> str:
    """The progress message lists ten failures at most."""
    return _("… and {n} more failures").format(n=n)


def batch_ended(batch_id: int, cancelled: bool, done: int, failed: int) -> str:
    """The closing message of a batch."""
    if cancelled:
        return _("🚫 Batch #{id} was cancelled: {done} done, {failed} failed.").format(
            id=batch_id, done=done, failed=failed)
    return _("🏁 Batch #{id} is finished: {done} done, {failed} failed.").format(
        id=batch_id, done=done, failed=failed)


def batch_ended_hint(view_mode: bool) -> str:
    """What to do next, after the closing message."""
    if view_mode:
        return _(" Page through the clips in the review message, select, then ⬆️ Upscale or 🗜 Zip.")
    return _(" Pick clips with ☐ under the videos, then ⬆️ Upscale or 🗜 Zip.")


def item_failed(position: int, batch_id: int, reason: str) -> str:
    """An image of a batch failed (`reason` already escaped)."""
    return _("❌ <b>Image {position}</b> of batch #{id} failed: {reason}").format(
        position=position, id=batch_id, reason=reason)


# -- /settings (bot/handlers/preferences.py) -------------------------------------------------

def review_mode_words(mode: str) -> str:
    """How finished clips are shown, in words."""
    return {"view": _("one review message per batch"),
            "albums": _("an album per image")}.get(mode, mode)


def review_mode_switch(to: str) -> str:
    """The /settings button that switches the review mode to `to`."""
    return _("🎞 Switch to an album per image") if to == "albums" else \
        _("🎞 Switch to one review message")


def defaults_text(*, model: str, seconds: int, resolution: str, aspect: str, outputs: int,
                  credits: int, plan: str, review_mode: str, auto_upscale: bool) -> str:
    """The /settings message: the user's defaults for new batches."""
    return _(
        "<b>Your defaults for new batches</b>\n"
        "Model: {model} · {duration} · {resolution}\n"
        "Aspect: {aspect} · Outputs per image: {outputs}\n"
        "💳 {credits} credits per video on the {plan} plan\n"
        "🎞 Finished clips: {review_mode}\n"
        "{auto_upscale}\n"
        "Tap to change; each batch card can still be changed before it starts."
    ).format(model=esc(model), duration=duration(seconds), resolution=resolution,
             aspect=aspect, outputs=outputs, credits=credits, plan=plan.capitalize(),
             review_mode=review_mode_words(review_mode),
             auto_upscale=__getattr__("AUTO_UPSCALE_ON" if auto_upscale else "AUTO_UPSCALE_OFF"))




# -- models Flow retired (bot/pipeline/retirement.py, issue 17) ----------------------------------

def retired_head(model: str, since: str | None) -> str:
    """What is gone and since when (`since`: ISO day, or None when only the page dropped it)."""
    if since:
        return _("⚠️ {model} was retired by Flow on {date}.").format(model=esc(model), date=since)
    return _("⚠️ Flow no longer offers {model}.").format(model=esc(model))


def retired_card(model: str, since: str | None, nearest: str | None, credits: int | None) -> str:
    """The lines a held draft's card adds."""
    if nearest is None or credits is None:
        return retired_head(model, since) + "\n" + _(
            "This batch is on hold; nothing was spent. This plan offers no other model.")
    return retired_head(model, since) + "\n" + _(
        "This batch is on hold; nothing was spent. The nearest model is {nearest}: {credits} "
        "credits for this batch. Tap 🔁 to switch.").format(nearest=esc(nearest), credits=credits)


def retired_defaults(model: str, since: str | None, nearest: str | None,
                     credits: int | None) -> str:
    """/settings when the saved default model is gone."""
    if nearest is None or credits is None:
        return retired_head(model, since) + "\n" + _(
            "It is your saved default; this plan offers no other model.")
    return retired_head(model, since) + "\n" + _(
        "It is your saved default, so new batches would be held. The nearest model is {nearest}: "
        "{credits} credits per video. Tap 🔁 to switch.").format(nearest=esc(nearest),
                                                                 credits=credits)


def retired_queued(batch_id: int, model: str, since: str | None, nearest: str | None,
                   credits: int | None) -> str:
    """The owner's message when a started batch's waiting clips were held."""
    if since:
        head = _("⚠️ Batch #{id}: {model} was retired by Flow on {date}.").format(
            id=batch_id, model=esc(model), date=since)
    else:
        head = _("⚠️ Batch #{id}: Flow no longer offers {model}.").format(id=batch_id,
                                                                         model=esc(model))
    if nearest is None or credits is None:
        return head + "\n" + _("Its clips still waiting are on hold; nothing was spent. This plan "
                               "offers no other model.")
    return head + "\n" + _(
        "Its clips still waiting are on hold; nothing was spent and nothing was switched. The "
        "nearest model is {nearest}: {credits} credits for what is left. Tap 🔁 to switch."
    ).format(nearest=esc(nearest), credits=credits)


def switch_button(model: str, credits: int | None) -> str:
    """The one-tap switch to the nearest model."""
    if credits is None:
        return _("🔁 Switch to {model}").format(model=model)
    return _("🔁 Switch to {model} · {credits} credits").format(model=model, credits=credits)


# -- the notifier's previews and files (bot/telegram/notifier.py) ------------------------------

def preview_caption(position: int, prompt: str) -> str:
    """A preview video's caption (plain text; the caller escapes it)."""
    return _("Image {position}: {prompt}").format(position=position, prompt=prompt)


def previews_message(position: int, clips: int, skipped: int) -> str:
    """The message under an image's preview album, with its selection buttons."""
    text = ngettext("🎬 <b>Image {position}</b>: {n} clip. Tap to select, then upscale or zip.",
                    "🎬 <b>Image {position}</b>: {n} clips. Tap to select, then upscale or zip.",
                    clips).format(position=position, n=clips)
    if skipped:
        text += "\n" + ngettext("({n} clip too large to preview here.)",
                                "({n} clips too large to preview here.)", skipped).format(n=skipped)
    return text


def upscale_failed(batch_id: int, reason: str) -> str:
    """A promised 4K file will not come (`reason` already escaped)."""
    return _("⚠️ A 4K upscale of batch #{id} failed: {reason}\n"
             "Select the clip and press ⬆️ Upscale to try again.").format(id=batch_id, reason=reason)


def zip_failed(batch_id: int, reason: str) -> str:
    """A promised zip will not come (`reason` already escaped)."""
    return _("⚠️ The zip of batch #{id} could not be made: {reason}\n"
             "Press 🗜 Zip to try again.").format(id=batch_id, reason=reason)


def unknown_error() -> str:
    """A failure without a reason."""
    return _("unknown error")


def export_label(batch_id: int, resolution: str, part: int, parts: int) -> str:
    """A zip's caption."""
    if parts > 1:
        return _("🗜 Batch #{id} · {resolution} · part {part}/{parts}").format(
            id=batch_id, resolution=resolution, part=part, parts=parts)
    return _("🗜 Batch #{id} · {resolution}").format(id=batch_id, resolution=resolution)


def download_link(caption: str, reason: str, link: str, name: str) -> str:
    """A file too large to send, offered as a link (all values already escaped)."""
    return _('{caption}\n{reason}: <a href="{link}">download {name}</a>').format(
        caption=caption, reason=reason, link=link, name=name)


def cannot_send(caption: str, name: str, reason: str, choices: str) -> str:
    """A file that can be neither sent nor linked (all values already escaped)."""
    return _("{caption}\n⚠️ {name}: {reason}. What you can do:{choices}").format(
        caption=caption, name=name, reason=reason, choices=choices)


# -- /status and /history (bot/handlers/history.py) ------------------------------------------

def status_line(icon: str, batch_id: int, done: int, failed: int, total: int, draft: bool) -> str:
    """One batch in /status."""
    if draft:
        return _("{icon} #{id}: {done} done, {failed} failed of {total} (not started)").format(
            icon=icon, id=batch_id, done=done, failed=failed, total=total)
    return _("{icon} #{id}: {done} done, {failed} failed of {total}").format(
        icon=icon, id=batch_id, done=done, failed=failed, total=total)


def history_line(icon: str, batch_id: int, total: int, done: int, failed: int, status: str) -> str:
    """One batch in /history (`status` is the batch's state word)."""
    words = {"draft": _("draft"), "running": _("running"), "done": _("done"),
             "cancelled": _("cancelled")}
    return ngettext("{icon} #{id} · {total} image · {done} done · {failed} failed · {status}",
                    "{icon} #{id} · {total} images · {done} done · {failed} failed · {status}",
                    total).format(icon=icon, id=batch_id, total=total, done=done, failed=failed,
                                  status=words.get(status, status))


# -- the review view (bot/telegram/review_view.py) ---------------------------------------------

def preset_label(preset: str) -> str:
    """A 4K upscale preset's button."""
    return {"fast": _("⚡ Fast"), "balanced": _("⚖️ Balanced"), "high": _("💎 High")}.get(preset, preset)


def view_head(batch_id: int, number: int, total: int, image: int, variant: int) -> str:
    """The review view's first line: which clip of the batch is shown."""
    return _("🎬 <b>Batch #{id}</b> · clip {number} of {total} · image {image} · v{variant}").format(
        id=batch_id, number=number, total=total, image=image, variant=variant)


def view_selection(selected: bool, count: int, total: int) -> str:
    """The shown clip's selection and the batch's count."""
    if selected:
        return _("✅ Selected · {count} of {total} selected").format(count=count, total=total)
    return _("☐ Not selected · {count} of {total} selected").format(count=count, total=total)


def view_too_large(size: str) -> str:
    """The shown clip could not be previewed."""
    return _("⚠️ This clip ({size}) is too large to preview here; the video above is another one. "
             "It can still be selected, upscaled and zipped.").format(size=size)


def view_waiting(finished: int, total: int) -> str:
    """Images of the batch still rendering."""
    return _("⏳ {finished} of {total} images finished; more clips join here.").format(
        finished=finished, total=total)


def view_select_all(image: int, every: bool) -> str:
    """The button that (un)selects every clip of an image."""
    if every:
        return _("☐ Unselect all of image {image}").format(image=image)
    return _("☑️ Select all of image {image}").format(image=image)


def view_zip(selected: int, total: int) -> str:
    """The zip button with its live count."""
    if selected:
        return _("🗜 Zip selected ({n})").format(n=selected)
    return _("🗜 Zip all ({n})").format(n=total)


def view_upscale(selected: int) -> str:
    """The upscale button with its live count."""
    return _("⬆️ Upscale selected ({n})").format(n=selected)


def view_flow1080(selected: int) -> str:
    """Flow's free 1080p button with its live count."""
    return _("🆓 1080p (Flow, free) ({n})").format(n=selected)


def spend_confirm(credits: int) -> str:
    """The confirmation button of a paid action."""
    return _("✅ Yes, spend {credits} credits").format(credits=credits)


def sheet_caption(batch_id: int, clips: int, max_clips: int | None, max_buttons: int | None) -> str:
    """The contact sheet's caption; `max_clips`/`max_buttons` when the sheet/buttons stop short."""
    # English says "clip(s)" in both forms; the other languages decline by their own rules.
    text = ngettext("🗂 <b>Batch #{id}</b>: {n} clip(s) at a glance, numbered as in the review view. "
                    "Tap a number (or send it) to jump there.",
                    "🗂 <b>Batch #{id}</b>: {n} clip(s) at a glance, numbered as in the review view. "
                    "Tap a number (or send it) to jump there.", clips).format(id=batch_id, n=clips)
    if max_clips is not None:
        text += " " + _("The sheet shows the first {n}.").format(n=max_clips)
    elif max_buttons is not None:
        text += " " + _("Buttons go up to {n}; send a higher number.").format(n=max_buttons)
    return text


# -- the admin commands' answers (bot/handlers/admin.py) ----------------------------------------

def session_state(signed_in: bool, detail: str) -> str:
    """/session: signed in or not, with the driver's own words (`detail`, already escaped)."""
    if signed_in:
        return _("✅ Signed in — {detail}").format(detail=detail)
    return _("❌ Not signed in — {detail}").format(detail=detail)


def session_plan(plan: str) -> str:
    """/session: the plan the page shows."""
    return _("Plan: {plan}").format(plan=plan)


def credits_seen(credits: int) -> str:
    """/session: the credits the page shows."""
    return _("Credits seen: {credits}").format(credits=credits)


def catalog_learning() -> str:
    """/session: the page is being walked for the models the account can buy."""
    return _("🔎 Reading which models and durations Flow offers this account…")


def catalog_learned(build: str | None, lines: list[str]) -> str:
    """/session: what the walk found (one line per model, from `catalog_line`)."""
    head = _("Flow offers this account now (build {build}):").format(build=esc(build or "?"))
    return "\n".join([head, *lines])


def catalog_line(model: str, durations: str, credits: int | None) -> str:
    """One model of the learned catalogue: its durations and the price of one 8 s (or its
    default) clip."""
    if credits is None:
        return _("• {model}: {durations}").format(model=esc(model), durations=durations)
    return _("• {model}: {durations}, {credits} credits for the default clip").format(
        model=esc(model), durations=durations, credits=credits)


def catalog_failed() -> str:
    """/session: the walk failed; what the bot knew stays."""
    return _("Could not read Flow's models from the page; the bot keeps what it knew.")


def session_checked(when: str) -> str:
    """/session: when the session was checked (`when` in UTC)."""
    return _("Checked: {when}").format(when=when)


def screenshot_failed(error: str) -> str:
    """/screenshot when the browser could not take one (`error`: the exception's type)."""
    return _("Could not take a screenshot ({error}).").format(error=error)


def login_failed(message: str) -> str:
    """/login refused: the session service's reason, in the admin's language where known."""
    return "❌ " + esc(english_sentence(message))


def login_done(cookies: int, credits: int | None, resumed: bool) -> str:
    """/login accepted."""
    text = ngettext("✅ Signed in to Flow with {n} cookie, stored privately.",
                    "✅ Signed in to Flow with {n} cookies, stored privately.", cookies).format(n=cookies)
    if credits is not None:
        text += " " + _("Credits seen: {credits}.").format(credits=credits)
    if resumed:
        text += __getattr__("LOGIN_RESUMES")
    return text


# The reason /pause stores when the admin gave none (stored in English, shown translated).
PAUSED_BY_ADMIN = "paused by an admin"
_FIXED_EXTRA = [N_("paused by an admin")]


def pause_line(paused: bool, kind: str, detail: str) -> str:
    """/session and /queue: whether work runs (`kind`/`detail` raw; escaped here)."""
    if not paused:
        return __getattr__("WORK_RUNNING")
    return _("⏸ Work is paused ({kind}): {detail}").format(
        kind=esc(kind), detail=esc(english_sentence(detail)))


def queue_cancelled(batch_id: int) -> str:
    """/queue: an admin cancelled a batch."""
    return _("Batch #{id} cancelled.").format(id=batch_id)


def queue_tasks(counts: list[tuple[str, int, int]]) -> str:
    """/queue: tasks per kind (kind, running, queued); task kinds are shown as their names."""
    return _("Tasks: {tasks}").format(tasks=", ".join(
        _("{kind} {running} running / {queued} queued").format(kind=k, running=r, queued=q)
        for k, r, q in counts))


def queue_batch(batch_id: int, user_id: int, done: int, total: int, failed: int) -> str:
    """/queue: one running batch."""
    if failed:
        return _("#{id} · user <code>{user}</code> · {done}/{total} done, {failed} failed").format(
            id=batch_id, user=user_id, done=done, total=total, failed=failed)
    return _("#{id} · user <code>{user}</code> · {done}/{total} done").format(
        id=batch_id, user=user_id, done=done, total=total)


def queue_buttons_capped(n: int) -> str:
    """/queue: more running batches than buttons."""
    return _("Cancel buttons for the first {n} batches only.").format(n=n)


def stats_line(label: str, generations: int, done: int, failed: int, credits: int) -> str:
    """/stats: one period's totals."""
    return _("\n<b>{label}</b>: {generations} generations · {done} done · {failed} failed · "
             "{credits} credits spent").format(label=label, generations=generations, done=done,
                                               failed=failed, credits=credits)


def stats_failures(by_class: str) -> str:
    """/stats: failures per class (class names as stored)."""
    return _("Failures: {failures}").format(failures=by_class)


def stats_model(model: str, seconds: int, resolution: str, generations: int, credits: int) -> str:
    """/stats: one model/duration/resolution (`model` already escaped)."""
    return _("• {model} {seconds} s {resolution}: {generations} generations, {credits} credits"
             ).format(model=model, seconds=seconds, resolution=resolution,
                      generations=generations, credits=credits)


def user_added(uid: int, added: bool) -> str:
    """/users add."""
    if added:
        return _("✅ User {uid} may now use the bot.").format(uid=uid)
    return _("User {uid} already has access.").format(uid=uid)


def user_removed(uid: int, outcome: str) -> str:
    """/users remove (or its button): removed, not on the list, or allowed by the settings."""
    if outcome == "removed":
        return _("🗑 User {uid} no longer has access.").format(uid=uid)
    if outcome == "not_found":
        return _("User {uid} was not on the list.").format(uid=uid)
    return _("User {uid} is allowed in the settings (TELEGRAM_*_IDS); change it there.").format(uid=uid)


def users_more(n: int) -> str:
    """/users: people beyond the listed ones."""
    return _("… and {n} more.").format(n=n)


def strangers_turned_away(n: int) -> str:
    """/users: messages from strangers turned away."""
    return ngettext("\nTurned away so far: {n} message from strangers.",
                    "\nTurned away so far: {n} messages from strangers.", n).format(n=n)


def users_buttons_capped(n: int) -> str:
    """/users: more removable users than buttons."""
    return _("Remove buttons for the first {n} only; <code>/users remove ID</code> for the "
             "others.").format(n=n)


def remove_user_button(uid: int) -> str:
    """/users: the button that removes a user."""
    return _("🗑 Remove {uid}").format(uid=uid)


# -- refusals that come from the service layer as codes (bot/services/batches.py) ---------------

# BatchError.code -> msgid; `params` fill the placeholders (lists are joined in the locale).
_BATCH_ERRORS: dict[str, str] = {
    "no_prompts": N_("A batch needs at least one prompt."),
    "image_not_found": N_("An image of this batch could not be found; send it again."),
    "empty_prompt": N_("The prompt for {name} is empty."),
    "empty_prompt_text_only": N_("A text-only prompt is empty."),
    "settings_locked": N_("This batch already started; its settings can no longer change."),
    "cancelled": N_("This batch was cancelled."),
    "budget": N_("This batch needs more credits than your budget has left."),
    "no_item": N_("That image no longer exists."),
    "no_image": N_("That image no longer exists."),
    "no_clip": N_("That clip no longer exists."),
    "no_batch": N_("Batch #{id} does not exist."),
    "item_not_yours": N_("This image belongs to someone else."),
    "batch_not_yours": N_("This batch belongs to someone else."),
    "clip_not_yours": N_("This clip belongs to someone else."),
    "clip_not_in_batch": N_("This clip is not part of that batch."),
    "clip_not_in_review": N_("That clip is not part of this batch."),
    "clips_not_in_batch": N_("Some of these clips are not part of this batch."),
    "image_not_in_batch": N_("That image is not part of this batch."),
    "no_finished_clips": N_("That image has no finished clips yet."),
    "bad_preset": N_("That 4K quality does not exist; use one of {presets}."),
    "bad_export_resolution": N_("A zip is made in 720p or 4K only."),
    "bad_aspect": N_("The aspect must be one of {aspects}."),
    "bad_outputs": N_("Outputs per prompt must be 1 to 4."),
    "bad_model": N_("The model must be one of: {models} (the {plan} plan)."),
    "bad_duration": N_("{model} makes {durations} clips on the {plan} plan."),
    "bad_resolution": N_("{model} renders {resolutions} only."),
    "images_gone": N_("The image of this item is no longer kept (a finished batch keeps its images "
                      "for a week). Send the image again to make new clips of it."),
    "pairs_need_images": N_("Start+end pairs need an image for every clip; text-only prompts "
                            "cannot be paired."),
    "pairs_odd": N_("Start+end pairs need an even number of images: you sent {images}. Add or "
                    "remove one image (1→2, 3→4 … are paired); nothing was spent."),
    "pairs_odd_short": N_("Start+end pairs need an even number of images."),
    "bad_duration_range": N_("{model} makes clips of {min} to {max} s on the {plan} plan."),
    "duration_needs_plan": N_("{model} clips over {max} s need the Pro or Ultra plan; this account "
                              "is on the {plan} plan."),
    "pairs_too_long": N_("Start+end pairs (an end frame) work up to {max} s with {model}: choose "
                         "{max} s or less, or turn pairs off. Nothing was spent."),
    "model_retired": N_("{model} was retired by Flow on {since}: switch this batch to {nearest} "
                        "first. Nothing was spent."),
    "model_gone": N_("Flow no longer offers {model}: switch this batch to {nearest} first. Nothing "
                     "was spent."),
    "model_gone_no_nearest": N_("Flow no longer offers {model}, and the {plan} plan has no other "
                                "model."),
}


def either(values: list[str]) -> str:
    """'a', 'a or b', 'a, b or c' in the current locale."""
    if len(values) <= 1:
        return "".join(values)
    return _("{first} or {last}").format(first=", ".join(values[:-1]), last=values[-1])


def batch_error(error: Exception) -> str:
    """A refused batch request (`BatchError`) in the user's language (plain text, unescaped).

    Words the error's `code`; an error without a known code shows its own (English) message."""
    code = getattr(error, "code", None)
    msgid = _BATCH_ERRORS.get(code or "")
    if msgid is None:
        return str(error)
    params = dict(getattr(error, "params", {}) or {})
    if code == "budget" and {"cost", "left", "period"} <= set(params):
        return budget_refused(params["cost"], params["left"], params["period"])
    if "durations" in params:
        params["durations"] = either([_("{s} s").format(s=d) for d in params["durations"]])
    if "resolutions" in params:
        params["resolutions"] = either([str(r) for r in params["resolutions"]])
    if code == "bad_model":
        params["plan"] = str(params.get("plan", ""))
    try:
        return _(msgid).format(**params)
    except (KeyError, IndexError, ValueError):  # a code raised without its params
        return str(error)


# -- sentences the pipeline and services store or send in English -------------------------------
#
# The pipeline never imports gettext: it stores failure reasons and sends admin alerts as English
# sentences with a stable code/kind next to them. They are worded here: an exact known sentence
# (its msgid is the English text itself) or a known pattern with a quoted detail (Flow's own
# words, shown as they came). Anything else stays as it came.

# Every FlowError's `user_reason` (bot/errors.py): msgid == the English text, so a stored reason
# translates by lookup (tests/telegram/test_locales.py checks each class has its entry).
_FIXED: list[str] = [
    N_("Flow could not generate this video."),
    N_("Flow had a temporary problem; the bot will try again."),
    N_("Flow is under high demand right now; the bot will retry in a few minutes."),
    N_("Flow asked us to slow down; the bot is pacing requests."),
    N_("Flow's audio generation failed (credits refunded); the bot will retry."),
    N_("Flow's render queue for this account is full; waiting for a free slot."),
    N_("Flow refused this request."),
    N_("Flow refused this prompt or image as against its content policy. Try a different prompt "
       "or image."),
    N_("Flow refused this prompt because it seems to show a prominent person. Try a different "
       "prompt."),
    N_("Flow says this prompt violates its terms. Try a different prompt."),
    N_("The Flow account is paused; an admin has been told."),
    N_("The Flow account is out of credits or hit its daily limit; an admin has been told."),
    N_("Flow reported unusual activity on the account; an admin has been told."),
    N_("The Flow session expired; waiting for an admin to sign in again."),
    N_("Flow showed something the bot did not recognise; an admin has been told."),
    N_("This kind of video cannot be made with the Flow version the bot is connected to."),
    N_("Flow asked more credits for this video than its limit allows; nothing was spent."),
    N_("Flow refused this image because it thinks it shows a child. Try another image (small "
       "faces are sometimes mistaken for children)."),
    N_("Flow refused this image because it shows a realistic face close up. Try an image with the "
       "face smaller or not photorealistic."),
    N_("Flow started a different video than requested (credits may have been spent); an admin has "
       "been told and the bot will not retry it automatically."),
    N_("Flow's price for this video differs from the bot's table; an admin has been told."),
    N_("The Flow account only offers agent mode, which the bot cannot use; an admin has been told."),
    N_("Flow asks an admin to accept its image upload terms first; an admin has been told."),
    N_("The Flow session belongs to a different Google account than before; an admin has been "
       "told."),
    N_("Google turned away submits that came too fast; the bot is pausing and will resume by "
       "itself."),
    N_("Flow may have started this video, but the bot could not confirm it; an admin has been "
       "told. Retry it only if no clip shows up in Flow (it may cost again)."),
    N_("Flow no longer offers the model this video asked for; nothing was spent."),
    N_("Flow hides its model picker on this account right now; an admin has been told."),
    N_("The finished video could not be downloaded from Flow."),
    N_("Downloading the clip from Flow failed; the bot will try again."),
    N_("failed"),
    # Notes on delivered files (bot/pipeline/stages/events.py).
    N_("Flow's own 1080p upscale (free)."),
    N_("Flow's free 1080p never arrived for this clip, so this is our own upscale (from the 720p "
       "original)."),
    # Admin alerts: what to do (bot/pipeline/stages/outcomes.py, policy.ADMIN_ACTIONS, canary, loop).
    N_("Look at the screenshot; update selectors/texts if Flow changed."),
    N_("Sign in to Flow again and send the new session with /login; the bot resumes by itself."),
    N_("Add credits or wait for the daily reset, then /resume."),
    N_("Check the account in a browser, then /resume."),
    N_("Flow shows its image-rights dialog at the first upload. Read it in Flow, then either accept "
       "it once there yourself, or set FLOW_ACCEPT_UPLOAD_TERMS=true to let the bot accept it, and "
       "resume the account."),
    N_("Flow's live price differs from the bot's price table (bot/pipeline/catalog.py). Check the "
       "price in Flow; update the table or the per-item cap, then /resume."),
    N_("This account only offers Flow's agent composer. Use an account with the normal prompt box "
       "(or turn agent mode off in Flow), then /resume."),
    N_("The session belongs to another Google account than the bot's projects. Send the right "
       "account's session with /login, then /resume."),
    N_("Flow kept reporting unusual activity after reloads and pauses. Open Flow in a browser, "
       "check the account, wait a while, then /resume."),
    N_("The driver still copes through fallbacks; update the selectors before they run out (run "
       "`flowbot flow check`)."),
    N_("Run `flowbot flow check` to see every element, update the driver's selectors for the new "
       "page, then /resume."),
    N_("Open Flow in a browser, run `flowbot flow check`, then /resume."),
    N_("Nothing to do."),
    N_("An admin resumed the queue."),
    N_("The daily limit has reset; resuming."),
    N_("The Flow session works again; the queue resumed."),
    # /login refusals (bot/services/sessions.py).
    N_("Flow did not accept this session (it shows the sign-in page). Sign in to Flow in your "
       "browser, export the cookies again and send the file."),
    # bot/pipeline/retirement.py: what admins do about a retired model.
    N_("Nothing was spent and the account is not paused. If FLOW_DEFAULT_MODEL names this model, "
       "change it."),
    *_FIXED_EXTRA,
]
_FIXED_SET = frozenset(_FIXED)

# (pattern of the English sentence, msgid with the pattern's named groups as placeholders).
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Flow failed (?P<n>\d+) times \((?P<detail>.*)\); the bot gave up\. "
                r"You can retry it\.", re.S),
     N_("Flow failed {n} times ({detail}); the bot gave up. You can retry it.")),
    (re.compile(r"The bot could not submit this item: (?P<detail>.*)", re.S),
     N_("The bot could not submit this item: {detail}")),
    (re.compile(r"(?P<n>\d+) of (?P<total>\d+) outputs failed: (?P<detail>.*)", re.S),
     N_("{n} of {total} outputs failed: {detail}")),
    (re.compile(r"Flow showed something unrecognised: (?P<detail>.*)", re.S),
     N_("Flow showed something unrecognised: {detail}")),
    (re.compile(r"The Flow account is paused \((?P<kind>[^)]*)\): (?P<detail>.*)", re.S),
     N_("The Flow account is paused ({kind}): {detail}")),
    (re.compile(r"Flow billed something other than requested: (?P<detail>.*)\. Check the project "
                r"in a browser; the bot will not retry it by itself\.", re.S),
     N_("Flow billed something other than requested: {detail}. Check the project in a browser; "
        "the bot will not retry it by itself.")),
    (re.compile(r"Submissions are paused before spending any credits\. (?P<detail>.*)", re.S),
     N_("Submissions are paused before spending any credits. {detail}")),
    (re.compile(r"Submissions are paused: the check of Flow's page failed (?P<n>\d+) times in a "
                r"row \((?P<detail>.*)\)\.", re.S),
     N_("Submissions are paused: the check of Flow's page failed {n} times in a row ({detail}).")),
    (re.compile(r"That file is not a usable session: (?P<detail>.*)", re.S),
     N_("That file is not a usable session: {detail}")),
    # bot/pipeline/retirement.py: the admins' one notice per gone model, and a held item's reason.
    (re.compile(r"Flow retired (?P<model>.+?) on (?P<date>\d{4}-\d{2}-\d{2}): work that names it "
                r"is held and its owners are offered (?P<nearest>.+)\.", re.S),
     N_("Flow retired {model} on {date}: work that names it is held and its owners are offered "
        "{nearest}.")),
    (re.compile(r"Flow no longer offers (?P<model>.+?) on this account: work that names it is "
                r"held and its owners are offered (?P<nearest>.+)\.", re.S),
     N_("Flow no longer offers {model} on this account: work that names it is held and its "
        "owners are offered {nearest}.")),
    (re.compile(r"(?P<model>.+?) was retired by Flow on (?P<date>\d{4}-\d{2}-\d{2}); the nearest "
                r"model is (?P<nearest>.+)\.", re.S),
     N_("{model} was retired by Flow on {date}; the nearest model is {nearest}.")),
    (re.compile(r"Flow no longer offers (?P<model>.+?); the nearest model is (?P<nearest>.+)\.",
                re.S),
     N_("Flow no longer offers {model}; the nearest model is {nearest}.")),
]


def english_sentence(text: str) -> str:
    """A sentence the pipeline or a service produced in English, in the current locale.

    Known sentences and patterns are translated (a pattern's detail, Flow's or the driver's own
    words, is kept as it came); anything unknown is returned unchanged."""
    if not text:
        return text
    if text in _FIXED_SET:
        return _(text)
    for pattern, msgid in _PATTERNS:
        m = pattern.fullmatch(text)
        if m is not None:
            values = {k: english_sentence(v) if k == "detail" else v
                      for k, v in m.groupdict().items()}
            return _(msgid).format(**values)
    return text


def flow_reason(reason: str) -> str:
    """Why an image failed, in the user's words (plain text, unescaped)."""
    return english_sentence(reason)


def admin_alert(text: str, action: str) -> str:
    """A pipeline alert for admins (the notifier): what happened, and what to do."""
    out = f"⚠️ <b>{esc(english_sentence(text))}</b>"
    if action:
        out += f"\n👉 {esc(english_sentence(action))}"
    return out


# -- files too large to send (bot/pipeline/delivery.py decides; the words are here) -------------

def _mb(size: int) -> str:
    if size >= 1024 * 1024:
        return _("{n} MB").format(n=f"{size / (1024 * 1024):,.0f}")
    return _("{n} KB").format(n=f"{size / 1024:,.0f}")


def delivery_link_reason(size: int, limit: int, hours: float) -> str:
    """Why a file comes as a download link."""
    return ngettext("{size} is over the {limit} a bot may send: sent as a download link valid for "
                    "{hours} hour",
                    "{size} is over the {limit} a bot may send: sent as a download link valid for "
                    "{hours} hours", 1 if hours == 1 else 2).format(
        size=_mb(size), limit=_mb(limit), hours=f"{hours:g}")


def delivery_too_big(size: int, limit: int) -> str:
    """Why a file can be neither sent nor linked."""
    return _("{size} is over the {limit} a bot may send, and no download links are configured"
             ).format(size=_mb(size), limit=_mb(limit))


def delivery_choices(is_zip: bool, limit: int, local_mode: bool) -> list[str]:
    """What the user (or an admin) can do about a file too large to send."""
    if is_zip:
        choices = [_("download the zip in parts of at most {limit} each").format(limit=_mb(limit))]
    else:
        choices = [_("upscale again with the 'fast' or 'balanced' preset (smaller files)"),
                   _("download the 720p original instead")]
    choices.append(_("ask the admin to set up Cloudflare R2 storage (STORAGE_BACKEND=r2) for links"))
    if not local_mode:
        choices.append(_("ask the admin to run a self-hosted Bot API server "
                         "(TELEGRAM_LOCAL_MODE=true, files up to 2,000 MB)"))
    return choices
